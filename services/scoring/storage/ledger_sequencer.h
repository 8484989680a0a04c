// The stream watermark: the highest sequence below which every ledger transaction of this process
// has committed or rolled back. MariaDB hands out AUTO_INCREMENT values at insert time, not commit
// time, so a reader that followed "sequence > cursor" alone could pass an entry that commits later
// and miss it for ever. Writers hold a ticket from before their first insert until after commit;
// StreamEntries emits only entries at or below StableWatermark().
//
// This relies on the scoring process being the ledger's only writer (architecture.md: a service
// owns its schema).
#pragma once

#include <cstdint>
#include <map>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace jifen::scoring {

class LedgerSequencer final {
 public:
  class Ticket final {
   public:
    Ticket(Ticket&& other) noexcept : sequencer_(other.sequencer_), id_(other.id_) {
      other.sequencer_ = nullptr;
    }
    Ticket(const Ticket&) = delete;
    ~Ticket();
    // Report sequences allocated by the current attempt of the transaction (may be called again
    // after a retried attempt).
    void Allocated(int64_t first_sequence, int64_t last_sequence);

   private:
    friend class LedgerSequencer;
    Ticket(LedgerSequencer* sequencer, int64_t id) : sequencer_(sequencer), id_(id) {}
    LedgerSequencer* sequencer_;
    int64_t id_;
  };

  // `max_committed` is MAX(sequence) of the ledger at start.
  explicit LedgerSequencer(int64_t max_committed) : max_allocated_(max_committed) {}

  // Take before the transaction's first insert into the ledger; destroy after commit/rollback.
  Ticket Begin();

  int64_t StableWatermark() const;

  // Blocks until the watermark passes `above` or `timeout` elapses; returns the watermark.
  int64_t WaitBeyond(int64_t above, absl::Duration timeout) const;

 private:
  int64_t WatermarkLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void Finish(int64_t id);
  void Allocate(int64_t id, int64_t first, int64_t last);

  mutable absl::Mutex mutex_;
  int64_t next_ticket_ ABSL_GUARDED_BY(mutex_) = 1;
  int64_t max_allocated_ ABSL_GUARDED_BY(mutex_);
  // ticket id -> the highest sequence that is safe while this ticket is open.
  std::map<int64_t, int64_t> safe_bound_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace jifen::scoring
