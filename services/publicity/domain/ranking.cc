#include "services/publicity/domain/ranking.h"

#include <algorithm>

namespace jifen::publicity {

void AssignRanks(std::vector<RankedRow>& rows, int64_t first_position,
                 int64_t households_above_first) {
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i == 0) {
      rows[i].rank = static_cast<int32_t>(households_above_first + 1);
    } else if (rows[i].points == rows[i - 1].points) {
      rows[i].rank = rows[i - 1].rank;
    } else {
      // Every row before this one has strictly more points.
      rows[i].rank = static_cast<int32_t>(first_position + static_cast<int64_t>(i) + 1);
    }
  }
}

void RankWholeBoard(std::vector<RankedRow>& rows) {
  std::sort(rows.begin(), rows.end(), RanksBefore);
  AssignRanks(rows, 0, 0);
}

}  // namespace jifen::publicity
