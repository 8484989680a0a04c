#include "services/gateway/auth/staff_accounts.h"

#include <gtest/gtest.h>

#include "services/gateway/auth/fake_account_store.h"

namespace jifen::gateway {
namespace {

class StaffAccountsTest : public ::testing::Test {
 protected:
  FakeAccountStore store_;
  StaffAccounts accounts_{&store_, PasswordCost::Minimum(), kMinPasswordLength};
};

TEST_F(StaffAccountsTest, CreateChecksTheScopeEachRoleNeeds) {
  EXPECT_TRUE(accounts_.Create({"admin.1", "long enough pw", "village_admin", 1, 2, 0, 0}).ok());
  EXPECT_EQ(accounts_.Create({"admin.2", "long enough pw", "village_admin"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      accounts_.Create({"grid.1", "long enough pw", "grid_worker", 1, 2, 0, 0}).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(accounts_.Create({"town.1", "long enough pw", "town_official"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(accounts_.Create({"svc.1", "long enough pw", "service"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(accounts_.Create({"admin.1", "long enough pw", "district_official"}).status().code(),
            absl::StatusCode::kAlreadyExists);
}

TEST_F(StaffAccountsTest, ResetUnlockDisableAndListNeverShowAHash) {
  ASSERT_TRUE(accounts_.Create({"insp.1", "first password", "district_inspector"}).ok());
  ASSERT_TRUE(store_.RecordLoginFailure(1, 1000, 1, 60'000).ok());  // locked
  ASSERT_TRUE(accounts_.ResetPassword("insp.1", "second password").ok());
  StaffAccount account = *store_.FindStaffByUsername("insp.1");
  EXPECT_TRUE(VerifyPassword("second password", account.password_hash));
  EXPECT_FALSE(VerifyPassword("first password", account.password_hash));
  EXPECT_EQ(account.locked_until_ms, 0);

  ASSERT_TRUE(store_.RecordLoginFailure(1, 1000, 1, 60'000).ok());
  ASSERT_TRUE(accounts_.Unlock("insp.1").ok());
  EXPECT_EQ(store_.FindStaffByUsername("insp.1")->locked_until_ms, 0);

  ASSERT_TRUE(accounts_.SetDisabled("insp.1", true).ok());
  EXPECT_TRUE(store_.FindStaffByUsername("insp.1")->disabled);

  absl::StatusOr<std::vector<StaffAccount>> listed = accounts_.List(0, 0);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_TRUE((*listed)[0].password_hash.empty());

  EXPECT_EQ(accounts_.Unlock("nobody").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(accounts_.ResetPassword("insp.1", "short").code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace jifen::gateway
