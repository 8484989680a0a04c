#include "services/gateway/storage/mysql_account_store.h"

#include <cppconn/connection.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/mysql/transaction.h"

namespace jifen::gateway {
namespace {

std::unique_ptr<sql::PreparedStatement> Prepare(sql::Connection& c, const std::string& text) {
  return std::unique_ptr<sql::PreparedStatement>(c.prepareStatement(text));
}

constexpr char kStaffColumns[] =
    "SELECT account_id, username, password_hash, role, town_id, village_id, grid_id, team_id, "
    "failed_attempts, locked_until_ms, disabled FROM staff_accounts WHERE ";

constexpr char kBindingColumns[] =
    "SELECT binding_id, openid_hash, town_id, village_id, household_id, member_id "
    "FROM resident_bindings WHERE ";

// One UPDATE of one staff account; `bind` sets the parameters before the trailing account id.
template <typename Bind>
absl::Status UpdateStaffAccount(mysql::ConnectionPool& pool, const std::string& set_clause,
                                int64_t account_id, int parameters, Bind bind) {
  return mysql::RunWithConnection(pool, [&](sql::Connection& c) {
    auto stmt =
        Prepare(c, absl::StrCat("UPDATE staff_accounts SET ", set_clause, " WHERE account_id = ?"));
    bind(*stmt);
    stmt->setInt64(parameters + 1, account_id);
    stmt->executeUpdate();
    return absl::OkStatus();
  });
}

StaffAccount ReadStaff(sql::ResultSet& rs) {
  StaffAccount account;
  account.account_id = rs.getInt64(1);
  account.username = rs.getString(2);
  account.password_hash = rs.getString(3);
  account.town_id = rs.getInt64(5);
  account.village_id = rs.getInt64(6);
  account.grid_id = rs.getInt64(7);
  account.team_id = rs.getInt64(8);
  account.failed_attempts = rs.getInt(9);
  account.locked_until_ms = rs.getInt64(10);
  account.disabled = rs.getBoolean(11);
  return account;
}

ResidentBinding ReadBinding(sql::ResultSet& rs) {
  ResidentBinding b;
  b.binding_id = rs.getInt64(1);
  b.openid_hash = rs.getString(2);
  b.town_id = rs.getInt64(3);
  b.village_id = rs.getInt64(4);
  b.household_id = rs.getInt64(5);
  b.member_id = rs.getInt64(6);
  return b;
}

}  // namespace

absl::StatusOr<StaffAccount> MySqlAccountStore::FindStaff(const char* where_column,
                                                          const std::string& value) {
  StaffAccount account;
  bool found = false;
  absl::Status status = mysql::RunWithConnection(*pool_, [&](sql::Connection& c) {
    auto stmt = Prepare(c, absl::StrCat(kStaffColumns, where_column, " = ?"));
    stmt->setString(1, value);
    std::unique_ptr<sql::ResultSet> rs(stmt->executeQuery());
    if (!rs->next()) return absl::OkStatus();
    found = true;
    account = ReadStaff(*rs);
    absl::StatusOr<auth::Role> role = auth::ParseRole(std::string(rs->getString(4)));
    if (!role.ok()) return absl::InternalError("staff account with unknown role");
    account.role = *role;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!found) return absl::NotFoundError("no such staff account");
  return account;
}

absl::StatusOr<StaffAccount> MySqlAccountStore::FindStaffByUsername(absl::string_view username) {
  return FindStaff("username", std::string(username));
}

absl::StatusOr<StaffAccount> MySqlAccountStore::FindStaffById(int64_t account_id) {
  return FindStaff("account_id", absl::StrCat(account_id));
}

absl::StatusOr<int64_t> MySqlAccountStore::CreateStaff(const StaffAccount& account) {
  int64_t id = 0;
  absl::Status status = mysql::RunInTransaction(*pool_, [&](sql::Connection& c) {
    auto stmt = Prepare(c,
                        "INSERT INTO staff_accounts (village_id, username, password_hash, role, "
                        "town_id, grid_id, team_id) VALUES (?, ?, ?, ?, ?, ?, ?)");
    stmt->setInt64(1, account.village_id);
    stmt->setString(2, account.username);
    stmt->setString(3, account.password_hash);
    stmt->setString(4, std::string(auth::RoleName(account.role)));
    stmt->setInt64(5, account.town_id);
    stmt->setInt64(6, account.grid_id);
    stmt->setInt64(7, account.team_id);
    stmt->executeUpdate();
    auto last = Prepare(c, "SELECT LAST_INSERT_ID()");
    std::unique_ptr<sql::ResultSet> rs(last->executeQuery());
    if (rs->next()) id = rs->getInt64(1);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return id;
}

absl::Status MySqlAccountStore::RecordLoginFailure(int64_t account_id, int64_t now_ms,
                                                   int max_failures, int64_t lockout_ms) {
  return mysql::RunWithConnection(*pool_, [&](sql::Connection& c) {
    // One statement, so concurrent failures each count. MariaDB evaluates SET left to right,
    // hence locked_until_ms first, from the count before this failure.
    auto stmt = Prepare(c,
                        "UPDATE staff_accounts SET "
                        "locked_until_ms = IF(failed_attempts + 1 >= ?, ?, locked_until_ms), "
                        "failed_attempts = IF(failed_attempts + 1 >= ?, 0, failed_attempts + 1) "
                        "WHERE account_id = ?");
    stmt->setInt(1, max_failures);
    stmt->setInt64(2, now_ms + lockout_ms);
    stmt->setInt(3, max_failures);
    stmt->setInt64(4, account_id);
    stmt->executeUpdate();
    return absl::OkStatus();
  });
}

absl::Status MySqlAccountStore::RecordLoginSuccess(int64_t account_id) {
  return mysql::RunWithConnection(*pool_, [&](sql::Connection& c) {
    auto stmt = Prepare(c, "UPDATE staff_accounts SET failed_attempts = 0 WHERE account_id = ?");
    stmt->setInt64(1, account_id);
    stmt->executeUpdate();
    return absl::OkStatus();
  });
}

absl::Status MySqlAccountStore::SetPassword(int64_t account_id, const std::string& password_hash) {
  return UpdateStaffAccount(*pool_, "password_hash = ?, failed_attempts = 0, locked_until_ms = 0",
                            account_id, 1,
                            [&](sql::PreparedStatement& s) { s.setString(1, password_hash); });
}

absl::Status MySqlAccountStore::Unlock(int64_t account_id) {
  return UpdateStaffAccount(*pool_, "failed_attempts = 0, locked_until_ms = 0", account_id, 0,
                            [](sql::PreparedStatement&) {});
}

absl::Status MySqlAccountStore::SetDisabled(int64_t account_id, bool disabled) {
  return UpdateStaffAccount(*pool_, "disabled = ?", account_id, 1,
                            [&](sql::PreparedStatement& s) { s.setBoolean(1, disabled); });
}

absl::StatusOr<std::vector<StaffAccount>> MySqlAccountStore::ListStaff(int64_t town_id,
                                                                       int64_t village_id) {
  std::vector<StaffAccount> accounts;
  absl::Status status = mysql::RunWithConnection(*pool_, [&](sql::Connection& c) {
    accounts.clear();  // a retried connection starts over
    // 0 matches any: one statement for every filter combination.
    auto stmt = Prepare(c, absl::StrCat(kStaffColumns,
                                        "(? = 0 OR town_id = ?) AND (? = 0 OR village_id = ?) "
                                        "ORDER BY account_id"));
    stmt->setInt64(1, town_id);
    stmt->setInt64(2, town_id);
    stmt->setInt64(3, village_id);
    stmt->setInt64(4, village_id);
    std::unique_ptr<sql::ResultSet> rs(stmt->executeQuery());
    while (rs->next()) {
      StaffAccount account = ReadStaff(*rs);
      absl::StatusOr<auth::Role> role = auth::ParseRole(std::string(rs->getString(4)));
      if (!role.ok()) return absl::InternalError("staff account with unknown role");
      account.role = *role;
      accounts.push_back(std::move(account));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return accounts;
}

absl::StatusOr<ResidentBinding> MySqlAccountStore::FindBinding(const char* where_column,
                                                               const std::string& value) {
  std::optional<ResidentBinding> binding;
  absl::Status status = mysql::RunWithConnection(*pool_, [&](sql::Connection& c) {
    auto stmt = Prepare(c, absl::StrCat(kBindingColumns, where_column, " = ?"));
    stmt->setString(1, value);
    std::unique_ptr<sql::ResultSet> rs(stmt->executeQuery());
    if (rs->next()) binding = ReadBinding(*rs);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!binding) return absl::NotFoundError("openid not bound");
  return *binding;
}

absl::StatusOr<ResidentBinding> MySqlAccountStore::FindResident(absl::string_view openid_hash) {
  return FindBinding("openid_hash", std::string(openid_hash));
}

absl::StatusOr<ResidentBinding> MySqlAccountStore::FindResidentById(int64_t binding_id) {
  return FindBinding("binding_id", absl::StrCat(binding_id));
}

absl::Status MySqlAccountStore::CreateInvitation(const Invitation& invitation) {
  return mysql::RunWithConnection(*pool_, [&](sql::Connection& c) {
    auto stmt = Prepare(c,
                        "INSERT INTO invitations (village_id, code_hash, town_id, household_id, "
                        "member_id, created_by, expires_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)");
    stmt->setInt64(1, invitation.village_id);
    stmt->setString(2, invitation.code_hash);
    stmt->setInt64(3, invitation.town_id);
    stmt->setInt64(4, invitation.household_id);
    stmt->setInt64(5, invitation.member_id);
    stmt->setString(6, invitation.created_by);
    stmt->setInt64(7, invitation.expires_at_ms);
    stmt->executeUpdate();
    return absl::OkStatus();
  });
}

absl::StatusOr<ResidentBinding> MySqlAccountStore::RedeemInvitation(absl::string_view code_hash,
                                                                    absl::string_view openid_hash,
                                                                    int64_t now_ms) {
  ResidentBinding binding;
  absl::Status status = mysql::RunInTransaction(*pool_, [&](sql::Connection& c) {
    auto select = Prepare(c,
                          "SELECT town_id, village_id, household_id, member_id FROM invitations "
                          "WHERE code_hash = ? AND used_at_ms IS NULL AND expires_at_ms > ? "
                          "FOR UPDATE");
    select->setString(1, std::string(code_hash));
    select->setInt64(2, now_ms);
    std::unique_ptr<sql::ResultSet> rs(select->executeQuery());
    if (!rs->next()) return absl::NotFoundError("invitation unknown, spent or expired");
    binding.openid_hash = std::string(openid_hash);
    binding.town_id = rs->getInt64(1);
    binding.village_id = rs->getInt64(2);
    binding.household_id = rs->getInt64(3);
    binding.member_id = rs->getInt64(4);
    auto insert = Prepare(c,
                          "INSERT INTO resident_bindings (village_id, openid_hash, town_id, "
                          "household_id, member_id) VALUES (?, ?, ?, ?, ?)");
    insert->setInt64(1, binding.village_id);
    insert->setString(2, binding.openid_hash);
    insert->setInt64(3, binding.town_id);
    insert->setInt64(4, binding.household_id);
    insert->setInt64(5, binding.member_id);
    insert->executeUpdate();  // 1062 on a bound openid -> ALREADY_EXISTS, rolled back
    auto last = Prepare(c, "SELECT LAST_INSERT_ID()");
    std::unique_ptr<sql::ResultSet> id(last->executeQuery());
    if (id->next()) binding.binding_id = id->getInt64(1);
    auto spend = Prepare(c,
                         "UPDATE invitations SET used_at_ms = ?, used_by_binding = ? "
                         "WHERE code_hash = ?");
    spend->setInt64(1, now_ms);
    spend->setInt64(2, binding.binding_id);
    spend->setString(3, std::string(code_hash));
    spend->executeUpdate();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return binding;
}

absl::Status MySqlAccountStore::StoreRefreshToken(const RefreshToken& token) {
  return mysql::RunWithConnection(*pool_, [&](sql::Connection& c) {
    auto stmt = Prepare(c,
                        "INSERT INTO refresh_tokens (village_id, token_hash, subject_kind, "
                        "account_id, expires_at_ms) VALUES (?, ?, ?, ?, ?)");
    stmt->setInt64(1, token.village_id);
    stmt->setString(2, token.token_hash);
    stmt->setString(3, token.kind == SubjectKind::kStaff ? "staff" : "resident");
    stmt->setInt64(4, token.account_id);
    stmt->setInt64(5, token.expires_at_ms);
    stmt->executeUpdate();
    return absl::OkStatus();
  });
}

absl::StatusOr<RefreshToken> MySqlAccountStore::ConsumeRefreshToken(absl::string_view token_hash,
                                                                    int64_t now_ms) {
  RefreshToken token;
  absl::Status status = mysql::RunInTransaction(*pool_, [&](sql::Connection& c) {
    auto select = Prepare(c,
                          "SELECT village_id, subject_kind, account_id, expires_at_ms "
                          "FROM refresh_tokens WHERE token_hash = ? AND spent_at_ms IS NULL "
                          "AND expires_at_ms > ? FOR UPDATE");
    select->setString(1, std::string(token_hash));
    select->setInt64(2, now_ms);
    std::unique_ptr<sql::ResultSet> rs(select->executeQuery());
    if (!rs->next()) return absl::NotFoundError("refresh token unknown, spent or expired");
    token.token_hash = std::string(token_hash);
    token.village_id = rs->getInt64(1);
    token.kind = rs->getString(2) == "staff" ? SubjectKind::kStaff : SubjectKind::kResident;
    token.account_id = rs->getInt64(3);
    token.expires_at_ms = rs->getInt64(4);
    auto spend = Prepare(c, "UPDATE refresh_tokens SET spent_at_ms = ? WHERE token_hash = ?");
    spend->setInt64(1, now_ms);
    spend->setString(2, std::string(token_hash));
    spend->executeUpdate();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return token;
}

}  // namespace jifen::gateway
