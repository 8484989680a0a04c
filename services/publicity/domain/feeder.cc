#include "services/publicity/domain/feeder.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"

namespace jifen::publicity {

BoardFeeder::BoardFeeder(BoardStore& store, LedgerSource& source, FeederOptions options)
    : store_(store), source_(source), options_(options) {}

void BoardFeeder::SetListener(Listener listener) { listener_ = std::move(listener); }

void BoardFeeder::SetErrorReporter(std::function<void(const absl::Status&)> reporter) {
  error_reporter_ = std::move(reporter);
}

int64_t BoardFeeder::entries_applied() const {
  absl::MutexLock lock(&mutex_);
  return entries_applied_;
}

absl::Status BoardFeeder::FeedOnce(bool follow) {
  ASSIGN_OR_RETURN(std::optional<int64_t> resume, store_.ResumePoint());
  if (!resume.has_value()) {
    // Never built, emptied (FLUSHALL, a restart without persistence) or a rebuild was asked for.
    // Partial leftovers (a batch applied while the flush happened) are wiped so that no village
    // cursor claims entries its boards lack.
    RETURN_IF_ERROR(store_.ResetAll());
    resume = 0;
  }
  ASSIGN_OR_RETURN(std::unique_ptr<EntryReader> reader, source_.Open(*resume, follow, 0));
  {
    absl::MutexLock lock(&mutex_);
    if (stopping_) return absl::CancelledError("stopping");
    current_reader_ = reader.get();
  }
  absl::Status status;
  while (true) {
    absl::StatusOr<std::vector<BoardEntry>> batch =
        reader->NextBatch(options_.batch_max, options_.idle_check);
    if (absl::IsOutOfRange(batch.status())) break;  // a non-following replay is complete
    if (!batch.ok()) {
      status = batch.status();
      break;
    }
    if (batch->empty()) {
      // Idle: an emptied Redis would otherwise go unnoticed until the next entry arrives.
      absl::StatusOr<std::optional<int64_t>> resume = store_.ResumePoint();
      if (!resume.ok()) {
        status = resume.status();
        break;
      }
      if (!resume->has_value()) {
        status = absl::AbortedError("the boards were emptied; rebuilding");
        break;
      }
      continue;
    }
    absl::StatusOr<int64_t> applied = store_.Apply(*batch);
    if (!applied.ok()) {
      status = applied.status();
      break;
    }
    absl::StatusOr<bool> advanced = store_.AdvanceResumePoint(batch->back().sequence);
    if (!advanced.ok()) {
      status = advanced.status();
      break;
    }
    {
      absl::MutexLock lock(&mutex_);
      entries_applied_ += *applied;
    }
    if (!*advanced) {
      status = absl::AbortedError("the boards were emptied while feeding; rebuilding");
      break;
    }
    if (listener_) listener_(*batch);
  }
  {
    absl::MutexLock lock(&mutex_);
    current_reader_ = nullptr;
  }
  return status;
}

void BoardFeeder::Run() {
  absl::Duration backoff = options_.initial_backoff;
  while (true) {
    {
      absl::MutexLock lock(&mutex_);
      if (stopping_) return;
    }
    const absl::Status status = FeedOnce(/*follow=*/true);
    if (!status.ok() && error_reporter_) error_reporter_(status);
    absl::MutexLock lock(&mutex_);
    if (stopping_) return;
    if (status.ok() || absl::IsAborted(status)) {
      backoff = options_.initial_backoff;
      continue;  // a following stream ended (scoring restarted) or a rebuild: reopen at once
    }
    // Interruptible wait: Stop() sets stopping_, which ends it.
    const auto stopping = [this]() ABSL_SHARED_LOCKS_REQUIRED(mutex_) { return stopping_; };
    mutex_.AwaitWithTimeout(absl::Condition(&stopping), backoff);
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

void BoardFeeder::Stop() {
  absl::MutexLock lock(&mutex_);
  stopping_ = true;
  if (current_reader_ != nullptr) current_reader_->Cancel();
}

absl::Status BoardFeeder::CatchUp() {
  // A rebuild discovered mid-way (boards emptied) needs a second pass; more would mean Redis is
  // being emptied continuously.
  absl::Status status;
  for (int attempt = 0; attempt < 3; ++attempt) {
    status = FeedOnce(/*follow=*/false);
    if (!absl::IsAborted(status)) return status;
  }
  return status;
}

}  // namespace jifen::publicity
