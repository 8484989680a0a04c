#include "common/audit/state_digest.h"

#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace jifen::audit {

std::string StateDigest(absl::string_view state) {
  // NUL bytes would not survive as text in every reader of the trail, so such states are hashed.
  if (state.size() <= kMaxInlineStateBytes && state.find('\0') == absl::string_view::npos) {
    return std::string(state);
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(state.data()), state.size(), digest);
  return absl::StrCat("sha256:", absl::BytesToHexString(absl::string_view(
                                     reinterpret_cast<const char*>(digest), sizeof(digest))));
}

}  // namespace jifen::audit
