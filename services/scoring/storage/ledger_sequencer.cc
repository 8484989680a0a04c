#include "services/scoring/storage/ledger_sequencer.h"

#include <algorithm>

namespace jifen::scoring {

LedgerSequencer::Ticket::~Ticket() {
  if (sequencer_ != nullptr) sequencer_->Finish(id_);
}

void LedgerSequencer::Ticket::Allocated(int64_t first_sequence, int64_t last_sequence) {
  sequencer_->Allocate(id_, first_sequence, last_sequence);
}

LedgerSequencer::Ticket LedgerSequencer::Begin() {
  absl::MutexLock lock(&mutex_);
  const int64_t id = next_ticket_++;
  // Anything this transaction inserts will be above what was allocated so far.
  safe_bound_[id] = max_allocated_;
  return Ticket(this, id);
}

void LedgerSequencer::Allocate(int64_t id, int64_t first, int64_t last) {
  absl::MutexLock lock(&mutex_);
  safe_bound_[id] = first - 1;
  max_allocated_ = std::max(max_allocated_, last);
}

void LedgerSequencer::Finish(int64_t id) {
  absl::MutexLock lock(&mutex_);
  safe_bound_.erase(id);
}

int64_t LedgerSequencer::WatermarkLocked() const {
  int64_t watermark = max_allocated_;
  for (const auto& [id, bound] : safe_bound_) watermark = std::min(watermark, bound);
  return watermark;
}

int64_t LedgerSequencer::StableWatermark() const {
  absl::MutexLock lock(&mutex_);
  return WatermarkLocked();
}

int64_t LedgerSequencer::WaitBeyond(int64_t above, absl::Duration timeout) const {
  absl::MutexLock lock(&mutex_);
  auto passed = [this, above]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    return WatermarkLocked() > above;
  };
  mutex_.AwaitWithTimeout(absl::Condition(&passed), timeout);
  return WatermarkLocked();
}

}  // namespace jifen::scoring
