#include "common/text/text.h"

#include <cstddef>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"

namespace jifen::text {
namespace {

// Length in bytes of the UTF-8 sequence starting at text[i], or 0 if it is not a valid one.
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

// UTF-8 of the Unicode spaces TrimSpaces removes besides ASCII white space.
constexpr absl::string_view kUnicodeSpaces[] = {
    "\xC2\xA0",                                                  // U+00A0 no-break space
    "\xE1\x9A\x80",                                              // U+1680
    "\xE2\x80\x80", "\xE2\x80\x81", "\xE2\x80\x82", "\xE2\x80\x83",
    "\xE2\x80\x84", "\xE2\x80\x85", "\xE2\x80\x86", "\xE2\x80\x87",
    "\xE2\x80\x88", "\xE2\x80\x89", "\xE2\x80\x8A",              // U+2000–U+200A
    "\xE2\x80\x8B",                                              // U+200B zero-width space
    "\xE2\x80\xA8", "\xE2\x80\xA9",                              // line and paragraph separators
    "\xE2\x80\xAF", "\xE2\x81\x9F",                              // U+202F, U+205F
    "\xE3\x80\x80",                                              // U+3000 ideographic space
    "\xEF\xBB\xBF",                                              // U+FEFF (a pasted BOM)
};

bool ConsumeUnicodeSpacePrefix(absl::string_view& text) {
  for (absl::string_view space : kUnicodeSpaces) {
    if (absl::ConsumePrefix(&text, space)) return true;
  }
  return false;
}

bool ConsumeUnicodeSpaceSuffix(absl::string_view& text) {
  for (absl::string_view space : kUnicodeSpaces) {
    if (absl::ConsumeSuffix(&text, space)) return true;
  }
  return false;
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

std::vector<absl::string_view> Utf8Characters(absl::string_view text) {
  std::vector<absl::string_view> characters;
  for (size_t i = 0; i < text.size();) {
    size_t length = SequenceLength(text, i);
    if (length == 0) length = 1;
    characters.push_back(text.substr(i, length));
    i += length;
  }
  return characters;
}

absl::string_view TrimSpaces(absl::string_view text) {
  while (true) {
    const absl::string_view before = text;
    text = absl::StripAsciiWhitespace(text);
    while (ConsumeUnicodeSpacePrefix(text)) {
    }
    while (ConsumeUnicodeSpaceSuffix(text)) {
    }
    if (text == before) return text;
  }
}

bool IsBlank(absl::string_view text) { return TrimSpaces(text).empty(); }

absl::string_view Utf8Prefix(absl::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t end = max_bytes;
  // Back off to the start of the character that the cut falls in (continuation bytes: 10xxxxxx).
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

bool IsLowercaseSha256Hex(absl::string_view text) {
  if (text.size() != 64) return false;
  for (const char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace jifen::text
