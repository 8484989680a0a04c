#include "services/publicity/domain/board_entry.h"

#include "services/publicity/domain/period.h"

namespace jifen::publicity {

BoardEffect EffectOf(const BoardEntry& entry) {
  BoardEffect effect;
  if (!entry.score_account || entry.household_id <= 0) return effect;
  const absl::StatusOr<Period> quarter = ParseQuarter(entry.period);
  if (!quarter.ok()) return effect;
  effect.moves_boards = true;
  effect.quarter = quarter->Name();
  effect.year = quarter->Year().Name();
  effect.points_delta = entry.points;
  const bool is_reversal = entry.reverses_sequence != 0;
  const bool touches_deductions = !entry.category.empty() && ((!is_reversal && entry.points < 0) ||
                                                              (is_reversal && entry.points > 0));
  if (touches_deductions) {
    effect.deduction_delta = entry.points;
    effect.category = entry.category;
  }
  return effect;
}

}  // namespace jifen::publicity
