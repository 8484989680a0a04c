// Score periods are calendar quarters in Asia/Shanghai (UTC+8, no daylight saving), named "2025Q3".
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/time/shanghai.h"

namespace jifen::scoring {

using ::jifen::time::ShanghaiTime;

// The period containing `when`, e.g. "2025Q3".
std::string PeriodOf(absl::Time when);

struct PeriodBounds {
  absl::Time start;  // inclusive
  absl::Time end;    // exclusive: the first instant of the next quarter
};
// The years a period may name.
inline constexpr int kFirstPeriodYear = 2000;
inline constexpr int kLastPeriodYear = 2100;

// INVALID_ARGUMENT unless `period` is "YYYYQn" with kFirstPeriodYear <= YYYY <= kLastPeriodYear
// and n in 1..4. The message starts "period: " and says which of those is wrong.
absl::StatusOr<PeriodBounds> BoundsOf(absl::string_view period);

// "YYYY-MM-DD" to the first instant of that day in Shanghai. INVALID_ARGUMENT on bad input, its
// message led by `field` (the request field the date came in: "field: ...").
absl::StatusOr<absl::Time> ParseDate(absl::string_view date, absl::string_view field = "date");
std::string FormatDate(absl::Time when);  // "YYYY-MM-DD" in Shanghai
int YearOf(absl::Time when);

}  // namespace jifen::scoring
