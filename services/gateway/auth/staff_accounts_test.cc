// StaffAccounts on the gateway's real store (MySqlAccountStore on a fresh gateway schema under the
// gateway's own restricted account), the audit trail read back from the schema's outbox. The suite
// shares the schema: each test makes accounts under user names no other test uses and reads only
// the outbox rows written after its start.
#include "services/gateway/auth/staff_accounts.h"

#include <cppconn/connection.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/statement.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/mysql/transaction.h"
#include "services/gateway/storage/mysql_account_store.h"
#include "tests/support/audit_outbox.h"
#include "tests/support/service_database.h"
#include "tests/support/testenv.h"

namespace jifen::gateway {
namespace {

class StaffAccountsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const jifen::testing::ServiceDatabase schema =
        jifen::testing::CreateServiceDatabase("gw_staff", "services/gateway/migrations");
    ASSERT_FALSE(HasFailure());
    service_pool_ = new mysql::ConnectionPool(schema.ServiceConfig(2));
    admin_pool_ = new mysql::ConnectionPool(schema.AdminConfig(1));
  }
  static void TearDownTestSuite() {
    delete service_pool_;
    delete admin_pool_;
    service_pool_ = nullptr;
    admin_pool_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(service_pool_, nullptr) << "no schema";
    mark_ = jifen::testing::LastOutboxId(*admin_pool_);
  }

  // The audit records written since the test began.
  std::vector<audit::v1::AuditRecord> Audited() {
    std::vector<audit::v1::AuditRecord> records;
    for (const jifen::testing::OutboxAudit& row :
         jifen::testing::AuditOutboxAfter(*admin_pool_, mark_)) {
      EXPECT_TRUE(row.parsed) << "outbox row " << row.outbox_id;
      records.push_back(row.record);
    }
    return records;
  }

  static inline mysql::ConnectionPool* service_pool_ = nullptr;
  static inline mysql::ConnectionPool* admin_pool_ = nullptr;

  MySqlAccountStore store_{service_pool_};
  StaffAccounts accounts_{&store_, PasswordCost::Minimum(), kMinPasswordLength};
  const AuditContext operator_ = OperatorContext("alice");
  int64_t mark_ = 0;
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
  const std::vector<audit::v1::AuditRecord> records = Audited();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].action(), "create");
  EXPECT_EQ(records[0].actor_user_id(), "alice");
  EXPECT_EQ(records[0].actor_role(), "operator");
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
  EXPECT_TRUE(Audited().empty());
  EXPECT_TRUE(
      accounts_.Create({"dist rict", "long enough pw", "district_inspector"}, operator_).ok());
}

// The user name column and the audit record hold UTF-8 only: the database refuses other bytes in
// a user name with an error of its own (INTERNAL, a "database failure" to jifen-admin), and an
// actor of other bytes makes a record that does not parse, which the relay's sink would set aside
// as a "malformed_payload" in place of the change. Both are bad input, refused with nothing stored.
TEST_F(StaffAccountsTest, UserNamesAndActorsThatAreNotUtf8AreRefused) {
  const absl::StatusOr<int64_t> name =
      accounts_.Create({"insp.\xFF\xFE", "long enough pw", "district_inspector"}, operator_);
  EXPECT_EQ(name.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(name.status().message(), "username:")) << name.status();

  const absl::StatusOr<int64_t> actor = accounts_.Create(
      {"insp.utf8", "long enough pw", "district_inspector"}, OperatorContext("op\xC3"));
  EXPECT_EQ(actor.status().code(), absl::StatusCode::kInvalidArgument) << actor.status();
  EXPECT_EQ(store_.FindStaffByUsername("insp.utf8").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(Audited().empty());

  ASSERT_TRUE(accounts_
                  .Create({"insp.\xE6\x9D\x8E", "long enough pw", "district_inspector"},
                          OperatorContext("\xE7\x8E\x8B"))
                  .ok());
  const std::vector<audit::v1::AuditRecord> records = Audited();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].actor_user_id(), "\xE7\x8E\x8B");
}

TEST_F(StaffAccountsTest, ResetUnlockDisableAndListNeverShowAHash) {
  absl::StatusOr<int64_t> id =
      accounts_.Create({"insp.1", "first password", "district_inspector"}, operator_);
  ASSERT_TRUE(id.ok()) << id.status();
  ASSERT_TRUE(store_.RecordLoginFailure(*id, 1000, 1, 60'000, SystemContext("")).ok());  // locked
  ASSERT_TRUE(accounts_.ResetPassword("insp.1", "second password", operator_).ok());
  StaffAccount account = *store_.FindStaffByUsername("insp.1");
  EXPECT_TRUE(VerifyPassword("second password", account.password_hash));
  EXPECT_FALSE(VerifyPassword("first password", account.password_hash));
  EXPECT_EQ(account.locked_until_ms, 0);

  ASSERT_TRUE(store_.RecordLoginFailure(*id, 1000, 1, 60'000, SystemContext("")).ok());
  ASSERT_TRUE(accounts_.Unlock("insp.1", operator_).ok());
  EXPECT_EQ(store_.FindStaffByUsername("insp.1")->locked_until_ms, 0);

  ASSERT_TRUE(accounts_.SetDisabled("insp.1", true, operator_).ok());
  EXPECT_TRUE(store_.FindStaffByUsername("insp.1")->disabled);

  // Other tests' accounts are listed too: none may show a hash.
  absl::StatusOr<std::vector<StaffAccount>> listed = accounts_.List(0, 0);
  ASSERT_TRUE(listed.ok());
  int found = 0;
  for (const StaffAccount& listed_account : *listed) {
    found += listed_account.username == "insp.1" ? 1 : 0;
    EXPECT_TRUE(listed_account.password_hash.empty()) << listed_account.username;
  }
  EXPECT_EQ(found, 1);

  EXPECT_EQ(accounts_.Unlock("nobody", operator_).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(accounts_.ResetPassword("insp.1", "short", operator_).code(),
            absl::StatusCode::kInvalidArgument);

  // Each change once, refusals not at all; the lockouts are the system's, the rest the operator's.
  std::vector<std::string> actions;
  for (const audit::v1::AuditRecord& record : Audited()) {
    actions.push_back(record.action());
    EXPECT_EQ(record.actor_role(), record.action() == "lock" ? "system" : "operator")
        << record.action();
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"create", "lock", "reset_password", "lock", "unlock",
                                               "disable"}));
}

// QA: "QA-C-ASSESSOR1" could be made next to "qa-c-assessor1". A user name is one regardless of
// case: taken in any case, found (signed in, reset, unlocked) in any case, shown as it was made.
TEST_F(StaffAccountsTest, UserNamesAreOneRegardlessOfCase) {
  absl::StatusOr<int64_t> id =
      accounts_.Create({"qa-c-assessor1", "first password", "district_inspector"}, operator_);
  ASSERT_TRUE(id.ok()) << id.status();
  for (const char* look_alike : {"QA-C-ASSESSOR1", "Qa-C-Assessor1", "qa-c-assessor1"}) {
    absl::StatusOr<int64_t> again =
        accounts_.Create({look_alike, "first password", "district_inspector"}, operator_);
    EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists) << look_alike;
    EXPECT_TRUE(absl::StartsWith(again.status().message(), "USERNAME_TAKEN")) << again.status();
  }
  // Not only ASCII: the database's LOWER() decides (Ä and ä are one).
  ASSERT_TRUE(
      accounts_.Create({"\xC3\x84rzte.1", "first password", "district_inspector"}, operator_).ok());
  EXPECT_EQ(accounts_.Create({"\xC3\xA4rzte.1", "first password", "district_inspector"}, operator_)
                .status()
                .code(),
            absl::StatusCode::kAlreadyExists);

  absl::StatusOr<StaffAccount> found = store_.FindStaffByUsername("QA-C-Assessor1");
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->account_id, *id);
  EXPECT_EQ(found->username, "qa-c-assessor1");
  ASSERT_TRUE(accounts_.ResetPassword("QA-C-ASSESSOR1", "second password", operator_).ok());
  EXPECT_TRUE(VerifyPassword("second password",
                             store_.FindStaffByUsername("qa-c-assessor1")->password_hash));
  // The refused look-alikes wrote nothing on the trail.
  std::vector<std::string> actions;
  for (const audit::v1::AuditRecord& record : Audited()) actions.push_back(record.action());
  EXPECT_EQ(actions, (std::vector<std::string>{"create", "create", "reset_password"}));
}

// QA: "aaaaaaaaaaaa" was accepted. A password set at creation or reset is held to a strength rule
// beyond its length; the refusal names the field, stores and audits nothing.
TEST_F(StaffAccountsTest, WeakPasswordsAreRefusedWhereverAPasswordIsSet) {
  for (const char* weak :
       {"aaaaaaaaaaaa", "abababababab", "abcabcabcabc", "abcdefghijkl", "9876543210", "1234567890",
        "acegikmoqsuw", "Weak.Pass.12", "x-weak.pass-y", "WoAiNi1314", "1qaz2wsx3edc"}) {
    absl::StatusOr<int64_t> made =
        accounts_.Create({"weak.pass", weak, "district_inspector"}, operator_);
    EXPECT_EQ(made.status().code(), absl::StatusCode::kInvalidArgument) << weak;
    EXPECT_TRUE(absl::StartsWith(made.status().message(), "PASSWORD_TOO_WEAK: password:"))
        << weak << ": " << made.status();
  }
  EXPECT_EQ(store_.FindStaffByUsername("weak.pass").status().code(), absl::StatusCode::kNotFound);
  // Random hex, as the demo stack's passwords are, and a passphrase pass.
  ASSERT_TRUE(accounts_
                  .Create({"weak.pass", "3f9c2a7e0b5d4c18a6e2f0d9b7c1e384", "district_inspector"},
                          operator_)
                  .ok());
  EXPECT_TRUE(CheckPasswordStrength("correct horse battery", "weak.pass").ok());
  // A reset is held to the same rule; the old password stays.
  const absl::Status reset = accounts_.ResetPassword("weak.pass", "passpasspass", operator_);
  EXPECT_TRUE(absl::StartsWith(reset.message(), "PASSWORD_TOO_WEAK: password:")) << reset;
  EXPECT_TRUE(VerifyPassword("3f9c2a7e0b5d4c18a6e2f0d9b7c1e384",
                             store_.FindStaffByUsername("weak.pass")->password_hash));
  std::vector<std::string> actions;
  for (const audit::v1::AuditRecord& record : Audited()) actions.push_back(record.action());
  EXPECT_EQ(actions, std::vector<std::string>{"create"});
}

// Migration 0010 on data from before it: names that differ only in case are kept apart by
// renaming all but the oldest, instead of stopping the migration at the new unique key.
TEST(UsernameCaseMigrationTest, NamesDifferingInCaseAreRenamedNotLost) {
  namespace fs = std::filesystem;
  const fs::path before = fs::path(::testing::TempDir()) / "gw_before_0010";
  fs::remove_all(before);
  fs::create_directories(before);
  const fs::path migrations = jifen::testing::SourcePath("services/gateway/migrations");
  std::string migration_0010;
  for (const fs::directory_entry& file : fs::directory_iterator(migrations)) {
    const std::string name = file.path().filename().string();
    if (name < "0010") {
      fs::copy_file(file.path(), before / name);
    } else if (absl::StartsWith(name, "0010_")) {
      std::ifstream in(file.path());
      migration_0010.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
  }
  ASSERT_FALSE(migration_0010.empty());
  const jifen::testing::ServiceDatabase schema =
      jifen::testing::CreateServiceDatabase("gw_case_migration", before.string());
  ASSERT_FALSE(::testing::Test::HasFailure());
  mysql::ConnectionPool admin(schema.AdminConfig(1));
  const std::string long_name = std::string(60, 'x') + "Case";
  ASSERT_TRUE(mysql::RunWithConnection(admin, [&](sql::Connection& c) {
                std::unique_ptr<sql::PreparedStatement> insert(c.prepareStatement(
                    "INSERT INTO staff_accounts (account_id, username, password_hash, role) "
                    "VALUES (?, ?, 'x', 'district_inspector')"));
                const std::pair<int64_t, std::string> rows[] = {
                    {7, "Dup.Name"}, {8, "dup.name"}, {9, "DUP.NAME"},
                    {10, "other"},   {11, long_name}, {12, absl::AsciiStrToLower(long_name)}};
                for (const auto& [id, name] : rows) {
                  insert->setInt64(1, id);
                  insert->setString(2, name);
                  insert->executeUpdate();
                }
                // The migration's statements, as jifen-migrate runs them: one at a time.
                std::unique_ptr<sql::Statement> statement(c.createStatement());
                for (absl::string_view sql : absl::StrSplit(migration_0010, ";\n")) {
                  if (absl::StrContains(sql, "staff_accounts"))
                    statement->execute(std::string(sql));
                }
                return absl::OkStatus();
              }).ok());

  MySqlAccountStore store(&admin);
  auto name_of = [&](int64_t id) { return store.FindStaffById(id)->username; };
  EXPECT_EQ(name_of(7), "Dup.Name");
  EXPECT_EQ(name_of(8), "dup.name~8");
  EXPECT_EQ(name_of(9), "DUP.NAME~9");
  EXPECT_EQ(name_of(10), "other");
  EXPECT_EQ(name_of(11), long_name);
  EXPECT_EQ(name_of(12), absl::StrCat(std::string(60, 'x'), "c~12"));
  EXPECT_EQ(store.FindStaffByUsername("dup.NAME")->account_id, 7);
  EXPECT_EQ(store.FindStaffByUsername("Dup.Name~8")->account_id, 8);
  StaffAccount look_alike;
  look_alike.username = "OTHER";
  look_alike.password_hash = "x";
  look_alike.role = auth::Role::kDistrictInspector;
  EXPECT_EQ(store.CreateStaff(look_alike, OperatorContext("alice"), {}).status().code(),
            absl::StatusCode::kAlreadyExists);
  fs::remove_all(before);
}

}  // namespace
}  // namespace jifen::gateway
