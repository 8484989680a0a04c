#include "services/scoring/domain/registry_privacy.h"

#include <cstdint>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"

namespace jifen::scoring {
namespace {

absl::StatusOr<std::string> CleanText(absl::string_view text, absl::string_view what,
                                      int length_max) {
  const absl::string_view trimmed = TrimSpaces(text);
  const int length = Utf8Length(trimmed);
  if (length < 0) return absl::InvalidArgumentError(absl::StrCat(what, "含有无效字符（非UTF-8）"));
  if (length == 0) return absl::InvalidArgumentError(absl::StrCat(what, "不能为空"));
  if (length > length_max) {
    return absl::InvalidArgumentError(absl::StrCat(what, "过长（最多", length_max, "个字）"));
  }
  for (char c : trimmed) {
    const unsigned char byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) {
      return absl::InvalidArgumentError(absl::StrCat(what, "含有控制字符"));
    }
  }
  return std::string(trimmed);
}

}  // namespace

std::string MaskName(absl::string_view name) {
  const std::vector<absl::string_view> characters = text::Utf8Characters(name);
  switch (characters.size()) {
    case 0:
      return "";
    case 1:
      return "*";
    case 2:
      return absl::StrCat(characters[0], "*");
    default:
      return absl::StrCat(characters.front(), std::string(characters.size() - 2, '*'),
                          characters.back());
  }
}

std::string MaskPhone(absl::string_view phone) {
  if (phone.empty()) return "";
  if (phone.size() == 11) return absl::StrCat(phone.substr(0, 3), "****", phone.substr(7));
  if (phone.size() <= 4) return std::string(phone.size(), '*');
  return absl::StrCat("****", phone.substr(phone.size() - 4));
}

bool IsMainlandMobile(absl::string_view phone) {
  if (phone.size() != 11 || phone[0] != '1' || phone[1] < '3' || phone[1] > '9') return false;
  for (char c : phone) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  return true;
}

absl::StatusOr<std::string> NormalizePhone(absl::string_view phone) {
  std::string digits;
  for (char c : TrimSpaces(phone)) {
    if (c == ' ' || c == '-') continue;
    digits.push_back(c);
  }
  absl::string_view number = digits;
  if (!absl::ConsumePrefix(&number, "+86") && number.size() == 13) {
    absl::ConsumePrefix(&number, "86");
  }
  if (!IsMainlandMobile(number)) {
    return absl::InvalidArgumentError(
        absl::StrCat("手机号“", phone, "”无效：应为以1开头的11位大陆手机号"));
  }
  return std::string(number);
}

absl::StatusOr<std::string> CleanName(absl::string_view name, absl::string_view what) {
  return CleanText(name, what, kNameLengthMax);
}

absl::StatusOr<std::string> CleanHouseNumber(absl::string_view house_number) {
  return CleanText(house_number, "门牌号", kHouseNumberLengthMax);
}

absl::StatusOr<std::string> CleanUserId(absl::string_view user_id, absl::string_view what) {
  const absl::string_view trimmed = absl::StripAsciiWhitespace(user_id);
  if (trimmed.size() > static_cast<size_t>(kUserIdLengthMax)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, "过长（最多", kUserIdLengthMax, "个字符）"));
  }
  for (char c : trimmed) {
    if (c <= ' ' || c > '~') {
      return absl::InvalidArgumentError(absl::StrCat(what, "只能包含可见的ASCII字符"));
    }
  }
  return std::string(trimmed);
}

absl::StatusOr<std::string> NormalizeDate(absl::string_view date) {
  const absl::string_view trimmed = TrimSpaces(date);
  const absl::Status invalid = absl::InvalidArgumentError(
      absl::StrCat("日期“", date, "”无效：应为YYYY-MM-DD格式的真实日期"));
  const char separator = trimmed.find('/') != absl::string_view::npos ? '/' : '-';
  const std::vector<absl::string_view> parts = absl::StrSplit(trimmed, separator);
  if (parts.size() != 3 || parts[0].size() != 4 || parts[1].empty() || parts[1].size() > 2 ||
      parts[2].empty() || parts[2].size() > 2) {
    return invalid;
  }
  int values[3] = {0, 0, 0};
  for (int i = 0; i < 3; ++i) {
    for (char c : parts[i]) {
      if (!absl::ascii_isdigit(c)) return invalid;
    }
    if (!absl::SimpleAtoi(parts[i], &values[i])) return invalid;
  }
  const absl::CivilDay day(values[0], values[1], values[2]);
  // CivilDay normalises 2024-02-30 to 2024-03-01; a real date survives unchanged.
  if (day.year() != values[0] || day.month() != values[1] || day.day() != values[2] ||
      values[0] < 1900 || values[0] > 2999) {
    return invalid;
  }
  const auto two_digits = [](int value) { return absl::StrCat(value < 10 ? "0" : "", value); };
  return absl::StrCat(values[0], "-", two_digits(values[1]), "-", two_digits(values[2]));
}

absl::StatusOr<std::string> NormalizeConsentDate(absl::string_view date, absl::string_view today) {
  absl::StatusOr<std::string> normalized = NormalizeDate(date);
  if (!normalized.ok()) return normalized;
  // Both are "YYYY-MM-DD": their text orders as their days.
  if (*normalized > today) {
    return absl::InvalidArgumentError(absl::StrCat("同意日期“", *normalized, "”晚于今天（", today,
                                                   "）：请填写居民同意参加积分制的实际日期"));
  }
  return normalized;
}

std::string NameKey(absl::string_view name) {
  std::string key = absl::AsciiStrToLower(name);
  while (!key.empty() && key.back() == ' ') key.pop_back();
  return key;
}

}  // namespace jifen::scoring
