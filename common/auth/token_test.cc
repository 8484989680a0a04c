#include "common/auth/token.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/auth/test_keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jifen::auth {
namespace {

using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1'790'000'000);

class TokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_ = GenerateTestKeyPair();
    signer_ = *TokenSigner::FromPrivateKeyPem(keys_.private_key_pem, {});
    verifier_ = *TokenVerifier::FromPublicKeyPem(keys_.public_key_pem, {});
    caller_.user_id = "u-42";
    caller_.role = Role::kGridWorker;
    caller_.village_id = 7;
    caller_.grid_id = 3;
  }

  TestKeyPair keys_;
  std::unique_ptr<TokenSigner> signer_;
  std::unique_ptr<TokenVerifier> verifier_;
  Caller caller_;
};

TEST_F(TokenTest, RoundTripCarriesIdentityAndScope) {
  const std::string token = *signer_->Sign(caller_, kNow, absl::Minutes(15));
  absl::StatusOr<Caller> verified = verifier_->Verify(token, kNow + absl::Minutes(1));
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->user_id, "u-42");
  EXPECT_EQ(verified->role, Role::kGridWorker);
  EXPECT_EQ(verified->village_id, 7);
  EXPECT_EQ(verified->grid_id, 3);
  EXPECT_EQ(verified->household_id, 0);
  EXPECT_FALSE(verified->token_id.empty());
}

TEST_F(TokenTest, ExpiredTokenIsRefused) {
  const std::string token = *signer_->Sign(caller_, kNow, absl::Minutes(15));
  absl::StatusOr<Caller> verified = verifier_->Verify(token, kNow + absl::Hours(1));
  EXPECT_EQ(verified.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(verified.status().message(), HasSubstr("expired"));
}

TEST_F(TokenTest, TokenFromAnotherKeyIsRefused) {
  auto other_signer = *TokenSigner::FromPrivateKeyPem(GenerateTestKeyPair().private_key_pem, {});
  const std::string token = *other_signer->Sign(caller_, kNow, absl::Minutes(15));
  EXPECT_EQ(verifier_->Verify(token, kNow).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(TokenTest, TamperedPayloadIsRefused) {
  const std::string token = *signer_->Sign(caller_, kNow, absl::Minutes(15));
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  ASSERT_EQ(parts.size(), 3u);
  std::string payload;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(parts[1], &payload));
  payload.replace(payload.find("grid_worker"), 11, "village_adm");  // same length, new role
  const std::string forged =
      absl::StrCat(parts[0], ".", absl::WebSafeBase64Escape(payload), ".", parts[2]);
  EXPECT_EQ(verifier_->Verify(forged, kNow).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(TokenTest, AlgNoneIsRefused) {
  const std::string header = absl::WebSafeBase64Escape(R"({"alg":"none","typ":"JWT"})");
  const std::string payload = absl::WebSafeBase64Escape(absl::StrCat(
      R"({"iss":"jifen-gateway","aud":"jifen-services","sub":"x","role":"district_official",)",
      R"("iat":)", absl::ToUnixSeconds(kNow), R"(,"exp":)", absl::ToUnixSeconds(kNow) + 900, "}"));
  for (const std::string& token :
       {absl::StrCat(header, ".", payload, "."), absl::StrCat(header, ".", payload)}) {
    absl::StatusOr<Caller> verified = verifier_->Verify(token, kNow);
    EXPECT_EQ(verified.status().code(), absl::StatusCode::kUnauthenticated) << token;
  }
}

TEST_F(TokenTest, HmacSignedWithThePublicKeyIsRefused) {
  // The classic key-confusion attack: HS256 keyed with the (public) verification key.
  const std::string header = absl::WebSafeBase64Escape(R"({"alg":"HS256","typ":"JWT"})");
  const std::string payload = absl::WebSafeBase64Escape(absl::StrCat(
      R"({"iss":"jifen-gateway","aud":"jifen-services","sub":"x","role":"district_official",)",
      R"("iat":)", absl::ToUnixSeconds(kNow), R"(,"exp":)", absl::ToUnixSeconds(kNow) + 900, "}"));
  const std::string signing_input = absl::StrCat(header, ".", payload);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_length = 0;
  HMAC(EVP_sha256(), keys_.public_key_pem.data(), static_cast<int>(keys_.public_key_pem.size()),
       reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(), mac,
       &mac_length);
  const std::string token = absl::StrCat(
      signing_input, ".",
      absl::WebSafeBase64Escape(absl::string_view(reinterpret_cast<char*>(mac), mac_length)));
  EXPECT_EQ(verifier_->Verify(token, kNow).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(TokenTest, WrongAudienceIsRefused) {
  auto gateway_signer = *TokenSigner::FromPrivateKeyPem(
      keys_.private_key_pem, TokenSettings{.audience = "jifen-refresh"});
  const std::string token = *gateway_signer->Sign(caller_, kNow, absl::Minutes(15));
  absl::StatusOr<Caller> verified = verifier_->Verify(token, kNow);
  EXPECT_EQ(verified.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(verified.status().message(), HasSubstr("audience"));
}

TEST_F(TokenTest, WrongIssuerIsRefused) {
  auto other_issuer = *TokenSigner::FromPrivateKeyPem(keys_.private_key_pem,
                                                      TokenSettings{.issuer = "someone-else"});
  const std::string token = *other_issuer->Sign(caller_, kNow, absl::Minutes(15));
  EXPECT_EQ(verifier_->Verify(token, kNow).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(TokenTest, GarbageIsRefused) {
  for (const char* token : {"", "abc", "a.b.c", "..", "eyJhbGciOiJFUzI1NiJ9.e30."}) {
    EXPECT_EQ(verifier_->Verify(token, kNow).status().code(), absl::StatusCode::kUnauthenticated)
        << token;
  }
}

// Each token has one spelling: libjwt's decoder would also take padding, stray bits past the last
// byte, or the padded base64 alphabet, which the gateway's token cache and every service's would
// hold as different tokens.
TEST_F(TokenTest, OnlyTheCanonicalUnpaddedBase64UrlSpellingVerifies) {
  const std::string token = *signer_->Sign(caller_, kNow, absl::Minutes(15));
  ASSERT_TRUE(verifier_->Verify(token, kNow).ok());
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  ASSERT_EQ(parts.size(), 3u);
  // An ES256 signature is 64 bytes: 86 characters, whose last carries 4 unused bits.
  ASSERT_EQ(parts[2].size(), 86u);
  std::string stray_bits = parts[2];
  stray_bits.back() = stray_bits.back() == 'A' ? 'B' : static_cast<char>(stray_bits.back() + 1);
  std::vector<std::string> variants = {
      token + "==",
      token + "=",
      absl::StrCat(parts[0], "=.", parts[1], ".", parts[2]),
      absl::StrCat(parts[0], ".", parts[1], ".", stray_bits),
      absl::StrCat(parts[0], ".", parts[1], ".", parts[2], ".x"),
      absl::StrCat(parts[0], ".", parts[1], ".", parts[2], "A"),
  };
  for (char& c : parts[2]) {  // the same bytes in the padded alphabet
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  if (absl::StrContains(token.substr(token.rfind('.')), "-") ||
      absl::StrContains(token.substr(token.rfind('.')), "_")) {
    variants.push_back(absl::StrCat(parts[0], ".", parts[1], ".", parts[2]));
  }
  for (const std::string& variant : variants) {
    absl::StatusOr<Caller> verified = verifier_->Verify(variant, kNow);
    EXPECT_EQ(verified.status().code(), absl::StatusCode::kUnauthenticated) << variant;
  }
}

TEST(RoleTest, NamesRoundTrip) {
  for (Role role : {Role::kResident, Role::kGridWorker, Role::kAssessor, Role::kVillageAdmin,
                    Role::kTownOfficial, Role::kDistrictOfficial, Role::kDistrictInspector,
                    Role::kService}) {
    EXPECT_EQ(*ParseRole(RoleName(role)), role);
  }
  EXPECT_EQ(ParseRole("root").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace jifen::auth

namespace jifen::auth {
namespace {

TEST(TokenCacheTest, ACachedTokenStillExpires) {
  const TestKeyPair keys = GenerateTestKeyPair();
  auto signer = *TokenSigner::FromPrivateKeyPem(keys.private_key_pem, {});
  auto verifier = *TokenVerifier::FromPublicKeyPem(keys.public_key_pem, {});
  Caller caller;
  caller.user_id = "u-1";
  caller.role = Role::kResident;
  caller.household_id = 5;
  const std::string token = *signer->Sign(caller, kNow, absl::Minutes(15));
  ASSERT_TRUE(verifier->Verify(token, kNow).ok());
  absl::StatusOr<Caller> again = verifier->Verify(token, kNow + absl::Minutes(10));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->household_id, 5);
  EXPECT_EQ(verifier->Verify(token, kNow + absl::Hours(1)).status().code(),
            absl::StatusCode::kUnauthenticated);
  // A forged variant of a cached token is not served from the cache.
  EXPECT_FALSE(verifier->Verify(token + "A", kNow).ok());
}

}  // namespace
}  // namespace jifen::auth
