// Group commit across a MariaDB crash: grid workers keep submitting (and retrying what failed)
// while mariadbd is killed with -9 and started again. Every inspection must end written exactly
// once, with the answer a retry gets now equal to the one its submitter got, and every chain and
// balance intact. Runs alone (RUN_SERIAL): it kills the shared MariaDB.
#include <cppconn/connection.h>

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/mysql/statement.h"
#include "common/mysql/transaction.h"
#include "gtest/gtest.h"
#include "jifen/scoring/v1/assessment.grpc.pb.h"
#include "tests/support/scoring_harness.h"
#include "tests/support/testenv.h"

namespace jifen::scoring {
namespace {

using testing::ScoringHarness;
using testing::SeededVillage;

const int64_t kDeedMs = ScoringHarness::SettleableDeedMs();

struct Submission {
  std::string token;
  v1::SubmitInspectionRequest request;
  std::string answer;  // the serialized response its submitter finally got
  int attempts = 0;
};

// Submits until an answer comes: what a phone does when the network or the server fails it.
std::string SubmitUntilAnswered(v1::AssessmentService::Stub& stub, Submission& submission) {
  const absl::Time give_up = absl::Now() + absl::Seconds(90);
  while (absl::Now() < give_up) {
    ++submission.attempts;
    v1::SubmitInspectionResponse response;
    const grpc::Status status = stub.SubmitInspection(
        ScoringHarness::Context(submission.token).get(), submission.request, &response);
    if (status.ok()) return response.SerializeAsString();
    const bool retryable = status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                           status.error_code() == grpc::StatusCode::INTERNAL ||
                           status.error_code() == grpc::StatusCode::ABORTED ||
                           status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
    EXPECT_TRUE(retryable) << status.error_code() << ": " << status.error_message();
    if (!retryable) return "";
    absl::SleepFor(absl::Milliseconds(50));
  }
  ADD_FAILURE() << submission.request.inspection_id() << " was never answered";
  return "";
}

TEST(InspectionCrashTest, EveryInspectionIsWrittenOnceAcrossAMariaDbCrash) {
  ScoringHarness harness("inspection_crash");
  ASSERT_TRUE(harness.Start());
  std::vector<SeededVillage> villages;
  for (int v = 0; v < 3; ++v) villages.push_back(harness.FundableVillage(4));
  constexpr int kPerHousehold = 6;
  std::vector<Submission> submissions;
  for (const SeededVillage& village : villages) {
    for (int64_t household : village.household_ids) {
      for (int i = 0; i < kPerHousehold; ++i) {
        Submission submission;
        submission.token = harness.GridWorkerToken(village);
        submission.request.set_inspection_id(absl::StrCat("crash-", household, "-", i));
        submission.request.set_household_id(household);
        submission.request.set_occurred_at_ms(kDeedMs + i);
        submission.request.add_outcomes()->set_item_code(ScoringHarness::kAwardItem);
        submissions.push_back(std::move(submission));
      }
    }
  }

  constexpr int kClients = 12;
  std::atomic<size_t> next{0};
  std::atomic<int> answered{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&] {
      auto stub = v1::AssessmentService::NewStub(harness.channel());
      for (size_t k = next++; k < submissions.size(); k = next++) {
        submissions[k].answer = SubmitUntilAnswered(*stub, submissions[k]);
        ++answered;
      }
    });
  }
  // Crash the database once writes are flowing, while most inspections are still to come.
  while (answered < 10) absl::SleepFor(absl::Milliseconds(5));
  jifen::testing::KillMySql();
  absl::SleepFor(absl::Milliseconds(500));
  jifen::testing::StartMySql();
  for (std::thread& client : clients) client.join();

  int retried = 0;
  auto stub = v1::AssessmentService::NewStub(harness.channel());
  std::map<int64_t, int> per_household;
  for (const Submission& submission : submissions) {
    ASSERT_FALSE(submission.answer.empty()) << submission.request.inspection_id();
    if (submission.attempts > 1) ++retried;
    ++per_household[submission.request.household_id()];
    // Asked again now, the service gives the answer its submitter got.
    v1::SubmitInspectionResponse again;
    const grpc::Status status = stub->SubmitInspection(
        ScoringHarness::Context(submission.token).get(), submission.request, &again);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(again.SerializeAsString(), submission.answer)
        << submission.request.inspection_id();
  }
  EXPECT_GT(retried, 0) << "the crash failed no submission: it came too late to test anything";
  for (const auto& [household, inspections] : per_household) {
    EXPECT_EQ(harness.PeriodScore(household, "2025Q3"), 50 * inspections)
        << "household " << household << ": an inspection counted twice or not at all";
  }
  int64_t entries = -1;
  ASSERT_TRUE(mysql::RunWithConnection(harness.admin_pool(), [&](sql::Connection& c) {
    auto rows = mysql::Statement(c, "SELECT COUNT(*) FROM ledger_entries "
                                    "WHERE source = 1 AND source_id LIKE 'crash-%'")
                    .Query();
    if (rows->next()) entries = rows->getInt64(1);
    return absl::OkStatus();
  }).ok());
  EXPECT_EQ(entries, static_cast<int64_t>(submissions.size())) << "one entry per inspection";
  harness.ExpectLedgerInvariants();
}

}  // namespace
}  // namespace jifen::scoring
