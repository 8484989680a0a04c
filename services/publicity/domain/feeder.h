// Feeds the boards from the ledger stream: exactly once per entry (the store moves each village's
// cursor atomically with its boards), resuming from the store's resume point after a restart, and
// rebuilding everything from sequence 0 when the boards were emptied.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/publicity/domain/board_store.h"
#include "services/publicity/domain/ports.h"

namespace jifen::publicity {

struct FeederOptions {
  size_t batch_max = 2000;  // entries per store round trip
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);
  // While the stream is idle, how often to check that the boards were not emptied meanwhile.
  absl::Duration idle_check = absl::Seconds(1);
};

class BoardFeeder final {
 public:
  // Called after each batch was applied (also for entries another feeder applied first), from the
  // feeder's thread. Must not block for long.
  using Listener = std::function<void(const std::vector<BoardEntry>& batch)>;

  BoardFeeder(BoardStore& store, LedgerSource& source, FeederOptions options = {});

  void SetListener(Listener listener);
  // Told of every failed attempt in Run() (for logs), from the feeder's thread.
  void SetErrorReporter(std::function<void(const absl::Status&)> reporter);

  // Follows the stream until Stop(); failures (scoring or Redis down) are retried with backoff.
  void Run();
  // Ends Run() promptly. Thread-safe.
  void Stop();

  // Applies everything the ledger holds now, then returns (for tools and tests).
  absl::Status CatchUp();

  int64_t entries_applied() const;

 private:
  absl::Status FeedOnce(bool follow);

  BoardStore& store_;
  LedgerSource& source_;
  const FeederOptions options_;
  Listener listener_;
  std::function<void(const absl::Status&)> error_reporter_;
  mutable absl::Mutex mutex_;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  EntryReader* current_reader_ ABSL_GUARDED_BY(mutex_) = nullptr;
  int64_t entries_applied_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace jifen::publicity
