// Score periods: quarters "YYYYQn" and years "YYYY", in Asia/Shanghai (UTC+8, no daylight saving
// since 1991, so a fixed offset is exact and needs no tzdata).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/time/shanghai.h"

namespace jifen::publicity {

struct Period {
  int year = 0;     // 2000..2100
  int quarter = 0;  // 1..4, or 0 for a whole year

  bool is_quarter() const { return quarter != 0; }
  // "2025Q3" or "2025".
  std::string Name() const;
  // The year containing this period.
  Period Year() const { return Period{year, 0}; }
  // The first instant of the period and the first instant after it.
  absl::Time Start() const;
  absl::Time End() const;
};

// INVALID_ARGUMENT unless `text` is "YYYYQn" (n in 1..4) or "YYYY", with the year in 2000..2100.
absl::StatusOr<Period> ParsePeriod(absl::string_view text);
// The same, but only quarters are accepted.
absl::StatusOr<Period> ParseQuarter(absl::string_view text);

using ::jifen::time::ShanghaiTime;

}  // namespace jifen::publicity
