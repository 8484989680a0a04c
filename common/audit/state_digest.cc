#include "common/audit/state_digest.h"

#include <openssl/sha.h>

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/text/text.h"

namespace jifen::audit {

std::string StateDigest(absl::string_view state) {
  // Control bytes (NUL above all) would not survive as text in every reader of the trail, and the
  // audit service refuses a record whose text is not UTF-8 (protobuf strings), keeping only its
  // digest: such states are hashed.
  const bool readable = text::Utf8Length(state) >= 0 &&
                        std::all_of(state.begin(), state.end(), [](char c) {
                          return static_cast<unsigned char>(c) >= 0x20 || c == '\n';
                        });
  if (state.size() <= kMaxInlineStateBytes && readable) return std::string(state);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(state.data()), state.size(), digest);
  return absl::StrCat("sha256:", absl::BytesToHexString(absl::string_view(
                                     reinterpret_cast<const char*>(digest), sizeof(digest))));
}

}  // namespace jifen::audit
