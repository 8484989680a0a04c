#include "common/health/bounded_check.h"

#include <gtest/gtest.h>

#include <atomic>

#include "absl/synchronization/notification.h"

namespace jifen::health {
namespace {

TEST(BoundedCheckTest, PassesTheChecksAnswerOn) {
  BoundedCheck ok([] { return absl::OkStatus(); }, absl::Seconds(30));
  EXPECT_TRUE(ok.Check().ok());
  BoundedCheck down([] { return absl::UnavailableError("database away"); }, absl::Seconds(30));
  EXPECT_EQ(down.Check(), absl::UnavailableError("database away"));
}

TEST(BoundedCheckTest, AHungCheckIsReportedAndNotStartedAgainUntilItReturns) {
  absl::Notification release;
  std::atomic<int> calls{0};
  BoundedCheck check(
      [&] {
        ++calls;
        release.WaitForNotification();
        return absl::OkStatus();
      },
      absl::Milliseconds(20));
  for (int poll = 0; poll < 3; ++poll) {
    EXPECT_EQ(check.Check().code(), absl::StatusCode::kDeadlineExceeded);
  }
  EXPECT_EQ(calls.load(), 1);
  release.Notify();
  // The hung check answers at last; from then on each poll starts a check of its own.
  absl::Status answer;
  for (int poll = 0; poll < 1000 && !(answer = check.Check()).ok(); ++poll) {
  }
  EXPECT_TRUE(answer.ok()) << answer;
  const int answered = calls.load();
  EXPECT_TRUE(check.Check().ok());
  EXPECT_EQ(calls.load(), answered + 1);
}

}  // namespace
}  // namespace jifen::health
