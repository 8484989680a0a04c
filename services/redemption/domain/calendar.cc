#include "services/redemption/domain/calendar.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/time/shanghai.h"

namespace jifen::redemption {

using ::jifen::time::ShanghaiTime;

namespace {

absl::CivilSecond LocalSecond(int64_t unix_ms) {
  return absl::ToCivilSecond(absl::FromUnixMillis(unix_ms), ShanghaiTime());
}

}  // namespace

std::string LimitPeriodKey(int64_t unix_ms, LimitPeriod period) {
  const absl::CivilSecond local = LocalSecond(unix_ms);
  switch (period) {
    case LimitPeriod::kMonth:
      return absl::StrFormat("%04d-%02d", local.year(), local.month());
    case LimitPeriod::kYear:
      return absl::StrFormat("%04d", local.year());
    case LimitPeriod::kQuarter:
      break;
  }
  return absl::StrFormat("%04dQ%d", local.year(), (local.month() - 1) / 3 + 1);
}

int64_t YearStartMs(int32_t year) {
  return absl::ToUnixMillis(absl::FromCivil(absl::CivilDay(year, 1, 1), ShanghaiTime()));
}

bool IsValidDate(absl::string_view date) {
  absl::CivilDay day;
  // ParseCivilTime normalises nothing away: "2026-02-30" fails to round-trip below.
  if (date.size() != 10 || !absl::ParseCivilTime(date, &day)) return false;
  return absl::FormatCivilTime(day) == date;
}

std::string FormatLocalTime(int64_t unix_ms) {
  if (unix_ms == 0) return "";
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixMillis(unix_ms), ShanghaiTime());
}

std::string LocalDate(int64_t unix_ms) {
  return absl::FormatTime("%Y-%m-%d", absl::FromUnixMillis(unix_ms), ShanghaiTime());
}

std::string FormatCompactDate(int64_t unix_ms) {
  return absl::FormatTime("%Y%m%d", absl::FromUnixMillis(unix_ms), ShanghaiTime());
}

}  // namespace jifen::redemption
