// Staff passwords: Argon2id via libsodium's crypto_pwhash_str (salted, self-describing string).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jifen::gateway {

struct PasswordCost {
  // libsodium's "interactive" limits by default (2 passes, 64 MiB). Tests use the minimum; a
  // stored hash carries its own cost, so verification always uses the cost it was made with.
  unsigned long long ops_limit = 2;
  size_t mem_limit_bytes = 64u << 20;
  static PasswordCost Minimum();
};

// INTERNAL when libsodium fails (out of memory); INVALID_ARGUMENT for an empty password.
absl::StatusOr<std::string> HashPassword(absl::string_view password, const PasswordCost& cost);

// True when `password` matches `hash`; false for a wrong password or a malformed hash.
bool VerifyPassword(absl::string_view password, const std::string& hash);

}  // namespace jifen::gateway
