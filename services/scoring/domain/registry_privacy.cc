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

constexpr absl::string_view kIdeographicSpace = "\xE3\x80\x80";  // U+3000

// Length in bytes of the UTF-8 sequence starting at text[i], or 0 if it is not a valid one
// (overlong forms, surrogates and values above U+10FFFF are refused).
size_t SequenceLength(absl::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  size_t length = 0;
  uint32_t code_point = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    code_point = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    code_point = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    code_point = lead & 0x07;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code_point = (code_point << 6) | (byte(i + k) & 0x3F);
  }
  static constexpr uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code_point < kMinimum[length] || code_point > 0x10FFFF) return 0;
  if (code_point >= 0xD800 && code_point <= 0xDFFF) return 0;
  return length;
}

// Splits valid UTF-8 into its characters; invalid bytes become one "character" each.
std::vector<absl::string_view> Characters(absl::string_view text) {
  std::vector<absl::string_view> characters;
  for (size_t i = 0; i < text.size();) {
    size_t length = SequenceLength(text, i);
    if (length == 0) length = 1;
    characters.push_back(text.substr(i, length));
    i += length;
  }
  return characters;
}

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

int Utf8Length(absl::string_view text) {
  int count = 0;
  for (size_t i = 0; i < text.size();) {
    const size_t length = SequenceLength(text, i);
    if (length == 0) return -1;
    i += length;
    ++count;
  }
  return count;
}

absl::string_view TrimSpaces(absl::string_view text) {
  while (true) {
    const absl::string_view before = text;
    text = absl::StripAsciiWhitespace(text);
    while (absl::ConsumePrefix(&text, kIdeographicSpace)) {
    }
    while (absl::ConsumeSuffix(&text, kIdeographicSpace)) {
    }
    if (text == before) return text;
  }
}

std::string MaskName(absl::string_view name) {
  const std::vector<absl::string_view> characters = Characters(name);
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

}  // namespace jifen::scoring
