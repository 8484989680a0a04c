#include "services/scoring/storage/mysql_registry_phone_cipher.h"

#include <sodium.h>

#include "absl/memory/memory.h"
#include "absl/strings/str_cat.h"

namespace jifen::scoring {
namespace {

constexpr unsigned char kVersion = 1;

const unsigned char* Bytes(absl::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

}  // namespace

absl::StatusOr<std::unique_ptr<PhoneCipher>> PhoneCipher::Create(absl::string_view key) {
  if (key.size() != crypto_secretbox_KEYBYTES) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the phone key must be ", crypto_secretbox_KEYBYTES, " bytes, not ", key.size()));
  }
  // Safe to call repeatedly and from several threads; 1 means "already initialised".
  if (sodium_init() < 0) return absl::InternalError("libsodium failed to initialise");
  return absl::WrapUnique(new PhoneCipher(key));
}

PhoneCipher::PhoneCipher(absl::string_view key) : key_(key) {}

PhoneCipher::~PhoneCipher() { sodium_memzero(key_.data(), key_.size()); }

std::string PhoneCipher::Seal(absl::string_view phone) const {
  std::string sealed(1 + crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + phone.size(),
                     '\0');
  auto* out = reinterpret_cast<unsigned char*>(sealed.data());
  out[0] = kVersion;
  unsigned char* nonce = out + 1;
  randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES, Bytes(phone), phone.size(), nonce,
                        Bytes(key_));
  return sealed;
}

absl::StatusOr<std::string> PhoneCipher::Open(absl::string_view sealed) const {
  constexpr size_t kOverhead = 1 + crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES;
  if (sealed.size() < kOverhead || static_cast<unsigned char>(sealed[0]) != kVersion) {
    return absl::DataLossError("stored phone number is not a version-1 box");
  }
  const unsigned char* nonce = Bytes(sealed) + 1;
  const unsigned char* box = nonce + crypto_secretbox_NONCEBYTES;
  const size_t box_size = sealed.size() - 1 - crypto_secretbox_NONCEBYTES;
  std::string phone(box_size - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(phone.data()), box, box_size,
                                 nonce, Bytes(key_)) != 0) {
    return absl::DataLossError("stored phone number does not open with the phone key");
  }
  return phone;
}

}  // namespace jifen::scoring
