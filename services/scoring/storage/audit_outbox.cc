#include "services/scoring/storage/audit_outbox.h"

#include <openssl/sha.h>

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "services/scoring/storage/digests.h"

namespace jifen::scoring {

std::string AuditState(absl::string_view state) {
  const bool printable = std::all_of(state.begin(), state.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 || c == '\n';
  });
  if (state.size() <= 512 && printable) return std::string(state);
  return absl::StrCat("sha256:", Sha256Hex(state));
}

}  // namespace jifen::scoring
