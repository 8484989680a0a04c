// Group commit: inspections written together in one transaction (storage/inspection_batch.h) are
// judged as if each were written alone after the ones before it. The batch is written straight
// through WriteInspectionBatch on the harness's database, so its make-up is exactly the test's.
#include <cppconn/connection.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/mysql/transaction.h"
#include "gtest/gtest.h"
#include "jifen/scoring/v1/assessment.grpc.pb.h"
#include "services/scoring/storage/digests.h"
#include "services/scoring/storage/inspection_batch.h"
#include "services/scoring/storage/mysql_ledger.h"
#include "tests/support/scoring_harness.h"
#include "tests/support/shared_scoring_test.h"

namespace jifen::scoring {
namespace {

using testing::ScoringHarness;
using testing::SeededVillage;
using testing::SharedScoringTest;

const int64_t kDeedMs = ScoringHarness::SettleableDeedMs();

// One queued inspection that owns what it points to.
struct Submission {
  auth::Caller caller;
  v1::SubmitInspectionRequest request;
  QueuedInspection queued;
};

class InspectionBatchTest : public SharedScoringTest<InspectionBatchTest> {
 public:
  static constexpr char kSuite[] = "inspection_batch";

 protected:

  std::unique_ptr<Submission> Inspect(const SeededVillage& village, const std::string& id,
                                      int64_t household_id, const std::string& item_code) {
    auto submission = std::make_unique<Submission>();
    submission->caller.user_id = village.grid_worker_user_id;
    submission->caller.role = auth::Role::kGridWorker;
    submission->caller.village_id = village.village_id;
    submission->caller.town_id = village.town_id;
    submission->caller.grid_id = village.grid_id;
    submission->request.set_inspection_id(id);
    submission->request.set_household_id(household_id);
    submission->request.set_occurred_at_ms(kDeedMs);
    v1::InspectionOutcome* outcome = submission->request.add_outcomes();
    outcome->set_item_code(item_code);
    outcome->add_photo_refs(std::string(64, 'a'));
    submission->queued.caller = &submission->caller;
    submission->queued.request = &submission->request;
    submission->queued.digest = RequestDigest(submission->caller, submission->request);
    return submission;
  }

  // Writes the submissions as one batch and commits; returns each one's outcome.
  std::vector<InspectionOutcome> WriteTogether(
      const std::vector<std::unique_ptr<Submission>>& submissions) {
    std::vector<QueuedInspection*> batch;
    for (const auto& submission : submissions) batch.push_back(&submission->queued);
    LedgerSequencer sequencer(0);
    LedgerSequencer::Ticket ticket = sequencer.Begin();
    std::vector<InspectionOutcome> outcomes;
    const absl::Status written =
        mysql::RunInTransaction(harness_->admin_pool(), [&](sql::Connection& connection) {
          return WriteInspectionBatch(connection, rulebooks_, batch, ticket, &outcomes);
        });
    EXPECT_TRUE(written.ok()) << written;
    return outcomes;
  }

  int64_t PeriodScore(int64_t household_id) {
    return harness_->PeriodScore(household_id, "2025Q3");
  }

  PublishedRulebookCache rulebooks_;
};

TEST_F(InspectionBatchTest, ACapCountsWhatEarlierInspectionsOfTheSameBatchScored) {
  const SeededVillage village = harness_->FundableVillage(1);
  const int64_t household = village.household_ids[0];
  // LJ-01 is +3 with a cap of 15 per quarter: the first five of the batch pass, six and seven
  // are refused although none of them was in the ledger when the batch began.
  std::vector<std::unique_ptr<Submission>> submissions;
  for (int i = 0; i < 7; ++i) {
    submissions.push_back(Inspect(village, absl::StrCat("batch-cap-", i), household, "LJ-01"));
  }
  const std::vector<InspectionOutcome> outcomes = WriteTogether(submissions);
  ASSERT_EQ(outcomes.size(), 7u);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(outcomes[i].ok()) << i << ": " << outcomes[i].status();
    EXPECT_EQ(outcomes[i]->total_points(), 3);
  }
  for (int i = 5; i < 7; ++i) {
    EXPECT_EQ(outcomes[i].status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_NE(outcomes[i].status().message().find("CAP_EXCEEDED"), std::string::npos);
  }
  EXPECT_EQ(PeriodScore(household), 15);
  // The ledger numbers them in the order the batch listed them (TearDown verifies the chain).
  for (int i = 1; i < 5; ++i) {
    EXPECT_GT(outcomes[i]->entries(0).sequence(), outcomes[i - 1]->entries(0).sequence());
  }
}

TEST_F(InspectionBatchTest, ARefusalOrARetryInABatchLeavesTheOthersWritten) {
  const SeededVillage village = harness_->FundableVillage(2);
  const SeededVillage elsewhere = harness_->FundableVillage(1);
  std::vector<std::unique_ptr<Submission>> first;
  first.push_back(Inspect(village, "batch-mixed-first", village.household_ids[0], "TS-50"));
  const std::vector<InspectionOutcome> stored = WriteTogether(first);
  ASSERT_TRUE(stored[0].ok()) << stored[0].status();

  std::vector<std::unique_ptr<Submission>> mixed;
  mixed.push_back(Inspect(village, "batch-mixed-first", village.household_ids[0], "TS-50"));
  mixed.push_back(Inspect(village, "batch-mixed-other-village", elsewhere.household_ids[0],
                          "TS-50"));
  mixed.push_back(Inspect(village, "batch-mixed-unknown-item", village.household_ids[1], "XX-99"));
  mixed.push_back(Inspect(village, "batch-mixed-new", village.household_ids[1], "TS-50"));
  mixed.push_back(Inspect(village, "batch-mixed-no-household", 987654321, "TS-50"));
  const std::vector<InspectionOutcome> outcomes = WriteTogether(mixed);
  ASSERT_EQ(outcomes.size(), 5u);
  ASSERT_TRUE(outcomes[0].ok()) << outcomes[0].status();
  EXPECT_EQ(outcomes[0]->SerializeAsString(), stored[0]->SerializeAsString())
      << "a retry gets the stored answer";
  EXPECT_EQ(outcomes[1].status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(outcomes[2].status().code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(outcomes[3].ok()) << outcomes[3].status();
  EXPECT_EQ(outcomes[3]->total_points(), 50);
  EXPECT_EQ(outcomes[4].status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(PeriodScore(village.household_ids[0]), 50);
  EXPECT_EQ(PeriodScore(village.household_ids[1]), 50);
  EXPECT_EQ(PeriodScore(elsewhere.household_ids[0]), 0);
}

TEST_F(InspectionBatchTest, OneBatchWritesSeveralVillagesEachOnItsOwnChain) {
  std::vector<SeededVillage> villages;
  for (int v = 0; v < 3; ++v) villages.push_back(harness_->FundableVillage(2));
  std::vector<std::unique_ptr<Submission>> submissions;
  for (int round = 0; round < 2; ++round) {
    for (const SeededVillage& village : villages) {
      for (int64_t household : village.household_ids) {
        submissions.push_back(Inspect(village,
                                      absl::StrCat("batch-villages-", household, "-", round),
                                      household, "TS-50"));
      }
    }
  }
  const std::vector<InspectionOutcome> outcomes = WriteTogether(submissions);
  for (const InspectionOutcome& outcome : outcomes) ASSERT_TRUE(outcome.ok()) << outcome.status();
  for (const SeededVillage& village : villages) {
    for (int64_t household : village.household_ids) EXPECT_EQ(PeriodScore(household), 100);
  }
  // TearDown verifies every chain and that each balance equals the sum of its entries.
}

}  // namespace
}  // namespace jifen::scoring

namespace jifen::scoring {
namespace {

// A burst of inspections larger than the service's handler threads: each one waits in the group
// commit queue without holding a thread, so none is refused for want of one.
TEST(InspectionBurstTest, ABurstLargerThanTheHandlerThreadsIsWrittenWhole) {
  ScoringHarness harness("inspection_burst");
  ASSERT_TRUE(harness.Prepare());
  // Enough threads for the sequential seeding calls below (with two, a synchronous call could find
  // none free while gRPC replaced its polling thread), far fewer than the burst.
  ASSERT_TRUE(harness.Launch({"--handler_threads=16", "--idle_handler_threads=4"}));
  const SeededVillage village = harness.FundableVillage(4);
  auto assessment = v1::AssessmentService::NewStub(harness.channel());
  constexpr int kInspections = 120;
  std::vector<grpc::Status> statuses(kInspections);
  std::vector<std::thread> threads;
  for (int i = 0; i < kInspections; ++i) {
    threads.emplace_back([&, i] {
      v1::SubmitInspectionRequest request;
      request.set_inspection_id(absl::StrCat("burst-inspection-", i));
      request.set_household_id(village.household_ids[i % 4]);
      request.set_occurred_at_ms(kDeedMs + i);
      request.add_outcomes()->set_item_code(ScoringHarness::kAwardItem);
      v1::SubmitInspectionResponse response;
      statuses[i] = assessment->SubmitInspection(
          ScoringHarness::Context(harness.GridWorkerToken(village)).get(), request, &response);
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const grpc::Status& status : statuses) {
    EXPECT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
  }
  for (int64_t household : village.household_ids) {
    EXPECT_EQ(harness.PeriodScore(household, "2025Q3"), 50 * kInspections / 4);
  }
  harness.ExpectLedgerInvariants();
}

}  // namespace
}  // namespace jifen::scoring
