// OpenSSL 3 implementations of the trail's Hasher (SHA-256) and the checkpoint Signer/Verifier
// (ECDSA P-256 over SHA-256, DER signatures).
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/audit/domain/chain.h"
#include "services/audit/domain/trail.h"

namespace jifen::audit {

class OpenSslHasher final : public Hasher {
 public:
  RawHash Sha256(absl::string_view a, absl::string_view b) const override;
};

// SHA-256 of `bytes` as lowercase hex; for "sha256:<hex>" state digests.
std::string Sha256Hex(absl::string_view bytes);

class EcdsaSigner final : public Signer {
 public:
  // INVALID_ARGUMENT unless the PEM holds a P-256 private key.
  static absl::StatusOr<std::unique_ptr<EcdsaSigner>> FromPrivateKeyPem(const std::string& pem);
  static absl::StatusOr<std::unique_ptr<EcdsaSigner>> FromPrivateKeyFile(const std::string& path);
  ~EcdsaSigner() override;
  absl::StatusOr<std::string> Sign(absl::string_view text) const override;
  std::string PublicKeyPem() const override { return public_key_pem_; }

 private:
  struct Key;
  EcdsaSigner(std::unique_ptr<Key> key, std::string public_key_pem);
  std::unique_ptr<Key> key_;
  std::string public_key_pem_;
};

class EcdsaVerifier final : public SignatureVerifier {
 public:
  // INVALID_ARGUMENT unless the PEM holds a P-256 public key (SubjectPublicKeyInfo).
  static absl::StatusOr<std::unique_ptr<EcdsaVerifier>> FromPublicKeyPem(const std::string& pem);
  static absl::StatusOr<std::unique_ptr<EcdsaVerifier>> FromPublicKeyFile(const std::string& path);
  ~EcdsaVerifier() override;
  bool Verify(absl::string_view text, absl::string_view signature) const override;

 private:
  struct Key;
  explicit EcdsaVerifier(std::unique_ptr<Key> key);
  std::unique_ptr<Key> key_;
};

}  // namespace jifen::audit
