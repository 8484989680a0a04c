// BoardStore over Redis 7. Layout (P = the configured key prefix, e.g. "publicity:"):
//
//   P{v<V>}:c                 village V's cursor: last ledger sequence applied to its boards
//   P{v<V>}:b:<period>        village board, sorted set; <period> is "2025Q3" or "2025"
//   P{v<V>}:g<G>:<period>     group G's board
//   P{v<V>}:d:<quarter>:<cat> net deduction points per household in a rule-item category
//   P{v<V>}:i                 set of the suffixes above that exist (for reads and reconcile)
//   P{t<T>}:town:<year>       town T's yearly board (+ ":at", refresh time in Unix ms, and
//                             ":villages", a hash household -> village)
//   P{d}:district:<year>      the district's yearly board (+ ":at", ":villages")
//   P{g}:resume               global stream resume point; its absence means "rebuild"
//   P{g}:villages             set of village ids that have boards
//
// Every key of one village shares the hash tag {v<V>}, so one Lua script applies a batch of the
// village's entries to all of them and moves the cursor atomically, also on a Redis Cluster. Board
// members are household ids zero-padded to 19 digits and scores are the NEGATED points: ascending
// order (ZRANGE) is then exactly the ranking order "points desc, household_id asc" (equal scores
// sort by member bytes), and "households with more points" is one ZCOUNT. Town and district boards
// live under other tags; they are materialised views that the aggregator rewrites (build + RENAME),
// never fed from the stream, so they cannot double-count.
//
// Pages of village and group boards are cached (BoardPageCache) under the village cursor they were
// read with and served again while the cursor has the same value: known from a CursorTracker
// when one is given (no round trip), else by a GET.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/redis/redis_client.h"
#include "services/publicity/domain/board_store.h"
#include "services/publicity/storage/board_page_cache.h"
#include "services/publicity/storage/cursor_tracker.h"

namespace jifen::publicity {

class RedisBoardStore final : public BoardStore {
 public:
  // `pool` and `cursors` (optional) must outlive the store. `prefix` must not contain '{' or '}'.
  // `cursors` must track the same Redis server as `pool`.
  RedisBoardStore(redis::RedisPool& pool, std::string prefix, CursorTracker* cursors = nullptr);

  absl::StatusOr<std::optional<int64_t>> ResumePoint() override;
  absl::Status ResetAll() override;
  absl::StatusOr<int64_t> Apply(const std::vector<BoardEntry>& entries) override;
  absl::StatusOr<bool> AdvanceResumePoint(int64_t sequence) override;
  absl::Status RequestRebuild() override;

  absl::StatusOr<BoardPage> ReadPage(const BoardKey& key, const std::optional<PageCursor>& after,
                                     int page_size) override;
  absl::StatusOr<StandingView> ReadStanding(const BoardKey& key, int64_t household_id,
                                            int neighbours) override;
  absl::StatusOr<std::vector<RankedRow>> ReadAll(const BoardKey& key) override;
  absl::StatusOr<VillageSnapshot> ReadVillage(int64_t village_id) override;
  absl::StatusOr<std::vector<int64_t>> ListVillages() override;
  absl::Status ReplaceAggregate(const BoardKey& key, const std::vector<RankedRow>& rows,
                                absl::Time refreshed_at) override;

  // The Redis key of a board (for tools and benchmarks).
  std::string BoardKeyName(const BoardKey& key) const;
  static std::string Member(int64_t household_id);

 private:
  // A page and the side key's value ("" if absent) read with it in one atomic step.
  struct PageRead {
    BoardPage page;
    std::string side;
  };

  absl::StatusOr<PageRead> ReadPageFromRedis(redis::RedisClient& client, const BoardKey& key,
                                             const std::optional<PageCursor>& after, int page_size);
  std::string VillageTag(int64_t village_id) const;
  // The key whose value goes with a board's reads: the village cursor, or the refresh time.
  std::string SideKeyName(const BoardKey& key) const;
  // Sets village_id of each row: the board's village, or from the aggregate's village map.
  absl::Status FillVillages(const BoardKey& key, std::vector<RankedRow>& rows);
  // The EVALSHA applying `entries` (all of `village_id`, in stream order).
  std::vector<std::string> ApplyCommand(const std::string& sha, int64_t village_id,
                                        const std::vector<const BoardEntry*>& entries);
  absl::StatusOr<std::string> ApplyScriptSha(redis::RedisClient& client, bool reload);

  redis::RedisPool& pool_;
  const std::string prefix_;
  CursorTracker* const cursors_;  // may be null
  absl::Mutex mutex_;
  std::string apply_sha_ ABSL_GUARDED_BY(mutex_);
  BoardPageCache page_cache_;
};

}  // namespace jifen::publicity
