// The boards' storage, as the rules need it. Implemented over Redis by storage/RedisBoardStore;
// tests use the real one against the test Redis.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/publicity/domain/board_entry.h"
#include "services/publicity/domain/period.h"
#include "services/publicity/domain/ranking.h"

namespace jifen::publicity {

enum class BoardScope { kVillage, kGroup, kTown, kDistrict };

struct BoardKey {
  BoardScope scope = BoardScope::kVillage;
  int64_t village_id = 0;  // kVillage, kGroup
  int64_t group_id = 0;    // kGroup
  int64_t town_id = 0;     // kTown
  Period period;           // quarter or year; kTown and kDistrict: year only
};

// INVALID_ARGUMENT naming what is missing or wrong.
absl::Status ValidateBoardKey(const BoardKey& key);
// "village 12 2025Q3", "village 12 group 3 2025", "town 2 2025", "district 2025".
std::string DescribeBoard(const BoardKey& key);

// Where the next page starts: after this row in ranking order.
struct PageCursor {
  int64_t points = 0;
  int64_t household_id = 0;
};

struct BoardPage {
  std::vector<RankedRow> rows;                     // ranking order, ranks filled
  int64_t households = 0;                          // on the whole board
  bool has_more = false;                           // rows follow the last one returned
  int64_t applied_sequence = 0;                    // village boards: the village's cursor
  absl::Time refreshed_at = absl::InfinitePast();  // town/district boards: last refresh
};

struct StandingView {
  bool on_board = false;
  RankedRow row;
  std::vector<RankedRow> above;  // ranking order (nearest last)
  std::vector<RankedRow> below;  // ranking order (nearest first)
  int64_t households = 0;
  int64_t applied_sequence = 0;
};

// Everything Redis holds for one village, read atomically with its cursor.
struct VillageSnapshot {
  int64_t applied_sequence = 0;
  // DescribeBoard(key) -> household -> points.
  absl::flat_hash_map<std::string, absl::flat_hash_map<int64_t, int64_t>> boards;
  // quarter -> category -> household -> net deduction points.
  absl::flat_hash_map<std::string,
                      absl::flat_hash_map<std::string, absl::flat_hash_map<int64_t, int64_t>>>
      deductions;
};

class BoardStore {
 public:
  virtual ~BoardStore() = default;

  // --- feeding ---
  // The global stream position from which to resume (every entry at or below it is applied to
  // its village), or nullopt when the boards are missing (never built, emptied, or a rebuild was
  // requested): the feeder must then ResetAll() and replay from 0.
  virtual absl::StatusOr<std::optional<int64_t>> ResumePoint() = 0;
  // Deletes every board, cursor and aggregate, then sets the resume point to 0.
  virtual absl::Status ResetAll() = 0;
  // Applies each entry to its village's boards unless the village's cursor is already at or past
  // it, moving the cursor in the same atomic step. Entries must come in stream order. Returns how
  // many were newly applied. A partial failure leaves every entry either applied once or not at
  // all, so the caller simply retries the batch.
  virtual absl::StatusOr<int64_t> Apply(const std::vector<BoardEntry>& entries) = 0;
  // Moves the resume point forward to `sequence`. Returns false (and changes nothing) when the
  // resume point has vanished, i.e. the boards were emptied under the feeder.
  virtual absl::StatusOr<bool> AdvanceResumePoint(int64_t sequence) = 0;
  // Makes the next ResumePoint() return nullopt.
  virtual absl::Status RequestRebuild() = 0;

  // --- reading ---
  virtual absl::StatusOr<BoardPage> ReadPage(const BoardKey& key,
                                             const std::optional<PageCursor>& after,
                                             int page_size) = 0;
  // `neighbours` rows above and below.
  virtual absl::StatusOr<StandingView> ReadStanding(const BoardKey& key, int64_t household_id,
                                                    int neighbours) = 0;
  // The whole board, ranking order with ranks (town and district aggregation, red/black lists).
  virtual absl::StatusOr<std::vector<RankedRow>> ReadAll(const BoardKey& key) = 0;
  virtual absl::StatusOr<VillageSnapshot> ReadVillage(int64_t village_id) = 0;
  // Every village that has boards.
  virtual absl::StatusOr<std::vector<int64_t>> ListVillages() = 0;

  // --- town and district aggregates ---
  // Replaces the whole board `key` (kTown or kDistrict) with `rows`, atomically for readers.
  virtual absl::Status ReplaceAggregate(const BoardKey& key, const std::vector<RankedRow>& rows,
                                        absl::Time refreshed_at) = 0;
};

}  // namespace jifen::publicity
