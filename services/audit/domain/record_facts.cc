#include "services/audit/domain/record_facts.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace jifen::audit {
namespace {

// A value must not contain what ends a value for the reader (FindValues): spaces, ',', ';', '}'.
bool IsPlainValue(absl::string_view value) {
  return !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
    return c > ' ' && c <= '~' && c != ',' && c != ';' && c != '}' && c != '"';
  });
}

}  // namespace

bool IsPhotoDigest(absl::string_view ref) {
  return ref.size() == 64 && std::all_of(ref.begin(), ref.end(), [](char c) {
           return absl::ascii_isxdigit(static_cast<unsigned char>(c));
         });
}

std::string FormatAward(const AwardFacts& facts, absl::string_view extra) {
  std::string text = absl::StrCat("household=", facts.household_id, " points=", facts.points);
  if (!extra.empty()) absl::StrAppend(&text, " ", extra);
  // Account ids are printable ASCII without spaces (the registry checks); anything else would
  // break the reader, so it is left out rather than mangled.
  if (IsPlainValue(facts.steward_user_id) && facts.steward_user_id.size() <= 64) {
    absl::StrAppend(&text, " steward=", facts.steward_user_id);
  }
  if (facts.scorer_is_member) absl::StrAppend(&text, " scorer_member=1");
  std::vector<std::string> distinct;
  for (const std::string& ref : facts.photo_refs) {
    if (std::find(distinct.begin(), distinct.end(), ref) == distinct.end()) {
      distinct.push_back(ref);
    }
  }
  absl::StrAppend(&text, " photos=", distinct.size());
  std::vector<std::string> listed;
  for (const std::string& ref : distinct) {
    if (!IsPhotoDigest(ref)) continue;  // not a gateway digest: counted, not listed
    std::string digest = absl::AsciiStrToLower(ref);
    if (std::find(listed.begin(), listed.end(), digest) != listed.end()) continue;
    const std::string item = absl::StrCat(" photo=", digest);
    if (text.size() + item.size() > kMaxFactsBytes) break;  // the first ones fit; the rest counted
    text += item;
    listed.push_back(std::move(digest));
  }
  return text;
}

}  // namespace jifen::audit
