// A readiness check that answers within a limit whatever the check does. A database that still
// accepts TCP but never answers (frozen, its disk hung) blocks a `SELECT 1` until the driver's
// read timeout (30 s): meanwhile a health poller keeps reporting the last state, and a /healthz
// request hangs instead of saying 503. Here the check runs on its own thread; a caller waits at
// most `limit` for its answer and otherwise reports it unanswered (DEADLINE_EXCEEDED). A check
// still running is not started again, so a hung database costs one thread, not one per poll;
// callers that arrive meanwhile wait for that same check.
#pragma once

#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace jifen::health {

class BoundedCheck final {
 public:
  BoundedCheck(std::function<absl::Status()> check, absl::Duration limit);
  // Waits for a check in progress to return (at most the check's own timeout).
  ~BoundedCheck();
  BoundedCheck(const BoundedCheck&) = delete;
  BoundedCheck& operator=(const BoundedCheck&) = delete;

  // The check's answer, or DEADLINE_EXCEEDED when it gave none within the limit. Thread-safe.
  absl::Status Check();

 private:
  void Run();

  const std::function<absl::Status()> check_;
  const absl::Duration limit_;
  absl::Mutex mutex_;
  absl::CondVar changed_;
  bool running_ ABSL_GUARDED_BY(mutex_) = false;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  long long started_ ABSL_GUARDED_BY(mutex_) = 0;   // checks begun
  long long finished_ ABSL_GUARDED_BY(mutex_) = 0;  // checks answered
  absl::Status answer_ ABSL_GUARDED_BY(mutex_);     // of the last one answered
  std::thread thread_;
};

}  // namespace jifen::health
