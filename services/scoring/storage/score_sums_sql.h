// How a village's awards and deductions of a period are summed from its score entries.
#pragma once

namespace jifen::scoring {

// A reversal counts with the entry it reverses: taking back an award lowers the awards and is not
// a deduction, and taking back a deduction lowers the deductions. An original entry is an award
// when positive; its reversal has the opposite sign. So awards stay >= 0 and deductions <= 0, and a
// corrected mistake leaves both as if it had never been entered.
inline constexpr char kAwardsSumSql[] =
    "COALESCE(SUM(CASE WHEN (points > 0) = (reverses_sequence IS NULL) THEN points ELSE 0 END), 0)";
inline constexpr char kDeductionsSumSql[] =
    "COALESCE(SUM(CASE WHEN (points > 0) = (reverses_sequence IS NULL) THEN 0 ELSE points END), 0)";

}  // namespace jifen::scoring
