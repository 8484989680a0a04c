// Score periods are calendar quarters in Asia/Shanghai (UTC+8, no daylight saving), named "2025Q3".
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace jifen::scoring {

absl::TimeZone ShanghaiTime();

// The period containing `when`, e.g. "2025Q3".
std::string PeriodOf(absl::Time when);

struct PeriodBounds {
  absl::Time start;  // inclusive
  absl::Time end;    // exclusive: the first instant of the next quarter
};
// INVALID_ARGUMENT "period: ..." unless `period` is "YYYYQn" with 2000 <= YYYY <= 2100 and n in
// 1..4.
absl::StatusOr<PeriodBounds> BoundsOf(absl::string_view period);

// "YYYY-MM-DD" to the first instant of that day in Shanghai. INVALID_ARGUMENT on bad input, its
// message led by `field` (the request field the date came in: "field: ...").
absl::StatusOr<absl::Time> ParseDate(absl::string_view date, absl::string_view field = "date");
std::string FormatDate(absl::Time when);  // "YYYY-MM-DD" in Shanghai
int YearOf(absl::Time when);

}  // namespace jifen::scoring
