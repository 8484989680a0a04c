// Entries that reach their quarter's publicity window late (公示期顺延). The household of every
// score entry must have at least `--window_min_time_to_object` to object to it before the quarter
// becomes final, but scoring takes entries of a quarter until it is settled, also after its window
// has ended (or just before it ends). Such an entry pushes the window's end out to its recorded
// time plus that much (WindowFollower), and settlement asks scoring to refuse while any entry is
// more recent than the window allows (PublicityWindows::RunDueWork), which covers an entry the
// follower has not yet seen.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "services/publicity/domain/board_entry.h"

namespace jifen::publicity {

// Whether residents may object to `entry`: a score entry that is not itself a reversal (a
// correction is the outcome of an objection or of the admin's own review, not a new score).
bool IsObjectable(const BoardEntry& entry);

// How long one (village, quarter)'s window must at least last, because of which entry.
struct WindowDeadline {
  int64_t village_id = 0;
  std::string period;  // "YYYYQn"
  int64_t entry_sequence = 0;
  absl::Time recorded_at;   // when scoring wrote that entry
  absl::Time object_until;  // recorded_at + min_time_to_object
};

// One deadline per (village, quarter) with objectable entries in `batch`, for its most recently
// recorded one; sorted by village and period (the order rows are locked in). Entries without a
// recorded time or a valid quarter are left out.
std::vector<WindowDeadline> DeadlinesOf(const std::vector<BoardEntry>& batch,
                                        absl::Duration min_time_to_object);

}  // namespace jifen::publicity
