#include "services/gateway/auth/login_service.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "common/auth/test_keys.h"
#include "services/gateway/auth/fake_account_store.h"

namespace jifen::gateway {
namespace {

constexpr char kRequestId[] = "req-login-test";

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
    EXPECT_TRUE(service_->CreateStaff(district, admin, kRequestId).ok());
  }

  absl::Time now_ = absl::FromUnixSeconds(1'760'000'000);
  FakeAccountStore store_;
  FakeWeChat wechat_;
  std::unique_ptr<auth::TokenSigner> signer_;
  std::unique_ptr<auth::TokenVerifier> verifier_;
  std::unique_ptr<LoginService> service_;
};

TEST_F(LoginServiceTest, StaffLoginIssuesTokenWithRoleAndScope) {
  auto pair = service_->StaffLogin("admin.geixin", "correct horse battery", kRequestId);
  ASSERT_TRUE(pair.ok()) << pair.status();
  auto caller = verifier_->Verify(pair->access_token, now_);
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->role, auth::Role::kVillageAdmin);
  EXPECT_EQ(caller->village_id, 11);
  EXPECT_EQ(caller->town_id, 2);
  EXPECT_FALSE(pair->refresh_token.empty());
}

TEST_F(LoginServiceTest, WrongPasswordsLockTheAccount) {
  EXPECT_EQ(service_->StaffLogin("nobody", "x", kRequestId).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(service_->StaffLogin("admin.geixin", "wrong", kRequestId).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(service_->StaffLogin("admin.geixin", "wrong", kRequestId).status().code(),
            absl::StatusCode::kUnauthenticated);
  auto third = service_->StaffLogin("admin.geixin", "wrong", kRequestId);
  EXPECT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(third.status().GetPayload(kRetryAfterPayload).has_value());
  // Locked: even the right password is refused until the lockout ends.
  EXPECT_EQ(
      service_->StaffLogin("admin.geixin", "correct horse battery", kRequestId).status().code(),
      absl::StatusCode::kResourceExhausted);
  now_ += absl::Minutes(16);
  EXPECT_TRUE(service_->StaffLogin("admin.geixin", "correct horse battery", kRequestId).ok());
}

TEST_F(LoginServiceTest, ResidentBindsOnceWithInvitationThenSignsInWithCodeAlone) {
  auto admin = service_->StaffLogin("admin.geixin", "correct horse battery", kRequestId);
  ASSERT_TRUE(admin.ok());
  auth::Caller admin_caller = *verifier_->Verify(admin->access_token, now_);
  auto invitation = service_->CreateInvitation(admin_caller, 501, 9001, std::nullopt, kRequestId);
  ASSERT_TRUE(invitation.ok()) << invitation.status();

  auto unbound = service_->WeChatLogin("code-a", "", kRequestId);
  EXPECT_EQ(unbound.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(service_->WeChatLogin("code-a", "WRONG-CODE", kRequestId).status().code(),
            absl::StatusCode::kNotFound);

  std::string typed = invitation->code;
  for (char& c : typed) c = static_cast<char>(std::tolower(c));  // users type lowercase
  auto bound = service_->WeChatLogin("code-a", typed, kRequestId);
  ASSERT_TRUE(bound.ok()) << bound.status();
  auto caller = verifier_->Verify(bound->access_token, now_);
  EXPECT_EQ(caller->role, auth::Role::kResident);
  EXPECT_EQ(caller->household_id, 501);
  EXPECT_EQ(caller->village_id, 11);
  EXPECT_EQ(caller->user_id, "member-9001");

  // The invitation is spent: another WeChat user can't use it.
  EXPECT_EQ(service_->WeChatLogin("code-b", invitation->code, kRequestId).status().code(),
            absl::StatusCode::kNotFound);
  // The bound user signs in with the code alone from now on.
  EXPECT_TRUE(service_->WeChatLogin("code-a", "", kRequestId).ok());
  EXPECT_EQ(service_->WeChatLogin("bad", "", kRequestId).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(LoginServiceTest, RefreshRotatesAndRevokedTokensAreRefused) {
  auto pair = service_->StaffLogin("admin.geixin", "correct horse battery", kRequestId);
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
      service_
          ->CreateStaff(admin, {"grid.1", "long enough pw", "grid_worker", 0, 0, 4, 0}, kRequestId)
          .ok());
  EXPECT_EQ(
      service_
          ->CreateStaff(admin, {"grid.2", "long enough pw", "grid_worker", 0, 12, 4, 0}, kRequestId)
          .status()
          .code(),
      absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(
      service_->CreateStaff(admin, {"boss", "long enough pw", "district_official"}, kRequestId)
          .status()
          .code(),
      absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(
      service_
          ->CreateStaff(admin, {"grid.1", "long enough pw", "grid_worker", 0, 0, 4, 0}, kRequestId)
          .status()
          .code(),
      absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(service_->CreateStaff(admin, {"grid.3", "short", "grid_worker", 0, 0, 4, 0}, kRequestId)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(LoginServiceTest, ChangesNameTheirActorAndRequestAndRoutineSignInsNone) {
  auth::Caller admin = *verifier_->Verify(
      service_->StaffLogin("admin.geixin", "correct horse battery", kRequestId)->access_token,
      now_);
  const size_t before = store_.changes().size();  // the fixture's account
  ASSERT_TRUE(
      service_->CreateStaff(admin, {"grid.9", "long enough pw", "grid_worker", 0, 0, 4, 0}, "r-1")
          .ok());
  auto invitation = service_->CreateInvitation(admin, 501, 9001, std::nullopt, "r-2");
  ASSERT_TRUE(invitation.ok());
  auto resident = service_->WeChatLogin("code-z", invitation->code, "r-3");
  ASSERT_TRUE(resident.ok());
  for (int i = 0; i < 3; ++i) (void)service_->StaffLogin("grid.9", "wrong", absl::StrCat("r-4", i));
  // Routine: sign-ins, a refresh, a logout, a refused invitation.
  ASSERT_TRUE(service_->WeChatLogin("code-z", "", "r-5").ok());
  ASSERT_TRUE(service_->Refresh(resident->refresh_token).ok());
  ASSERT_TRUE(service_->RevokeRefreshToken(resident->refresh_token).ok());
  EXPECT_FALSE(service_->WeChatLogin("code-y", invitation->code, "r-6").ok());
  ASSERT_TRUE(service_->EnsureStaff({"district.boot", "long enough pw", "district_official"}).ok());
  ASSERT_TRUE(service_->EnsureStaff({"district.boot", "long enough pw", "district_official"}).ok());

  const auto changes = store_.changes();
  ASSERT_EQ(changes.size(), before + 5);
  struct Expected {
    const char* action;
    const char* user_id;
    const char* role;
    const char* request_id;
  };
  const Expected expected[] = {{"create", admin.user_id.c_str(), "village_admin", "r-1"},
                               {"issue", admin.user_id.c_str(), "village_admin", "r-2"},
                               {"bind", "member-9001", "resident", "r-3"},
                               {"lock", "", "system", "r-42"},
                               {"create", "", "system", ""}};
  for (size_t i = 0; i < 5; ++i) {
    const auto& [action, context] = changes[before + i];
    EXPECT_EQ(action, expected[i].action) << i;
    EXPECT_EQ(context.actor_user_id, expected[i].user_id) << action;
    EXPECT_EQ(context.actor_role, expected[i].role) << action;
    EXPECT_EQ(context.request_id, expected[i].request_id) << action;
  }
}

// What must hold for an account to exist (a grid worker named on their grid) is confirmed before
// it is stored: a refusal leaves no account and no audit record, and the user name free.
TEST_F(LoginServiceTest, AnAccountIsStoredOnlyOnceConfirmed) {
  auth::Caller admin;
  admin.role = auth::Role::kVillageAdmin;
  admin.village_id = 11;
  admin.town_id = 2;
  admin.user_id = "staff-1";
  const NewStaff worker{"grid.confirmed", "long enough pw", "grid_worker", 0, 0, 4, 0};
  const size_t before = store_.changes().size();
  std::string refused_id;
  ConfirmNewStaff refuse;
  refuse.confirm = [&](int64_t account_id) {
    refused_id = StaffUserId(account_id);
    return absl::UnavailableError("GRID_WORKER_NOT_ASSIGNED: scoring is away");
  };
  absl::StatusOr<std::string> refused = service_->CreateStaff(admin, worker, kRequestId, refuse);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StartsWith(refused_id, "staff-")) << refused_id;
  EXPECT_EQ(store_.changes().size(), before);
  EXPECT_EQ(service_->StaffLogin("grid.confirmed", "long enough pw", kRequestId).status().code(),
            absl::StatusCode::kUnauthenticated);

  std::string confirmed_id;
  ConfirmNewStaff confirm;
  confirm.confirm = [&](int64_t account_id) {
    confirmed_id = StaffUserId(account_id);
    return absl::OkStatus();
  };
  absl::StatusOr<std::string> created = service_->CreateStaff(admin, worker, kRequestId, confirm);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(*created, confirmed_id);
  EXPECT_NE(*created, refused_id);  // an id is never given twice
  EXPECT_EQ(store_.changes().size(), before + 1);
  EXPECT_TRUE(service_->StaffLogin("grid.confirmed", "long enough pw", kRequestId).ok());
}

// The registry named another worker for a grid: the accounts' grid claims follow it, and the
// sessions of the accounts that changed end (their tokens carry the old claim).
TEST_F(LoginServiceTest, GridClaimsFollowTheRegistrysWorker) {
  auth::Caller admin = *verifier_->Verify(
      service_->StaffLogin("admin.geixin", "correct horse battery", kRequestId)->access_token,
      now_);
  const std::string replaced =
      *service_->CreateStaff(admin, {"grid.a", "long enough pw", "grid_worker", 0, 0, 4, 0}, "r");
  const std::string successor =
      *service_->CreateStaff(admin, {"grid.b", "long enough pw", "grid_worker", 0, 0, 5, 0}, "r");
  auto replaced_pair = service_->StaffLogin("grid.a", "long enough pw", kRequestId);
  auto successor_pair = service_->StaffLogin("grid.b", "long enough pw", kRequestId);
  ASSERT_TRUE(replaced_pair.ok() && successor_pair.ok());
  const auto token_id = [&](const TokenPair& pair) {
    return verifier_->Verify(pair.access_token, now_)->token_id;
  };
  const auto grid_claim = [&](const std::string& username) {
    auto pair = service_->StaffLogin(username, "long enough pw", kRequestId);
    return pair.ok() ? verifier_->Verify(pair->access_token, now_)->grid_id : -1;
  };

  const size_t before = store_.changes().size();
  absl::StatusOr<std::vector<std::string>> revoke =
      service_->FollowGridWorker(admin, 11, 4, successor, "r-follow");
  ASSERT_TRUE(revoke.ok()) << revoke.status();
  EXPECT_EQ(*revoke,
            (std::vector<std::string>{token_id(*replaced_pair), token_id(*successor_pair)}));
  EXPECT_EQ(service_->Refresh(replaced_pair->refresh_token).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(service_->Refresh(successor_pair->refresh_token).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(grid_claim("grid.a"), 0);
  EXPECT_EQ(grid_claim("grid.b"), 4);
  const auto changes = store_.changes();
  ASSERT_EQ(changes.size(), before + 2);
  EXPECT_EQ(changes[before].first, "release_grid");
  EXPECT_EQ(changes[before + 1].first, "bind_grid");
  for (size_t i = before; i < changes.size(); ++i) {
    EXPECT_EQ(changes[i].second.actor_user_id, admin.user_id);
    EXPECT_EQ(changes[i].second.request_id, "r-follow");
  }

  // Again (an admin's retry): the accounts already agree, nothing changes.
  revoke = service_->FollowGridWorker(admin, 11, 4, successor, "r-again");
  ASSERT_TRUE(revoke.ok());
  EXPECT_TRUE(revoke->empty());
  EXPECT_EQ(store_.changes().size(), before + 2);
  // A worker who is none of our accounts, or none at all: whoever claimed the grid lets go.
  ASSERT_TRUE(service_->FollowGridWorker(admin, 11, 4, "demo-grid-worker-11", "r").ok());
  EXPECT_EQ(grid_claim("grid.b"), 0);
  EXPECT_EQ(store_.changes().size(), before + 3);
  // Accounts of another village are not touched.
  ASSERT_TRUE(service_->FollowGridWorker(admin, 12, 4, replaced, "r").ok());
  EXPECT_EQ(grid_claim("grid.a"), 0);
}

}  // namespace
}  // namespace jifen::gateway
