// Full personal data views reach the audit trail with the real processes: jifen-scoring relays its
// own audit outbox (--audit_address, its AuditRelay and AuditSink) to a real jifen-audit, as in
// production. A village admin's unmasked view of a household arrives as "view_personal_data" (not
// set aside as a malformed payload), and the town official of the village's town and the district
// read it back from the trail; a masked view (a grid worker's) leaves nothing.
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/auth/test_keys.h"
#include "common/grpc/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jifen/audit/v1/audit.grpc.pb.h"
#include "jifen/scoring/v1/registry.grpc.pb.h"
#include "services/audit/audit_test_support.h"
#include "tests/support/scoring_harness.h"
#include "tests/support/service_process.h"
#include "tests/support/testenv.h"

namespace jifen::audit {
namespace {

namespace av1 = ::jifen::audit::v1;
namespace sv1 = ::jifen::scoring::v1;
using ::jifen::testing::ScoringHarness;
using ::jifen::testing::SeededVillage;
using ::jifen::testing::ServiceProcess;
using ::testing::HasSubstr;

class PersonalDataViewProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    scoring_ = std::make_unique<ScoringHarness>("audit_personal_view");
    ASSERT_TRUE(scoring_->Prepare());
    testing::SetUpAuditDb("personal_view_process", &audit_db_);
    audit_ = testing::NewAuditProcess(audit_db_, scoring_->public_key_path(), "pv-audit");
    ASSERT_TRUE(audit_->Start());
    ASSERT_TRUE(
        scoring_->Launch({"--audit_address=" + audit_->address(),
                          "--service_token_file=" + scoring_->WriteServiceTokenFile("scoring")}));
    trail_ = av1::AuditService::NewStub(grpc_util::NewChannel(audit_->address(), 4 << 20));
  }

  void TearDown() override {
    if (audit_ != nullptr && audit_->running()) {
      EXPECT_EQ(audit_->Terminate(), 0);
    }
  }

  std::string TownOfficial(int64_t town_id) const {
    auth::Caller caller;
    caller.user_id = "town-official-1";
    caller.role = auth::Role::kTownOfficial;
    caller.town_id = town_id;
    return scoring_->Token(caller);
  }

  void View(const std::string& token, int64_t household_id) {
    auto registry = sv1::RegistryService::NewStub(scoring_->channel());
    sv1::GetHouseholdRequest request;
    request.set_household_id(household_id);
    sv1::HouseholdDetail detail;
    const grpc::Status status =
        registry->GetHousehold(ScoringHarness::Context(token).get(), request, &detail);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  // The village's records as `token`'s holder reads them, once a record with `action` has
  // arrived through scoring's relay or 30 s have passed. (A town official is refused until the
  // village's create_village record has taught audit the village's town: it comes first.)
  std::vector<av1::AuditRecord> RecordsOnceArrived(const std::string& token, int64_t village_id,
                                                   const std::string& action) {
    std::vector<av1::AuditRecord> found;
    grpc::Status status;
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (true) {
      found.clear();
      bool arrived = false;
      av1::ListRecordsRequest request;
      request.set_village_id(village_id);
      request.set_page_size(500);
      av1::ListRecordsResponse response;
      status = trail_->ListRecords(ScoringHarness::Context(token).get(), request, &response);
      for (const av1::StoredRecord& stored : response.records()) {
        found.push_back(stored.record());
        arrived |= stored.record().action() == action;
      }
      if (arrived || absl::Now() > deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_TRUE(status.ok()) << status.error_message();
    return found;
  }

  std::unique_ptr<ScoringHarness> scoring_;
  testing::AuditDb audit_db_;
  std::unique_ptr<ServiceProcess> audit_;
  std::unique_ptr<av1::AuditService::Stub> trail_;
};

TEST_F(PersonalDataViewProcessTest, TheTownAndTheDistrictSeeWhoViewedFullPersonalData) {
  const SeededVillage village = scoring_->SeedVillage(2);
  const int64_t viewed = village.household_ids[0];
  // A masked view first, then the full one: only the full one is on the trail.
  View(scoring_->GridWorkerToken(village), village.household_ids[1]);
  View(scoring_->VillageAdminToken(village.village_id), viewed);
  if (HasFatalFailure()) return;

  for (const std::string& reader : {TownOfficial(village.town_id), scoring_->DistrictToken()}) {
    const std::vector<av1::AuditRecord> records =
        RecordsOnceArrived(reader, village.village_id, "view_personal_data");
    std::vector<av1::AuditRecord> views;
    for (const av1::AuditRecord& record : records) {
      EXPECT_NE(record.action(), "malformed_payload") << record.after();
      if (record.action() == "view_personal_data") views.push_back(record);
    }
    ASSERT_EQ(views.size(), 1u) << "one full view, the masked one not recorded";
    EXPECT_EQ(views[0].actor_user_id(), absl::StrCat("admin-", village.village_id));
    EXPECT_EQ(views[0].actor_role(), "village_admin");
    EXPECT_EQ(views[0].object_type(), "household");
    EXPECT_EQ(views[0].object_id(), absl::StrCat(viewed));
    EXPECT_THAT(views[0].after(), HasSubstr("rpc=GetHousehold fields=head_name,member_names"));
    EXPECT_GT(views[0].occurred_at_ms(), 0);
  }
}

}  // namespace
}  // namespace jifen::audit
