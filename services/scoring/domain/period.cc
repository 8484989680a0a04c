#include "services/scoring/domain/period.h"

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace jifen::scoring {

absl::TimeZone ShanghaiTime() {
  // China has kept UTC+8 without daylight saving since 1991; a fixed zone needs no tzdata.
  return absl::FixedTimeZone(8 * 60 * 60);
}

std::string PeriodOf(absl::Time when) {
  const absl::CivilSecond civil = absl::ToCivilSecond(when, ShanghaiTime());
  return absl::StrCat(civil.year(), "Q", (civil.month() - 1) / 3 + 1);
}

absl::StatusOr<PeriodBounds> BoundsOf(absl::string_view period) {
  int year = 0;
  int quarter = 0;
  if (period.size() != 6 || period[4] != 'Q' || !absl::SimpleAtoi(period.substr(0, 4), &year) ||
      !absl::SimpleAtoi(period.substr(5, 1), &quarter) || year < 2000 || year > 2100 ||
      quarter < 1 || quarter > 4) {
    return absl::InvalidArgumentError(
        absl::StrCat("period: \"", period, "\" is not of the form YYYYQn, e.g. 2025Q3"));
  }
  const absl::CivilMonth first(year, (quarter - 1) * 3 + 1);
  return PeriodBounds{absl::FromCivil(first, ShanghaiTime()),
                      absl::FromCivil(first + 3, ShanghaiTime())};
}

absl::StatusOr<absl::Time> ParseDate(absl::string_view date, absl::string_view field) {
  absl::CivilDay day;
  if (date.size() != 10 || !absl::ParseCivilTime(date, &day)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": \"", date, "\" is not a date of the form YYYY-MM-DD"));
  }
  return absl::FromCivil(day, ShanghaiTime());
}

std::string FormatDate(absl::Time when) {
  return absl::FormatCivilTime(absl::ToCivilDay(when, ShanghaiTime()));
}

int YearOf(absl::Time when) {
  return static_cast<int>(absl::ToCivilYear(when, ShanghaiTime()).year());
}

}  // namespace jifen::scoring
