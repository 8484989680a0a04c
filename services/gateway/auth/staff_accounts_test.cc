#include "services/gateway/auth/staff_accounts.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "services/gateway/auth/fake_account_store.h"

namespace jifen::gateway {
namespace {

class StaffAccountsTest : public ::testing::Test {
 protected:
  FakeAccountStore store_;
  StaffAccounts accounts_{&store_, PasswordCost::Minimum(), kMinPasswordLength};
  const AuditContext operator_ = OperatorContext("alice");
};

TEST_F(StaffAccountsTest, CreateChecksTheScopeEachRoleNeeds) {
  EXPECT_TRUE(
      accounts_.Create({"admin.1", "long enough pw", "village_admin", 1, 2, 0, 0}, operator_).ok());
  EXPECT_EQ(
      accounts_.Create({"admin.2", "long enough pw", "village_admin"}, operator_).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(accounts_.Create({"grid.1", "long enough pw", "grid_worker", 1, 2, 0, 0}, operator_)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      accounts_.Create({"town.1", "long enough pw", "town_official"}, operator_).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(accounts_.Create({"svc.1", "long enough pw", "service"}, operator_).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(accounts_.Create({"admin.1", "long enough pw", "district_official"}, operator_)
                .status()
                .code(),
            absl::StatusCode::kAlreadyExists);
  // Only the account made is on the trail, with the operator as its actor.
  const auto changes = store_.changes();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].first, "create");
  EXPECT_EQ(changes[0].second.actor_user_id, "alice");
  EXPECT_EQ(changes[0].second.actor_role, "operator");
}

TEST_F(StaffAccountsTest, IdsArePositiveAndUserNamesHaveNoSpacesAround) {
  auto refusal = [&](const NewStaff& request) {
    return std::string(accounts_.Create(request, operator_).status().message());
  };
  EXPECT_EQ(refusal({"admin.1", "long enough pw", "village_admin", 1, -5, 0, 0}),
            "village_id: must be a positive id");
  EXPECT_EQ(refusal({"grid.1", "long enough pw", "grid_worker", 1, 2, -1, 0}),
            "grid_id: must be a positive id");
  EXPECT_EQ(refusal({"town.1", "long enough pw", "town_official", -2, 0, 0, 0}),
            "town_id: must be a positive id");
  for (const char* name : {"   ", "district ", " district", "district\t",
                           "\xE3\x80\x80"
                           "district",
                           "district\xC2\xA0"}) {
    EXPECT_TRUE(
        absl::StartsWith(refusal({name, "long enough pw", "district_inspector"}), "username:"))
        << name;
  }
  EXPECT_TRUE(store_.changes().empty());
  EXPECT_TRUE(
      accounts_.Create({"dist rict", "long enough pw", "district_inspector"}, operator_).ok());
}

TEST_F(StaffAccountsTest, ResetUnlockDisableAndListNeverShowAHash) {
  ASSERT_TRUE(accounts_.Create({"insp.1", "first password", "district_inspector"}, operator_).ok());
  ASSERT_TRUE(store_.RecordLoginFailure(1, 1000, 1, 60'000, SystemContext("")).ok());  // locked
  ASSERT_TRUE(accounts_.ResetPassword("insp.1", "second password", operator_).ok());
  StaffAccount account = *store_.FindStaffByUsername("insp.1");
  EXPECT_TRUE(VerifyPassword("second password", account.password_hash));
  EXPECT_FALSE(VerifyPassword("first password", account.password_hash));
  EXPECT_EQ(account.locked_until_ms, 0);

  ASSERT_TRUE(store_.RecordLoginFailure(1, 1000, 1, 60'000, SystemContext("")).ok());
  ASSERT_TRUE(accounts_.Unlock("insp.1", operator_).ok());
  EXPECT_EQ(store_.FindStaffByUsername("insp.1")->locked_until_ms, 0);

  ASSERT_TRUE(accounts_.SetDisabled("insp.1", true, operator_).ok());
  EXPECT_TRUE(store_.FindStaffByUsername("insp.1")->disabled);

  absl::StatusOr<std::vector<StaffAccount>> listed = accounts_.List(0, 0);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_TRUE((*listed)[0].password_hash.empty());

  EXPECT_EQ(accounts_.Unlock("nobody", operator_).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(accounts_.ResetPassword("insp.1", "short", operator_).code(),
            absl::StatusCode::kInvalidArgument);

  // Each change once, refusals not at all; the lockouts are the system's, the rest the operator's.
  std::vector<std::string> actions;
  for (const auto& [action, context] : store_.changes()) {
    actions.push_back(action);
    EXPECT_EQ(context.actor_role, action == "lock" ? "system" : "operator") << action;
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"create", "lock", "reset_password", "lock", "unlock",
                                               "disable"}));
}

}  // namespace
}  // namespace jifen::gateway
