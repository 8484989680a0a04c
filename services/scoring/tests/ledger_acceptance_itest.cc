// Acceptance tests of the ledger and inspections through the real jifen-scoring process.
#include <cppconn/connection.h>
#include <cppconn/exception.h>

#include <atomic>
#include <limits>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/mysql/statement.h"
#include "common/mysql/transaction.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jifen/scoring/v1/assessment.grpc.pb.h"
#include "jifen/scoring/v1/ledger.grpc.pb.h"
#include "jifen/scoring/v1/registry.grpc.pb.h"
#include "jifen/scoring/v1/rulebook.grpc.pb.h"
#include "jifen/scoring/v1/statistics.grpc.pb.h"
#include "services/scoring/domain/period.h"
#include "tests/support/scoring_harness.h"
#include "tests/support/shared_scoring_test.h"
#include "tests/support/testenv.h"

namespace jifen::scoring {
namespace {

using ::testing::HasSubstr;
using testing::ScoringHarness;
using testing::SeededVillage;
using testing::SharedScoringTest;

const int64_t kLastYearMs = ScoringHarness::SettleableDeedMs();

class LedgerAcceptanceTest : public SharedScoringTest<LedgerAcceptanceTest> {
 public:
  static constexpr char kSuite[] = "ledger_acceptance";

 protected:
  void SetUp() override {
    ASSERT_NE(harness_, nullptr);
    ledger_ = v1::LedgerService::NewStub(harness_->channel());
    assessment_ = v1::AssessmentService::NewStub(harness_->channel());
    rulebooks_ = v1::RulebookService::NewStub(harness_->channel());
  }

  SeededVillage VillageWithBigItem(int households) {
    return harness_->FundableVillage(households);
  }

  v1::SubmitInspectionRequest Inspection(const std::string& id, int64_t household_id,
                                         const std::string& item_code, int64_t occurred_at_ms) {
    v1::SubmitInspectionRequest request;
    request.set_inspection_id(id);
    request.set_household_id(household_id);
    request.set_occurred_at_ms(occurred_at_ms);
    v1::InspectionOutcome* outcome = request.add_outcomes();
    outcome->set_item_code(item_code);
    outcome->add_photo_refs(std::string(64, 'f'));
    return request;
  }

  grpc::Status Submit(const std::string& token, const v1::SubmitInspectionRequest& request,
                      v1::SubmitInspectionResponse* response) {
    return assessment_->SubmitInspection(ScoringHarness::Context(token).get(), request, response);
  }

  int64_t Wallet(int64_t household_id) { return harness_->WalletBalance(household_id); }

  // An adopting vote (7 of 9 attending, 5 in favour) on `meeting_date` for the draft.
  void RecordValidVote(const std::string& admin, int64_t rulebook_id,
                       const std::string& meeting_date) {
    v1::RecordVoteRequest vote;
    vote.set_rulebook_id(rulebook_id);
    vote.mutable_vote()->set_meeting_date(meeting_date);
    vote.mutable_vote()->set_members(9);
    vote.mutable_vote()->set_attending(7);
    vote.mutable_vote()->set_in_favour(5);
    v1::Rulebook voted;
    const grpc::Status status =
        rulebooks_->RecordVote(ScoringHarness::Context(admin).get(), vote, &voted);
    EXPECT_TRUE(status.ok()) << status.error_message();
  }

  int64_t CountRows(const std::string& sql_text) {
    int64_t count = -1;
    EXPECT_TRUE(mysql::RunWithConnection(harness_->admin_pool(), [&](sql::Connection& c) {
      auto rows = mysql::Statement(c, sql_text.c_str()).Query();
      if (rows->next()) count = rows->getInt64(1);
      return absl::OkStatus();
    }).ok());
    return count;
  }

  void FundWallet(const SeededVillage& village, int64_t household_id, int points) {
    harness_->FundWallets(village, {household_id}, points);
  }

  // A draft rulebook of the village (derived from the template), created by `admin`.
  v1::Rulebook CreateDraft(const std::string& admin, int64_t village_id, int year,
                           const std::string& effective_from) {
    v1::CreateDraftRequest request;
    request.set_village_id(village_id);
    request.set_year(year);
    request.set_effective_from(effective_from);
    v1::Rulebook draft;
    const grpc::Status status =
        rulebooks_->CreateDraft(ScoringHarness::Context(admin).get(), request, &draft);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return draft;
  }

  std::unique_ptr<v1::LedgerService::Stub> ledger_;
  std::unique_ptr<v1::AssessmentService::Stub> assessment_;
  std::unique_ptr<v1::RulebookService::Stub> rulebooks_;
};

TEST_F(LedgerAcceptanceTest, FiftyConcurrentRetriesOfOneInspectionWriteOnce) {
  const SeededVillage village = VillageWithBigItem(3);
  v1::SubmitInspectionRequest request =
      Inspection("insp-concurrent-0001", village.household_ids[0], "HJ-01", kLastYearMs);
  request.add_outcomes()->set_item_code("LJ-01");
  const std::string token = harness_->GridWorkerToken(village);

  std::vector<std::string> answers(50);
  std::vector<grpc::Status> statuses(50);
  std::vector<std::thread> threads;
  for (int i = 0; i < 50; ++i) {
    threads.emplace_back([&, i] {
      v1::SubmitInspectionResponse response;
      statuses[i] = Submit(token, request, &response);
      answers[i] = response.SerializeAsString();
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(statuses[i].ok()) << statuses[i].error_message();
    EXPECT_EQ(answers[i], answers[0]) << "answer " << i << " differs";
  }
  v1::SubmitInspectionResponse first;
  ASSERT_TRUE(first.ParseFromString(answers[0]));
  EXPECT_EQ(first.entries_size(), 2);
  EXPECT_EQ(first.total_points(), 8);  // HJ-01 +5, LJ-01 +3
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM ledger_entries WHERE source_id = "
                      "'insp-concurrent-0001'"),
            2);
}

TEST_F(LedgerAcceptanceTest, SameIdWithAnotherPayloadIsRefused) {
  const SeededVillage village = VillageWithBigItem(2);
  const std::string token = harness_->GridWorkerToken(village);
  v1::SubmitInspectionResponse response;
  ASSERT_TRUE(Submit(token, Inspection("insp-reused-0001", village.household_ids[0], "HJ-01",
                                       kLastYearMs), &response).ok());
  const grpc::Status status = Submit(
      token, Inspection("insp-reused-0001", village.household_ids[1], "HJ-01", kLastYearMs),
      &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM ledger_entries WHERE source_id = 'insp-reused-0001'"),
            1);
}

TEST_F(LedgerAcceptanceTest, GridWorkerOutsideTheirGridIsRefusedAndNothingIsWritten) {
  const SeededVillage mine = VillageWithBigItem(1);
  const SeededVillage other = VillageWithBigItem(1);
  const int64_t before = CountRows("SELECT COUNT(*) FROM ledger_entries");
  v1::SubmitInspectionResponse response;
  const grpc::Status status =
      Submit(harness_->GridWorkerToken(mine),
             Inspection("insp-foreign-0001", other.household_ids[0], "HJ-01", kLastYearMs),
             &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM ledger_entries"), before);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM inspections WHERE inspection_id = "
                      "'insp-foreign-0001'"),
            0);
}

// An admin replaces the grid's worker while the previous worker's token (which claims the grid
// until it expires) is still in their phone: from then on only the worker the registry names
// scores the grid's households or reads their points.
TEST_F(LedgerAcceptanceTest, AReplacedGridWorkerNoLongerScoresOrReadsTheGrid) {
  const SeededVillage village = VillageWithBigItem(1);
  const int64_t household = village.household_ids[0];
  const std::string previous = harness_->GridWorkerToken(village);
  v1::SubmitInspectionResponse response;
  ASSERT_TRUE(Submit(previous, Inspection("insp-replaced-0001", household, "HJ-01", kLastYearMs),
                     &response)
                  .ok());

  auto registry = v1::RegistryService::NewStub(harness_->channel());
  auto assign = [&](const std::string& worker) {
    v1::AssignGridWorkerRequest request;
    request.set_grid_id(village.grid_id);
    request.set_worker_user_id(worker);
    v1::Grid grid;
    const grpc::Status status = registry->AssignGridWorker(
        ScoringHarness::Context(harness_->VillageAdminToken(village.village_id)).get(), request,
        &grid);
    ASSERT_TRUE(status.ok()) << status.error_message();
  };
  assign("grid-worker-successor");

  const int64_t entries_before = CountRows("SELECT COUNT(*) FROM ledger_entries");
  grpc::Status refused = Submit(
      previous, Inspection("insp-replaced-0002", household, "HJ-01", kLastYearMs), &response);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED) << refused.error_message();
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM ledger_entries"), entries_before);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM inspections WHERE inspection_id = "
                      "'insp-replaced-0002'"),
            0);
  v1::GetWalletRequest wallet_request;
  wallet_request.set_household_id(household);
  v1::Wallet wallet;
  EXPECT_EQ(ledger_->GetWallet(ScoringHarness::Context(previous).get(), wallet_request, &wallet)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // A retry of what the previous worker had scored before is refused too: no answer leaks.
  refused = Submit(previous, Inspection("insp-replaced-0001", household, "HJ-01", kLastYearMs),
                   &response);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);

  auth::Caller successor;
  successor.user_id = "grid-worker-successor";
  successor.role = auth::Role::kGridWorker;
  successor.village_id = village.village_id;
  successor.grid_id = village.grid_id;
  const std::string successor_token = harness_->Token(successor);
  ASSERT_TRUE(Submit(successor_token,
                     Inspection("insp-replaced-0003", household, "LJ-01", kLastYearMs), &response)
                  .ok());
  EXPECT_TRUE(
      ledger_->GetWallet(ScoringHarness::Context(successor_token).get(), wallet_request, &wallet)
          .ok());

  // Named again, the previous worker scores again: the registry, not the token, decides.
  assign(village.grid_worker_user_id);
  EXPECT_TRUE(Submit(previous, Inspection("insp-replaced-0004", household, "HJ-03", kLastYearMs),
                     &response)
                  .ok());
  EXPECT_EQ(Submit(successor_token,
                   Inspection("insp-replaced-0005", household, "HJ-06", kLastYearMs), &response)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(LedgerAcceptanceTest, ValidationErrorsWriteNothing) {
  const SeededVillage village = VillageWithBigItem(3);
  const std::string token = harness_->GridWorkerToken(village);
  const int64_t before = CountRows("SELECT COUNT(*) FROM ledger_entries");
  v1::SubmitInspectionResponse response;
  // Unknown item.
  EXPECT_EQ(Submit(token, Inspection("insp-bad-item-01", village.household_ids[0], "XX-99",
                                     kLastYearMs), &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // A deduction needing a photo, without one.
  v1::SubmitInspectionRequest no_photo =
      Inspection("insp-no-photo-01", village.household_ids[0], "HJ-02", kLastYearMs);
  no_photo.mutable_outcomes(0)->clear_photo_refs();
  EXPECT_EQ(Submit(token, no_photo, &response).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // An item the grid worker may not score (customs are the admin's).
  EXPECT_EQ(Submit(token, Inspection("insp-role-0001", village.household_ids[0], "YF-02",
                                     kLastYearMs), &response).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // A rental item for a household that rents nothing out (households 1 and 2 do not).
  EXPECT_EQ(Submit(token, Inspection("insp-rental-001", village.household_ids[1], "CZ-01",
                                     kLastYearMs), &response).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  // The future.
  EXPECT_EQ(Submit(token, Inspection("insp-future-001", village.household_ids[0], "HJ-01",
                                     absl::ToUnixMillis(absl::Now() + absl::Hours(24))),
                   &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // Before any rulebook was in force.
  EXPECT_EQ(Submit(token, Inspection("insp-too-early1", village.household_ids[0], "HJ-01",
                                     kLastYearMs - 400LL * 24 * 3600 * 1000), &response)
                .error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM ledger_entries"), before);
}

// A deed time in microseconds (the year 58882) or INT64_MAX reached the rulebook lookup and came
// back 412 NO_RULEBOOK "... in force on 58882-12-20"; seconds (1970) likewise. Each is refused as
// what it is by a check that needs no database, writing nothing.
TEST_F(LedgerAcceptanceTest, AnAbsurdDeedTimeIsRefusedAsSuchNotAsNoRulebook) {
  const SeededVillage village = VillageWithBigItem(1);
  const std::string token = harness_->GridWorkerToken(village);
  const int64_t before = CountRows("SELECT COUNT(*) FROM ledger_entries");
  int n = 0;
  for (const int64_t future_ms : {int64_t{1795999852945000}, std::numeric_limits<int64_t>::max()}) {
    v1::SubmitInspectionResponse response;
    const grpc::Status refused = Submit(token,
                                        Inspection(absl::StrCat("insp-absurd-time-", ++n),
                                                   village.household_ids[0], "HJ-01", future_ms),
                                        &response);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << future_ms;
    EXPECT_THAT(refused.error_message(),
                ::testing::StartsWith("OCCURRED_IN_FUTURE: occurred_at_ms: "));
  }
  v1::SubmitInspectionResponse response;
  const grpc::Status seconds =
      Submit(token, Inspection("insp-absurd-time-s", village.household_ids[0], "HJ-01", 1795999852),
             &response);
  EXPECT_EQ(seconds.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(seconds.error_message(), ::testing::StartsWith("occurred_at_ms: "));
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM ledger_entries"), before);
}

// Period errors say what is wrong ("1999Q1" is of the form YYYYQn; its year is out of range) and
// start with the field's name, for the gateway to name it.
TEST_F(LedgerAcceptanceTest, APeriodErrorSaysWhatIsWrongNamingTheField) {
  const SeededVillage village = VillageWithBigItem(1);
  const std::string admin = harness_->VillageAdminToken(village.village_id);
  const auto totals_of = [&](const std::string& period) {
    v1::GetVillageTotalsRequest request;
    request.set_village_id(village.village_id);
    request.set_period(period);
    v1::VillageTotals totals;
    const grpc::Status status =
        ledger_->GetVillageTotals(ScoringHarness::Context(admin).get(), request, &totals);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << period;
    return status.error_message();
  };
  EXPECT_EQ(totals_of("1999Q1"), "period: year 1999 of \"1999Q1\" is outside 2000..2100");
  EXPECT_EQ(totals_of("2026q4"), "period: \"2026q4\" must have a capital Q, as in 2026Q4");
  EXPECT_THAT(totals_of("2026-4"), ::testing::StartsWith("period: \"2026-4\" is not of the form"));
}

TEST_F(LedgerAcceptanceTest, CapPerPeriodHolds) {
  const SeededVillage village = VillageWithBigItem(1);
  const std::string token = harness_->GridWorkerToken(village);
  v1::SubmitInspectionResponse response;
  // LJ-01 is +3 with a cap of 15 per quarter: five pass, the sixth is refused.
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(Submit(token, Inspection(absl::StrCat("insp-cap-000", i), village.household_ids[0],
                                         "LJ-01", kLastYearMs + i), &response).ok());
  }
  const grpc::Status sixth = Submit(
      token, Inspection("insp-cap-0006", village.household_ids[0], "LJ-01", kLastYearMs + 9),
      &response);
  EXPECT_EQ(sixth.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(sixth.error_message().find("CAP_EXCEEDED"), std::string::npos);
}

TEST_F(LedgerAcceptanceTest, ConcurrentInspectionsKeepEachHouseholdsCapAcrossVillages) {
  // Inspections arriving together are written together (group commit); caps, scores and every
  // village's chain must come out as if they had been written one by one.
  constexpr int kVillages = 3;
  constexpr int kAttemptsPerHousehold = 8;  // LJ-01: +3, capped at 15: five can pass
  std::vector<SeededVillage> villages;
  for (int v = 0; v < kVillages; ++v) villages.push_back(VillageWithBigItem(3));
  struct Attempt {
    std::string token;
    v1::SubmitInspectionRequest request;
    grpc::Status status;
  };
  std::vector<Attempt> attempts;
  for (const SeededVillage& village : villages) {
    for (int64_t household : village.household_ids) {
      for (int i = 0; i < kAttemptsPerHousehold; ++i) {
        attempts.push_back({harness_->GridWorkerToken(village),
                            Inspection(absl::StrCat("insp-together-", household, "-", i),
                                       household, i % 2 == 0 ? "LJ-01" : "TS-50",
                                       kLastYearMs + i),
                            {}});
        if (i % 2 == 1) attempts.back().request.add_outcomes()->set_item_code("LJ-01");
      }
    }
  }
  std::vector<std::thread> threads;
  for (Attempt& attempt : attempts) {
    threads.emplace_back([&] {
      v1::SubmitInspectionResponse response;
      attempt.status = Submit(attempt.token, attempt.request, &response);
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const SeededVillage& village : villages) {
    for (int64_t household : village.household_ids) {
      int accepted = 0;
      int capped = 0;
      int awards = 0;
      for (const Attempt& attempt : attempts) {
        if (attempt.request.household_id() != household) continue;
        if (attempt.status.ok()) {
          ++accepted;
          if (attempt.request.outcomes(0).item_code() == "TS-50") ++awards;
        } else {
          EXPECT_EQ(attempt.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
          EXPECT_NE(attempt.status.error_message().find("CAP_EXCEEDED"), std::string::npos);
          ++capped;
        }
      }
      EXPECT_EQ(accepted, 5) << "household " << household;
      EXPECT_EQ(capped, kAttemptsPerHousehold - 5) << "household " << household;
      EXPECT_EQ(harness_->PeriodScore(household, "2025Q3"), 15 + 50 * awards)
          << "household " << household;
    }
  }
  // TearDown verifies every chain and that each balance equals the sum of its entries.
}

TEST_F(LedgerAcceptanceTest, FiftyConcurrentDebitsOfSixtyFromOneHundredLeaveForty) {
  const SeededVillage village = VillageWithBigItem(1);
  const int64_t household = village.household_ids[0];
  FundWallet(village, household, 100);
  ASSERT_EQ(Wallet(household), 100);

  const std::string token = harness_->ServiceToken("redemption");
  std::atomic<int> succeeded{0};
  std::atomic<int> short_of_points{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 50; ++i) {
    threads.emplace_back([&, i] {
      v1::DebitRequest request;
      request.set_household_id(household);
      request.set_points(60);
      request.set_order_id(absl::StrCat("order-", household, "-", i));
      v1::DebitResponse response;
      const grpc::Status status =
          ledger_->Debit(ScoringHarness::Context(token).get(), request, &response);
      if (status.ok()) ++succeeded;
      if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION &&
          status.error_message().rfind("WALLET_INSUFFICIENT", 0) == 0) {
        ++short_of_points;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(succeeded.load(), 1);
  EXPECT_EQ(short_of_points.load(), 49);
  EXPECT_EQ(Wallet(household), 40);
}

TEST_F(LedgerAcceptanceTest, DebitIsIdempotentAndRefundHappensOnce) {
  const SeededVillage village = VillageWithBigItem(1);
  const int64_t household = village.household_ids[0];
  FundWallet(village, household, 50);
  const std::string token = harness_->ServiceToken("redemption");
  v1::DebitRequest debit;
  debit.set_household_id(household);
  debit.set_points(30);
  debit.set_order_id("order-idem-1");
  v1::DebitResponse first;
  v1::DebitResponse again;
  ASSERT_TRUE(ledger_->Debit(ScoringHarness::Context(token).get(), debit, &first).ok());
  ASSERT_TRUE(ledger_->Debit(ScoringHarness::Context(token).get(), debit, &again).ok());
  EXPECT_EQ(first.entry().sequence(), again.entry().sequence());
  EXPECT_EQ(Wallet(household), 20);

  debit.set_points(31);
  EXPECT_EQ(ledger_->Debit(ScoringHarness::Context(token).get(), debit, &again).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);

  v1::RefundRequest refund;
  refund.set_order_id("order-idem-1");
  v1::RefundResponse refunded;
  ASSERT_TRUE(ledger_->Refund(ScoringHarness::Context(token).get(), refund, &refunded).ok());
  ASSERT_TRUE(ledger_->Refund(ScoringHarness::Context(token).get(), refund, &refunded).ok());
  EXPECT_EQ(Wallet(household), 50);
  // A retry whose first answer was lost, arriving after the wallet moved on: it takes nothing and
  // is told what the first call was (redemption shows that balance on the order).
  debit.set_points(30);
  ASSERT_TRUE(ledger_->Debit(ScoringHarness::Context(token).get(), debit, &again).ok());
  EXPECT_EQ(again.entry().sequence(), first.entry().sequence());
  EXPECT_EQ(again.balance_points(), first.balance_points());
  EXPECT_EQ(Wallet(household), 50);
  refund.set_order_id("order-never-made");
  EXPECT_EQ(ledger_->Refund(ScoringHarness::Context(token).get(), refund, &refunded).error_code(),
            grpc::StatusCode::NOT_FOUND);
  // People cannot call the service-only methods.
  debit.set_order_id("order-by-resident");
  EXPECT_EQ(ledger_->Debit(ScoringHarness::Context(harness_->ResidentToken(village.village_id,
                                                                           household)).get(),
                           debit, &again).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

// A debit is answered once per order id, refusals too: the store releases a refused order, so the
// same request arriving later (from a process killed before the answer reached it) must not take
// points even if the wallet could now pay.
TEST_F(LedgerAcceptanceTest, ARefusedDebitStaysRefusedWhenTheWalletGrows) {
  const SeededVillage village = VillageWithBigItem(1);
  const int64_t household = village.household_ids[0];
  FundWallet(village, household, 50);
  const std::string token = harness_->ServiceToken("redemption");
  v1::DebitRequest paid;
  paid.set_household_id(household);
  paid.set_points(30);
  paid.set_order_id("order-paid-then-refunded");
  v1::DebitResponse response;
  ASSERT_TRUE(ledger_->Debit(ScoringHarness::Context(token).get(), paid, &response).ok());
  v1::DebitRequest short_of_points = paid;
  short_of_points.set_points(40);
  short_of_points.set_order_id("order-refused-once");
  const grpc::Status refused =
      ledger_->Debit(ScoringHarness::Context(token).get(), short_of_points, &response);
  ASSERT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(refused.error_message().rfind("WALLET_INSUFFICIENT", 0), 0u);

  v1::RefundRequest refund;
  refund.set_order_id("order-paid-then-refunded");
  v1::RefundResponse refunded;
  ASSERT_TRUE(ledger_->Refund(ScoringHarness::Context(token).get(), refund, &refunded).ok());
  ASSERT_EQ(Wallet(household), 50);

  const grpc::Status again =
      ledger_->Debit(ScoringHarness::Context(token).get(), short_of_points, &response);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(again.error_message().rfind("WALLET_INSUFFICIENT", 0), 0u);
  EXPECT_EQ(Wallet(household), 50);
  short_of_points.set_points(10);  // the same order id for another amount
  EXPECT_EQ(ledger_->Debit(ScoringHarness::Context(token).get(), short_of_points, &response)
                .error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  refund.set_order_id("order-refused-once");
  EXPECT_EQ(ledger_->Refund(ScoringHarness::Context(token).get(), refund, &refunded).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Wallet(household), 50);
}

TEST_F(LedgerAcceptanceTest, SettlementCreditsPositiveScoresExactlyOnce) {
  const SeededVillage village = VillageWithBigItem(2);
  const std::string token = harness_->GridWorkerToken(village);
  v1::SubmitInspectionResponse response;
  ASSERT_TRUE(Submit(token, Inspection("insp-settle-001", village.household_ids[0], "TS-50",
                                       kLastYearMs), &response).ok());
  ASSERT_TRUE(Submit(token, Inspection("insp-settle-002", village.household_ids[1], "HJ-02",
                                       kLastYearMs), &response).ok());
  v1::SettlePeriodRequest settle;
  settle.set_village_id(village.village_id);
  settle.set_period("2025Q3");
  v1::SettlePeriodResponse first;
  v1::SettlePeriodResponse second;
  const std::string service = harness_->ServiceToken("publicity");
  ASSERT_TRUE(ledger_->SettlePeriod(ScoringHarness::Context(service).get(), settle, &first).ok());
  ASSERT_TRUE(ledger_->SettlePeriod(ScoringHarness::Context(service).get(), settle, &second).ok());
  EXPECT_EQ(first.households_credited(), 1);  // the negative score is not a debt
  EXPECT_EQ(first.points_credited(), 50);
  EXPECT_TRUE(second.already_settled());
  // A repeat reports the settlement that was made, for a caller that lost the first answer.
  EXPECT_EQ(second.households_credited(), 1);
  EXPECT_EQ(second.points_credited(), 50);
  EXPECT_EQ(Wallet(village.household_ids[0]), 50);
  EXPECT_EQ(Wallet(village.household_ids[1]), 0);
  // The quarter is final: no more scores for it.
  const grpc::Status late = Submit(
      token, Inspection("insp-settle-003", village.household_ids[0], "HJ-01", kLastYearMs),
      &response);
  EXPECT_EQ(late.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  // The current quarter cannot be settled before it ends.
  settle.set_period(PeriodOf(absl::Now()));
  EXPECT_EQ(ledger_->SettlePeriod(ScoringHarness::Context(service).get(), settle, &first)
                .error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

// Publicity asks to settle only what every household had time to object to: an entry recorded
// after the cutoff it sends holds the settlement, a correction (which no one objects to) does not.
TEST_F(LedgerAcceptanceTest, SettlementIsRefusedWhileAnEntryIsTooRecentToHaveBeenObjectedTo) {
  const SeededVillage village = VillageWithBigItem(2);
  v1::SubmitInspectionResponse award;
  ASSERT_TRUE(Submit(harness_->GridWorkerToken(village),
                     Inspection("insp-late-001", village.household_ids[0], "TS-50", kLastYearMs),
                     &award).ok());
  v1::SubmitInspectionResponse deduction;
  ASSERT_TRUE(Submit(harness_->GridWorkerToken(village),
                     Inspection("insp-late-002", village.household_ids[1], "HJ-02", kLastYearMs),
                     &deduction).ok());
  const int64_t recorded_ms = deduction.entries(0).recorded_at_ms();
  ASSERT_GT(recorded_ms, 0);

  v1::SettlePeriodRequest settle;
  settle.set_village_id(village.village_id);
  settle.set_period("2025Q3");
  settle.set_refuse_entries_recorded_after_ms(recorded_ms - 1);
  v1::SettlePeriodResponse settled;
  const std::string service = harness_->ServiceToken("publicity");
  const grpc::Status refused =
      ledger_->SettlePeriod(ScoringHarness::Context(service).get(), settle, &settled);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(refused.error_message(), HasSubstr("LATE_ENTRIES"));
  EXPECT_EQ(Wallet(village.household_ids[0]), 0);
  v1::GetVillageTotalsRequest totals_request;
  totals_request.set_village_id(village.village_id);
  totals_request.set_period("2025Q3");
  v1::VillageTotals totals;
  ASSERT_TRUE(ledger_->GetVillageTotals(ScoringHarness::Context(service).get(), totals_request,
                                        &totals).ok());
  EXPECT_FALSE(totals.final());

  // A correction recorded after the cutoff is not objected to and holds nothing.
  v1::ReverseEntryRequest reverse;
  reverse.set_sequence(deduction.entries(0).sequence());
  reverse.set_correction_id("late-fix-1");
  reverse.set_reason("录入错误");
  v1::ReverseEntryResponse reversed;
  ASSERT_TRUE(ledger_->ReverseEntry(
      ScoringHarness::Context(harness_->VillageAdminToken(village.village_id)).get(), reverse,
      &reversed).ok());
  ASSERT_GE(reversed.entry().recorded_at_ms(), recorded_ms);
  settle.set_refuse_entries_recorded_after_ms(recorded_ms);
  ASSERT_TRUE(ledger_->SettlePeriod(ScoringHarness::Context(service).get(), settle, &settled)
                  .ok());
  EXPECT_EQ(settled.points_credited(), 50);
  EXPECT_EQ(Wallet(village.household_ids[0]), 50);
}

// A corrected mistake leaves the village's totals as if it had never been entered: taking back an
// award lowers the awards (it is not a deduction), taking back a deduction lowers the deductions.
TEST_F(LedgerAcceptanceTest, VillageTotalsCountAReversalWithWhatItReverses) {
  const SeededVillage village = VillageWithBigItem(2);
  const std::string grid = harness_->GridWorkerToken(village);
  v1::SubmitInspectionResponse kept, mistaken_award, mistaken_deduction;
  ASSERT_TRUE(Submit(grid, Inspection("insp-totals-001", village.household_ids[0], "TS-50",
                                      kLastYearMs), &kept).ok());
  ASSERT_TRUE(Submit(grid, Inspection("insp-totals-002", village.household_ids[1], "TS-50",
                                      kLastYearMs), &mistaken_award).ok());
  ASSERT_TRUE(Submit(grid, Inspection("insp-totals-003", village.household_ids[1], "HJ-02",
                                      kLastYearMs), &mistaken_deduction).ok());
  const std::string admin = harness_->VillageAdminToken(village.village_id);
  int corrections = 0;
  for (const v1::SubmitInspectionResponse* wrong : {&mistaken_award, &mistaken_deduction}) {
    v1::ReverseEntryRequest reverse;
    reverse.set_sequence(wrong->entries(0).sequence());
    reverse.set_correction_id(absl::StrCat("totals-fix-", ++corrections));
    reverse.set_reason("录入错误");
    v1::ReverseEntryResponse reversed;
    const grpc::Status status =
        ledger_->ReverseEntry(ScoringHarness::Context(admin).get(), reverse, &reversed);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  v1::GetVillageTotalsRequest request;
  request.set_village_id(village.village_id);
  request.set_period("2025Q3");
  v1::VillageTotals totals;
  const grpc::Status status =
      ledger_->GetVillageTotals(ScoringHarness::Context(admin).get(), request, &totals);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(totals.awards_points(), 50);
  EXPECT_EQ(totals.deductions_points(), 0);
  EXPECT_EQ(totals.net_points(), 50);
  EXPECT_EQ(totals.households_scored(), 2);  // the second was inspected, even if nothing stands

  // The district's statistics of the year sum the quarter the same way.
  v1::GetVillageStatisticsRequest statistics_request;
  statistics_request.set_village_id(village.village_id);
  statistics_request.set_year(2025);
  v1::VillageStatistics statistics;
  ASSERT_TRUE(v1::VillageStatisticsService::NewStub(harness_->channel())
                  ->GetVillageStatistics(ScoringHarness::Context(harness_->DistrictToken()).get(),
                                         statistics_request, &statistics)
                  .ok());
  ASSERT_EQ(statistics.quarters_size(), 4);
  EXPECT_EQ(statistics.quarters(2).awards_points(), 50);
  EXPECT_EQ(statistics.quarters(2).deductions_points(), 0);
}

TEST_F(LedgerAcceptanceTest, AnEntryIsReversedOnceAndAReversalNever) {
  const SeededVillage village = VillageWithBigItem(1);
  v1::SubmitInspectionResponse response;
  ASSERT_TRUE(Submit(harness_->GridWorkerToken(village),
                     Inspection("insp-reverse-01", village.household_ids[0], "HJ-02",
                                kLastYearMs), &response).ok());
  const int64_t deduction = response.entries(0).sequence();
  const std::string admin = harness_->VillageAdminToken(village.village_id);
  v1::ReverseEntryRequest reverse;
  reverse.set_sequence(deduction);
  reverse.set_correction_id("objection-1");
  reverse.set_reason("异议成立: 照片拍摄的是邻户");
  v1::ReverseEntryResponse reversed;
  ASSERT_TRUE(ledger_->ReverseEntry(ScoringHarness::Context(admin).get(), reverse, &reversed)
                  .ok());
  EXPECT_EQ(reversed.entry().points(), 5);
  EXPECT_EQ(reversed.entry().reverses_sequence(), deduction);

  const int64_t reversal = reversed.entry().sequence();

  reverse.set_correction_id("objection-2");
  const grpc::Status again =
      ledger_->ReverseEntry(ScoringHarness::Context(admin).get(), reverse, &reversed);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(again.error_message(), ::testing::StartsWith("ALREADY_REVERSED: "));
  // Reversing the reversal has its own code: NOT_REVERSIBLE's message is about wallet movements.
  reverse.set_sequence(reversal);
  reverse.set_correction_id("objection-3");
  const grpc::Status of_reversal =
      ledger_->ReverseEntry(ScoringHarness::Context(admin).get(), reverse, &reversed);
  EXPECT_EQ(of_reversal.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(of_reversal.error_message(),
              ::testing::StartsWith(absl::StrCat("REVERSAL_NOT_REVERSIBLE: entry ", reversal,
                                                 " is itself the reversal of entry ", deduction)));
}

// A correction id was any 1..80 characters and looked up across villages: an admin's "x" was
// refused with 409 because another village had used "x", which also told them of that
// correction. The id now follows the client-id rule and is a key of the entry's village.
TEST_F(LedgerAcceptanceTest, ACorrectionIdIsAKeyOfTheEntrysVillage) {
  const SeededVillage first = VillageWithBigItem(1);
  const SeededVillage second = VillageWithBigItem(1);
  const auto reverse = [&](const SeededVillage& village, int64_t sequence,
                           const std::string& correction_id, v1::ReverseEntryResponse* reversed) {
    v1::ReverseEntryRequest request;
    request.set_sequence(sequence);
    request.set_correction_id(correction_id);
    request.set_reason("录入错误");
    return ledger_->ReverseEntry(
        ScoringHarness::Context(harness_->VillageAdminToken(village.village_id)).get(), request,
        reversed);
  };
  const auto deduction_in = [&](const SeededVillage& village, const std::string& id) {
    v1::SubmitInspectionResponse response;
    EXPECT_TRUE(Submit(harness_->GridWorkerToken(village),
                       Inspection(id, village.household_ids[0], "HJ-02", kLastYearMs), &response)
                    .ok());
    return response.entries(0).sequence();
  };
  const int64_t in_first = deduction_in(first, "insp-corr-key-01");
  const int64_t in_second = deduction_in(second, "insp-corr-key-02");
  v1::ReverseEntryResponse reversed;

  const grpc::Status typed = reverse(first, in_first, "x", &reversed);
  EXPECT_EQ(typed.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(typed.error_message(), ::testing::StartsWith("correction_id must be 8-64"));

  ASSERT_TRUE(reverse(first, in_first, "fix-shared-0001", &reversed).ok());
  const int64_t first_reversal = reversed.entry().sequence();
  // The same id in another village is another correction: written, and nothing of the first one
  // is told.
  const grpc::Status elsewhere = reverse(second, in_second, "fix-shared-0001", &reversed);
  ASSERT_TRUE(elsewhere.ok()) << elsewhere.error_message();
  EXPECT_NE(reversed.entry().sequence(), first_reversal);
  EXPECT_EQ(reversed.entry().reverses_sequence(), in_second);
  EXPECT_EQ(reversed.entry().village_id(), second.village_id);
  // Within a village the id still names one correction: a retry answers it.
  ASSERT_TRUE(reverse(first, in_first, "fix-shared-0001", &reversed).ok());
  EXPECT_EQ(reversed.entry().sequence(), first_reversal);
  EXPECT_EQ(CountRows(absl::StrCat("SELECT COUNT(*) FROM ledger_entries WHERE source = 4 AND "
                                   "source_id = 'fix-shared-0001'")),
            2);
}

// The same correction id for the same entry with another reason answered the first reversal, so
// the caller believed their reason recorded while the household read the old one. Same key,
// different payload is ALREADY_EXISTS, as for inspections and declarations.
TEST_F(LedgerAcceptanceTest, ACorrectionIdReusedWithAnotherReasonIsRefused) {
  const SeededVillage village = VillageWithBigItem(2);
  const std::string grid = harness_->GridWorkerToken(village);
  v1::SubmitInspectionResponse first_deed, second_deed;
  ASSERT_TRUE(
      Submit(grid, Inspection("insp-corr-reuse-1", village.household_ids[0], "HJ-02", kLastYearMs),
             &first_deed)
          .ok());
  ASSERT_TRUE(
      Submit(grid, Inspection("insp-corr-reuse-2", village.household_ids[1], "HJ-02", kLastYearMs),
             &second_deed)
          .ok());
  const std::string admin = harness_->VillageAdminToken(village.village_id);
  v1::ReverseEntryRequest request;
  request.set_sequence(first_deed.entries(0).sequence());
  request.set_correction_id("fix-reused-0001");
  request.set_reason("照片拍摄的是邻户");
  v1::ReverseEntryResponse reversed;
  ASSERT_TRUE(ledger_->ReverseEntry(ScoringHarness::Context(admin).get(), request, &reversed).ok());
  const int64_t before = CountRows("SELECT COUNT(*) FROM ledger_entries");

  request.set_reason("录入错误");
  const grpc::Status other_reason =
      ledger_->ReverseEntry(ScoringHarness::Context(admin).get(), request, &reversed);
  EXPECT_EQ(other_reason.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(other_reason.error_message(),
              ::testing::StartsWith("CORRECTION_ID_REUSED: correction fix-reused-0001 "));

  request.set_sequence(second_deed.entries(0).sequence());
  request.set_reason("照片拍摄的是邻户");
  const grpc::Status other_entry =
      ledger_->ReverseEntry(ScoringHarness::Context(admin).get(), request, &reversed);
  EXPECT_EQ(other_entry.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(other_entry.error_message(), ::testing::StartsWith("CORRECTION_ID_REUSED: "));
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM ledger_entries"), before);
}

TEST_F(LedgerAcceptanceTest, RulebookNeedsAValidVoteAndIsImmutableOncePublished) {
  const SeededVillage village = harness_->SeedVillage(1);
  const std::string admin = harness_->VillageAdminToken(village.village_id);
  const v1::Rulebook draft = CreateDraft(admin, village.village_id, 2026, "2026-01-01");
  ASSERT_FALSE(HasFailure());
  EXPECT_GE(draft.items_size(), 10);  // derived from the template

  v1::PublishRequest publish;
  publish.set_rulebook_id(draft.rulebook_id());
  v1::Rulebook result;
  EXPECT_EQ(rulebooks_->Publish(ScoringHarness::Context(admin).get(), publish, &result)
                .error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);  // no vote yet

  v1::RecordVoteRequest vote;
  vote.set_rulebook_id(draft.rulebook_id());
  vote.mutable_vote()->set_meeting_date("2025-12-28");
  vote.mutable_vote()->set_members(30);
  vote.mutable_vote()->set_attending(20);  // exactly two thirds: not quorate
  vote.mutable_vote()->set_in_favour(20);
  ASSERT_TRUE(rulebooks_->RecordVote(ScoringHarness::Context(admin).get(), vote, &result).ok());
  EXPECT_EQ(rulebooks_->Publish(ScoringHarness::Context(admin).get(), publish, &result)
                .error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  vote.mutable_vote()->set_attending(25);
  vote.mutable_vote()->set_in_favour(12);  // not more than half of 25
  ASSERT_TRUE(rulebooks_->RecordVote(ScoringHarness::Context(admin).get(), vote, &result).ok());
  EXPECT_EQ(rulebooks_->Publish(ScoringHarness::Context(admin).get(), publish, &result)
                .error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  vote.mutable_vote()->set_in_favour(13);
  ASSERT_TRUE(rulebooks_->RecordVote(ScoringHarness::Context(admin).get(), vote, &result).ok());
  const grpc::Status published =
      rulebooks_->Publish(ScoringHarness::Context(admin).get(), publish, &result);
  ASSERT_TRUE(published.ok()) << published.error_message();
  EXPECT_EQ(result.state(), v1::RULEBOOK_STATE_PUBLISHED);

  v1::RemoveItemRequest remove;
  remove.set_rulebook_id(draft.rulebook_id());
  remove.set_code("HJ-01");
  EXPECT_EQ(rulebooks_->RemoveItem(ScoringHarness::Context(admin).get(), remove, &result)
                .error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  // Even a direct write by the service's own database account is refused by the triggers.
  EXPECT_FALSE(mysql::RunWithConnection(harness_->admin_pool(), [&](sql::Connection& c) {
    mysql::Statement(c, "DELETE FROM rule_items WHERE rulebook_id = ?")
        .Bind(draft.rulebook_id())
        .Update();
    return absl::OkStatus();
  }).ok());

  // Another admin cannot touch this village's rulebooks.
  EXPECT_EQ(rulebooks_->Publish(
                ScoringHarness::Context(harness_->VillageAdminToken(village.village_id + 1)).get(),
                publish, &result).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

// The rulebook in force on a date must not change behind the village's back: a draft dated on or
// before a published version's date is refused at publish, even if it was created before that
// version was published.
TEST_F(LedgerAcceptanceTest, ADraftCanOnlyBePublishedAfterTheLatestPublishedDate) {
  const SeededVillage village = harness_->SeedVillage(1);
  const std::string admin = harness_->VillageAdminToken(village.village_id);
  auto context = [&] { return ScoringHarness::Context(admin); };
  auto draft_from = [&](const std::string& effective_from) {
    const v1::Rulebook draft = CreateDraft(admin, village.village_id, 2026, effective_from);
    v1::RecordVoteRequest vote;
    vote.set_rulebook_id(draft.rulebook_id());
    vote.mutable_vote()->set_meeting_date("2025-12-20");
    vote.mutable_vote()->set_members(9);
    vote.mutable_vote()->set_attending(7);
    vote.mutable_vote()->set_in_favour(5);
    v1::Rulebook voted;
    EXPECT_TRUE(rulebooks_->RecordVote(context().get(), vote, &voted).ok());
    return draft.rulebook_id();
  };
  auto publish = [&](int64_t rulebook_id) {
    v1::PublishRequest request;
    request.set_rulebook_id(rulebook_id);
    v1::Rulebook result;
    return rulebooks_->Publish(context().get(), request, &result);
  };
  // All three drafts exist before any is published.
  const int64_t june = draft_from("2026-06-01");
  const int64_t june_again = draft_from("2026-06-01");
  const int64_t march = draft_from("2026-03-01");
  ASSERT_TRUE(publish(june).ok());
  for (const int64_t late : {june_again, march}) {
    const grpc::Status refused = publish(late);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_THAT(refused.error_message(), HasSubstr("EFFECTIVE_DATE_TOO_EARLY"));
  }
  v1::GetRulebookInForceRequest in_force;
  in_force.set_village_id(village.village_id);
  in_force.set_date("2026-07-01");
  v1::Rulebook rulebook;
  ASSERT_TRUE(rulebooks_->GetRulebookInForce(context().get(), in_force, &rulebook).ok());
  EXPECT_EQ(rulebook.rulebook_id(), june);
  in_force.set_date("2026-04-01");
  EXPECT_EQ(rulebooks_->GetRulebookInForce(context().get(), in_force, &rulebook).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);  // none in force: the March draft stayed one
}

// Drafts of one date published at the same moment (two admins, or a double tap) can't all pass
// the date check: exactly one is published, so the rulebook in force on a day stays one rulebook.
TEST_F(LedgerAcceptanceTest, DraftsOfOneDatePublishedAtOnceGiveOneVersion) {
  const SeededVillage village = harness_->SeedVillage(1);
  const std::string admin = harness_->VillageAdminToken(village.village_id);
  constexpr int kDrafts = 4;
  std::vector<int64_t> drafts;
  for (int i = 0; i < kDrafts; ++i) {
    drafts.push_back(CreateDraft(admin, village.village_id, 2026, "2026-06-01").rulebook_id());
    RecordValidVote(admin, drafts.back(), "2025-12-20");
  }
  std::vector<grpc::Status> outcomes(kDrafts);
  std::atomic<int> ready{0};
  std::vector<std::thread> publishers;
  for (int i = 0; i < kDrafts; ++i) {
    publishers.emplace_back([&, i] {
      v1::PublishRequest request;
      request.set_rulebook_id(drafts[i]);
      v1::Rulebook result;
      auto context = ScoringHarness::Context(admin);
      ++ready;
      while (ready.load() < kDrafts) std::this_thread::yield();
      outcomes[i] = rulebooks_->Publish(context.get(), request, &result);
    });
  }
  for (std::thread& publisher : publishers) publisher.join();
  int published = 0;
  for (const grpc::Status& outcome : outcomes) {
    if (outcome.ok()) {
      ++published;
    } else {
      EXPECT_EQ(outcome.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
      EXPECT_THAT(outcome.error_message(), HasSubstr("EFFECTIVE_DATE_TOO_EARLY"));
    }
  }
  EXPECT_EQ(published, 1);
  EXPECT_EQ(CountRows(absl::StrCat("SELECT COUNT(*) FROM rulebooks WHERE village_id = ",
                                   village.village_id, " AND state = 2 AND year = 2026")),
            1);
}

// A version replacing the one in force never reaches back: not to a past date (the rulebook in
// force then would change behind the village's back), nor to a day whose deeds are scored already.
TEST_F(LedgerAcceptanceTest, ANewVersionNeverTakesEffectBeforeItIsAdopted) {
  const SeededVillage village = VillageWithBigItem(1);  // v1 from 2025-01-01
  const std::string admin = harness_->VillageAdminToken(village.village_id);
  const absl::Time now = absl::Now();
  const std::string today = FormatDate(now);
  const int year = static_cast<int>(absl::ToCivilDay(now, ShanghaiTime()).year());
  v1::CreateDraftRequest past;
  past.set_village_id(village.village_id);
  past.set_year(year);
  past.set_effective_from(FormatDate(now - absl::Hours(24 * 3)));
  v1::Rulebook refused_draft;
  const grpc::Status in_past = rulebooks_->CreateDraft(ScoringHarness::Context(admin).get(), past,
                                                       &refused_draft);
  if (FormatDate(now - absl::Hours(24 * 3)).substr(0, 4) == today.substr(0, 4)) {
    EXPECT_EQ(in_past.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_THAT(in_past.error_message(), HasSubstr("EFFECTIVE_DATE_IN_PAST"));
  }

  // Drafted for today, but a deed of today is scored under v1 before it is published.
  const v1::Rulebook draft = CreateDraft(admin, village.village_id, year, today);
  ASSERT_FALSE(HasFailure());
  RecordValidVote(admin, draft.rulebook_id(), today);
  v1::Rulebook result;
  v1::SubmitInspectionResponse response;
  ASSERT_TRUE(Submit(harness_->GridWorkerToken(village),
                     Inspection("insp-before-v2-01", village.household_ids[0], "TS-50",
                                absl::ToUnixMillis(now)),
                     &response)
                  .ok());
  v1::PublishRequest publish;
  publish.set_rulebook_id(draft.rulebook_id());
  const grpc::Status refused =
      rulebooks_->Publish(ScoringHarness::Context(admin).get(), publish, &result);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(refused.error_message(), HasSubstr("EFFECTIVE_DATE_IN_PAST"));
  v1::GetRulebookInForceRequest in_force;
  in_force.set_village_id(village.village_id);
  in_force.set_date(today);
  v1::Rulebook rulebook;
  ASSERT_TRUE(
      rulebooks_->GetRulebookInForce(ScoringHarness::Context(admin).get(), in_force, &rulebook)
          .ok());
  EXPECT_NE(rulebook.rulebook_id(), draft.rulebook_id());
}

TEST_F(LedgerAcceptanceTest, AVoteCantBeDatedAfterToday) {
  const SeededVillage village = harness_->SeedVillage(1);
  const std::string admin = harness_->VillageAdminToken(village.village_id);
  const v1::Rulebook draft = CreateDraft(admin, village.village_id, 2026, "2026-01-01");
  ASSERT_FALSE(HasFailure());
  v1::RecordVoteRequest vote;
  vote.set_rulebook_id(draft.rulebook_id());
  vote.mutable_vote()->set_meeting_date(FormatDate(absl::Now() + absl::Hours(48)));
  vote.mutable_vote()->set_members(9);
  vote.mutable_vote()->set_attending(7);
  vote.mutable_vote()->set_in_favour(5);
  v1::Rulebook result;
  const grpc::Status refused =
      rulebooks_->RecordVote(ScoringHarness::Context(admin).get(), vote, &result);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("vote.meeting_date"));
  v1::GetRulebookRequest get;
  get.set_rulebook_id(draft.rulebook_id());
  ASSERT_TRUE(rulebooks_->GetRulebook(ScoringHarness::Context(admin).get(), get, &result).ok());
  EXPECT_FALSE(result.has_vote());  // nothing recorded

  vote.mutable_vote()->set_meeting_date(FormatDate(absl::Now()));
  EXPECT_TRUE(rulebooks_->RecordVote(ScoringHarness::Context(admin).get(), vote, &result).ok());
}

TEST_F(LedgerAcceptanceTest, TownOfficialsReadTheRulebooksOfTheirOwnTownOnly) {
  const SeededVillage village = harness_->SeedVillage(1);
  const std::string admin = harness_->VillageAdminToken(village.village_id);
  const v1::Rulebook draft = CreateDraft(admin, village.village_id, 2026, "2026-01-01");
  ASSERT_FALSE(HasFailure());
  auto official_of = [&](int64_t town_id) {
    auth::Caller official;
    official.user_id = absl::StrCat("staff-town-", town_id);
    official.role = auth::Role::kTownOfficial;
    official.town_id = town_id;
    return harness_->Token(official);
  };
  v1::GetRulebookRequest get;
  get.set_rulebook_id(draft.rulebook_id());
  v1::Rulebook result;
  EXPECT_TRUE(rulebooks_->GetRulebook(ScoringHarness::Context(official_of(village.town_id)).get(),
                                      get, &result).ok());
  EXPECT_EQ(rulebooks_->GetRulebook(
                ScoringHarness::Context(official_of(village.town_id + 1000)).get(), get, &result)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::ListRulebooksRequest list;
  list.set_village_id(village.village_id);
  v1::ListRulebooksResponse listed;
  EXPECT_EQ(rulebooks_->ListRulebooks(
                ScoringHarness::Context(official_of(village.town_id + 1000)).get(), list, &listed)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(LedgerAcceptanceTest, TheRulebookInForceOnTheDeedsDateScoresIt) {
  const SeededVillage village = VillageWithBigItem(1);  // v1 from 2025-01-01 has TS-50
  const std::string admin = harness_->VillageAdminToken(village.village_id);
  // v2 from today without TS-50: a version replacing another starts no earlier than today.
  const absl::Time now = absl::Now();
  const std::string today = FormatDate(now);
  const int year = static_cast<int>(absl::ToCivilDay(now, ShanghaiTime()).year());
  const v1::Rulebook draft = CreateDraft(admin, village.village_id, year, today);
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(draft.version(), year == 2025 ? 2 : 1);
  RecordValidVote(admin, draft.rulebook_id(), today);
  v1::Rulebook result;
  v1::PublishRequest publish;
  publish.set_rulebook_id(draft.rulebook_id());
  ASSERT_TRUE(rulebooks_->Publish(ScoringHarness::Context(admin).get(), publish, &result).ok());

  const std::string token = harness_->GridWorkerToken(village);
  v1::SubmitInspectionResponse response;
  EXPECT_TRUE(Submit(token, Inspection("insp-v1-date-01", village.household_ids[0], "TS-50",
                                       kLastYearMs), &response).ok());
  EXPECT_EQ(Submit(token, Inspection("insp-v2-date-01", village.household_ids[0], "TS-50",
                                     absl::ToUnixMillis(now)), &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  v1::DiffAgainstTemplateRequest diff_request;
  diff_request.set_rulebook_id(draft.rulebook_id());
  v1::DiffAgainstTemplateResponse diff;
  ASSERT_TRUE(rulebooks_->DiffAgainstTemplate(ScoringHarness::Context(admin).get(), diff_request,
                                              &diff).ok());
  EXPECT_EQ(diff.added_size(), 0);  // v2 is the plain template
}

TEST_F(LedgerAcceptanceTest, StreamReplaysInOrderThenFollows) {
  const SeededVillage village = VillageWithBigItem(2);
  const std::string token = harness_->GridWorkerToken(village);
  v1::SubmitInspectionResponse response;
  ASSERT_TRUE(Submit(token, Inspection("insp-stream-001", village.household_ids[0], "HJ-01",
                                       kLastYearMs), &response).ok());

  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
  context.AddMetadata("authorization", "Bearer " + harness_->ServiceToken("publicity"));
  v1::StreamEntriesRequest request;
  request.set_follow(true);
  auto reader = ledger_->StreamEntries(&context, request);
  v1::LedgerEntryBatch message;
  int64_t previous = 0;
  // Reads messages until one holds an entry of `source_id`; every entry in strictly increasing
  // sequence across messages, and no message empty.
  const auto read_until = [&](const std::string& source_id) {
    while (reader->Read(&message)) {
      EXPECT_GT(message.entries_size(), 0);
      bool seen = false;
      for (const v1::LedgerEntry& entry : message.entries()) {
        EXPECT_GT(entry.sequence(), previous);
        previous = entry.sequence();
        seen = seen || entry.source_id() == source_id;
      }
      if (seen) return true;
    }
    return false;
  };
  ASSERT_TRUE(read_until("insp-stream-001"));
  // Now follow: a new entry arrives on the open stream.
  ASSERT_TRUE(Submit(token, Inspection("insp-stream-002", village.household_ids[1], "HJ-01",
                                       kLastYearMs), &response).ok());
  const bool saw_second = read_until("insp-stream-002");
  EXPECT_TRUE(saw_second);
  context.TryCancel();
}

TEST_F(LedgerAcceptanceTest, TheLedgerIsAppendOnlyForTheServiceAccount) {
  const SeededVillage village = VillageWithBigItem(1);
  v1::SubmitInspectionResponse response;
  ASSERT_TRUE(Submit(harness_->GridWorkerToken(village),
                     Inspection("insp-append-001", village.household_ids[0], "HJ-01",
                                kLastYearMs), &response).ok());
  mysql::MySqlConfig config;
  config.host = testing::TestMySql().host;
  config.port = testing::TestMySql().port;
  config.user = harness_->service_user();
  config.password = harness_->service_password();
  config.database = harness_->database();
  mysql::ConnectionPool service_pool(config);
  for (const char* statement :
       {"UPDATE ledger_entries SET points = 500", "DELETE FROM ledger_entries"}) {
    const absl::Status status = mysql::RunWithConnection(service_pool, [&](sql::Connection& c) {
      mysql::Statement(c, statement).Update();
      return absl::OkStatus();
    });
    EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << statement << ": " << status;
  }
}

TEST_F(LedgerAcceptanceTest, TamperingBreaksTheChainAtTheAlteredEntry) {
  const SeededVillage village = VillageWithBigItem(1);
  const std::string token = harness_->GridWorkerToken(village);
  v1::SubmitInspectionResponse response;
  std::vector<int64_t> sequences;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Submit(token, Inspection(absl::StrCat("insp-tamper-00", i),
                                         village.household_ids[0], "HJ-06", kLastYearMs + i),
                       &response).ok());
    sequences.push_back(response.entries(0).sequence());
  }
  ASSERT_TRUE(mysql::RunWithConnection(harness_->admin_pool(), [&](sql::Connection& c) {
    mysql::Statement(c, "UPDATE ledger_entries SET reason = '改过' WHERE sequence = ?")
        .Bind(sequences[1])
        .Update();
    return absl::OkStatus();
  }).ok());
  v1::VerifyChainRequest request;
  request.set_village_id(village.village_id);
  v1::VerifyChainResponse verified;
  ASSERT_TRUE(ledger_->VerifyChain(ScoringHarness::Context(harness_->DistrictToken()).get(),
                                   request, &verified).ok());
  EXPECT_FALSE(verified.intact());
  EXPECT_EQ(verified.first_bad_sequence(), sequences[1]);
  // Put it back so that the suite's invariants hold again.
  ASSERT_TRUE(mysql::RunWithConnection(harness_->admin_pool(), [&](sql::Connection& c) {
    mysql::Statement(c, "UPDATE ledger_entries SET reason = ? WHERE sequence = ?")
        .Bind(response.entries(0).reason())
        .Bind(sequences[1])
        .Update();
    return absl::OkStatus();
  }).ok());
}

TEST_F(LedgerAcceptanceTest, TheChainVerifiesWhileEntriesAreBeingAppended) {
  // A supervisor's check must not report a break because an inspection committed between its
  // reads (the entries and the head row come from one snapshot).
  const SeededVillage village = VillageWithBigItem(2);
  const std::string token = harness_->GridWorkerToken(village);
  std::atomic<bool> writing{true};
  std::vector<grpc::Status> submitted;
  std::thread writer([&] {
    for (int i = 0; i < 60; ++i) {
      v1::SubmitInspectionResponse response;
      submitted.push_back(Submit(token,
                                 Inspection(absl::StrCat("insp-verify-race-", i),
                                            village.household_ids[i % 2], "TS-50", kLastYearMs + i),
                                 &response));
    }
    writing = false;
  });
  v1::VerifyChainRequest request;
  request.set_village_id(village.village_id);
  int verifications = 0;
  while (writing || verifications == 0) {
    v1::VerifyChainResponse verified;
    const grpc::Status status = ledger_->VerifyChain(
        ScoringHarness::Context(harness_->DistrictToken()).get(), request, &verified);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(verified.intact()) << "reported a break at " << verified.first_bad_sequence()
                                   << " after " << verified.entries_checked() << " entries";
    ++verifications;
  }
  writer.join();
  for (const grpc::Status& status : submitted) EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(LedgerAcceptanceTest, CallsWithoutAValidTokenAreRefused) {
  v1::GetWalletRequest request;
  request.set_household_id(1);
  v1::Wallet wallet;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  EXPECT_EQ(ledger_->GetWallet(&context, request, &wallet).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ledger_->GetWallet(ScoringHarness::Context("not-a-token").get(), request, &wallet)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(LedgerAcceptanceTest, ResidentsSeeOnlyTheirOwnHousehold) {
  const SeededVillage village = VillageWithBigItem(2);
  const std::string resident =
      harness_->ResidentToken(village.village_id, village.household_ids[0]);
  v1::GetWalletRequest request;
  v1::Wallet wallet;
  request.set_household_id(village.household_ids[0]);
  EXPECT_TRUE(ledger_->GetWallet(ScoringHarness::Context(resident).get(), request, &wallet).ok());
  request.set_household_id(village.household_ids[1]);
  EXPECT_EQ(ledger_->GetWallet(ScoringHarness::Context(resident).get(), request, &wallet)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace jifen::scoring
