#include "services/gateway/auth/password.h"

#include <sodium.h>

namespace jifen::gateway {
namespace {

bool SodiumReady() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

}  // namespace

PasswordCost PasswordCost::Minimum() {
  return {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
}

absl::StatusOr<std::string> HashPassword(absl::string_view password, const PasswordCost& cost) {
  if (password.empty()) return absl::InvalidArgumentError("empty password");
  if (!SodiumReady()) return absl::InternalError("libsodium did not initialise");
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), cost.ops_limit,
                        cost.mem_limit_bytes) != 0) {
    return absl::InternalError("crypto_pwhash_str failed (out of memory?)");
  }
  return std::string(out);
}

bool VerifyPassword(absl::string_view password, const std::string& hash) {
  if (!SodiumReady() || hash.empty()) return false;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

}  // namespace jifen::gateway
