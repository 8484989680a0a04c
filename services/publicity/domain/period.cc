#include "services/publicity/domain/period.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace jifen::publicity {

std::string Period::Name() const {
  return is_quarter() ? absl::StrCat(year, "Q", quarter) : absl::StrCat(year);
}

absl::Time Period::Start() const {
  const int month = is_quarter() ? (quarter - 1) * 3 + 1 : 1;
  return absl::FromCivil(absl::CivilMonth(year, month), ShanghaiTime());
}

absl::Time Period::End() const {
  const int month = is_quarter() ? (quarter - 1) * 3 + 1 : 1;
  const absl::CivilMonth first(year, month);
  return absl::FromCivil(first + (is_quarter() ? 3 : 12), ShanghaiTime());
}

absl::StatusOr<Period> ParsePeriod(absl::string_view text) {
  const auto invalid = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("period: \"", text, "\" is not YYYYQn (quarter) or YYYY (year)"));
  };
  if (text.size() != 4 && text.size() != 6) return invalid();
  for (size_t i = 0; i < 4; ++i) {
    if (text[i] < '0' || text[i] > '9') return invalid();
  }
  Period period;
  if (!absl::SimpleAtoi(text.substr(0, 4), &period.year)) return invalid();
  if (period.year < 2000 || period.year > 2100) return invalid();
  if (text.size() == 6) {
    if (text[4] != 'Q' || text[5] < '1' || text[5] > '4') return invalid();
    period.quarter = text[5] - '0';
  }
  return period;
}

absl::StatusOr<Period> ParseQuarter(absl::string_view text) {
  absl::StatusOr<Period> period = ParsePeriod(text);
  if (period.ok() && !period->is_quarter()) {
    return absl::InvalidArgumentError(
        absl::StrCat("period \"", text, "\" must be a quarter, YYYYQn"));
  }
  return period;
}

}  // namespace jifen::publicity
