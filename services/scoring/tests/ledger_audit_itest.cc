// The ledger's own movements on the audit trail, through the real jifen-scoring process: a
// correction, a redemption debit, its refund and a settlement each write their record (who, what,
// balances before and after) in the outbox with their entries, and a retry writes none.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/time/shanghai.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jifen/scoring/v1/assessment.grpc.pb.h"
#include "jifen/scoring/v1/ledger.grpc.pb.h"
#include "tests/support/audit_outbox.h"
#include "tests/support/scoring_harness.h"
#include "tests/support/shared_scoring_test.h"

namespace jifen::scoring {
namespace {

using testing::AuditOutboxAfter;
using ::testing::HasSubstr;
using testing::LastOutboxId;
using testing::OutboxAudit;
using testing::ScoringHarness;
using testing::SeededVillage;
using testing::SharedScoringTest;
using ::testing::StartsWith;

class LedgerAuditTest : public SharedScoringTest<LedgerAuditTest> {
 public:
  static constexpr char kSuite[] = "ledger_audit";

 protected:
  void SetUp() override {
    ASSERT_NE(harness_, nullptr);
    ledger_ = v1::LedgerService::NewStub(harness_->channel());
    assessment_ = v1::AssessmentService::NewStub(harness_->channel());
  }

  // The audit records of the outbox written after `after_id` with this action.
  static std::vector<audit::v1::AuditRecord> Records(int64_t after_id, const std::string& action) {
    std::vector<audit::v1::AuditRecord> found;
    for (const OutboxAudit& row : AuditOutboxAfter(harness_->admin_pool(), after_id)) {
      EXPECT_TRUE(row.parsed);
      EXPECT_EQ(row.village_id, row.record.village_id());
      if (row.record.action() == action) found.push_back(row.record);
    }
    return found;
  }

  // Awards (+50 each, TS-50) to the household on `day`, by the village's grid worker.
  v1::SubmitInspectionResponse Award(const SeededVillage& village, int64_t household,
                                     const std::string& inspection_id, absl::CivilDay day) {
    v1::SubmitInspectionRequest request;
    request.set_inspection_id(inspection_id);
    request.set_household_id(household);
    request.set_occurred_at_ms(
        absl::ToUnixMillis(absl::FromCivil(day, jifen::time::ShanghaiTime())));
    v1::InspectionOutcome* outcome = request.add_outcomes();
    outcome->set_item_code(ScoringHarness::kAwardItem);
    outcome->add_photo_refs(std::string(64, 'a'));
    v1::SubmitInspectionResponse response;
    const grpc::Status status = assessment_->SubmitInspection(
        ScoringHarness::Context(harness_->GridWorkerToken(village)).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  grpc::Status Settle(const SeededVillage& village, const std::string& period,
                      v1::SettlePeriodResponse* response) {
    v1::SettlePeriodRequest request;
    request.set_village_id(village.village_id);
    request.set_period(period);
    return ledger_->SettlePeriod(ScoringHarness::Context(harness_->ServiceToken("publicity")).get(),
                                 request, response);
  }

  std::unique_ptr<v1::LedgerService::Stub> ledger_;
  std::unique_ptr<v1::AssessmentService::Stub> assessment_;
};

TEST_F(LedgerAuditTest, ADebitAndItsRefundAreEachAuditedOnceWithTheWalletBeforeAndAfter) {
  const SeededVillage village = harness_->FundableVillage(1);
  const int64_t household = village.household_ids[0];
  harness_->FundWallets(village, {household}, 50);
  const int64_t start = LastOutboxId(harness_->admin_pool());
  const std::string token = harness_->ServiceToken("redemption");

  v1::DebitRequest debit;
  debit.set_household_id(household);
  debit.set_points(30);
  debit.set_order_id("order-audited-1");
  debit.set_reason("兑换: 洗衣液 x1");
  v1::DebitResponse debited;
  for (int attempt = 0; attempt < 3; ++attempt) {  // retries of one order: one debit, one record
    const grpc::Status status =
        ledger_->Debit(ScoringHarness::Context(token).get(), debit, &debited);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  v1::RefundRequest refund;
  refund.set_order_id("order-audited-1");
  v1::RefundResponse refunded;
  for (int attempt = 0; attempt < 3; ++attempt) {
    const grpc::Status status =
        ledger_->Refund(ScoringHarness::Context(token).get(), refund, &refunded);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  ASSERT_EQ(harness_->WalletBalance(household), 50);

  const std::vector<audit::v1::AuditRecord> debits = Records(start, "debit_wallet");
  ASSERT_EQ(debits.size(), 1u);
  const audit::v1::AuditRecord& d = debits[0];
  EXPECT_EQ(d.village_id(), village.village_id);
  EXPECT_EQ(d.actor_user_id(), "redemption");
  EXPECT_EQ(d.actor_role(), "service");
  EXPECT_EQ(d.object_type(), "wallet");
  EXPECT_EQ(d.object_id(), absl::StrCat(household));
  EXPECT_EQ(d.before(), "balance=50");
  EXPECT_EQ(d.after(), absl::StrCat("balance=20 entry=", debited.entry().sequence(),
                                    " points=-30 order=order-audited-1 reason=兑换: 洗衣液 x1"));
  EXPECT_GT(d.occurred_at_ms(), 0);

  const std::vector<audit::v1::AuditRecord> refunds = Records(start, "refund_wallet");
  ASSERT_EQ(refunds.size(), 1u);
  const audit::v1::AuditRecord& r = refunds[0];
  EXPECT_EQ(r.actor_user_id(), "redemption");
  EXPECT_EQ(r.object_type(), "wallet");
  EXPECT_EQ(r.object_id(), absl::StrCat(household));
  EXPECT_EQ(r.before(), "balance=20");
  EXPECT_THAT(r.after(), StartsWith(absl::StrCat("balance=50 entry=", refunded.entry().sequence(),
                                                 " points=30 order=order-audited-1 refunds=",
                                                 debited.entry().sequence(), " reason=")));
}

TEST_F(LedgerAuditTest, ARefusedDebitMovesNoPointsAndWritesNoWalletRecord) {
  const SeededVillage village = harness_->FundableVillage(1);
  const int64_t household = village.household_ids[0];
  const int64_t start = LastOutboxId(harness_->admin_pool());
  v1::DebitRequest debit;
  debit.set_household_id(household);
  debit.set_points(30);
  debit.set_order_id("order-refused-audit");
  v1::DebitResponse response;
  EXPECT_EQ(ledger_
                ->Debit(ScoringHarness::Context(harness_->ServiceToken("redemption")).get(), debit,
                        &response)
                .error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(Records(start, "debit_wallet").empty());
}

TEST_F(LedgerAuditTest, AReversalIsAuditedOnceWithTheScoreBeforeAndAfterAndItsReason) {
  const SeededVillage village = harness_->FundableVillage(1);
  const int64_t household = village.household_ids[0];
  const v1::SubmitInspectionResponse awarded =
      Award(village, household, "insp-to-reverse-1", absl::CivilDay(2025, 8, 15));
  ASSERT_EQ(awarded.entries_size(), 1);
  const int64_t original = awarded.entries(0).sequence();
  const int64_t start = LastOutboxId(harness_->admin_pool());

  // The longest reason the ledger takes (500 characters), 1,489 bytes: the record carries it whole,
  // as text beside the balances.
  std::string reason = "录入错误, 应为隔壁户";  // 11 characters
  for (int i = 0; i < 489; ++i) reason += "错";
  v1::ReverseEntryRequest request;
  request.set_sequence(original);
  request.set_correction_id("corr-audited-1");
  request.set_reason(reason);
  v1::ReverseEntryResponse reversed;
  const std::string admin = harness_->VillageAdminToken(village.village_id);
  for (int attempt = 0; attempt < 3; ++attempt) {
    const grpc::Status status =
        ledger_->ReverseEntry(ScoringHarness::Context(admin).get(), request, &reversed);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  const std::vector<audit::v1::AuditRecord> records = Records(start, "reverse_entry");
  ASSERT_EQ(records.size(), 1u);
  const audit::v1::AuditRecord& record = records[0];
  EXPECT_EQ(record.village_id(), village.village_id);
  EXPECT_EQ(record.actor_user_id(), absl::StrCat("admin-", village.village_id));
  EXPECT_EQ(record.actor_role(), "village_admin");
  EXPECT_EQ(record.object_type(), "ledger_entry");
  EXPECT_EQ(record.object_id(), absl::StrCat(original));
  EXPECT_EQ(record.before(),
            absl::StrCat("household=", household,
                         " period=2025Q3 item=TS-50 points=50 period_score=50 reversed=false"));
  EXPECT_THAT(record.after(),
              StartsWith(absl::StrCat("reversed=true reversal=", reversed.entry().sequence(),
                                      " points=-50 period_score=0 correction=corr-audited-1 "
                                      "reason=录入错误, 应为隔壁户错错")));
  EXPECT_THAT(record.after(), ::testing::EndsWith(" reason=" + reason));
}

TEST_F(LedgerAuditTest, ASettlementIsAuditedOnceWithEveryHouseholdCredited) {
  const SeededVillage village = harness_->FundableVillage(3);
  const int64_t first = village.household_ids[0];
  const int64_t second = village.household_ids[1];
  // The first household's wallet already holds 2025Q2's 50 points when 2025Q3 is settled.
  Award(village, first, "insp-settle-audit-q2", absl::CivilDay(2025, 5, 15));
  v1::SettlePeriodResponse settled;
  ASSERT_TRUE(Settle(village, "2025Q2", &settled).ok());
  Award(village, first, "insp-settle-audit-1", absl::CivilDay(2025, 8, 15));
  Award(village, second, "insp-settle-audit-2", absl::CivilDay(2025, 8, 16));
  Award(village, second, "insp-settle-audit-3", absl::CivilDay(2025, 8, 17));
  const int64_t start = LastOutboxId(harness_->admin_pool());

  for (int attempt = 0; attempt < 2; ++attempt) {
    const grpc::Status status = Settle(village, "2025Q3", &settled);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  ASSERT_EQ(harness_->WalletBalance(first), 100);
  ASSERT_EQ(harness_->WalletBalance(second), 100);

  const std::vector<audit::v1::AuditRecord> settlements = Records(start, "settle_period");
  ASSERT_EQ(settlements.size(), 1u);
  const audit::v1::AuditRecord& settlement = settlements[0];
  EXPECT_EQ(settlement.village_id(), village.village_id);
  EXPECT_EQ(settlement.actor_user_id(), "publicity");
  EXPECT_EQ(settlement.actor_role(), "service");
  EXPECT_EQ(settlement.object_type(), "period");
  EXPECT_EQ(settlement.object_id(), absl::StrCat(village.village_id, "/2025Q3"));
  EXPECT_EQ(settlement.before(), "settled=false");
  EXPECT_THAT(settlement.after(), StartsWith("settled=true households=2 points=150 entries="));

  const std::vector<audit::v1::AuditRecord> credits = Records(start, "credit_wallet");
  ASSERT_EQ(credits.size(), 2u);
  for (const audit::v1::AuditRecord& credit : credits) {
    EXPECT_EQ(credit.village_id(), village.village_id);
    EXPECT_EQ(credit.actor_user_id(), "publicity");
    EXPECT_EQ(credit.object_type(), "wallet");
  }
  // Households in id order, as the settlement credits them.
  EXPECT_EQ(credits[0].object_id(), absl::StrCat(first));
  EXPECT_EQ(credits[0].before(), "balance=50");
  EXPECT_THAT(credits[0].after(), StartsWith("balance=100 entry="));
  EXPECT_THAT(credits[0].after(), HasSubstr(" points=50 period=2025Q3"));
  EXPECT_EQ(credits[1].object_id(), absl::StrCat(second));
  EXPECT_EQ(credits[1].before(), "balance=0");
  EXPECT_THAT(credits[1].after(), StartsWith("balance=100 entry="));
  EXPECT_THAT(credits[1].after(), HasSubstr(" points=100 period=2025Q3"));
}

}  // namespace
}  // namespace jifen::scoring
