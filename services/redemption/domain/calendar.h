// Calendar arithmetic in Asia/Shanghai (UTC+8, no daylight saving since 1991, so a fixed offset is
// exact and needs no tzdata).
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "services/redemption/domain/model.h"

namespace jifen::redemption {

// The limit period an instant falls in: "2026-11" (month), "2026Q4" (quarter), "2026" (year).
std::string LimitPeriodKey(int64_t unix_ms, LimitPeriod period);

// Unix milliseconds of January 1st, 00:00 of `year` in Asia/Shanghai.
int64_t YearStartMs(int32_t year);

// True for a real calendar date written "YYYY-MM-DD".
bool IsValidDate(absl::string_view date);

// "YYYY-MM-DD HH:MM:SS" in Asia/Shanghai; "" for 0.
std::string FormatLocalTime(int64_t unix_ms);

// "YYYY-MM-DD" in Asia/Shanghai.
std::string LocalDate(int64_t unix_ms);

// "YYYYMMDD" in Asia/Shanghai.
std::string FormatCompactDate(int64_t unix_ms);

}  // namespace jifen::redemption
