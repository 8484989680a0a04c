#include "services/publicity/domain/mask.h"

#include <vector>

#include "absl/strings/str_cat.h"

namespace jifen::publicity {
namespace {

// Length of the UTF-8 sequence starting with `lead`, or 1 for a byte that cannot start one.
size_t SequenceLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 1;
}

std::vector<absl::string_view> SplitCharacters(absl::string_view text) {
  std::vector<absl::string_view> characters;
  size_t i = 0;
  while (i < text.size()) {
    size_t length = SequenceLength(static_cast<unsigned char>(text[i]));
    if (i + length > text.size()) length = 1;
    for (size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) {
        length = 1;
        break;
      }
    }
    characters.push_back(text.substr(i, length));
    i += length;
  }
  return characters;
}

}  // namespace

std::string MaskName(absl::string_view name) {
  const std::vector<absl::string_view> characters = SplitCharacters(name);
  if (characters.empty()) return "";
  if (characters.size() == 1) return "*";
  if (characters.size() == 2) return absl::StrCat(characters[0], "*");
  std::string masked(characters.front());
  masked.append(characters.size() - 2, '*');
  absl::StrAppend(&masked, characters.back());
  return masked;
}

}  // namespace jifen::publicity
