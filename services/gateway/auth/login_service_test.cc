#include "services/gateway/auth/login_service.h"

#include <gtest/gtest.h>

#include "common/auth/test_keys.h"
#include "services/gateway/auth/fake_account_store.h"

namespace jifen::gateway {
namespace {

class FakeWeChat final : public WeChatClient {
 public:
  absl::StatusOr<std::string> Code2Session(absl::string_view code) override {
    if (code == "bad") return absl::UnauthenticatedError("WECHAT_CODE_INVALID: no");
    return absl::StrCat("openid-of-", code);
  }
};

class LoginServiceTest : public ::testing::Test {
 protected:
  LoginServiceTest() {
    const auth::TestKeyPair keys = auth::GenerateTestKeyPair();
    signer_ = *auth::TokenSigner::FromPrivateKeyPem(keys.private_key_pem, {});
    verifier_ = *auth::TokenVerifier::FromPublicKeyPem(keys.public_key_pem, {});
    LoginOptions options;
    options.password_cost = PasswordCost::Minimum();
    options.max_failed_logins = 3;
    service_ = std::make_unique<LoginService>(&store_, signer_.get(), &wechat_, options,
                                              [this] { return now_; });
    auth::Caller district;
    district.role = auth::Role::kDistrictOfficial;
    district.user_id = "staff-0";
    NewStaff admin{"admin.geixin", "correct horse battery", "village_admin", 2, 11, 0, 0};
    EXPECT_TRUE(service_->CreateStaff(district, admin).ok());
  }

  absl::Time now_ = absl::FromUnixSeconds(1'760'000'000);
  FakeAccountStore store_;
  FakeWeChat wechat_;
  std::unique_ptr<auth::TokenSigner> signer_;
  std::unique_ptr<auth::TokenVerifier> verifier_;
  std::unique_ptr<LoginService> service_;
};

TEST_F(LoginServiceTest, StaffLoginIssuesTokenWithRoleAndScope) {
  auto pair = service_->StaffLogin("admin.geixin", "correct horse battery");
  ASSERT_TRUE(pair.ok()) << pair.status();
  auto caller = verifier_->Verify(pair->access_token, now_);
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->role, auth::Role::kVillageAdmin);
  EXPECT_EQ(caller->village_id, 11);
  EXPECT_EQ(caller->town_id, 2);
  EXPECT_FALSE(pair->refresh_token.empty());
}

TEST_F(LoginServiceTest, WrongPasswordsLockTheAccount) {
  EXPECT_EQ(service_->StaffLogin("nobody", "x").status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(service_->StaffLogin("admin.geixin", "wrong").status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(service_->StaffLogin("admin.geixin", "wrong").status().code(),
            absl::StatusCode::kUnauthenticated);
  auto third = service_->StaffLogin("admin.geixin", "wrong");
  EXPECT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(third.status().GetPayload(kRetryAfterPayload).has_value());
  // Locked: even the right password is refused until the lockout ends.
  EXPECT_EQ(service_->StaffLogin("admin.geixin", "correct horse battery").status().code(),
            absl::StatusCode::kResourceExhausted);
  now_ += absl::Minutes(16);
  EXPECT_TRUE(service_->StaffLogin("admin.geixin", "correct horse battery").ok());
}

TEST_F(LoginServiceTest, ResidentBindsOnceWithInvitationThenSignsInWithCodeAlone) {
  auto admin = service_->StaffLogin("admin.geixin", "correct horse battery");
  ASSERT_TRUE(admin.ok());
  auth::Caller admin_caller = *verifier_->Verify(admin->access_token, now_);
  auto invitation = service_->CreateInvitation(admin_caller, 501, 9001, std::nullopt);
  ASSERT_TRUE(invitation.ok()) << invitation.status();

  auto unbound = service_->WeChatLogin("code-a", "");
  EXPECT_EQ(unbound.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(service_->WeChatLogin("code-a", "WRONG-CODE").status().code(),
            absl::StatusCode::kNotFound);

  std::string typed = invitation->code;
  for (char& c : typed) c = static_cast<char>(std::tolower(c));  // users type lowercase
  auto bound = service_->WeChatLogin("code-a", typed);
  ASSERT_TRUE(bound.ok()) << bound.status();
  auto caller = verifier_->Verify(bound->access_token, now_);
  EXPECT_EQ(caller->role, auth::Role::kResident);
  EXPECT_EQ(caller->household_id, 501);
  EXPECT_EQ(caller->village_id, 11);
  EXPECT_EQ(caller->user_id, "member-9001");

  // The invitation is spent: another WeChat user can't use it.
  EXPECT_EQ(service_->WeChatLogin("code-b", invitation->code).status().code(),
            absl::StatusCode::kNotFound);
  // The bound user signs in with the code alone from now on.
  EXPECT_TRUE(service_->WeChatLogin("code-a", "").ok());
  EXPECT_EQ(service_->WeChatLogin("bad", "").status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(LoginServiceTest, RefreshRotatesAndRevokedTokensAreRefused) {
  auto pair = service_->StaffLogin("admin.geixin", "correct horse battery");
  ASSERT_TRUE(pair.ok());
  auto next = service_->Refresh(pair->refresh_token);
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(service_->Refresh(pair->refresh_token).status().code(),
            absl::StatusCode::kUnauthenticated);  // spent
  EXPECT_TRUE(service_->RevokeRefreshToken(next->refresh_token).ok());
  EXPECT_EQ(service_->Refresh(next->refresh_token).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(service_->RevokeRefreshToken("never-issued").ok());
}

TEST_F(LoginServiceTest, StaffCreationFollowsTheCreatorsScope) {
  auth::Caller admin;
  admin.role = auth::Role::kVillageAdmin;
  admin.village_id = 11;
  admin.town_id = 2;
  admin.user_id = "staff-1";
  EXPECT_TRUE(
      service_->CreateStaff(admin, {"grid.1", "long enough pw", "grid_worker", 0, 0, 4, 0}).ok());
  EXPECT_EQ(service_->CreateStaff(admin, {"grid.2", "long enough pw", "grid_worker", 0, 12, 4, 0})
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(
      service_->CreateStaff(admin, {"boss", "long enough pw", "district_official"}).status().code(),
      absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(service_->CreateStaff(admin, {"grid.1", "long enough pw", "grid_worker", 0, 0, 4, 0})
                .status()
                .code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(
      service_->CreateStaff(admin, {"grid.3", "short", "grid_worker", 0, 0, 4, 0}).status().code(),
      absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace jifen::gateway
