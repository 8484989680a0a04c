// Access tokens: JWTs signed with ES256 (ECDSA P-256) by the gateway, verified by every service
// with the public key only, so a service can check identities but never mint them.
//
// Claims: iss, aud, sub (user id), iat, exp, jti, role, and the scope ids (town, village, grid,
// household, team) as integers. The algorithm is fixed: a token whose header names another one
// (including "none") is refused before any claim is read.
#pragma once

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/auth/caller.h"

namespace jifen::auth {

inline constexpr absl::string_view kDefaultIssuer = "jifen-gateway";
inline constexpr absl::string_view kServiceAudience = "jifen-services";

struct TokenSettings {
  std::string issuer{kDefaultIssuer};
  std::string audience{kServiceAudience};
  absl::Duration clock_skew = absl::Seconds(30);  // tolerated between gateway and services
};

class TokenVerifier final {
 public:
  // INVALID_ARGUMENT if the PEM is not an EC public key.
  static absl::StatusOr<std::unique_ptr<TokenVerifier>> FromPublicKeyPem(std::string pem,
                                                                        TokenSettings settings);
  static absl::StatusOr<std::unique_ptr<TokenVerifier>> FromPublicKeyFile(const std::string& path,
                                                                         TokenSettings settings);

  // UNAUTHENTICATED, with a reason for logs, unless the token is ES256-signed by our key, its
  // issuer and audience match, it is not expired and was not issued in the future.
  // Verified tokens are remembered until they expire (at most kCacheEntriesMax of them): a
  // signature check costs ~0.8 ms of CPU, and a client repeats one token for many calls.
  absl::StatusOr<Caller> Verify(absl::string_view token, absl::Time now) const;

  static constexpr size_t kCacheEntriesMax = 20000;

 private:
  TokenVerifier(std::string pem, TokenSettings settings)
      : public_key_pem_(std::move(pem)), settings_(std::move(settings)) {}
  absl::StatusOr<Caller> VerifySignature(absl::string_view token, absl::Time now,
                                         absl::Time* expires) const;

  struct CachedCaller {
    Caller caller;
    absl::Time expires;
  };
  std::string public_key_pem_;
  TokenSettings settings_;
  mutable absl::Mutex cache_mutex_;
  mutable absl::flat_hash_map<std::string, CachedCaller> cache_ ABSL_GUARDED_BY(cache_mutex_);
};

class TokenSigner final {
 public:
  static absl::StatusOr<std::unique_ptr<TokenSigner>> FromPrivateKeyPem(std::string pem,
                                                                       TokenSettings settings);
  static absl::StatusOr<std::unique_ptr<TokenSigner>> FromPrivateKeyFile(const std::string& path,
                                                                        TokenSettings settings);

  // A signed token for `caller`, valid from `now` for `ttl`. caller.token_id is used as jti when
  // set, otherwise a random one is made.
  absl::StatusOr<std::string> Sign(const Caller& caller, absl::Time now, absl::Duration ttl) const;

 private:
  TokenSigner(std::string pem, TokenSettings settings)
      : private_key_pem_(std::move(pem)), settings_(std::move(settings)) {}
  std::string private_key_pem_;
  TokenSettings settings_;
};

}  // namespace jifen::auth
