#include "services/scoring/domain/period.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/text/text.h"

namespace jifen::scoring {

std::string PeriodOf(absl::Time when) {
  const absl::CivilSecond civil = absl::ToCivilSecond(when, ShanghaiTime());
  return absl::StrCat(civil.year(), "Q", (civil.month() - 1) / 3 + 1);
}

absl::StatusOr<PeriodBounds> BoundsOf(absl::string_view period) {
  int year = 0;
  int quarter = 0;
  const auto all_digits = [](absl::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), absl::ascii_isdigit);
  };
  // Quoted at most 16 bytes of it: the text is the caller's, of any length.
  const absl::string_view shown = text::Utf8Prefix(period, 16);
  if (period.size() != 6 || (period[4] != 'Q' && period[4] != 'q') ||
      !all_digits(period.substr(0, 4)) || !all_digits(period.substr(5, 1)) ||
      !absl::SimpleAtoi(period.substr(0, 4), &year) ||
      !absl::SimpleAtoi(period.substr(5, 1), &quarter)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "period: \"", shown, "\" is not of the form YYYYQn (a year and a quarter, e.g. 2025Q3)"));
  }
  if (period[4] == 'q') {
    return absl::InvalidArgumentError(absl::StrCat("period: \"", shown,
                                                   "\" must have a capital Q, as in ",
                                                   period.substr(0, 4), "Q", period.substr(5, 1)));
  }
  if (year < kFirstPeriodYear || year > kLastPeriodYear) {
    return absl::InvalidArgumentError(absl::StrCat("period: year ", year, " of \"", shown,
                                                   "\" is outside ", kFirstPeriodYear, "..",
                                                   kLastPeriodYear));
  }
  if (quarter < 1 || quarter > 4) {
    return absl::InvalidArgumentError(
        absl::StrCat("period: quarter ", quarter, " of \"", shown, "\" is outside 1..4"));
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
