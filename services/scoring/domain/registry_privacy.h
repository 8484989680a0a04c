// Personal data rules of the registry: what a valid name, phone or date is, and how names and
// phones are masked for roles that have no need to see them (PIPL: collect little, show less).
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/text/text.h"

namespace jifen::scoring {

inline constexpr int kNameLengthMax = 64;         // characters (code points), as stored
inline constexpr int kHouseNumberLengthMax = 32;  // characters
inline constexpr int kUserIdLengthMax = 64;       // bytes; account ids are ASCII

// "张*华": the first and last character kept, every character between them a '*'; a two-character
// name keeps its first ("张*"); a one-character name becomes "*". Counts UTF-8 code points; bytes
// that are not valid UTF-8 count one each (they never reach here: names are validated on entry).
std::string MaskName(absl::string_view name);

// "138****5678" for an 11-digit number; anything else is masked to its last 4 characters
// ("****5678"), or entirely when shorter. Empty stays empty.
std::string MaskPhone(absl::string_view phone);

// True when `phone` is a mainland mobile number: ^1[3-9]\d{9}$.
bool IsMainlandMobile(absl::string_view phone);

// Accepts how people write mobile numbers ("138 1234 5678", "138-1234-5678", "+86 13812345678",
// "8613812345678") and returns the bare 11 digits. INVALID_ARGUMENT (message in Chinese, naming
// the value) unless the result is a mainland mobile number.
absl::StatusOr<std::string> NormalizePhone(absl::string_view phone);

// A person's, group's, grid's or team's name: trimmed of ASCII and full-width spaces, valid
// UTF-8, 1..kNameLengthMax characters, no control characters. Returns the trimmed name;
// INVALID_ARGUMENT in Chinese naming `what` (e.g. "户主姓名") otherwise.
absl::StatusOr<std::string> CleanName(absl::string_view name, absl::string_view what);

// A house number ("12号"): the same rules with kHouseNumberLengthMax.
absl::StatusOr<std::string> CleanHouseNumber(absl::string_view house_number);

// An account id (grid worker, steward): empty allowed; otherwise 1..kUserIdLengthMax printable
// ASCII characters without spaces. INVALID_ARGUMENT naming `what` otherwise.
absl::StatusOr<std::string> CleanUserId(absl::string_view user_id, absl::string_view what);

// A calendar date "YYYY-MM-DD"; also accepts "YYYY/M/D" and "YYYY-M-D" as spreadsheets write it.
// Returns it as "YYYY-MM-DD". INVALID_ARGUMENT (Chinese) if it is not a real date between
// 1900-01-01 and 2999-12-31.
absl::StatusOr<std::string> NormalizeDate(absl::string_view date);

// A non-registered resident's consent date (the day they opted in): NormalizeDate's rules, and
// not after `today` ("YYYY-MM-DD", Shanghai), since consent is recorded after it was given.
// INVALID_ARGUMENT (Chinese, naming the value) otherwise.
absl::StatusOr<std::string> NormalizeConsentDate(absl::string_view date, absl::string_view today);

// The key under which the database tells names apart, as far as this code can say it: the
// registry's unique keys (a village's group and grid names, a group's house numbers, a household's
// member names) compare in utf8mb4_general_ci, which ignores ASCII letter case and trailing
// spaces, so "A1", "a1" and "a1 " are one house number. ASCII letters folded to lower case,
// trailing spaces dropped. The database knows more equal pairs (full-width letters, accents);
// writes still meet those as duplicate keys.
std::string NameKey(absl::string_view name);

// `value`, or its refusal led by "field: " (the request field it is about), so that the gateway
// can name the field.
template <typename T>
absl::StatusOr<T> WithField(absl::string_view field, absl::StatusOr<T> value) {
  if (value.ok()) return value;
  return absl::Status(value.status().code(),
                      std::string(field) + ": " + std::string(value.status().message()));
}

// The registry's checks of typed text count characters and trim Unicode spaces the same way as
// every other service's.
using text::TrimSpaces;
using text::Utf8Length;

}  // namespace jifen::scoring
