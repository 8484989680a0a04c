// Request ids on scoring's audit records, through the real jifen-scoring process: every kind of
// record (registry, rulebook, inspection, declaration, evaluation, ledger movement, full personal
// data view) carries the x-request-id of the call that caused it, and a call without one gets the
// id the service made up, logged and answered with.
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/grpc/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jifen/scoring/v1/assessment.grpc.pb.h"
#include "jifen/scoring/v1/ledger.grpc.pb.h"
#include "jifen/scoring/v1/registry.grpc.pb.h"
#include "jifen/scoring/v1/rulebook.grpc.pb.h"
#include "services/scoring/domain/period.h"
#include "tests/support/audit_outbox.h"
#include "tests/support/scoring_harness.h"
#include "tests/support/shared_scoring_test.h"

namespace jifen::scoring {
namespace {

using testing::AuditOutboxAfter;
using testing::LastOutboxId;
using testing::OutboxAudit;
using testing::ScoringHarness;
using testing::SeededVillage;
using testing::SharedScoringTest;

std::unique_ptr<grpc::ClientContext> Context(const std::string& token,
                                             const std::string& request_id) {
  return grpc_util::NewClientContext(absl::Seconds(10), token, request_id);
}

class RequestIdAuditTest : public SharedScoringTest<RequestIdAuditTest> {
 public:
  static constexpr char kSuite[] = "request_id_audit";

 protected:
  void SetUp() override {
    ASSERT_NE(harness_, nullptr);
    registry_ = v1::RegistryService::NewStub(harness_->channel());
    rulebooks_ = v1::RulebookService::NewStub(harness_->channel());
    assessment_ = v1::AssessmentService::NewStub(harness_->channel());
    ledger_ = v1::LedgerService::NewStub(harness_->channel());
  }

  // action -> the request ids of its records written after `after_id`.
  static std::map<std::string, std::vector<std::string>> RequestIdsByAction(int64_t after_id) {
    std::map<std::string, std::vector<std::string>> found;
    for (const OutboxAudit& row : AuditOutboxAfter(harness_->admin_pool(), after_id)) {
      EXPECT_TRUE(row.parsed);
      found[row.record.action()].push_back(row.record.request_id());
    }
    return found;
  }

  std::unique_ptr<v1::RegistryService::Stub> registry_;
  std::unique_ptr<v1::RulebookService::Stub> rulebooks_;
  std::unique_ptr<v1::AssessmentService::Stub> assessment_;
  std::unique_ptr<v1::LedgerService::Stub> ledger_;
};

TEST_F(RequestIdAuditTest, EveryRecordCarriesTheRequestIdOfItsCall) {
  const SeededVillage village = harness_->FundableVillage(2);
  const int64_t household = village.household_ids[0];
  const std::string admin = harness_->VillageAdminToken(village.village_id);
  const std::string resident = harness_->ResidentToken(village.village_id, household);
  const std::string redemption = harness_->ServiceToken("redemption");
  const int64_t start = LastOutboxId(harness_->admin_pool());
  grpc::Status status;

  v1::CreateGroupRequest group;
  group.set_village_id(village.village_id);
  group.set_name("第三村民小组");
  v1::Group created_group;
  status = registry_->CreateGroup(Context(admin, "req-group-1").get(), group, &created_group);
  ASSERT_TRUE(status.ok()) << status.error_message();

  // A new version of the village's rulebook, from today (it has one in force already).
  v1::CreateDraftRequest draft;
  draft.set_village_id(village.village_id);
  draft.set_year(static_cast<int>(absl::ToCivilDay(absl::Now(), ShanghaiTime()).year()));
  draft.set_effective_from(FormatDate(absl::Now()));
  v1::Rulebook rulebook;
  status = rulebooks_->CreateDraft(Context(admin, "req-draft-1").get(), draft, &rulebook);
  ASSERT_TRUE(status.ok()) << status.error_message();

  // SubmitInspection is served on gRPC's callback API and written by the group-commit writer.
  v1::SubmitInspectionRequest inspection;
  inspection.set_inspection_id("insp-request-id-1");
  inspection.set_household_id(household);
  inspection.set_occurred_at_ms(ScoringHarness::SettleableDeedMs());
  v1::InspectionOutcome* outcome = inspection.add_outcomes();
  outcome->set_item_code(ScoringHarness::kAwardItem);
  outcome->add_photo_refs(std::string(64, 'c'));
  v1::SubmitInspectionResponse inspected;
  status = assessment_->SubmitInspection(
      Context(harness_->GridWorkerToken(village), "req-inspect-1").get(), inspection, &inspected);
  ASSERT_TRUE(status.ok()) << status.error_message();

  v1::SubmitDeclarationRequest declaration;
  declaration.set_declaration_id("decl-request-id-1");
  declaration.set_household_id(household);
  declaration.set_item_code("ZY-01");
  declaration.set_occurred_at_ms(ScoringHarness::SettleableDeedMs());
  declaration.add_photo_refs(std::string(64, 'd'));
  v1::Declaration declared;
  status = assessment_->SubmitDeclaration(Context(resident, "req-declare-1").get(), declaration,
                                          &declared);
  ASSERT_TRUE(status.ok()) << status.error_message();
  v1::ReviewDeclarationRequest review;
  review.set_declaration_id("decl-request-id-1");
  review.set_approve(true);
  status = assessment_->ReviewDeclaration(Context(admin, "req-review-1").get(), review, &declared);
  ASSERT_TRUE(status.ok()) << status.error_message();

  v1::OpenRoundRequest round;
  round.mutable_round()->set_round_id("round-request-id-1");
  round.mutable_round()->set_village_id(village.village_id);
  // Not the quarter settled below: an open round holds its quarter's settlement.
  round.mutable_round()->set_period("2025Q4");
  round.mutable_round()->set_item_code("HJ-05");
  round.mutable_round()->add_criteria("环境卫生");
  round.mutable_round()->set_awarded_groups(1);
  v1::EvaluationRound opened;
  status = assessment_->OpenRound(Context(admin, "req-round-1").get(), round, &opened);
  ASSERT_TRUE(status.ok()) << status.error_message();

  v1::ReverseEntryRequest reverse;
  reverse.set_sequence(inspected.entries(0).sequence());
  reverse.set_correction_id("corr-request-id-1");
  reverse.set_reason("录入错误");
  v1::ReverseEntryResponse reversed;
  status = ledger_->ReverseEntry(Context(admin, "req-reverse-1").get(), reverse, &reversed);
  ASSERT_TRUE(status.ok()) << status.error_message();

  v1::SettlePeriodRequest settle;
  settle.set_village_id(village.village_id);
  settle.set_period("2025Q3");
  v1::SettlePeriodResponse settled;
  status = ledger_->SettlePeriod(Context(harness_->ServiceToken("publicity"), "req-settle-1").get(),
                                 settle, &settled);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_GT(settled.households_credited(), 0);

  v1::DebitRequest debit;
  debit.set_household_id(household);
  debit.set_points(1);
  debit.set_order_id("order-request-id-1");
  v1::DebitResponse debited;
  status = ledger_->Debit(Context(redemption, "req-debit-1").get(), debit, &debited);
  ASSERT_TRUE(status.ok()) << status.error_message();
  v1::RefundRequest refund;
  refund.set_order_id("order-request-id-1");
  v1::RefundResponse refunded;
  status = ledger_->Refund(Context(redemption, "req-refund-1").get(), refund, &refunded);
  ASSERT_TRUE(status.ok()) << status.error_message();

  v1::GetHouseholdRequest view;
  view.set_household_id(household);
  v1::HouseholdDetail detail;
  status = registry_->GetHousehold(Context(admin, "req-view-1").get(), view, &detail);
  ASSERT_TRUE(status.ok()) << status.error_message();

  const std::map<std::string, std::vector<std::string>> expected = {
      {"create_group", {"req-group-1"}},
      {"create_rulebook_draft", {"req-draft-1"}},
      {"submit_inspection", {"req-inspect-1"}},
      {"submit_declaration", {"req-declare-1"}},
      {"approve_declaration", {"req-review-1"}},
      {"open_evaluation_round", {"req-round-1"}},
      {"reverse_entry", {"req-reverse-1"}},
      {"settle_period", {"req-settle-1"}},
      {"credit_wallet", std::vector<std::string>(static_cast<size_t>(settled.households_credited()),
                                                 "req-settle-1")},
      {"debit_wallet", {"req-debit-1"}},
      {"refund_wallet", {"req-refund-1"}},
      {"view_personal_data", {"req-view-1"}},
  };
  EXPECT_EQ(RequestIdsByAction(start), expected);
}

TEST_F(RequestIdAuditTest, ACallWithoutARequestIdGetsTheOneTheServiceMadeUpAndLogged) {
  const SeededVillage village = harness_->SeedVillage(1);
  const int64_t start = LastOutboxId(harness_->admin_pool());
  v1::GetHouseholdRequest view;
  view.set_household_id(village.household_ids[0]);
  v1::HouseholdDetail detail;
  std::unique_ptr<grpc::ClientContext> context =
      ScoringHarness::Context(harness_->VillageAdminToken(village.village_id));
  const grpc::Status status = registry_->GetHousehold(context.get(), view, &detail);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const auto answered = context->GetServerInitialMetadata().find("x-request-id");
  ASSERT_NE(answered, context->GetServerInitialMetadata().end());
  const std::string request_id(answered->second.data(), answered->second.size());
  ASSERT_FALSE(request_id.empty());

  const std::map<std::string, std::vector<std::string>> found = RequestIdsByAction(start);
  EXPECT_EQ(
      found,
      (std::map<std::string, std::vector<std::string>>{{"view_personal_data", {request_id}}}));
  std::stringstream log;
  log << std::ifstream(harness_->process().log_path()).rdbuf();
  EXPECT_NE(log.str().find(absl::StrCat("\"request_id\":\"", request_id, "\"")), std::string::npos)
      << "the id on the record is the one in the service's log line";
}

}  // namespace
}  // namespace jifen::scoring
