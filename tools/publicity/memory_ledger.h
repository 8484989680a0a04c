// A ledger held in memory and served like scoring's StreamEntries(follow=false), for the benchmark
// only, which replays millions of entries at Redis (the real source is storage/grpc_scoring.h).
// Tests read a real scoring's stream instead. `entries` must be in sequence order.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "services/publicity/domain/ports.h"

namespace jifen::publicity {

class MemoryLedger final : public LedgerSource {
 public:
  absl::StatusOr<std::unique_ptr<EntryReader>> Open(int64_t after, bool, int64_t) override {
    const auto first = std::upper_bound(
        entries.begin(), entries.end(), after,
        [](int64_t value, const BoardEntry& entry) { return value < entry.sequence; });
    return std::make_unique<Reader>(entries, static_cast<size_t>(first - entries.begin()));
  }

  std::vector<BoardEntry> entries;

 private:
  // Reads the ledger in place: a rebuild benchmark replays millions of entries.
  class Reader final : public EntryReader {
   public:
    Reader(const std::vector<BoardEntry>& entries, size_t first)
        : entries_(entries), next_(first) {}
    absl::StatusOr<std::vector<BoardEntry>> NextBatch(size_t max, absl::Duration) override {
      if (next_ >= entries_.size()) return absl::OutOfRangeError("end of stream");
      const size_t end = std::min(entries_.size(), next_ + max);
      std::vector<BoardEntry> batch(entries_.begin() + next_, entries_.begin() + end);
      next_ = end;
      return batch;
    }
    void Cancel() override {}

   private:
    const std::vector<BoardEntry>& entries_;
    size_t next_;
  };
};

}  // namespace jifen::publicity
