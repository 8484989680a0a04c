// Anomaly flags end to end with the real processes: jifen-scoring (ScoringHarness) relays its own
// audit outbox (--audit_address, its AuditRelay) to a real jifen-audit, as in production. In one
// village a grid worker puts the same photo on two households and the village admin, who is the
// steward (户管家) of a third, scores that household; in a second village the same kinds of
// scoring happen with distinct photos and a steward who does not score. After the relay has
// delivered (bounded polling of ListRecords, never a sleep-and-hope), RunChecks raises exactly
// shared_photo and self_award in the first village, each naming the trail records behind it, and
// nothing in the second.
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/auth/test_keys.h"
#include "common/grpc/client.h"
#include "common/time/shanghai.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jifen/audit/v1/audit.grpc.pb.h"
#include "jifen/audit/v1/supervision.grpc.pb.h"
#include "jifen/scoring/v1/assessment.grpc.pb.h"
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
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

std::string Digest(char c) { return std::string(64, c); }

class AnomalyProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    scoring_ = std::make_unique<ScoringHarness>("audit_anomaly");
    ASSERT_TRUE(scoring_->Prepare());
    testing::SetUpAuditDb("anomaly_process", &audit_db_);
    audit_ = testing::NewAuditProcess(audit_db_, scoring_->public_key_path(), "an-audit");
    ASSERT_TRUE(audit_->Start());
    // Scoring relays its own outbox to this audit, with its service identity.
    ASSERT_TRUE(
        scoring_->Launch({"--audit_address=" + audit_->address(),
                          "--service_token_file=" + scoring_->WriteServiceTokenFile("scoring")}));
    auto channel = grpc_util::NewChannel(audit_->address(), 4 << 20);
    trail_ = av1::AuditService::NewStub(channel);
    supervision_ = av1::SupervisionService::NewStub(channel);
  }

  void TearDown() override {
    if (audit_ != nullptr && audit_->running()) {
      EXPECT_EQ(audit_->Terminate(), 0);
    }
  }

  std::string Inspector() const {
    auth::Caller caller;
    caller.user_id = "insp-1";
    caller.role = auth::Role::kDistrictInspector;
    return scoring_->Token(caller);
  }

  // A household of `village` in its grid, through the registry: stewarded by `steward` ("" none),
  // its one member linked to the staff account `member_staff_user` ("" none).
  int64_t AddHousehold(const SeededVillage& village, const std::string& house_number,
                       const std::string& steward, const std::string& member_staff_user = "") {
    auto registry = sv1::RegistryService::NewStub(scoring_->channel());
    sv1::CreateHouseholdRequest request;
    sv1::Household* household = request.mutable_household();
    household->set_village_id(village.village_id);
    household->set_group_id(village.group_ids[0]);
    household->set_grid_id(village.grid_id);
    household->set_house_number(house_number);
    household->set_head_name("周建军");
    household->set_kind(sv1::HOUSEHOLD_KIND_REGISTERED);
    household->set_steward_user_id(steward);
    sv1::Member* member = request.add_members();
    member->set_name("周建军");
    member->set_is_head(true);
    member->set_staff_user_id(member_staff_user);
    sv1::HouseholdDetail detail;
    const grpc::Status status = registry->CreateHousehold(
        ScoringHarness::Context(scoring_->VillageAdminToken(village.village_id)).get(), request,
        &detail);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return detail.household().household_id();
  }

  // One inspection (the +50 item) with one photo, as `token`'s holder.
  void Inspect(const std::string& token, const std::string& inspection_id, int64_t household,
               const std::string& photo) {
    auto assessment = sv1::AssessmentService::NewStub(scoring_->channel());
    sv1::SubmitInspectionRequest request;
    request.set_inspection_id(inspection_id);
    request.set_household_id(household);
    request.set_occurred_at_ms(absl::ToUnixMillis(
        absl::FromCivil(absl::CivilDay(2025, 8, 15), jifen::time::ShanghaiTime())));
    sv1::InspectionOutcome* outcome = request.add_outcomes();
    outcome->set_item_code(ScoringHarness::kAwardItem);
    outcome->add_photo_refs(photo);
    sv1::SubmitInspectionResponse response;
    const grpc::Status status =
        assessment->SubmitInspection(ScoringHarness::Context(token).get(), request, &response);
    ASSERT_TRUE(status.ok()) << inspection_id << ": " << status.error_message();
  }

  // The village's inspection records on the trail (inspection id -> record), once `expected` of
  // them have arrived through scoring's relay; waits at most 30 s.
  std::map<std::string, av1::StoredRecord> DeliveredInspections(int64_t village_id,
                                                                size_t expected) {
    std::map<std::string, av1::StoredRecord> found;
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (true) {
      found.clear();
      av1::ListRecordsRequest request;
      request.set_village_id(village_id);
      request.set_object_type("inspection");
      request.set_page_size(500);
      av1::ListRecordsResponse response;
      const grpc::Status status =
          trail_->ListRecords(ScoringHarness::Context(Inspector()).get(), request, &response);
      EXPECT_TRUE(status.ok()) << status.error_message();
      for (const av1::StoredRecord& record : response.records()) {
        found[record.record().object_id()] = record;
      }
      if (found.size() >= expected || absl::Now() > deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(found.size(), expected) << "inspection records relayed within 30 s";
    return found;
  }

  std::vector<av1::Flag> Flags(int64_t village_id) {
    av1::ListFlagsRequest request;
    request.set_village_id(village_id);
    av1::ListFlagsResponse response;
    const grpc::Status status =
        supervision_->ListFlags(ScoringHarness::Context(Inspector()).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return {response.flags().begin(), response.flags().end()};
  }

  std::unique_ptr<ScoringHarness> scoring_;
  testing::AuditDb audit_db_;
  std::unique_ptr<ServiceProcess> audit_;
  std::unique_ptr<av1::AuditService::Stub> trail_;
  std::unique_ptr<av1::SupervisionService::Stub> supervision_;
};

TEST_F(AnomalyProcessTest, SharedPhotoAndStewardSelfAwardAreFlaggedFromScoringsOwnRecords) {
  // Village A: the grid worker reuses one photo; the admin scores the household they steward.
  const SeededVillage a = scoring_->FundableVillage(2);
  const std::string a_admin = absl::StrCat("admin-", a.village_id);  // VillageAdminToken's user
  const int64_t a_stewarded = AddHousehold(a, "管-1号", a_admin);
  Inspect(scoring_->GridWorkerToken(a), "anomaly-a-1", a.household_ids[0], Digest('a'));
  Inspect(scoring_->GridWorkerToken(a), "anomaly-a-2", a.household_ids[1], Digest('a'));
  Inspect(scoring_->VillageAdminToken(a.village_id), "anomaly-a-3", a_stewarded, Digest('b'));

  // Village B: the same kinds of scoring, distinct photos, a steward who does not score.
  const SeededVillage b = scoring_->FundableVillage(2);
  const int64_t b_stewarded = AddHousehold(b, "管-1号", absl::StrCat("cadre-", b.village_id));
  Inspect(scoring_->GridWorkerToken(b), "anomaly-b-1", b.household_ids[0], Digest('c'));
  Inspect(scoring_->GridWorkerToken(b), "anomaly-b-2", b.household_ids[1], Digest('d'));
  Inspect(scoring_->VillageAdminToken(b.village_id), "anomaly-b-3", b_stewarded, Digest('e'));

  if (HasFatalFailure()) return;  // an inspection was refused: nothing to check

  std::map<std::string, av1::StoredRecord> a_records = DeliveredInspections(a.village_id, 3);
  ASSERT_EQ(DeliveredInspections(b.village_id, 3).size(), 3u);
  ASSERT_EQ(a_records.size(), 3u);
  // What scoring wrote: the facts the rules read, as text (not a digest).
  EXPECT_EQ(a_records["anomaly-a-3"].source_service(), "scoring");
  EXPECT_EQ(a_records["anomaly-a-3"].record().action(), "submit_inspection");
  EXPECT_EQ(a_records["anomaly-a-3"].record().after(),
            absl::StrCat("household=", a_stewarded, " points=50 entries=1 period=2025Q3 steward=",
                         a_admin, " photos=1 photo=", Digest('b')));
  EXPECT_THAT(a_records["anomaly-a-1"].record().after(), HasSubstr("photo=" + Digest('a')));

  av1::RunChecksResponse run;
  const grpc::Status ran = supervision_->RunChecks(ScoringHarness::Context(Inspector()).get(),
                                                   av1::RunChecksRequest(), &run);
  ASSERT_TRUE(ran.ok()) << ran.error_message();
  EXPECT_EQ(run.flags_raised(), 2);

  std::map<std::string, av1::Flag> by_rule;
  for (const av1::Flag& flag : Flags(a.village_id)) by_rule[flag.rule()] = flag;
  ASSERT_EQ(by_rule.size(), 2u);
  ASSERT_EQ(by_rule.count("shared_photo"), 1u);
  ASSERT_EQ(by_rule.count("self_award"), 1u);
  EXPECT_THAT(by_rule["shared_photo"].evidence(),
              UnorderedElementsAre(absl::StrCat("audit:", a_records["anomaly-a-1"].sequence()),
                                   absl::StrCat("audit:", a_records["anomaly-a-2"].sequence()),
                                   "photo:" + Digest('a')));
  EXPECT_EQ(by_rule["self_award"].subject(),
            absl::StrCat("scorer ", a_admin, " household ", a_stewarded));
  EXPECT_THAT(by_rule["self_award"].evidence(),
              ElementsAre(absl::StrCat("audit:", a_records["anomaly-a-3"].sequence())));

  EXPECT_TRUE(Flags(b.village_id).empty()) << "the clean village raises nothing";

  ASSERT_TRUE(
      supervision_
          ->RunChecks(ScoringHarness::Context(Inspector()).get(), av1::RunChecksRequest(), &run)
          .ok());
  EXPECT_EQ(run.flags_raised(), 0) << "a flag is raised once";
}

TEST_F(AnomalyProcessTest, AnAwardToTheScorersOwnHouseholdIsFlagged) {
  // The grid worker lives in one of the households of their grid (a member linked to their staff
  // account) and scores it; another household of the grid is scored too.
  const SeededVillage c = scoring_->FundableVillage(2);
  const int64_t own = AddHousehold(c, "家-1号", "", c.grid_worker_user_id);
  Inspect(scoring_->GridWorkerToken(c), "anomaly-c-1", own, Digest('f'));
  Inspect(scoring_->GridWorkerToken(c), "anomaly-c-2", c.household_ids[0], Digest('0'));
  if (HasFatalFailure()) return;

  std::map<std::string, av1::StoredRecord> records = DeliveredInspections(c.village_id, 2);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_THAT(records["anomaly-c-1"].record().after(), HasSubstr(" scorer_member=1 "));
  EXPECT_THAT(records["anomaly-c-2"].record().after(), Not(HasSubstr("scorer_member")));

  av1::RunChecksResponse run;
  const grpc::Status ran = supervision_->RunChecks(ScoringHarness::Context(Inspector()).get(),
                                                   av1::RunChecksRequest(), &run);
  ASSERT_TRUE(ran.ok()) << ran.error_message();
  const std::vector<av1::Flag> flags = Flags(c.village_id);
  ASSERT_EQ(flags.size(), 1u);
  EXPECT_EQ(flags[0].rule(), "self_award");
  EXPECT_EQ(flags[0].subject(), absl::StrCat("scorer ", c.grid_worker_user_id, " household ", own));
  EXPECT_THAT(flags[0].evidence(),
              ElementsAre(absl::StrCat("audit:", records["anomaly-c-1"].sequence())));
}

}  // namespace
}  // namespace jifen::audit
