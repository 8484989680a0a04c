#include "services/audit/crypto/openssl_crypto.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <fstream>
#include <sstream>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace jifen::audit {
namespace {

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool IsP256(EVP_PKEY* key) {
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) return false;
  char group[64] = {0};
  size_t length = 0;
  return EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof(group), &length) == 1 &&
         std::string(group, length) == "prime256v1";
}

}  // namespace

RawHash OpenSslHasher::Sha256(absl::string_view a, absl::string_view b) const {
  // The low-level SHA256_* calls are deprecated in OpenSSL 3; a context per call via EVP costs
  // little next to hashing (the benchmark measures it).
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local MdCtxPtr context(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  RawHash out{};
  unsigned int length = 0;
  EVP_DigestInit_ex(context.get(), kSha256, nullptr);
  EVP_DigestUpdate(context.get(), a.data(), a.size());
  EVP_DigestUpdate(context.get(), b.data(), b.size());
  EVP_DigestFinal_ex(context.get(), out.data(), &length);
  return out;
}

std::string Sha256Hex(absl::string_view bytes) { return ToHex(OpenSslHasher().Sha256(bytes, "")); }

struct EcdsaSigner::Key {
  PkeyPtr pkey{nullptr, EVP_PKEY_free};
};

EcdsaSigner::EcdsaSigner(std::unique_ptr<Key> key, std::string public_key_pem)
    : key_(std::move(key)), public_key_pem_(std::move(public_key_pem)) {}
EcdsaSigner::~EcdsaSigner() = default;

absl::StatusOr<std::unique_ptr<EcdsaSigner>> EcdsaSigner::FromPrivateKeyPem(
    const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  auto key = std::make_unique<Key>();
  key->pkey.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key->pkey || !IsP256(key->pkey.get())) {
    return absl::InvalidArgumentError("the audit signing key is not a P-256 private key (PEM)");
  }
  BioPtr out(BIO_new(BIO_s_mem()), BIO_free);
  if (PEM_write_bio_PUBKEY(out.get(), key->pkey.get()) != 1) {
    return absl::InternalError("cannot encode the audit public key");
  }
  char* data = nullptr;
  const long length = BIO_get_mem_data(out.get(), &data);
  std::string public_pem(data, static_cast<size_t>(length));
  return std::unique_ptr<EcdsaSigner>(new EcdsaSigner(std::move(key), std::move(public_pem)));
}

absl::StatusOr<std::unique_ptr<EcdsaSigner>> EcdsaSigner::FromPrivateKeyFile(
    const std::string& path) {
  absl::StatusOr<std::string> pem = ReadFile(path);
  if (!pem.ok()) return pem.status();
  return FromPrivateKeyPem(*pem);
}

absl::StatusOr<std::string> EcdsaSigner::Sign(absl::string_view text) const {
  MdCtxPtr context(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  size_t length = 0;
  if (!context ||
      EVP_DigestSignInit(context.get(), nullptr, EVP_sha256(), nullptr, key_->pkey.get()) != 1 ||
      EVP_DigestSign(context.get(), nullptr, &length,
                     reinterpret_cast<const unsigned char*>(text.data()), text.size()) != 1) {
    return absl::InternalError("ECDSA signing failed to start");
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     reinterpret_cast<const unsigned char*>(text.data()), text.size()) != 1) {
    return absl::InternalError("ECDSA signing failed");
  }
  signature.resize(length);
  return signature;
}

struct EcdsaVerifier::Key {
  PkeyPtr pkey{nullptr, EVP_PKEY_free};
};

EcdsaVerifier::EcdsaVerifier(std::unique_ptr<Key> key) : key_(std::move(key)) {}
EcdsaVerifier::~EcdsaVerifier() = default;

absl::StatusOr<std::unique_ptr<EcdsaVerifier>> EcdsaVerifier::FromPublicKeyPem(
    const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  auto key = std::make_unique<Key>();
  key->pkey.reset(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key->pkey || !IsP256(key->pkey.get())) {
    return absl::InvalidArgumentError("not a P-256 public key (PEM)");
  }
  return std::unique_ptr<EcdsaVerifier>(new EcdsaVerifier(std::move(key)));
}

absl::StatusOr<std::unique_ptr<EcdsaVerifier>> EcdsaVerifier::FromPublicKeyFile(
    const std::string& path) {
  absl::StatusOr<std::string> pem = ReadFile(path);
  if (!pem.ok()) return pem.status();
  return FromPublicKeyPem(*pem);
}

bool EcdsaVerifier::Verify(absl::string_view text, absl::string_view signature) const {
  MdCtxPtr context(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  return context &&
         EVP_DigestVerifyInit(context.get(), nullptr, EVP_sha256(), nullptr, key_->pkey.get()) ==
             1 &&
         EVP_DigestVerify(context.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(text.data()),
                          text.size()) == 1;
}

}  // namespace jifen::audit
