// The ranking rule of every board (stated in proto/jifen/publicity/v1/boards.proto): points
// highest first, ties by household_id lowest first; rank = 1 + households with strictly more
// points (competition ranking, "1, 2, 2, 4").
#pragma once

#include <cstdint>
#include <vector>

namespace jifen::publicity {

struct RankedRow {
  int64_t household_id = 0;
  int64_t points = 0;
  int32_t rank = 0;
  int64_t village_id = 0;  // the household's village (filled by reads; 0 when not known)
};

// True if `a` comes before `b` in ranking order.
inline bool RanksBefore(const RankedRow& a, const RankedRow& b) {
  if (a.points != b.points) return a.points > b.points;
  return a.household_id < b.household_id;
}

// Fills rank for `rows`, which are consecutive rows of a board in ranking order, the first at
// 0-based position `first_position` with `households_above_first` households having strictly more
// points than it.
void AssignRanks(std::vector<RankedRow>& rows, int64_t first_position,
                 int64_t households_above_first);

// Sorts `rows` into ranking order and assigns ranks from the top (a whole board).
void RankWholeBoard(std::vector<RankedRow>& rows);

}  // namespace jifen::publicity
