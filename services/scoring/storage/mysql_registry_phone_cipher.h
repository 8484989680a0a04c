// Encryption of phone numbers at rest: libsodium crypto_secretbox (XSalsa20-Poly1305) with a random
// 24-byte nonce per value. The stored bytes are a version byte (1), the nonce, then the box, so
// the key can be rotated later by a new version. Thread-safe (no mutable state).
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jifen::scoring {

class PhoneCipher final {
 public:
  // INVALID_ARGUMENT unless `key` is exactly 32 bytes; INTERNAL if libsodium cannot start.
  static absl::StatusOr<std::unique_ptr<PhoneCipher>> Create(absl::string_view key);
  ~PhoneCipher();
  PhoneCipher(const PhoneCipher&) = delete;
  PhoneCipher& operator=(const PhoneCipher&) = delete;

  // A fresh ciphertext of `phone` (two calls never give the same bytes).
  std::string Seal(absl::string_view phone) const;

  // DATA_LOSS if the bytes are not a box sealed with this key (tampered, truncated, other key or
  // unknown version).
  absl::StatusOr<std::string> Open(absl::string_view sealed) const;

 private:
  explicit PhoneCipher(absl::string_view key);
  std::string key_;  // wiped on destruction
};

}  // namespace jifen::scoring
