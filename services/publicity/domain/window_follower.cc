#include "services/publicity/domain/window_follower.h"

#include <algorithm>
#include <memory>

#include "common/status/status_macros.h"
#include "services/publicity/domain/late_entries.h"

namespace jifen::publicity {

WindowFollower::WindowFollower(WindowRepository& repository, LedgerSource& source,
                               absl::Duration min_time_to_object, Clock clock,
                               WindowFollowerOptions options)
    : repository_(repository),
      source_(source),
      min_time_to_object_(min_time_to_object),
      clock_(std::move(clock)),
      options_(options) {}

void WindowFollower::SetErrorReporter(std::function<void(const absl::Status&)> reporter) {
  error_reporter_ = std::move(reporter);
}

void WindowFollower::SetExtensionReporter(std::function<void(const WindowRecord&)> reporter) {
  extension_reporter_ = std::move(reporter);
}

absl::Status WindowFollower::FollowOnce(bool follow) {
  ASSIGN_OR_RETURN(int64_t saved_through, repository_.WindowFeedPosition());
  ASSIGN_OR_RETURN(std::unique_ptr<EntryReader> reader, source_.Open(saved_through, follow, 0));
  {
    absl::MutexLock lock(&mutex_);
    if (stopping_) return absl::CancelledError("stopping");
    current_reader_ = reader.get();
  }
  int64_t applied_through = saved_through;
  absl::Time saved_at = clock_();
  absl::Status status;
  while (true) {
    absl::StatusOr<std::vector<BoardEntry>> batch =
        reader->NextBatch(options_.batch_max, options_.idle_wait);
    if (absl::IsOutOfRange(batch.status())) break;  // a non-following replay is complete
    if (!batch.ok()) {
      status = batch.status();
      break;
    }
    if (!batch->empty()) {
      const std::vector<WindowDeadline> deadlines = DeadlinesOf(*batch, min_time_to_object_);
      if (!deadlines.empty()) {
        absl::StatusOr<std::vector<WindowRecord>> moved =
            repository_.ExtendWindows(deadlines, batch->back().sequence, clock_());
        if (!moved.ok()) {
          status = moved.status();
          break;
        }
        if (!moved->empty()) {  // the position was saved with the extensions
          saved_through = batch->back().sequence;
          saved_at = clock_();
        }
        if (extension_reporter_) {
          for (const WindowRecord& window : *moved) extension_reporter_(window);
        }
      }
      applied_through = batch->back().sequence;
    }
    if (applied_through > saved_through && clock_() - saved_at >= options_.position_save_interval) {
      status = repository_.SaveWindowFeedPosition(applied_through);
      if (!status.ok()) break;
      saved_through = applied_through;
      saved_at = clock_();
    }
  }
  {
    absl::MutexLock lock(&mutex_);
    current_reader_ = nullptr;
  }
  // Whatever ended the pass, what was applied need not be read again.
  if (applied_through > saved_through) {
    const absl::Status saved = repository_.SaveWindowFeedPosition(applied_through);
    if (status.ok()) status = saved;
  }
  return status;
}

void WindowFollower::Run() {
  absl::Duration backoff = options_.initial_backoff;
  while (true) {
    {
      absl::MutexLock lock(&mutex_);
      if (stopping_) return;
    }
    const absl::Status status = FollowOnce(/*follow=*/true);
    if (!status.ok() && error_reporter_) error_reporter_(status);
    absl::MutexLock lock(&mutex_);
    if (stopping_) return;
    if (status.ok()) {
      backoff = options_.initial_backoff;
      continue;  // a following stream ended (scoring restarted): reopen at once
    }
    // Interruptible wait: Stop() sets stopping_, which ends it.
    const auto stopping = [this]() ABSL_SHARED_LOCKS_REQUIRED(mutex_) { return stopping_; };
    mutex_.AwaitWithTimeout(absl::Condition(&stopping), backoff);
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

void WindowFollower::Stop() {
  absl::MutexLock lock(&mutex_);
  stopping_ = true;
  if (current_reader_ != nullptr) current_reader_->Cancel();
}

absl::Status WindowFollower::CatchUp() { return FollowOnce(/*follow=*/false); }

}  // namespace jifen::publicity
