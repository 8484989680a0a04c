// LoginService on the gateway's real store: MySqlAccountStore on a fresh gateway schema of the
// fixture's MariaDB under the gateway's own restricted account, and the production WeChat client
// against a local HTTP server that answers code2Session as WeChat does. The audit trail is read
// back from the schema's outbox.
//
// The suite shares one schema: each test works in a village of its own (Village()) with user
// names and WeChat codes of its own (Name(), Code()), and reads only the outbox rows written after
// its start.
#include "services/gateway/auth/login_service.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/auth/test_keys.h"
#include "services/gateway/auth/grpc_registry.h"
#include "services/gateway/storage/mysql_account_store.h"
#include "tests/support/audit_outbox.h"
#include "tests/support/closed_port.h"
#include "tests/support/http_listener.h"
#include "tests/support/service_database.h"

namespace jifen::gateway {
namespace {

constexpr char kRequestId[] = "req-login-test";
constexpr char kAppId[] = "wx-login-test";
constexpr char kAppSecret[] = "APP-SECRET-login-test";

class LoginServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const jifen::testing::ServiceDatabase schema =
        jifen::testing::CreateServiceDatabase("gw_login", "services/gateway/migrations");
    ASSERT_FALSE(HasFailure());
    service_pool_ = new mysql::ConnectionPool(schema.ServiceConfig(2));
    admin_pool_ = new mysql::ConnectionPool(schema.AdminConfig(1));

    // WeChat's code2Session: "bad" is a code WeChat refuses; any "code-..." is the user whose
    // openid is "openid-of-code-...".
    wechat_server_ = new httplib::Server();
    wechat_server_->Get("/sns/jscode2session", [](const httplib::Request& req,
                                                  httplib::Response& res) {
      nlohmann::json body;
      const std::string code = req.get_param_value("js_code");
      if (req.get_param_value("appid") != kAppId || req.get_param_value("secret") != kAppSecret ||
          req.get_param_value("grant_type") != "authorization_code") {
        body = {{"errcode", 40125}, {"errmsg", "invalid appsecret"}};
      } else if (!absl::StartsWith(code, "code-")) {
        body = {{"errcode", 40029}, {"errmsg", "invalid code"}};
      } else {
        body = {{"openid", "openid-of-" + code}, {"session_key", "SESSION-KEY"}};
      }
      res.set_content(body.dump(), "application/json");
    });
    wechat_port_ = wechat_server_->bind_to_any_port("127.0.0.1");
    ASSERT_GT(wechat_port_, 0);
    wechat_thread_ = new std::thread(jifen::testing::ListenInBackground(*wechat_server_));
    ASSERT_TRUE(wechat_server_->is_running());
  }

  static void TearDownTestSuite() {
    if (wechat_server_ != nullptr) wechat_server_->stop();
    if (wechat_thread_ != nullptr && wechat_thread_->joinable()) wechat_thread_->join();
    delete wechat_thread_;
    delete wechat_server_;
    delete service_pool_;
    delete admin_pool_;
    wechat_thread_ = nullptr;
    wechat_server_ = nullptr;
    service_pool_ = nullptr;
    admin_pool_ = nullptr;
  }

  LoginServiceTest() : test_(++tests_started_) {}

  void SetUp() override {
    ASSERT_NE(service_pool_, nullptr) << "no schema";
    store_ = std::make_unique<MySqlAccountStore>(service_pool_);
    WeChatConfig wechat;
    wechat.api_base = absl::StrCat("http://127.0.0.1:", wechat_port_);
    wechat.app_id = kAppId;
    wechat.app_secret = kAppSecret;
    wechat_ = std::make_unique<HttpWeChatClient>(wechat);
    const auth::TestKeyPair keys = auth::GenerateTestKeyPair();
    signer_ = *auth::TokenSigner::FromPrivateKeyPem(keys.private_key_pem, {});
    verifier_ = *auth::TokenVerifier::FromPublicKeyPem(keys.public_key_pem, {});
    LoginOptions options;
    options.password_cost = PasswordCost::Minimum();
    options.max_failed_logins = 3;
    service_ = std::make_unique<LoginService>(store_.get(), signer_.get(), wechat_.get(), options,
                                              [this] { return now_; });
    auth::Caller district;
    district.role = auth::Role::kDistrictOfficial;
    district.user_id = "staff-0";
    NewStaff admin{
        Name("admin.geixin"), "correct horse battery", "village_admin", kTown, Village(), 0, 0};
    ASSERT_TRUE(service_->CreateStaff(district, admin, kRequestId).ok());
  }

  // This test's village; Village() + 1 is no test's.
  int64_t Village() const { return 1000 * test_ + 11; }
  // A user name, and a WeChat code, that no other test of the suite uses.
  std::string Name(absl::string_view name) const { return absl::StrCat(name, "@", test_); }
  std::string Code(absl::string_view name) const { return absl::StrCat("code-", test_, "-", name); }
  // A household member id (n < 100000) no other test uses: a member has one WeChat binding
  // across the suite's schema, as member ids are the registry's, unique across villages.
  int64_t Member(int64_t n) const { return 100000 * test_ + n; }
  std::string MemberUser(int64_t n) const { return ResidentUserId(Member(n)); }

  // A village admin of this test's village who is not signed in.
  auth::Caller VillageAdmin() const {
    auth::Caller admin;
    admin.role = auth::Role::kVillageAdmin;
    admin.village_id = Village();
    admin.town_id = kTown;
    admin.user_id = "staff-1";
    return admin;
  }
  // The fixture's village admin, signed in.
  auth::Caller SignedInAdmin() {
    absl::StatusOr<TokenPair> pair =
        service_->StaffLogin(Name("admin.geixin"), "correct horse battery", kRequestId);
    EXPECT_TRUE(pair.ok()) << pair.status();
    if (!pair.ok()) return {};
    return verifier_->Verify(pair->access_token, now_).value_or(auth::Caller{});
  }

  // The outbox so far: read the audit records of what follows with AuditSince().
  int64_t OutboxMark() { return jifen::testing::LastOutboxId(*admin_pool_); }
  std::vector<audit::v1::AuditRecord> AuditSince(int64_t mark) {
    std::vector<audit::v1::AuditRecord> records;
    for (const jifen::testing::OutboxAudit& row :
         jifen::testing::AuditOutboxAfter(*admin_pool_, mark)) {
      EXPECT_TRUE(row.parsed) << "outbox row " << row.outbox_id;
      records.push_back(row.record);
    }
    return records;
  }

  static constexpr int64_t kTown = 2;
  static inline int tests_started_ = 0;
  static inline mysql::ConnectionPool* service_pool_ = nullptr;
  static inline mysql::ConnectionPool* admin_pool_ = nullptr;
  static inline httplib::Server* wechat_server_ = nullptr;
  static inline std::thread* wechat_thread_ = nullptr;
  static inline int wechat_port_ = 0;

  const int test_;
  absl::Time now_ = absl::FromUnixSeconds(1'760'000'000);
  std::unique_ptr<MySqlAccountStore> store_;
  std::unique_ptr<HttpWeChatClient> wechat_;
  std::unique_ptr<auth::TokenSigner> signer_;
  std::unique_ptr<auth::TokenVerifier> verifier_;
  std::unique_ptr<LoginService> service_;
  // Scoring's registry where scoring is not running: the bindings of a town's villages can't be
  // told to its official, and no one else's reading needs the registry.
  jifen::testing::ClosedPort closed_port_;
  std::unique_ptr<GrpcRegistry> unreachable_registry_ =
      std::make_unique<GrpcRegistry>(closed_port_.address(), "no-token", absl::Seconds(2));
};

TEST_F(LoginServiceTest, StaffLoginIssuesTokenWithRoleAndScope) {
  auto pair = service_->StaffLogin(Name("admin.geixin"), "correct horse battery", kRequestId);
  ASSERT_TRUE(pair.ok()) << pair.status();
  auto caller = verifier_->Verify(pair->access_token, now_);
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->role, auth::Role::kVillageAdmin);
  EXPECT_EQ(caller->village_id, Village());
  EXPECT_EQ(caller->town_id, kTown);
  EXPECT_FALSE(pair->refresh_token.empty());
}

TEST_F(LoginServiceTest, WrongPasswordsLockTheAccount) {
  const std::string admin = Name("admin.geixin");
  EXPECT_EQ(service_->StaffLogin(Name("nobody"), "x", kRequestId).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(service_->StaffLogin(admin, "wrong", kRequestId).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(service_->StaffLogin(admin, "wrong", kRequestId).status().code(),
            absl::StatusCode::kUnauthenticated);
  auto third = service_->StaffLogin(admin, "wrong", kRequestId);
  EXPECT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(third.status().GetPayload(kRetryAfterPayload).has_value());
  // Locked: even the right password is refused until the lockout ends.
  EXPECT_EQ(service_->StaffLogin(admin, "correct horse battery", kRequestId).status().code(),
            absl::StatusCode::kResourceExhausted);
  now_ += absl::Minutes(16);
  EXPECT_TRUE(service_->StaffLogin(admin, "correct horse battery", kRequestId).ok());
}

// QA: the lockout told which user names exist (an existing account's 3rd wrong password gave
// ACCOUNT_LOCKED, an unknown name LOGIN_FAILED forever). An unknown name now meets the same answers
// in the same order, counted per name regardless of case, and no account is made or audited.
TEST_F(LoginServiceTest, AnUnknownUserNameLocksAsAnAccountDoes) {
  const int64_t mark = OutboxMark();
  auto answers = [&](const std::vector<std::string>& names) {
    std::vector<std::string> seen;
    for (const std::string& name : names) {
      absl::Status s = service_->StaffLogin(name, "wrong password", kRequestId).status();
      std::string answer(absl::StatusCodeToString(s.code()));
      if (auto retry = s.GetPayload(kRetryAfterPayload)) {
        absl::StrAppend(&answer, " retry-after ", std::string(*retry));
      }
      seen.push_back(answer);
    }
    return seen;
  };
  const std::string admin = Name("admin.geixin");
  const std::string ghost = Name("ghost.admin");
  const std::vector<std::string> existing =
      answers({admin, admin, absl::AsciiStrToUpper(admin), admin});
  // Trailing spaces are ignored by the account lookup, and so by the unknown names' count.
  const std::vector<std::string> unknown =
      answers({ghost, ghost + "  ", absl::AsciiStrToUpper(ghost), ghost});
  EXPECT_EQ(existing, (std::vector<std::string>{"UNAUTHENTICATED", "UNAUTHENTICATED",
                                                "RESOURCE_EXHAUSTED retry-after 900",
                                                "RESOURCE_EXHAUSTED retry-after 900"}));
  EXPECT_EQ(unknown, existing);
  // Another unknown name counts alone.
  EXPECT_EQ(answers({Name("ghost.other")}), std::vector<std::string>{"UNAUTHENTICATED"});
  // The lock ends as an account's does, and the count starts again.
  now_ += absl::Minutes(16);
  EXPECT_EQ(answers({ghost}), std::vector<std::string>{"UNAUTHENTICATED"});
  EXPECT_EQ(store_->FindStaffByUsername(ghost).status().code(), absl::StatusCode::kNotFound);
  // Only the real account's lock is on the trail.
  std::vector<std::string> actions;
  for (const audit::v1::AuditRecord& record : AuditSince(mark)) actions.push_back(record.action());
  EXPECT_EQ(actions, std::vector<std::string>{"lock"});
  // And the account signs in in any case once its lock has ended.
  EXPECT_TRUE(
      service_->StaffLogin(absl::AsciiStrToUpper(admin), "correct horse battery", kRequestId).ok());
}

TEST_F(LoginServiceTest, ResidentBindsOnceWithInvitationThenSignsInWithCodeAlone) {
  auth::Caller admin_caller = SignedInAdmin();
  auto invitation =
      service_->CreateInvitation(admin_caller, 501, Member(9001), std::nullopt, kRequestId);
  ASSERT_TRUE(invitation.ok()) << invitation.status();

  auto unbound = service_->WeChatLogin(Code("a"), "", kRequestId);
  EXPECT_EQ(unbound.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(service_->WeChatLogin(Code("a"), "WRONG-CODE", kRequestId).status().code(),
            absl::StatusCode::kNotFound);

  std::string typed = invitation->code;
  for (char& c : typed) c = static_cast<char>(std::tolower(c));  // users type lowercase
  auto bound = service_->WeChatLogin(Code("a"), typed, kRequestId);
  ASSERT_TRUE(bound.ok()) << bound.status();
  auto caller = verifier_->Verify(bound->access_token, now_);
  EXPECT_EQ(caller->role, auth::Role::kResident);
  EXPECT_EQ(caller->household_id, 501);
  EXPECT_EQ(caller->village_id, Village());
  EXPECT_EQ(caller->user_id, MemberUser(9001));

  // The invitation is spent: another WeChat user can't use it.
  EXPECT_EQ(service_->WeChatLogin(Code("b"), invitation->code, kRequestId).status().code(),
            absl::StatusCode::kNotFound);
  // The bound user signs in with the code alone from now on.
  EXPECT_TRUE(service_->WeChatLogin(Code("a"), "", kRequestId).ok());
  EXPECT_EQ(service_->WeChatLogin("bad", "", kRequestId).status().code(),
            absl::StatusCode::kUnauthenticated);
}

// A bound WeChat user's invitation for another member is refused, not ignored: nothing changes,
// the user stays who they were, and the invitation is still there for the member it was for.
TEST_F(LoginServiceTest, ABoundUserIsRefusedAnotherMembersInvitationWhichStaysUnspent) {
  const auth::Caller admin = SignedInAdmin();
  auto mine = service_->CreateInvitation(admin, 193, Member(194), std::nullopt, kRequestId);
  auto theirs = service_->CreateInvitation(admin, 2, Member(2), std::nullopt, kRequestId);
  ASSERT_TRUE(mine.ok() && theirs.ok());
  ASSERT_TRUE(service_->WeChatLogin(Code("zhang"), mine->code, kRequestId).ok());

  const int64_t mark = OutboxMark();
  auto refused = service_->WeChatLogin(Code("zhang"), theirs->code, kRequestId);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(absl::StartsWith(refused.status().message(), "ACCOUNT_ALREADY_BOUND:"))
      << refused.status();
  EXPECT_TRUE(AuditSince(mark).empty());

  auto still = service_->WeChatLogin(Code("zhang"), "", kRequestId);
  ASSERT_TRUE(still.ok()) << still.status();
  EXPECT_EQ(still->user_id, MemberUser(194));
  EXPECT_EQ(verifier_->Verify(still->access_token, now_)->household_id, 193);
  // The invitation was not spent: it binds the member it was for.
  auto invited = service_->WeChatLogin(Code("li"), theirs->code, kRequestId);
  ASSERT_TRUE(invited.ok()) << invited.status();
  EXPECT_EQ(invited->user_id, MemberUser(2));
  EXPECT_EQ(verifier_->Verify(invited->access_token, now_)->household_id, 2);
}

// An invitation for the member the user is already bound to signs them in and is spent on their
// binding (audited), so it can't move the member to anyone else later; sending it again is fine.
TEST_F(LoginServiceTest, AnInvitationForTheBoundMemberSignsInAndIsSpentOnTheBinding) {
  const auth::Caller admin = SignedInAdmin();
  auto first = service_->CreateInvitation(admin, 193, Member(194), std::nullopt, kRequestId);
  auto second = service_->CreateInvitation(admin, 193, Member(194), std::nullopt, "r-issue");
  ASSERT_TRUE(first.ok() && second.ok());
  ASSERT_TRUE(service_->WeChatLogin(Code("zhang"), first->code, kRequestId).ok());

  const int64_t mark = OutboxMark();
  auto signed_in = service_->WeChatLogin(Code("zhang"), second->code, "r-redeem");
  ASSERT_TRUE(signed_in.ok()) << signed_in.status();
  EXPECT_EQ(signed_in->user_id, MemberUser(194));
  EXPECT_TRUE(signed_in->ended_access_token_ids.empty());
  const std::vector<audit::v1::AuditRecord> records = AuditSince(mark);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].action(), "redeem");
  EXPECT_EQ(records[0].object_type(), "invitation");
  EXPECT_EQ(records[0].actor_user_id(), MemberUser(194));
  EXPECT_EQ(records[0].request_id(), "r-redeem");
  EXPECT_FALSE(absl::StrContains(records[0].after(), second->code));

  EXPECT_EQ(service_->WeChatLogin(Code("wang"), second->code, kRequestId).status().code(),
            absl::StatusCode::kNotFound);
  // The client sending either code again signs in, changing nothing.
  EXPECT_TRUE(service_->WeChatLogin(Code("zhang"), second->code, kRequestId).ok());
  EXPECT_TRUE(service_->WeChatLogin(Code("zhang"), first->code, kRequestId).ok());
  EXPECT_EQ(AuditSince(mark).size(), 1u);
}

// One WeChat binding per member: the member's new invitation redeemed from another WeChat user (a
// new phone) moves the member there. The old binding stops at once: it can't sign in or refresh,
// its access tokens are handed back for the revocation list, and the move is audited.
TEST_F(LoginServiceTest, ANewWeChatUserForABoundMemberReplacesTheOldBinding) {
  const auth::Caller admin = SignedInAdmin();
  auto old_phone = service_->CreateInvitation(admin, 193, Member(193), std::nullopt, kRequestId);
  ASSERT_TRUE(old_phone.ok());
  auto old_pair = service_->WeChatLogin(Code("wang"), old_phone->code, kRequestId);
  ASSERT_TRUE(old_pair.ok()) << old_pair.status();
  auto old_refreshed = service_->Refresh(old_pair->refresh_token);
  ASSERT_TRUE(old_refreshed.ok());
  auto old_again = service_->WeChatLogin(Code("wang"), "", kRequestId);  // a second session
  ASSERT_TRUE(old_again.ok());
  const auto token_id = [&](const TokenPair& pair) {
    return verifier_->Verify(pair.access_token, now_)->token_id;
  };

  auto new_phone = service_->CreateInvitation(admin, 193, Member(193), std::nullopt, kRequestId);
  ASSERT_TRUE(new_phone.ok());
  const int64_t mark = OutboxMark();
  auto moved = service_->WeChatLogin(Code("wang-newphone"), new_phone->code, "r-move");
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->user_id, MemberUser(193));
  std::vector<std::string> ended = moved->ended_access_token_ids;
  std::sort(ended.begin(), ended.end());
  std::vector<std::string> expected = {token_id(*old_pair), token_id(*old_refreshed),
                                       token_id(*old_again)};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(ended, expected);

  // The old WeChat user is no one's now; only the new one signs in as the member.
  EXPECT_EQ(service_->WeChatLogin(Code("wang"), "", kRequestId).status().code(),
            absl::StatusCode::kFailedPrecondition);
  for (const TokenPair* pair : {&*old_refreshed, &*old_again}) {
    EXPECT_EQ(service_->Refresh(pair->refresh_token).status().code(),
              absl::StatusCode::kUnauthenticated);
  }
  auto new_again = service_->WeChatLogin(Code("wang-newphone"), "", kRequestId);
  ASSERT_TRUE(new_again.ok());
  EXPECT_EQ(new_again->user_id, MemberUser(193));
  EXPECT_TRUE(service_->Refresh(moved->refresh_token).ok());

  const std::vector<audit::v1::AuditRecord> records = AuditSince(mark);
  ASSERT_EQ(records.size(), 2u);
  const audit::v1::AuditRecord& release = records[0];
  const audit::v1::AuditRecord& bind = records[1];
  EXPECT_EQ(release.action(), "release");
  EXPECT_EQ(release.object_type(), "resident_binding");
  EXPECT_EQ(release.actor_user_id(), MemberUser(193));
  EXPECT_EQ(release.actor_role(), "resident");
  EXPECT_EQ(release.request_id(), "r-move");
  EXPECT_EQ(release.village_id(), Village());
  EXPECT_EQ(bind.action(), "bind");
  const nlohmann::json before = nlohmann::json::parse(release.before());
  const nlohmann::json after = nlohmann::json::parse(release.after());
  const nlohmann::json bound = nlohmann::json::parse(bind.after());
  EXPECT_EQ(absl::StrCat(before["binding_id"].get<int64_t>()), release.object_id());
  EXPECT_EQ(before["member_id"], Member(193));
  EXPECT_GT(before["invitation_id"].get<int64_t>(), 0);
  EXPECT_EQ(after["released_at_ms"], absl::ToUnixMillis(now_));
  EXPECT_EQ(absl::StrCat(after["replaced_by_binding"].get<int64_t>()), bind.object_id());
  EXPECT_EQ(bound["replaces_binding"], before["binding_id"]);
  EXPECT_EQ(bound["member_id"], Member(193));

  // The released WeChat user may be invited again, to any member.
  auto later = service_->CreateInvitation(admin, 195, Member(196), std::nullopt, kRequestId);
  ASSERT_TRUE(later.ok());
  auto rebound = service_->WeChatLogin(Code("wang"), later->code, kRequestId);
  ASSERT_TRUE(rebound.ok()) << rebound.status();
  EXPECT_EQ(rebound->user_id, MemberUser(196));
  EXPECT_TRUE(rebound->ended_access_token_ids.empty());
}

TEST_F(LoginServiceTest, RefreshRotatesAndRevokedTokensAreRefused) {
  auto pair = service_->StaffLogin(Name("admin.geixin"), "correct horse battery", kRequestId);
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

// QA: a spent refresh token presented again (after the grace for parallel refreshes) is a copy in
// other hands: the whole session ends, the live refresh token and the access tokens with it, and
// the user's other sessions go on.
TEST_F(LoginServiceTest, ASpentRefreshTokenPresentedAgainEndsItsSession) {
  const std::string admin = Name("admin.geixin");
  auto first = service_->StaffLogin(admin, "correct horse battery", kRequestId);
  ASSERT_TRUE(first.ok()) << first.status();
  auto other = service_->StaffLogin(admin, "correct horse battery", kRequestId);
  ASSERT_TRUE(other.ok()) << other.status();
  now_ += absl::Minutes(1);
  auto second = service_->Refresh(first->refresh_token);
  ASSERT_TRUE(second.ok()) << second.status();

  now_ += absl::Minutes(1);  // well after the grace
  std::vector<std::string> ended;
  auto replay = service_->Refresh(first->refresh_token, "req-replay", &ended);
  EXPECT_EQ(replay.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(absl::StartsWith(replay.status().message(), "REFRESH_TOKEN_INVALID"));
  // Both access tokens of the session, for the revocation list; not the other session's.
  std::vector<std::string> expected;
  for (const TokenPair* pair : {&*first, &*second}) {
    auto caller = verifier_->Verify(pair->access_token, now_);
    ASSERT_TRUE(caller.ok()) << caller.status();
    expected.push_back(caller->token_id);
  }
  std::sort(ended.begin(), ended.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(ended, expected);
  // The live refresh token of the session is spent; another session is untouched.
  EXPECT_EQ(service_->Refresh(second->refresh_token).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(service_->Refresh(other->refresh_token).ok());
  // Presented once more: the session is over already, nothing else ends.
  ended.clear();
  now_ += absl::Minutes(1);
  EXPECT_EQ(service_->Refresh(first->refresh_token, "", &ended).status().code(),
            absl::StatusCode::kUnauthenticated);
  auto alive = verifier_->Verify(other->access_token, now_);
  ASSERT_TRUE(alive.ok());
  EXPECT_EQ(std::count(ended.begin(), ended.end(), alive->token_id), 0);
}

// Parallel refreshes with one live token (a phone's two requests meeting an expired access token
// at once): exactly one wins, and the losers, refused within the grace, don't end its session.
TEST_F(LoginServiceTest, ParallelRefreshesOfOneTokenHaveOneWinnerAndTheSessionGoesOn) {
  auto pair = service_->StaffLogin(Name("admin.geixin"), "correct horse battery", kRequestId);
  ASSERT_TRUE(pair.ok()) << pair.status();
  constexpr int kParallel = 3;
  std::vector<absl::StatusOr<TokenPair>> results(kParallel, absl::UnknownError("not run"));
  std::vector<std::vector<std::string>> ended(kParallel);
  std::vector<std::thread> threads;
  for (int i = 0; i < kParallel; ++i) {
    threads.emplace_back(
        [&, i] { results[i] = service_->Refresh(pair->refresh_token, "", &ended[i]); });
  }
  for (std::thread& t : threads) t.join();
  const TokenPair* winner = nullptr;
  for (int i = 0; i < kParallel; ++i) {
    EXPECT_TRUE(ended[i].empty());
    if (results[i].ok()) {
      EXPECT_EQ(winner, nullptr) << "two winners";
      winner = &*results[i];
    } else {
      EXPECT_EQ(results[i].status().code(), absl::StatusCode::kUnauthenticated)
          << results[i].status();
    }
  }
  ASSERT_NE(winner, nullptr);
  // A late loser within the grace (a retry on a slow network) is refused and ends nothing.
  now_ += absl::Seconds(5);
  std::vector<std::string> late;
  EXPECT_EQ(service_->Refresh(pair->refresh_token, "", &late).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(late.empty());
  auto next = service_->Refresh(winner->refresh_token);
  ASSERT_TRUE(next.ok()) << next.status();
  // After the grace the same presentation is a replay and ends the session.
  now_ += absl::Seconds(6);
  EXPECT_EQ(service_->Refresh(pair->refresh_token, "", &late).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_FALSE(late.empty());
  EXPECT_EQ(service_->Refresh(next->refresh_token).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(LoginServiceTest, StaffCreationFollowsTheCreatorsScope) {
  const auth::Caller admin = VillageAdmin();
  EXPECT_TRUE(service_
                  ->CreateStaff(admin,
                                {Name("grid.1"), "long enough pw", "grid_worker", 0, 0, 4, 0},
                                kRequestId)
                  .ok());
  EXPECT_EQ(
      service_
          ->CreateStaff(admin,
                        {Name("grid.2"), "long enough pw", "grid_worker", 0, Village() + 1, 4, 0},
                        kRequestId)
          .status()
          .code(),
      absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(
      service_
          ->CreateStaff(admin, {Name("boss"), "long enough pw", "district_official"}, kRequestId)
          .status()
          .code(),
      absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(service_
                ->CreateStaff(admin, {Name("grid.1"), "long enough pw", "grid_worker", 0, 0, 4, 0},
                              kRequestId)
                .status()
                .code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(
      service_->CreateStaff(admin, {Name("grid.3"), "short", "grid_worker", 0, 0, 4, 0}, kRequestId)
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
}

TEST_F(LoginServiceTest, ChangesNameTheirActorAndRequestAndRoutineSignInsNone) {
  const auth::Caller admin = SignedInAdmin();
  const int64_t mark = OutboxMark();  // after the fixture's account
  ASSERT_TRUE(
      service_
          ->CreateStaff(admin, {Name("grid.9"), "long enough pw", "grid_worker", 0, 0, 4, 0}, "r-1")
          .ok());
  auto invitation = service_->CreateInvitation(admin, 501, Member(9001), std::nullopt, "r-2");
  ASSERT_TRUE(invitation.ok());
  auto resident = service_->WeChatLogin(Code("z"), invitation->code, "r-3");
  ASSERT_TRUE(resident.ok());
  for (int i = 0; i < 3; ++i) {
    (void)service_->StaffLogin(Name("grid.9"), "wrong", absl::StrCat("r-4", i));
  }
  // Routine: sign-ins, a refresh, a logout, a refused invitation.
  ASSERT_TRUE(service_->WeChatLogin(Code("z"), "", "r-5").ok());
  ASSERT_TRUE(service_->Refresh(resident->refresh_token).ok());
  ASSERT_TRUE(service_->RevokeRefreshToken(resident->refresh_token).ok());
  EXPECT_FALSE(service_->WeChatLogin(Code("y"), invitation->code, "r-6").ok());
  const NewStaff boot{Name("district.boot"), "long enough pw", "district_official"};
  ASSERT_TRUE(service_->EnsureStaff(boot).ok());
  ASSERT_TRUE(service_->EnsureStaff(boot).ok());

  const std::vector<audit::v1::AuditRecord> records = AuditSince(mark);
  ASSERT_EQ(records.size(), 5u);
  const std::string bound_member = MemberUser(9001);
  struct Expected {
    const char* action;
    const char* user_id;
    const char* role;
    const char* request_id;
  };
  const Expected expected[] = {{"create", admin.user_id.c_str(), "village_admin", "r-1"},
                               {"issue", admin.user_id.c_str(), "village_admin", "r-2"},
                               {"bind", bound_member.c_str(), "resident", "r-3"},
                               {"lock", "", "system", "r-42"},
                               {"create", "", "system", ""}};
  for (size_t i = 0; i < records.size(); ++i) {
    const audit::v1::AuditRecord& record = records[i];
    EXPECT_EQ(record.action(), expected[i].action) << i;
    EXPECT_EQ(record.actor_user_id(), expected[i].user_id) << record.action();
    EXPECT_EQ(record.actor_role(), expected[i].role) << record.action();
    EXPECT_EQ(record.request_id(), expected[i].request_id) << record.action();
  }
}

// What must hold for an account to exist (a grid worker named on their grid) is confirmed before
// it is stored: a refusal leaves no account and no audit record, and the user name free.
TEST_F(LoginServiceTest, AnAccountIsStoredOnlyOnceConfirmed) {
  const auth::Caller admin = VillageAdmin();
  const NewStaff worker{Name("grid.confirmed"), "long enough pw", "grid_worker", 0, 0, 4, 0};
  const int64_t mark = OutboxMark();
  std::string refused_id;
  ConfirmNewStaff refuse;
  refuse.confirm = [&](int64_t account_id) {
    refused_id = StaffUserId(account_id);
    return absl::UnavailableError("GRID_WORKER_NOT_ASSIGNED: scoring is away");
  };
  absl::StatusOr<std::string> refused = service_->CreateStaff(admin, worker, kRequestId, refuse);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StartsWith(refused_id, "staff-")) << refused_id;
  EXPECT_TRUE(AuditSince(mark).empty());
  EXPECT_EQ(service_->StaffLogin(worker.username, "long enough pw", kRequestId).status().code(),
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
  EXPECT_EQ(AuditSince(mark).size(), 1u);
  EXPECT_TRUE(service_->StaffLogin(worker.username, "long enough pw", kRequestId).ok());
}

// The registry named another worker for a grid: the accounts' grid claims follow it, and the
// sessions of the accounts that changed end (their tokens carry the old claim).
TEST_F(LoginServiceTest, GridClaimsFollowTheRegistrysWorker) {
  const auth::Caller admin = SignedInAdmin();
  const std::string replaced = *service_->CreateStaff(
      admin, {Name("grid.a"), "long enough pw", "grid_worker", 0, 0, 4, 0}, "r");
  const std::string successor = *service_->CreateStaff(
      admin, {Name("grid.b"), "long enough pw", "grid_worker", 0, 0, 5, 0}, "r");
  auto replaced_pair = service_->StaffLogin(Name("grid.a"), "long enough pw", kRequestId);
  auto successor_pair = service_->StaffLogin(Name("grid.b"), "long enough pw", kRequestId);
  ASSERT_TRUE(replaced_pair.ok() && successor_pair.ok());
  const auto token_id = [&](const TokenPair& pair) {
    return verifier_->Verify(pair.access_token, now_)->token_id;
  };
  const auto grid_claim = [&](const std::string& username) {
    auto pair = service_->StaffLogin(username, "long enough pw", kRequestId);
    return pair.ok() ? verifier_->Verify(pair->access_token, now_)->grid_id : -1;
  };

  const int64_t mark = OutboxMark();
  absl::StatusOr<std::vector<std::string>> revoke =
      service_->FollowGridWorker(admin, Village(), 4, successor, "r-follow");
  ASSERT_TRUE(revoke.ok()) << revoke.status();
  EXPECT_EQ(*revoke,
            (std::vector<std::string>{token_id(*replaced_pair), token_id(*successor_pair)}));
  EXPECT_EQ(service_->Refresh(replaced_pair->refresh_token).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(service_->Refresh(successor_pair->refresh_token).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(grid_claim(Name("grid.a")), 0);
  EXPECT_EQ(grid_claim(Name("grid.b")), 4);
  const std::vector<audit::v1::AuditRecord> records = AuditSince(mark);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].action(), "release_grid");
  EXPECT_EQ(records[1].action(), "bind_grid");
  for (const audit::v1::AuditRecord& record : records) {
    EXPECT_EQ(record.actor_user_id(), admin.user_id);
    EXPECT_EQ(record.request_id(), "r-follow");
  }

  // Again (an admin's retry): the accounts already agree, nothing changes.
  revoke = service_->FollowGridWorker(admin, Village(), 4, successor, "r-again");
  ASSERT_TRUE(revoke.ok());
  EXPECT_TRUE(revoke->empty());
  EXPECT_EQ(AuditSince(mark).size(), 2u);
  // A worker who is none of our accounts, or none at all: whoever claimed the grid lets go.
  ASSERT_TRUE(service_->FollowGridWorker(admin, Village(), 4, "demo-grid-worker-11", "r").ok());
  EXPECT_EQ(grid_claim(Name("grid.b")), 0);
  EXPECT_EQ(AuditSince(mark).size(), 3u);
  // Accounts of another village are not touched.
  ASSERT_TRUE(service_->FollowGridWorker(admin, Village() + 1, 4, replaced, "r").ok());
  EXPECT_EQ(grid_claim(Name("grid.a")), 0);
}

// ---- WeChat bindings as the village's staff see and release them ------------------------------

// A village admin releases a lost phone's binding as a member's new phone would release it: the
// phone signs in as no one, every session of it ends (the access tokens are handed back for the
// revocation list), the trail has the admin and the reason, and a new invitation binds the member
// again. The WeChat user released may then be bound to the member they should have been.
TEST_F(LoginServiceTest, AVillageAdminReleasesABindingAsANewPhoneWould) {
  const auth::Caller admin = SignedInAdmin();
  auto invitation = service_->CreateInvitation(admin, 301, Member(301), std::nullopt, kRequestId);
  ASSERT_TRUE(invitation.ok());
  auto lost = service_->WeChatLogin(Code("lost"), invitation->code, kRequestId);
  ASSERT_TRUE(lost.ok()) << lost.status();
  auto refreshed = service_->Refresh(lost->refresh_token);
  auto second = service_->WeChatLogin(Code("lost"), "", kRequestId);  // another session
  ASSERT_TRUE(refreshed.ok() && second.ok());
  const auto token_id = [&](const TokenPair& pair) {
    return verifier_->Verify(pair.access_token, now_)->token_id;
  };
  absl::StatusOr<BindingPage> listed =
      service_->ListBindings(admin, {Village(), 301, 0, ""}, *unreachable_registry_);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->bindings.size(), 1u);
  const BoundMember bound = listed->bindings[0];

  const int64_t mark = OutboxMark();
  absl::StatusOr<BindingRelease> released =
      service_->ReleaseBinding(admin, bound.binding_id, "  手机丢失 ", "r-release");
  ASSERT_TRUE(released.ok()) << released.status();
  EXPECT_EQ(released->outcome, BindingRelease::Outcome::kReleased);
  EXPECT_EQ(released->binding.member_id, Member(301));
  EXPECT_EQ(released->binding.household_id, 301);
  EXPECT_EQ(released->binding.released_at_ms, absl::ToUnixMillis(now_));
  std::vector<std::string> ended = released->ended_access_token_ids;
  std::sort(ended.begin(), ended.end());
  std::vector<std::string> expected = {token_id(*lost), token_id(*refreshed), token_id(*second)};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(ended, expected);

  // The phone is no one's: no sign-in, no refresh, and the binding is no longer listed.
  EXPECT_EQ(service_->WeChatLogin(Code("lost"), "", kRequestId).status().code(),
            absl::StatusCode::kFailedPrecondition);
  for (const TokenPair* pair : {&*refreshed, &*second}) {
    EXPECT_EQ(service_->Refresh(pair->refresh_token).status().code(),
              absl::StatusCode::kUnauthenticated);
  }
  listed = service_->ListBindings(admin, {Village(), 301, 0, ""}, *unreachable_registry_);
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->bindings.empty());

  // On the trail once, by the admin, with the reason as typed less the spaces around it.
  const std::vector<audit::v1::AuditRecord> records = AuditSince(mark);
  ASSERT_EQ(records.size(), 1u);
  const audit::v1::AuditRecord& release = records[0];
  EXPECT_EQ(release.action(), "release");
  EXPECT_EQ(release.object_type(), "resident_binding");
  EXPECT_EQ(release.object_id(), absl::StrCat(bound.binding_id));
  EXPECT_EQ(release.actor_user_id(), admin.user_id);
  EXPECT_EQ(release.actor_role(), "village_admin");
  EXPECT_EQ(release.request_id(), "r-release");
  EXPECT_EQ(release.village_id(), Village());
  const nlohmann::json before = nlohmann::json::parse(release.before());
  const nlohmann::json after = nlohmann::json::parse(release.after());
  EXPECT_EQ(before["member_id"], Member(301));
  EXPECT_GT(before["invitation_id"].get<int64_t>(), 0);
  EXPECT_EQ(after["released_at_ms"], absl::ToUnixMillis(now_));
  EXPECT_EQ(after["reason"], "手机丢失");
  EXPECT_FALSE(after.contains("replaced_by_binding"));
  EXPECT_FALSE(absl::StrContains(release.before() + release.after(), "openid"));

  // A second release changes nothing and says why.
  absl::StatusOr<BindingRelease> again =
      service_->ReleaseBinding(admin, bound.binding_id, "", kRequestId);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(absl::StartsWith(again.status().message(), "BINDING_ALREADY_RELEASED:"))
      << again.status();
  EXPECT_EQ(AuditSince(mark).size(), 1u);

  // A new invitation binds the member again, from the new phone; the released WeChat user can be
  // invited as whoever they should be.
  auto rebind = service_->CreateInvitation(admin, 301, Member(301), std::nullopt, kRequestId);
  ASSERT_TRUE(rebind.ok());
  auto new_phone = service_->WeChatLogin(Code("new-phone"), rebind->code, kRequestId);
  ASSERT_TRUE(new_phone.ok()) << new_phone.status();
  EXPECT_EQ(new_phone->user_id, MemberUser(301));
  EXPECT_TRUE(new_phone->ended_access_token_ids.empty());  // nothing left to replace
  auto right_member = service_->CreateInvitation(admin, 302, Member(302), std::nullopt, kRequestId);
  ASSERT_TRUE(right_member.ok());
  auto rebound = service_->WeChatLogin(Code("lost"), right_member->code, kRequestId);
  ASSERT_TRUE(rebound.ok()) << rebound.status();
  EXPECT_EQ(rebound->user_id, MemberUser(302));
}

// Only the binding's own village admin releases it. Another village's admin is told the binding
// is not found, as if it did not exist; other roles are refused; nothing changes either way.
TEST_F(LoginServiceTest, OnlyTheVillagesAdminReleasesItsBindings) {
  const auth::Caller admin = SignedInAdmin();
  auto invitation = service_->CreateInvitation(admin, 303, Member(303), std::nullopt, kRequestId);
  ASSERT_TRUE(invitation.ok());
  auto bound = service_->WeChatLogin(Code("kept"), invitation->code, kRequestId);
  ASSERT_TRUE(bound.ok()) << bound.status();
  const auth::Caller resident = *verifier_->Verify(bound->access_token, now_);
  const int64_t binding_id =
      service_->ListBindings(admin, {Village(), 303, 0, ""}, *unreachable_registry_)
          ->bindings.at(0)
          .binding_id;

  auth::Caller other_admin = VillageAdmin();
  other_admin.village_id = Village() + 1;
  auth::Caller town = VillageAdmin();
  town.role = auth::Role::kTownOfficial;
  town.village_id = 0;
  auth::Caller district;
  district.role = auth::Role::kDistrictOfficial;
  district.user_id = "staff-0";
  const int64_t mark = OutboxMark();
  absl::StatusOr<BindingRelease> foreign =
      service_->ReleaseBinding(other_admin, binding_id, "", kRequestId);
  EXPECT_EQ(foreign.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StartsWith(foreign.status().message(), "BINDING_NOT_FOUND:"))
      << foreign.status();
  EXPECT_EQ(service_->ReleaseBinding(admin, binding_id + 1000000, "", kRequestId).status().code(),
            absl::StatusCode::kNotFound);
  for (const auth::Caller& refused : {resident, town, district}) {
    EXPECT_EQ(service_->ReleaseBinding(refused, binding_id, "", kRequestId).status().code(),
              absl::StatusCode::kPermissionDenied)
        << auth::RoleName(refused.role);
  }
  const std::string too_long(kReleaseReasonCharactersMax + 1, 'x');
  absl::StatusOr<BindingRelease> long_reason =
      service_->ReleaseBinding(admin, binding_id, too_long, kRequestId);
  EXPECT_EQ(long_reason.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(long_reason.status().message(), "REASON_TOO_LONG: reason:"))
      << long_reason.status();
  EXPECT_TRUE(AuditSince(mark).empty());
  EXPECT_TRUE(service_->WeChatLogin(Code("kept"), "", kRequestId).ok());
  EXPECT_TRUE(service_->Refresh(bound->refresh_token).ok());
  // A reason of exactly the limit, in characters (字) not bytes, is taken.
  std::string longest;
  for (int i = 0; i < kReleaseReasonCharactersMax; ++i) longest += "丢";
  EXPECT_TRUE(service_->ReleaseBinding(admin, binding_id, longest, kRequestId).ok());
}

// The list holds the village's active bindings only, in binding id order, a page at a time, and
// is read by the village's admin and the district; other villages' admins and residents are
// refused. A town official's villages are scoring's to say: without the registry, no answer.
TEST_F(LoginServiceTest, AVillagesBindingsAreListedToItsStaffOnly) {
  const auth::Caller admin = SignedInAdmin();
  auth::Caller other_admin = VillageAdmin();
  other_admin.village_id = Village() + 1;
  std::vector<std::string> access_tokens;
  const auto bind = [&](const auth::Caller& inviter, int64_t household, int64_t member,
                        const std::string& who) {
    auto invitation =
        service_->CreateInvitation(inviter, household, Member(member), std::nullopt, kRequestId);
    EXPECT_TRUE(invitation.ok()) << invitation.status();
    if (!invitation.ok()) return;
    auto pair = service_->WeChatLogin(Code(who), invitation->code, kRequestId);
    EXPECT_TRUE(pair.ok()) << pair.status();
    if (pair.ok()) access_tokens.push_back(pair->access_token);
  };
  bind(admin, 310, 311, "a");
  bind(admin, 310, 312, "b");
  bind(admin, 320, 321, "c");
  bind(admin, 330, 331, "d");
  bind(other_admin, 340, 341, "e");  // another village's
  // Each binding was last used when it signed in (the fixture's clock); a refresh is a use too.
  now_ += absl::Minutes(20);
  absl::StatusOr<TokenPair> refreshed = service_->WeChatLogin(Code("b"), "", kRequestId);
  ASSERT_TRUE(refreshed.ok()) << refreshed.status();
  now_ += absl::Minutes(20);
  ASSERT_TRUE(service_->Refresh(refreshed->refresh_token).ok());
  const auto listed_members = [&](const auth::Caller& reader, BindingQuery query) {
    std::vector<int64_t> members;
    absl::StatusOr<BindingPage> page =
        service_->ListBindings(reader, query, *unreachable_registry_);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) return members;
    for (const BoundMember& bound : page->bindings) {
      EXPECT_EQ(bound.village_id, query.village_id);
      EXPECT_EQ(bound.released_at_ms, 0);
      EXPECT_GT(bound.bound_at_ms, 0);
      members.push_back(bound.member_id);
    }
    return members;
  };
  absl::StatusOr<BindingPage> all =
      service_->ListBindings(admin, {Village(), 0, 0, ""}, *unreachable_registry_);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->bindings.size(), 4u);
  EXPECT_TRUE(all->next_page_token.empty());
  EXPECT_EQ(all->bindings[0].last_active_at_ms, absl::ToUnixMillis(now_ - absl::Minutes(40)));
  EXPECT_EQ(all->bindings[1].last_active_at_ms, absl::ToUnixMillis(now_));
  ASSERT_TRUE(
      service_->ReleaseBinding(admin, all->bindings[2].binding_id, "wrong member", kRequestId)
          .ok());

  EXPECT_EQ(listed_members(admin, {Village(), 0, 0, ""}),
            (std::vector<int64_t>{Member(311), Member(312), Member(331)}));
  EXPECT_EQ(listed_members(admin, {Village(), 310, 0, ""}),
            (std::vector<int64_t>{Member(311), Member(312)}));
  auth::Caller district;
  district.role = auth::Role::kDistrictInspector;
  district.user_id = "staff-0";
  EXPECT_EQ(listed_members(district, {Village() + 1, 0, 0, ""}),
            (std::vector<int64_t>{Member(341)}));

  // Two at a time: the token continues after the page's last binding.
  absl::StatusOr<BindingPage> first =
      service_->ListBindings(admin, {Village(), 0, 2, ""}, *unreachable_registry_);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->bindings.size(), 2u);
  EXPECT_EQ(first->next_page_token, absl::StrCat(first->bindings[1].binding_id));
  absl::StatusOr<BindingPage> last = service_->ListBindings(
      admin, {Village(), 0, 2, first->next_page_token}, *unreachable_registry_);
  ASSERT_TRUE(last.ok()) << last.status();
  ASSERT_EQ(last->bindings.size(), 1u);
  EXPECT_EQ(last->bindings[0].member_id, Member(331));
  EXPECT_TRUE(last->next_page_token.empty());

  ASSERT_FALSE(access_tokens.empty());
  const auth::Caller resident = verifier_->Verify(access_tokens[0], now_).value_or(auth::Caller{});
  auth::Caller grid = VillageAdmin();
  grid.role = auth::Role::kGridWorker;
  for (const auth::Caller& refused : {other_admin, resident, grid}) {
    EXPECT_EQ(service_->ListBindings(refused, {Village(), 0, 0, ""}, *unreachable_registry_)
                  .status()
                  .code(),
              absl::StatusCode::kPermissionDenied)
        << auth::RoleName(refused.role);
  }
  for (const BindingQuery& bad :
       {BindingQuery{0, 0, 0, ""}, BindingQuery{Village(), 0, 501, ""},
        BindingQuery{Village(), 0, 0, "x"}, BindingQuery{Village(), 0, 0, "-4"}}) {
    EXPECT_EQ(service_->ListBindings(admin, bad, *unreachable_registry_).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad.village_id << " " << bad.page_size << " " << bad.page_token;
  }
  auth::Caller town = VillageAdmin();
  town.role = auth::Role::kTownOfficial;
  town.village_id = 0;
  EXPECT_EQ(
      service_->ListBindings(town, {Village(), 0, 0, ""}, *unreachable_registry_).status().code(),
      absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace jifen::gateway
