#include "common/auth/token.h"

#include <jwt.h>
#include <openssl/rand.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace jifen::auth {
namespace {

struct JwtDeleter {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtDeleter>;

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read key file ", path));
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

int Base64UrlValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// Whether `part` is the one unpadded base64url text of some bytes (RFC 7515 2): no padding, no
// other alphabet, no length that encodes nothing, and no set bits past the last byte.
bool IsCanonicalBase64Url(absl::string_view part) {
  if (part.empty() || part.size() % 4 == 1) return false;
  for (char c : part) {
    if (Base64UrlValue(c) < 0) return false;
  }
  const int last = Base64UrlValue(part.back());
  if (part.size() % 4 == 2) return (last & 0x0F) == 0;
  if (part.size() % 4 == 3) return (last & 0x03) == 0;
  return true;
}

// libjwt's decoder takes padding and ignores stray bits, so that one token has many spellings
// (each of them a token the caches and the revocation list would not recognise as the same).
absl::Status CheckCompactForm(absl::string_view token) {
  const std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) return absl::UnauthenticatedError("malformed token");
  for (absl::string_view part : parts) {
    if (!IsCanonicalBase64Url(part)) {
      return absl::UnauthenticatedError("token is not canonical unpadded base64url");
    }
  }
  return absl::OkStatus();
}

// The header is checked before libjwt sees the token: libjwt accepts whatever algorithm the token
// names, and "none" or an HMAC keyed with our public key must never pass.
absl::Status CheckHeaderAlgorithm(absl::string_view token) {
  const size_t dot = token.find('.');
  if (dot == absl::string_view::npos) return absl::UnauthenticatedError("malformed token");
  std::string header_json;
  if (!absl::WebSafeBase64Unescape(token.substr(0, dot), &header_json)) {
    return absl::UnauthenticatedError("malformed token header");
  }
  // Exact match on the compact form libjwt and every common encoder emit; anything else is refused
  // rather than parsed leniently.
  if (header_json.find("\"alg\":\"ES256\"") == std::string::npos) {
    return absl::UnauthenticatedError("token algorithm is not ES256");
  }
  return absl::OkStatus();
}

int64_t IntGrant(jwt_t* jwt, const char* name) {
  errno = 0;
  const long value = jwt_get_grant_int(jwt, name);
  return errno == 0 ? value : 0;
}

std::string RandomTokenId() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) return "";
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<TokenVerifier>> TokenVerifier::FromPublicKeyPem(
    std::string pem, TokenSettings settings) {
  if (pem.find("-----BEGIN PUBLIC KEY-----") == std::string::npos) {
    return absl::InvalidArgumentError("token public key is not a PEM public key");
  }
  return std::unique_ptr<TokenVerifier>(new TokenVerifier(std::move(pem), std::move(settings)));
}

absl::StatusOr<std::unique_ptr<TokenVerifier>> TokenVerifier::FromPublicKeyFile(
    const std::string& path, TokenSettings settings) {
  absl::StatusOr<std::string> pem = ReadFile(path);
  if (!pem.ok()) return pem.status();
  return FromPublicKeyPem(*std::move(pem), std::move(settings));
}

absl::StatusOr<Caller> TokenVerifier::Verify(absl::string_view token, absl::Time now) const {
  {
    absl::MutexLock lock(&cache_mutex_);
    const auto cached = cache_.find(token);
    if (cached != cache_.end()) {
      if (now < cached->second.expires + settings_.clock_skew) return cached->second.caller;
      cache_.erase(cached);
      return absl::UnauthenticatedError("token expired");
    }
  }
  absl::Time expires;
  absl::StatusOr<Caller> caller = VerifySignature(token, now, &expires);
  if (caller.ok()) {
    absl::MutexLock lock(&cache_mutex_);
    // Dropping everything at the bound is crude but keeps memory fixed; tokens re-verify once.
    if (cache_.size() >= kCacheEntriesMax) cache_.clear();
    cache_[std::string(token)] = CachedCaller{*caller, expires};
  }
  return caller;
}

absl::StatusOr<Caller> TokenVerifier::VerifySignature(absl::string_view token, absl::Time now,
                                                      absl::Time* expires_out) const {
  if (token.empty()) return absl::UnauthenticatedError("missing token");
  if (absl::Status form = CheckCompactForm(token); !form.ok()) return form;
  if (absl::Status header = CheckHeaderAlgorithm(token); !header.ok()) return header;
  const std::string token_string(token);
  jwt_t* raw = nullptr;
  if (jwt_decode(&raw, token_string.c_str(),
                 reinterpret_cast<const unsigned char*>(public_key_pem_.data()),
                 static_cast<int>(public_key_pem_.size())) != 0 ||
      raw == nullptr) {
    return absl::UnauthenticatedError("token signature does not verify");
  }
  JwtPtr jwt(raw);
  if (jwt_get_alg(jwt.get()) != JWT_ALG_ES256) {
    return absl::UnauthenticatedError("token algorithm is not ES256");
  }
  const char* issuer = jwt_get_grant(jwt.get(), "iss");
  if (issuer == nullptr || settings_.issuer != issuer) {
    return absl::UnauthenticatedError("token issuer is wrong");
  }
  const char* audience = jwt_get_grant(jwt.get(), "aud");
  if (audience == nullptr || settings_.audience != audience) {
    return absl::UnauthenticatedError("token audience is wrong");
  }
  const absl::Time expires = absl::FromUnixSeconds(IntGrant(jwt.get(), "exp"));
  const absl::Time issued = absl::FromUnixSeconds(IntGrant(jwt.get(), "iat"));
  if (now >= expires + settings_.clock_skew) return absl::UnauthenticatedError("token expired");
  *expires_out = expires;
  if (issued > now + settings_.clock_skew) {
    return absl::UnauthenticatedError("token issued in the future");
  }
  const char* subject = jwt_get_grant(jwt.get(), "sub");
  const char* role_name = jwt_get_grant(jwt.get(), "role");
  if (subject == nullptr || role_name == nullptr) {
    return absl::UnauthenticatedError("token lacks subject or role");
  }
  absl::StatusOr<Role> role = ParseRole(role_name);
  if (!role.ok()) return absl::UnauthenticatedError("token role is unknown");

  Caller caller;
  caller.user_id = subject;
  caller.role = *role;
  caller.town_id = IntGrant(jwt.get(), "town");
  caller.village_id = IntGrant(jwt.get(), "village");
  caller.grid_id = IntGrant(jwt.get(), "grid");
  caller.household_id = IntGrant(jwt.get(), "household");
  caller.team_id = IntGrant(jwt.get(), "team");
  if (const char* jti = jwt_get_grant(jwt.get(), "jti"); jti != nullptr) caller.token_id = jti;
  return caller;
}

absl::StatusOr<std::unique_ptr<TokenSigner>> TokenSigner::FromPrivateKeyPem(
    std::string pem, TokenSettings settings) {
  if (pem.find("PRIVATE KEY-----") == std::string::npos) {
    return absl::InvalidArgumentError("token private key is not a PEM private key");
  }
  return std::unique_ptr<TokenSigner>(new TokenSigner(std::move(pem), std::move(settings)));
}

absl::StatusOr<std::unique_ptr<TokenSigner>> TokenSigner::FromPrivateKeyFile(
    const std::string& path, TokenSettings settings) {
  absl::StatusOr<std::string> pem = ReadFile(path);
  if (!pem.ok()) return pem.status();
  return FromPrivateKeyPem(*std::move(pem), std::move(settings));
}

absl::StatusOr<std::string> TokenSigner::Sign(const Caller& caller, absl::Time now,
                                              absl::Duration ttl) const {
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) return absl::InternalError("jwt_new failed");
  JwtPtr jwt(raw);
  const std::string token_id = caller.token_id.empty() ? RandomTokenId() : caller.token_id;
  const std::string role(RoleName(caller.role));
  int failed = 0;
  failed |= jwt_add_grant(jwt.get(), "iss", settings_.issuer.c_str());
  failed |= jwt_add_grant(jwt.get(), "aud", settings_.audience.c_str());
  failed |= jwt_add_grant(jwt.get(), "sub", caller.user_id.c_str());
  failed |= jwt_add_grant(jwt.get(), "role", role.c_str());
  failed |= jwt_add_grant(jwt.get(), "jti", token_id.c_str());
  failed |= jwt_add_grant_int(jwt.get(), "iat", absl::ToUnixSeconds(now));
  failed |= jwt_add_grant_int(jwt.get(), "exp", absl::ToUnixSeconds(now + ttl));
  const std::pair<const char*, int64_t> scope[] = {{"town", caller.town_id},
                                                   {"village", caller.village_id},
                                                   {"grid", caller.grid_id},
                                                   {"household", caller.household_id},
                                                   {"team", caller.team_id}};
  for (const auto& [name, id] : scope) {
    if (id != 0) failed |= jwt_add_grant_int(jwt.get(), name, id);
  }
  failed |= jwt_set_alg(jwt.get(), JWT_ALG_ES256,
                        reinterpret_cast<const unsigned char*>(private_key_pem_.data()),
                        static_cast<int>(private_key_pem_.size()));
  if (failed != 0) return absl::InternalError("building the token failed");
  char* encoded = jwt_encode_str(jwt.get());
  if (encoded == nullptr) return absl::InternalError("signing the token failed (bad key?)");
  std::string token(encoded);
  free(encoded);
  return token;
}

}  // namespace jifen::auth
