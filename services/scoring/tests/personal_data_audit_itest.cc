// Full personal data views on the audit trail, through the real jifen-scoring process: a view of
// unmasked names and phones writes a "view_personal_data" record into the audit outbox (who, which
// household or page, which members, the token), and a masked view writes nothing.
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/mysql/statement.h"
#include "common/mysql/transaction.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jifen/scoring/v1/registry.grpc.pb.h"
#include "tests/support/audit_outbox.h"
#include "tests/support/scoring_harness.h"
#include "tests/support/shared_scoring_test.h"

namespace jifen::scoring {
namespace {

using testing::AuditOutboxAfter;
using ::testing::HasSubstr;
using testing::LastOutboxId;
using ::testing::MatchesRegex;
using testing::OutboxAudit;
using testing::ScoringHarness;
using testing::SeededVillage;
using testing::SharedScoringTest;

class PersonalDataAuditTest : public SharedScoringTest<PersonalDataAuditTest> {
 public:
  static constexpr char kSuite[] = "personal_data_audit";

 protected:
  static void SetUpTestSuite() {
    SharedScoringTest::SetUpTestSuite();
    village_ = new SeededVillage(harness_->SeedVillage(3));
  }
  static void TearDownTestSuite() {
    delete village_;
    village_ = nullptr;
    SharedScoringTest::TearDownTestSuite();
  }
  void SetUp() override {
    ASSERT_NE(harness_, nullptr);
    registry_ = v1::RegistryService::NewStub(harness_->channel());
  }

  static std::string TownOfficialToken() {
    auth::Caller caller;
    caller.user_id = "town-official-1";
    caller.role = auth::Role::kTownOfficial;
    caller.town_id = village_->town_id;
    return harness_->Token(caller);
  }

  v1::HouseholdDetail Get(const std::string& token, int64_t household_id) {
    v1::GetHouseholdRequest request;
    request.set_household_id(household_id);
    v1::HouseholdDetail detail;
    const grpc::Status status =
        registry_->GetHousehold(ScoringHarness::Context(token).get(), request, &detail);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return detail;
  }

  v1::ListHouseholdsResponse List(const std::string& token) {
    v1::ListHouseholdsRequest request;
    request.set_village_id(village_->village_id);
    v1::ListHouseholdsResponse response;
    const grpc::Status status =
        registry_->ListHouseholds(ScoringHarness::Context(token).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  // The audit outbox rows written since `after_id`; none may carry a name or a phone.
  static std::vector<audit::v1::AuditRecord> RecordsAfter(int64_t after_id) {
    std::vector<audit::v1::AuditRecord> records;
    for (const OutboxAudit& row : AuditOutboxAfter(harness_->admin_pool(), after_id)) {
      EXPECT_TRUE(row.parsed);
      EXPECT_FALSE(absl::StrContains(row.payload, "建华")) << "a name reached the trail";
      EXPECT_FALSE(absl::StrContains(row.payload, "13810000")) << "a phone reached the trail";
      records.push_back(row.record);
    }
    return records;
  }

  // Grants or takes back the service account's INSERT on its outbox.
  static void OutboxWritable(bool writable) {
    const absl::Status status =
        mysql::RunWithConnection(harness_->admin_pool(), [&](sql::Connection& c) {
          for (const char* host : {"127.0.0.1", "localhost"}) {
            const std::string sql =
                absl::StrCat(writable ? "GRANT INSERT ON `" : "REVOKE INSERT ON `",
                             harness_->database(), "`.outbox ", writable ? "TO '" : "FROM '",
                             harness_->service_user(), "'@'", host, "'");
            mysql::Statement(c, sql.c_str()).Update();
          }
          return absl::OkStatus();
        });
    ASSERT_TRUE(status.ok()) << status;
  }

  static SeededVillage* village_;
  std::unique_ptr<v1::RegistryService::Stub> registry_;
};

SeededVillage* PersonalDataAuditTest::village_ = nullptr;

TEST_F(PersonalDataAuditTest, TheVillageAdminsFullViewOfAHouseholdIsRecorded) {
  const int64_t household = village_->household_ids[1];
  const int64_t start = LastOutboxId(harness_->admin_pool());
  const v1::HouseholdDetail detail =
      Get(harness_->VillageAdminToken(village_->village_id), household);
  ASSERT_EQ(detail.members_size(), 1);
  EXPECT_EQ(detail.members(0).phone(), "13810000001");  // shown in full

  const std::vector<audit::v1::AuditRecord> records = RecordsAfter(start);
  ASSERT_EQ(records.size(), 1u);
  const audit::v1::AuditRecord& record = records[0];
  EXPECT_EQ(record.village_id(), village_->village_id);
  EXPECT_EQ(record.actor_user_id(), absl::StrCat("admin-", village_->village_id));
  EXPECT_EQ(record.actor_role(), "village_admin");
  EXPECT_EQ(record.action(), "view_personal_data");
  EXPECT_EQ(record.object_type(), "household");
  EXPECT_EQ(record.object_id(), absl::StrCat(household));
  EXPECT_EQ(record.before(), "");
  const int64_t member = detail.members(0).member_id();
  EXPECT_THAT(record.after(),
              MatchesRegex(absl::StrCat(
                  "rpc=GetHousehold fields=head_name,member_names,phones token=[0-9a-zA-Z_-]+ ",
                  "members=1 first=", member, " last=", member, " ids=", member)));
  EXPECT_GT(record.occurred_at_ms(), 0);
}

TEST_F(PersonalDataAuditTest, AResidentsFullViewOfTheirOwnHouseholdIsRecorded) {
  // The household's other members' phones are personal data too.
  const int64_t household = village_->household_ids[0];
  const int64_t start = LastOutboxId(harness_->admin_pool());
  Get(harness_->ResidentToken(village_->village_id, household), household);
  const std::vector<audit::v1::AuditRecord> records = RecordsAfter(start);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].action(), "view_personal_data");
  EXPECT_EQ(records[0].actor_user_id(), absl::StrCat("resident-", household));
  EXPECT_EQ(records[0].actor_role(), "resident");
  EXPECT_EQ(records[0].object_id(), absl::StrCat(household));
}

TEST_F(PersonalDataAuditTest, TheVillageAdminsFullListIsRecordedWithTheHouseholdsShown) {
  const int64_t start = LastOutboxId(harness_->admin_pool());
  const v1::ListHouseholdsResponse page = List(harness_->VillageAdminToken(village_->village_id));
  ASSERT_EQ(page.households_size(), 3);
  EXPECT_EQ(page.households(0).head_name(), "张建华");  // shown in full

  const std::vector<audit::v1::AuditRecord> records = RecordsAfter(start);
  ASSERT_EQ(records.size(), 1u);
  const audit::v1::AuditRecord& record = records[0];
  EXPECT_EQ(record.action(), "view_personal_data");
  EXPECT_EQ(record.object_type(), "village");
  EXPECT_EQ(record.object_id(), absl::StrCat(village_->village_id));
  EXPECT_EQ(record.actor_role(), "village_admin");
  const std::vector<int64_t>& ids = village_->household_ids;
  // Registered one after the other: consecutive ids, one range.
  const std::string shown = ids[2] - ids[0] == 2 ? absl::StrCat(ids[0], "-", ids[2])
                                                 : absl::StrCat(ids[0], ",", ids[1], ",", ids[2]);
  EXPECT_THAT(record.after(), HasSubstr("rpc=ListHouseholds fields=head_name token="));
  EXPECT_THAT(record.after(), HasSubstr(absl::StrCat(" group=0 grid=0 households=3 first=", ids[0],
                                                     " last=", ids[2], " ids=", shown)));
}

TEST_F(PersonalDataAuditTest, MaskedViewsWriteNothing) {
  const int64_t household = village_->household_ids[0];
  const int64_t start = LastOutboxId(harness_->admin_pool());
  for (const std::string& token :
       {harness_->GridWorkerToken(*village_), TownOfficialToken(), harness_->DistrictToken(),
        harness_->ServiceToken("publicity")}) {
    const v1::HouseholdDetail detail = Get(token, household);
    ASSERT_EQ(detail.members_size(), 1);
    EXPECT_EQ(detail.members(0).phone(), "138****0000");
  }
  for (const std::string& token : {harness_->GridWorkerToken(*village_), TownOfficialToken()}) {
    const v1::ListHouseholdsResponse page = List(token);
    ASSERT_EQ(page.households_size(), 3);
    EXPECT_EQ(page.households(0).head_name(), "张*华");
  }
  EXPECT_TRUE(RecordsAfter(start).empty());
}

// No record, no full view: when the record cannot be written the admin gets an error, not the
// data; masked views need no record and go on.
TEST_F(PersonalDataAuditTest, AFullViewThatCannotBeRecordedIsNotShown) {
  const int64_t household = village_->household_ids[2];
  OutboxWritable(false);
  absl::Cleanup restore = [] { OutboxWritable(true); };
  v1::GetHouseholdRequest request;
  request.set_household_id(household);
  v1::HouseholdDetail detail;
  const grpc::Status full = registry_->GetHousehold(
      ScoringHarness::Context(harness_->VillageAdminToken(village_->village_id)).get(), request,
      &detail);
  EXPECT_FALSE(full.ok());
  EXPECT_EQ(detail.members_size(), 0);
  EXPECT_EQ(Get(harness_->GridWorkerToken(*village_), household).members(0).phone(), "138****0002");
}

}  // namespace
}  // namespace jifen::scoring
