// An in-memory TrailRepository for unit tests; `records` and `checkpoints` may be edited by tests
// to simulate tampering.
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/audit/domain/trail.h"

namespace jifen::audit {

class FakeTrailRepository final : public TrailRepository {
 public:
  absl::StatusOr<AppendOutcome> Append(const std::vector<TrailRecord>& reported, int64_t now_ms,
                                       const Hasher& hasher) override {
    AppendOutcome outcome;
    RawHash previous{};
    if (!records.empty()) FromHex(records.back().hash, &previous);
    for (const TrailRecord& r : reported) {
      const bool seen = std::any_of(records.begin(), records.end(), [&](const TrailRecord& x) {
        return x.source_service == r.source_service && x.outbox_id == r.outbox_id;
      });
      if (seen) {
        ++outcome.duplicates;
        continue;
      }
      TrailRecord stored = r;
      stored.sequence = static_cast<int64_t>(records.size()) + 1;
      stored.received_at_ms = std::max(now_ms, records.empty() ? 0 : records.back().received_at_ms);
      previous = ChainHash(hasher, previous, stored);
      stored.hash = ToHex(previous);
      records.push_back(std::move(stored));
      ++outcome.appended;
    }
    outcome.head_sequence = static_cast<int64_t>(records.size());
    return outcome;
  }
  absl::Status Scan(int64_t after_sequence,
                    const std::function<bool(const TrailRecord&)>& visit) override {
    bool started = after_sequence == 0;
    for (const TrailRecord& r : records) {
      if (!started) {
        started = r.sequence == after_sequence;
        continue;
      }
      if (!visit(r)) break;
    }
    return absl::OkStatus();
  }
  absl::StatusOr<std::optional<TrailRecord>> Get(int64_t sequence) override {
    for (const TrailRecord& r : records) {
      if (r.sequence == sequence) return r;
    }
    return std::nullopt;
  }
  absl::StatusOr<std::vector<TrailRecord>> List(const RecordFilter& filter) override {
    std::vector<TrailRecord> out;
    for (const TrailRecord& r : records) {
      if (r.sequence > filter.after_sequence) out.push_back(r);
    }
    return out;
  }
  absl::StatusOr<ChainHead> HeadBefore(int64_t before_ms) override {
    ChainHead head{0, kZeroHashHex};
    for (const TrailRecord& r : records) {
      if (r.received_at_ms < before_ms) head = {r.sequence, r.hash};
    }
    return head;
  }
  absl::Status InsertCheckpoint(const Checkpoint& checkpoint) override {
    if (!checkpoints.emplace(checkpoint.date, checkpoint).second) {
      return absl::AlreadyExistsError(checkpoint.date);
    }
    return absl::OkStatus();
  }
  absl::StatusOr<std::optional<Checkpoint>> GetCheckpoint(const std::string& date) override {
    auto it = checkpoints.find(date);
    if (it == checkpoints.end()) return std::nullopt;
    return it->second;
  }
  absl::StatusOr<std::vector<Checkpoint>> ListCheckpoints(const std::string& from_date,
                                                          const std::string& to_date,
                                                          int limit) override {
    std::vector<Checkpoint> out;
    for (auto it = checkpoints.rbegin(); it != checkpoints.rend(); ++it) {
      if (static_cast<int>(out.size()) < limit) out.push_back(it->second);
    }
    return out;
  }

  std::vector<TrailRecord> records;
  std::map<std::string, Checkpoint> checkpoints;
};

}  // namespace jifen::audit
