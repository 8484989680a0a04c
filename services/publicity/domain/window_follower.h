// Follows scoring's ledger stream for entries that reach their quarter's publicity window late
// (late_entries.h) and moves those windows' ends out, so that the household of every entry has at
// least `min_time_to_object` to object before the quarter becomes final. Runs beside the board
// feeder but apart from it: its position is kept with the windows in MariaDB and moves in the
// same transaction as the extensions it made, so boards in Redis being down or rebuilt never
// hold it up and no entry is skipped; applying an entry twice changes nothing.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/publicity/domain/ports.h"
#include "services/publicity/domain/windows.h"

namespace jifen::publicity {

struct WindowFollowerOptions {
  size_t batch_max = 2000;  // entries per pass over the windows
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);
  absl::Duration idle_wait = absl::Seconds(1);  // how long NextBatch waits for entries
  // A position with no extension is saved at most this often: re-reading that much after a
  // restart is harmless, a commit per stream batch is not.
  absl::Duration position_save_interval = absl::Seconds(1);
};

class WindowFollower final {
 public:
  using Clock = std::function<absl::Time()>;

  // `min_time_to_object` > 0 (a zero one turns extensions off: don't run a follower).
  WindowFollower(WindowRepository& repository, LedgerSource& source,
                 absl::Duration min_time_to_object, Clock clock,
                 WindowFollowerOptions options = {});

  // Told of every failed attempt in Run() (for logs), and of every window moved, from Run's
  // thread.
  void SetErrorReporter(std::function<void(const absl::Status&)> reporter);
  void SetExtensionReporter(std::function<void(const WindowRecord&)> reporter);

  // Follows the stream until Stop(); failures (scoring or MariaDB down) are retried with backoff.
  void Run();
  // Ends Run() promptly. Thread-safe.
  void Stop();
  // Applies everything the ledger holds now and saves the position, then returns (for tests).
  absl::Status CatchUp();

 private:
  absl::Status FollowOnce(bool follow);

  WindowRepository& repository_;
  LedgerSource& source_;
  const absl::Duration min_time_to_object_;
  const Clock clock_;
  const WindowFollowerOptions options_;
  std::function<void(const absl::Status&)> error_reporter_;
  std::function<void(const WindowRecord&)> extension_reporter_;
  absl::Mutex mutex_;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  EntryReader* current_reader_ ABSL_GUARDED_BY(mutex_) = nullptr;
};

}  // namespace jifen::publicity
