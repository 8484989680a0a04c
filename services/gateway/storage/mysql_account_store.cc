#include "services/gateway/storage/mysql_account_store.h"

#include <cppconn/connection.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/audit/audit_outbox.h"
#include "common/audit/state_digest.h"
#include "common/mysql/transaction.h"
#include "common/status/status_macros.h"
#include "common/text/text.h"

namespace jifen::gateway {
namespace {

std::unique_ptr<sql::PreparedStatement> Prepare(sql::Connection& c, const std::string& text) {
  return std::unique_ptr<sql::PreparedStatement>(c.prepareStatement(text));
}

constexpr char kStaffColumns[] =
    "SELECT account_id, username, password_hash, role, town_id, village_id, grid_id, team_id, "
    "failed_attempts, locked_until_ms, disabled FROM staff_accounts WHERE ";

// A submitted user name as user names compare (migration 0010): MariaDB's LOWER() under
// utf8mb4_bin, the collation of staff_accounts.username_key (whose comparisons ignore trailing
// spaces), so that every lookup of a name folds case the same way, in one place: the database.
#define JIFEN_NAME_KEY_OF_PARAMETER "LOWER(CONVERT(? USING utf8mb4) COLLATE utf8mb4_bin)"
// The key of an unknown name's failure count (migration 0011): the SHA-256 of the name as names
// compare, trailing spaces dropped as the account lookup ignores them.
constexpr char kUnknownNameHash[] = "SHA2(RTRIM(" JIFEN_NAME_KEY_OF_PARAMETER "), 256)";

constexpr char kBindingColumns[] =
    "SELECT binding_id, openid_hash, town_id, village_id, household_id, member_id "
    "FROM resident_bindings WHERE ";

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

// Reads one staff account row (kStaffColumns); INTERNAL for a role this build does not know.
absl::StatusOr<StaffAccount> ReadStaffWithRole(sql::ResultSet& rs) {
  StaffAccount account = ReadStaff(rs);
  absl::StatusOr<auth::Role> role = auth::ParseRole(std::string(rs.getString(4)));
  if (!role.ok()) return absl::InternalError("staff account with unknown role");
  account.role = *role;
  return account;
}

// ---- The audit trail -------------------------------------------------------------------------
// States are JSON of the non-secret fields only: never a password or its hash, an invitation code
// or its hash, an openid or its hash.

// The audit service refuses a whole batch with a record that breaks its rules, which would stall
// the relay: such a change is refused here instead. These are ValidateReported's rules
// (services/audit/domain/chain.h) for what a caller can set: the actor, the request id and the
// village (>= 0). Actions and object types are this file's constants and states StateDigest's,
// both within the limits. The actor and request id must also be UTF-8, as every string of a
// protobuf record: a record with other bytes does not parse, and the relay's sink sets it aside
// as a "malformed_payload" in place of the change.
constexpr size_t kMaxAuditNameBytes = 64;  // actor role
constexpr size_t kMaxAuditIdBytes = 128;   // actor user id, request id

using State = nlohmann::ordered_json;

std::string Text(const State& state) {
  return state.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

State StaffState(const StaffAccount& account) {
  return State{{"username", account.username},
               {"role", auth::RoleName(account.role)},
               {"town_id", account.town_id},
               {"village_id", account.village_id},
               {"grid_id", account.grid_id},
               {"team_id", account.team_id},
               {"disabled", account.disabled},
               {"failed_attempts", account.failed_attempts},
               {"locked_until_ms", account.locked_until_ms}};
}

struct AuditedChange {
  const char* action;
  const char* object_type;
  int64_t object_id = 0;
  int64_t village_id = 0;
  std::string before;  // "" when the object is new
  std::string after;
};

// Appends the change's jifen.audit.v1.AuditRecord to the outbox, in the caller's transaction.
absl::Status AppendAudit(sql::Connection& c, const AuditContext& context,
                         const AuditedChange& change) {
  if (context.actor_role.empty() || context.actor_role.size() > kMaxAuditNameBytes ||
      context.actor_user_id.size() > kMaxAuditIdBytes ||
      context.request_id.size() > kMaxAuditIdBytes) {
    return absl::InvalidArgumentError(
        "the change's actor can't be audited: role 1..64 bytes, user and request ids up to 128");
  }
  for (const std::string* field :
       {&context.actor_role, &context.actor_user_id, &context.request_id}) {
    if (text::Utf8Length(*field) < 0) {
      return absl::InvalidArgumentError(
          "the change's actor can't be audited: role, user and request ids must be UTF-8");
    }
  }
  if (change.village_id < 0) {
    return absl::InvalidArgumentError("village_id: must be a positive id");
  }
  return audit::RecordAudit(c,
                            {change.village_id, context.actor_user_id, context.actor_role,
                             change.action, change.object_type, absl::StrCat(change.object_id),
                             audit::StateDigest(change.before), audit::StateDigest(change.after)},
                            {context.request_id});
}

int64_t LastInsertId(sql::Connection& c) {
  auto last = Prepare(c, "SELECT LAST_INSERT_ID()");
  std::unique_ptr<sql::ResultSet> rs(last->executeQuery());
  return rs->next() ? rs->getInt64(1) : 0;
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

absl::StatusOr<StaffAccount> MySqlAccountStore::FindStaff(const char* condition,
                                                          const std::string& value) {
  StaffAccount account;
  bool found = false;
  absl::Status status = mysql::RunWithConnection(*pool_, [&](sql::Connection& c) {
    auto stmt = Prepare(c, absl::StrCat(kStaffColumns, condition));
    stmt->setString(1, value);
    std::unique_ptr<sql::ResultSet> rs(stmt->executeQuery());
    if (!rs->next()) return absl::OkStatus();
    found = true;
    ASSIGN_OR_RETURN(account, ReadStaffWithRole(*rs));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!found) return absl::NotFoundError("no such staff account");
  return account;
}

absl::StatusOr<StaffAccount> MySqlAccountStore::FindStaffByUsername(absl::string_view username) {
  // Names are the same regardless of case (migration 0010): MariaDB's LOWER() on both sides.
  return FindStaff("username_key = " JIFEN_NAME_KEY_OF_PARAMETER, std::string(username));
}

absl::StatusOr<StaffAccount> MySqlAccountStore::FindStaffById(int64_t account_id) {
  return FindStaff("account_id = ?", absl::StrCat(account_id));
}

absl::StatusOr<bool> MySqlAccountStore::StaffRowStored(int64_t account_id) {
  bool stored = false;
  absl::Status status = mysql::RunWithConnection(*pool_, [&](sql::Connection& c) {
    // A locking read waits for a transaction that still holds the row (one rolling back after its
    // connection was lost), where a plain read would answer from before it ended.
    auto stmt = Prepare(c, "SELECT 1 FROM staff_accounts WHERE account_id = ? LOCK IN SHARE MODE");
    stmt->setInt64(1, account_id);
    std::unique_ptr<sql::ResultSet> rs(stmt->executeQuery());
    stored = rs->next();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return stored;
}

absl::StatusOr<int64_t> MySqlAccountStore::CreateStaff(const StaffAccount& account,
                                                       const AuditContext& context,
                                                       const ConfirmNewStaff& confirm) {
  int64_t id = 0;
  bool confirmed = false;
  // `confirm` acts outside this database (it names a grid worker in scoring): a retried body
  // would act again for another id, so a transaction that confirms runs once.
  mysql::TransactionOptions options;
  if (confirm) options.max_attempts = 1;
  absl::Status status = mysql::RunInTransaction(*pool_, [&](sql::Connection& c) -> absl::Status {
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
    // 1062 on a taken user name, in any case (migration 0010) -> ALREADY_EXISTS, nothing audited.
    stmt->executeUpdate();
    id = LastInsertId(c);
    StaffAccount created = account;  // as the table's defaults make it
    created.account_id = id;
    created.failed_attempts = 0;
    created.locked_until_ms = 0;
    created.disabled = false;
    RETURN_IF_ERROR(AppendAudit(
        c, context,
        {"create", "staff_account", id, account.village_id, "", Text(StaffState(created))}));
    if (!confirm) return absl::OkStatus();
    RETURN_IF_ERROR(confirm.confirm(id));
    confirmed = true;  // the last step: only the commit can fail after it
    return absl::OkStatus();
  }, options);
  if (status.ok()) return id;
  if (!confirmed) return status;
  // The confirmation was made outside this database and then the commit failed. A commit whose
  // connection was lost may still have gone through, so the row decides: stored, the account
  // exists as confirmed; not stored, the confirmation is withdrawn so that nothing outside names
  // an account that will never exist (ids are not reused); unknown, nothing is undone, since
  // undoing it for an account that does exist would be the worse mistake.
  absl::StatusOr<bool> stored = StaffRowStored(id);
  if (!stored.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "staff account ", id, " was confirmed, and whether it was stored is unknown (commit: ",
        status.message(), "; read back: ", stored.status().message(),
        "); made again, its user name is taken if it was"));
  }
  if (*stored) return id;
  if (confirm.withdraw) RETURN_IF_ERROR(confirm.withdraw(id));
  return status;
}

absl::Status MySqlAccountStore::ChangeStaff(
    int64_t account_id, const AuditContext& context,
    const std::function<const char*(StaffAccount&)>& change) {
  return mysql::RunInTransaction(*pool_, [&](sql::Connection& c) -> absl::Status {
    // The row lock serialises changes of one account (e.g. concurrent wrong passwords each count).
    auto select = Prepare(c, absl::StrCat(kStaffColumns, "account_id = ? FOR UPDATE"));
    select->setInt64(1, account_id);
    std::unique_ptr<sql::ResultSet> rs(select->executeQuery());
    if (!rs->next()) return absl::NotFoundError("no such staff account");
    ASSIGN_OR_RETURN(const StaffAccount before, ReadStaffWithRole(*rs));
    StaffAccount after = before;
    const char* action = change(after);
    auto update = Prepare(c,
                          "UPDATE staff_accounts SET password_hash = ?, failed_attempts = ?, "
                          "locked_until_ms = ?, disabled = ? WHERE account_id = ?");
    update->setString(1, after.password_hash);
    update->setInt(2, after.failed_attempts);
    update->setInt64(3, after.locked_until_ms);
    update->setBoolean(4, after.disabled);
    update->setInt64(5, account_id);
    update->executeUpdate();
    if (action == nullptr) return absl::OkStatus();
    State after_state = StaffState(after);
    // That the password changed is on the trail; the password and its hash never are.
    if (after.password_hash != before.password_hash) after_state["password_changed"] = true;
    return AppendAudit(c, context,
                       {action, "staff_account", account_id, before.village_id,
                        Text(StaffState(before)), Text(after_state)});
  });
}

absl::Status MySqlAccountStore::RecordLoginFailure(int64_t account_id, int64_t now_ms,
                                                   int max_failures, int64_t lockout_ms,
                                                   const AuditContext& context) {
  return ChangeStaff(account_id, context, [&](StaffAccount& account) -> const char* {
    if (account.failed_attempts + 1 < max_failures) {
      ++account.failed_attempts;
      return nullptr;  // counting wrong passwords is routine
    }
    account.locked_until_ms = now_ms + lockout_ms;
    account.failed_attempts = 0;
    return "lock";
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

absl::StatusOr<int64_t> MySqlAccountStore::UnknownNameLockedUntil(absl::string_view username) {
  int64_t locked_until_ms = 0;
  absl::Status status = mysql::RunWithConnection(*pool_, [&](sql::Connection& c) {
    auto stmt = Prepare(c, absl::StrCat("SELECT locked_until_ms FROM unknown_name_failures "
                                        "WHERE name_hash = ",
                                        kUnknownNameHash));
    stmt->setString(1, std::string(username));
    std::unique_ptr<sql::ResultSet> rs(stmt->executeQuery());
    locked_until_ms = rs->next() ? rs->getInt64(1) : 0;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return locked_until_ms;
}

absl::StatusOr<bool> MySqlAccountStore::RecordUnknownNameFailure(absl::string_view username,
                                                                 int64_t now_ms, int max_failures,
                                                                 int64_t lockout_ms) {
  bool locked = false;
  absl::Status status = mysql::RunInTransaction(*pool_, [&](sql::Connection& c) {
    // The row lock (or, for a new name, the gap lock: two first failures deadlock and one is
    // retried) serialises concurrent failures of one name, so each counts, as for an account.
    auto select = Prepare(c, absl::StrCat("SELECT failed_attempts FROM unknown_name_failures "
                                          "WHERE name_hash = ",
                                          kUnknownNameHash, " FOR UPDATE"));
    select->setString(1, std::string(username));
    std::unique_ptr<sql::ResultSet> rs(select->executeQuery());
    const bool known = rs->next();
    const int failed_before = known ? rs->getInt(1) : 0;
    locked = failed_before + 1 >= max_failures;  // as RecordLoginFailure
    auto write = Prepare(
        c, known ? absl::StrCat("UPDATE unknown_name_failures SET failed_attempts = ?, "
                                "locked_until_ms = IF(?, ?, locked_until_ms), updated_at_ms = ? "
                                "WHERE name_hash = ",
                                kUnknownNameHash)
                 : absl::StrCat("INSERT INTO unknown_name_failures (failed_attempts, "
                                "locked_until_ms, updated_at_ms, name_hash) "
                                "VALUES (?, IF(?, ?, 0), ?, ",
                                kUnknownNameHash, ")"));
    write->setInt(1, locked ? 0 : failed_before + 1);
    write->setBoolean(2, locked);
    write->setInt64(3, now_ms + lockout_ms);
    write->setInt64(4, now_ms);
    write->setString(5, std::string(username));
    write->executeUpdate();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return locked;
}

absl::Status MySqlAccountStore::SetPassword(int64_t account_id, const std::string& password_hash,
                                            const AuditContext& context) {
  return ChangeStaff(account_id, context, [&](StaffAccount& account) {
    account.password_hash = password_hash;
    account.failed_attempts = 0;
    account.locked_until_ms = 0;
    return "reset_password";
  });
}

absl::Status MySqlAccountStore::Unlock(int64_t account_id, const AuditContext& context) {
  return ChangeStaff(account_id, context, [](StaffAccount& account) {
    account.failed_attempts = 0;
    account.locked_until_ms = 0;
    return "unlock";
  });
}

absl::Status MySqlAccountStore::SetDisabled(int64_t account_id, bool disabled,
                                            const AuditContext& context) {
  return ChangeStaff(account_id, context, [&](StaffAccount& account) {
    account.disabled = disabled;
    return disabled ? "disable" : "enable";
  });
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
      ASSIGN_OR_RETURN(StaffAccount account, ReadStaffWithRole(*rs));
      accounts.push_back(std::move(account));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return accounts;
}

namespace {

// Spends, in the caller's transaction, the unspent refresh tokens that `condition` selects (a
// condition on refresh_tokens whose values `bind` binds from the parameter index it is given,
// returning the next index), and appends to `alive` the access tokens that may still be alive:
// issued with an unspent, unexpired token or with one spent after `alive_since_ms` (older ones have
// expired). Tokens from before sessions have no access token id and are left to expire. Returns
// how many tokens it spent.
int EndRefreshTokens(sql::Connection& c, const std::string& condition,
                     const std::function<int(sql::PreparedStatement&, int)>& bind, int64_t now_ms,
                     int64_t alive_since_ms, std::vector<std::string>* alive) {
  auto tokens = Prepare(c, absl::StrCat("SELECT access_token_id FROM refresh_tokens WHERE ",
                                        condition,
                                        " AND access_token_id <> '' AND ((spent_at_ms IS NULL "
                                        "AND expires_at_ms > ?) OR spent_at_ms > ?) FOR UPDATE"));
  const int after_condition = bind(*tokens, 1);
  tokens->setInt64(after_condition, now_ms);
  tokens->setInt64(after_condition + 1, alive_since_ms);
  std::unique_ptr<sql::ResultSet> rs(tokens->executeQuery());
  while (rs->next()) alive->push_back(rs->getString(1));
  auto spend = Prepare(c, absl::StrCat("UPDATE refresh_tokens SET spent_at_ms = ? WHERE ",
                                       condition, " AND spent_at_ms IS NULL"));
  spend->setInt64(1, now_ms);
  bind(*spend, 2);
  return spend->executeUpdate();
}

// The tokens of a staff account or a resident binding (`subject_kind` "staff" or "resident").
void EndSubjectSessions(sql::Connection& c, const char* subject_kind, int64_t account_id,
                        int64_t now_ms, int64_t alive_since_ms, std::vector<std::string>* alive) {
  EndRefreshTokens(
      c, "subject_kind = ? AND account_id = ?",
      [&](sql::PreparedStatement& statement, int first) {
        statement.setString(first, subject_kind);
        statement.setInt64(first + 1, account_id);
        return first + 2;
      },
      now_ms, alive_since_ms, alive);
}

}  // namespace

absl::StatusOr<std::vector<std::string>> MySqlAccountStore::FollowGridWorker(
    int64_t village_id, int64_t grid_id, int64_t worker_account_id, int64_t now_ms,
    int64_t alive_since_ms, const AuditContext& context) {
  std::vector<std::string> alive;
  absl::Status status = mysql::RunInTransaction(*pool_, [&](sql::Connection& c) -> absl::Status {
    alive.clear();  // a retried transaction starts over
    // Locked in account order, so two changes of one grid's worker wait for each other instead of
    // deadlocking.
    auto select = Prepare(c, absl::StrCat(kStaffColumns,
                                          "village_id = ? AND role = ? AND "
                                          "(grid_id = ? OR account_id = ?) "
                                          "ORDER BY account_id FOR UPDATE"));
    select->setInt64(1, village_id);
    select->setString(2, std::string(auth::RoleName(auth::Role::kGridWorker)));
    select->setInt64(3, grid_id);
    select->setInt64(4, worker_account_id);
    std::unique_ptr<sql::ResultSet> rs(select->executeQuery());
    std::vector<StaffAccount> accounts;
    while (rs->next()) {
      ASSIGN_OR_RETURN(StaffAccount account, ReadStaffWithRole(*rs));
      accounts.push_back(std::move(account));
    }
    for (const StaffAccount& before : accounts) {
      StaffAccount after = before;
      const bool named = before.account_id == worker_account_id;
      after.grid_id = named ? grid_id : 0;
      if (after.grid_id == before.grid_id) continue;
      auto update = Prepare(c, "UPDATE staff_accounts SET grid_id = ? WHERE account_id = ?");
      update->setInt64(1, after.grid_id);
      update->setInt64(2, before.account_id);
      update->executeUpdate();
      RETURN_IF_ERROR(AppendAudit(c, context,
                                  {named ? "bind_grid" : "release_grid", "staff_account",
                                   before.account_id, before.village_id, Text(StaffState(before)),
                                   Text(StaffState(after))}));
      EndSubjectSessions(c, "staff", before.account_id, now_ms, alive_since_ms, &alive);
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return alive;
}

absl::StatusOr<ResidentBinding> MySqlAccountStore::FindBinding(const char* where_column,
                                                               const std::string& value) {
  std::optional<ResidentBinding> binding;
  absl::Status status = mysql::RunWithConnection(*pool_, [&](sql::Connection& c) {
    // A released binding (the member moved to another WeChat user) signs in no one.
    auto stmt =
        Prepare(c, absl::StrCat(kBindingColumns, where_column, " = ? AND released_at_ms IS NULL"));
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

absl::Status MySqlAccountStore::CreateInvitation(const Invitation& invitation,
                                                 const AuditContext& context) {
  return mysql::RunInTransaction(*pool_, [&](sql::Connection& c) {
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
    stmt->executeUpdate();  // 1062 on a code collision -> ALREADY_EXISTS, nothing audited
    const int64_t invitation_id = LastInsertId(c);
    const std::string after = Text(State{{"invitation_id", invitation_id},
                                         {"town_id", invitation.town_id},
                                         {"village_id", invitation.village_id},
                                         {"household_id", invitation.household_id},
                                         {"member_id", invitation.member_id},
                                         {"expires_at_ms", invitation.expires_at_ms}});
    return AppendAudit(c, context,
                       {"issue", "invitation", invitation_id, invitation.village_id, "", after});
  });
}

namespace {

State BindingState(const ResidentBinding& binding, int64_t invitation_id) {
  return State{{"binding_id", binding.binding_id}, {"town_id", binding.town_id},
               {"village_id", binding.village_id}, {"household_id", binding.household_id},
               {"member_id", binding.member_id},   {"invitation_id", invitation_id}};
}

// The invitation a binding was made with, for the audit record of its release (0 if none).
int64_t InvitationOfBinding(sql::Connection& c, int64_t binding_id) {
  auto stmt = Prepare(c,
                      "SELECT invitation_id FROM invitations WHERE used_by_binding = ? "
                      "ORDER BY used_at_ms LIMIT 1");
  stmt->setInt64(1, binding_id);
  std::unique_ptr<sql::ResultSet> rs(stmt->executeQuery());
  return rs->next() ? rs->getInt64(1) : 0;
}

// The active binding found by `column` (openid_hash or member_id), locked; nullopt for none.
std::optional<ResidentBinding> LockActiveBinding(sql::Connection& c, const char* column,
                                                 const std::string& value) {
  auto stmt = Prepare(
      c, absl::StrCat(kBindingColumns, column, " = ? AND released_at_ms IS NULL FOR UPDATE"));
  stmt->setString(1, value);
  std::unique_ptr<sql::ResultSet> rs(stmt->executeQuery());
  if (!rs->next()) return std::nullopt;
  return ReadBinding(*rs);
}

// ---- Releasing a binding ----------------------------------------------------------------------
// One path for every release, whoever causes it (a member's new phone in RedeemInvitation, the
// village admin in ReleaseBinding), so that a released binding is the same either way: it signs
// in no one, its sessions are over, and the trail says when and why.

// Stops the active binding, locked by the caller: from now on it signs in and refreshes nothing
// (only active bindings do), its unspent refresh tokens are spent, and the access tokens that may
// still be alive are appended to `alive` for the revocation list. A member's new binding can be
// inserted only after this (one active binding per member); RecordRelease then writes down why.
void StopBinding(sql::Connection& c, const ResidentBinding& binding, int64_t now_ms,
                 int64_t alive_since_ms, std::vector<std::string>* alive) {
  auto release = Prepare(c, "UPDATE resident_bindings SET released_at_ms = ? WHERE binding_id = ?");
  release->setInt64(1, now_ms);
  release->setInt64(2, binding.binding_id);
  release->executeUpdate();
  EndSubjectSessions(c, "resident", binding.binding_id, now_ms, alive_since_ms, alive);
}

// Why a binding was released.
struct ReleaseCause {
  int64_t replaced_by_binding = 0;  // the member's binding of a new phone; 0 for none
  std::string reason;               // the village admin's words when they released it; may be ""
};

// Records the release of `binding` (stopped at `released_at_ms` by StopBinding): the binding that
// replaced it, if any, in its row, and the "release" audit record, whose `after` names the
// replacement or, for a release without one (the village admin's), the reason given.
absl::Status RecordRelease(sql::Connection& c, const AuditContext& context,
                           const ResidentBinding& binding, int64_t released_at_ms,
                           const ReleaseCause& cause) {
  if (cause.replaced_by_binding != 0) {
    auto replaced = Prepare(c,
                            "UPDATE resident_bindings SET replaced_by_binding = ? "
                            "WHERE binding_id = ?");
    replaced->setInt64(1, cause.replaced_by_binding);
    replaced->setInt64(2, binding.binding_id);
    replaced->executeUpdate();
  }
  const State before = BindingState(binding, InvitationOfBinding(c, binding.binding_id));
  State after = before;
  after["released_at_ms"] = released_at_ms;
  if (cause.replaced_by_binding != 0) {
    after["replaced_by_binding"] = cause.replaced_by_binding;
  } else {
    after["reason"] = cause.reason;
  }
  return AppendAudit(c, context,
                     {"release", "resident_binding", binding.binding_id, binding.village_id,
                      Text(before), Text(after)});
}

}  // namespace

absl::StatusOr<Redemption> MySqlAccountStore::RedeemInvitation(absl::string_view code_hash,
                                                               absl::string_view openid_hash,
                                                               int64_t now_ms,
                                                               int64_t alive_since_ms,
                                                               absl::string_view request_id) {
  Redemption result;
  absl::Status status = mysql::RunInTransaction(*pool_, [&](sql::Connection& c) -> absl::Status {
    result = Redemption{};  // a retried transaction starts over
    // Any state: a bound user's client sending the code it was bound with again is no error.
    auto select = Prepare(c,
                          "SELECT town_id, village_id, household_id, member_id, invitation_id, "
                          "expires_at_ms, used_at_ms, used_by_binding "
                          "FROM invitations WHERE code_hash = ? FOR UPDATE");
    select->setString(1, std::string(code_hash));
    std::unique_ptr<sql::ResultSet> rs(select->executeQuery());
    if (!rs->next()) return absl::NotFoundError("invitation unknown");
    ResidentBinding invited;
    invited.openid_hash = std::string(openid_hash);
    invited.town_id = rs->getInt64(1);
    invited.village_id = rs->getInt64(2);
    invited.household_id = rs->getInt64(3);
    invited.member_id = rs->getInt64(4);
    const int64_t invitation_id = rs->getInt64(5);
    const int64_t expires_at_ms = rs->getInt64(6);
    const bool spent = !rs->isNull(7);
    const int64_t used_by_binding = rs->isNull(8) ? 0 : rs->getInt64(8);
    const AuditContext context{ResidentUserId(invited.member_id), "resident",
                               std::string(request_id)};

    // The openid's own binding decides first: a bound WeChat user never moves by an invitation
    // (a village admin moves them by inviting the member they should be, from a new account).
    std::optional<ResidentBinding> own = LockActiveBinding(c, "openid_hash", invited.openid_hash);
    if (own && spent && used_by_binding == own->binding_id) {
      result.outcome = Redemption::Outcome::kAlreadyBoundHere;
      result.binding = *own;
      return absl::OkStatus();
    }
    if (spent || expires_at_ms <= now_ms) {
      return absl::NotFoundError("invitation spent or expired");
    }
    if (own) {
      result.binding = *own;
      if (own->village_id != invited.village_id || own->household_id != invited.household_id ||
          own->member_id != invited.member_id) {
        result.outcome = Redemption::Outcome::kBoundElsewhere;
        return absl::OkStatus();  // nothing written: the invitation stays for its member
      }
      // Spent on the binding it names, so that it can't later move the member to someone else.
      result.outcome = Redemption::Outcome::kAlreadyBoundHere;
      auto spend = Prepare(c,
                           "UPDATE invitations SET used_at_ms = ?, used_by_binding = ? "
                           "WHERE code_hash = ?");
      spend->setInt64(1, now_ms);
      spend->setInt64(2, own->binding_id);
      spend->setString(3, std::string(code_hash));
      spend->executeUpdate();
      State before{{"invitation_id", invitation_id},   {"town_id", invited.town_id},
                   {"village_id", invited.village_id}, {"household_id", invited.household_id},
                   {"member_id", invited.member_id},   {"expires_at_ms", expires_at_ms}};
      State after = before;
      after["used_at_ms"] = now_ms;
      after["binding_id"] = own->binding_id;
      return AppendAudit(
          c, context,
          {"redeem", "invitation", invitation_id, invited.village_id, Text(before), Text(after)});
    }

    // One binding per member: the member's binding of another WeChat user (an old phone) stops
    // working now, its sessions with it.
    std::optional<ResidentBinding> previous =
        LockActiveBinding(c, "member_id", absl::StrCat(invited.member_id));
    if (previous) {
      StopBinding(c, *previous, now_ms, alive_since_ms, &result.ended_access_token_ids);
    }
    auto insert = Prepare(c,
                          "INSERT INTO resident_bindings (village_id, openid_hash, town_id, "
                          "household_id, member_id) VALUES (?, ?, ?, ?, ?)");
    insert->setInt64(1, invited.village_id);
    insert->setString(2, invited.openid_hash);
    insert->setInt64(3, invited.town_id);
    insert->setInt64(4, invited.household_id);
    insert->setInt64(5, invited.member_id);
    insert->executeUpdate();  // 1062: a concurrent redemption came first -> ALREADY_EXISTS
    invited.binding_id = LastInsertId(c);
    auto spend = Prepare(c,
                         "UPDATE invitations SET used_at_ms = ?, used_by_binding = ? "
                         "WHERE code_hash = ?");
    spend->setInt64(1, now_ms);
    spend->setInt64(2, invited.binding_id);
    spend->setString(3, std::string(code_hash));
    spend->executeUpdate();
    if (previous) {
      RETURN_IF_ERROR(
          RecordRelease(c, context, *previous, now_ms, ReleaseCause{invited.binding_id, ""}));
      result.released = *previous;
    }
    result.outcome = Redemption::Outcome::kBound;
    result.binding = invited;
    State after = BindingState(invited, invitation_id);
    if (previous) after["replaces_binding"] = previous->binding_id;
    return AppendAudit(
        c, context,
        {"bind", "resident_binding", invited.binding_id, invited.village_id, "", Text(after)});
  });
  if (!status.ok()) return status;
  return result;
}

namespace {

// A binding's row as staff see it (BoundMember): ids, and when it was bound and released.
constexpr char kBoundMemberFields[] =
    "binding_id, village_id, household_id, member_id, "
    "CAST(UNIX_TIMESTAMP(created_at) * 1000 AS SIGNED), released_at_ms";
const std::string kBoundMemberColumns =
    absl::StrCat("SELECT ", kBoundMemberFields, " FROM resident_bindings WHERE ");
// The same with the binding's last sign-in or refresh: the issue time of its newest refresh token.
// Ordered and limited rather than MAX(), so that each binding costs one read at the end of its
// range of the subject's key (migration 0009), however many tokens a phone has used; NULLs (tokens
// from before) sort last.
const std::string kBoundMemberActivityColumns = absl::StrCat(
    "SELECT ", kBoundMemberFields,
    ", (SELECT t.issued_at_ms FROM refresh_tokens AS t "
    " WHERE t.subject_kind = 'resident' AND t.account_id = b.binding_id "
    " ORDER BY t.issued_at_ms DESC LIMIT 1) "
    "FROM resident_bindings AS b WHERE ");

BoundMember ReadBoundMember(sql::ResultSet& rs) {
  BoundMember member;
  member.binding_id = rs.getInt64(1);
  member.village_id = rs.getInt64(2);
  member.household_id = rs.getInt64(3);
  member.member_id = rs.getInt64(4);
  member.bound_at_ms = rs.getInt64(5);
  member.released_at_ms = rs.isNull(6) ? 0 : rs.getInt64(6);
  return member;
}

}  // namespace

absl::StatusOr<std::vector<BoundMember>> MySqlAccountStore::ListActiveBindings(
    int64_t village_id, int64_t household_id, int64_t after_binding_id, int limit) {
  std::vector<BoundMember> members;
  absl::Status status = mysql::RunWithConnection(*pool_, [&](sql::Connection& c) {
    members.clear();  // a retried connection starts over
    // 0 matches any household: one statement for both.
    auto stmt = Prepare(c, absl::StrCat(kBoundMemberActivityColumns,
                                        "village_id = ? AND released_at_ms IS NULL "
                                        "AND (? = 0 OR household_id = ?) AND binding_id > ? "
                                        "ORDER BY binding_id LIMIT ?"));
    stmt->setInt64(1, village_id);
    stmt->setInt64(2, household_id);
    stmt->setInt64(3, household_id);
    stmt->setInt64(4, after_binding_id);
    stmt->setInt(5, limit);
    std::unique_ptr<sql::ResultSet> rs(stmt->executeQuery());
    while (rs->next()) {
      members.push_back(ReadBoundMember(*rs));
      members.back().last_active_at_ms = rs->isNull(7) ? 0 : rs->getInt64(7);
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return members;
}

absl::StatusOr<BindingRelease> MySqlAccountStore::ReleaseBinding(int64_t village_id,
                                                                 int64_t binding_id,
                                                                 int64_t now_ms,
                                                                 int64_t alive_since_ms,
                                                                 absl::string_view reason,
                                                                 const AuditContext& context) {
  BindingRelease result;
  absl::Status status = mysql::RunInTransaction(*pool_, [&](sql::Connection& c) -> absl::Status {
    result = BindingRelease{};  // a retried transaction starts over
    // Any state, locked: a second release (or one racing a new phone's) is told apart from a
    // binding that isn't there, and waits for the first to end.
    auto select = Prepare(
        c, absl::StrCat(kBoundMemberColumns, "binding_id = ? AND village_id = ? FOR UPDATE"));
    select->setInt64(1, binding_id);
    select->setInt64(2, village_id);
    std::unique_ptr<sql::ResultSet> rs(select->executeQuery());
    if (!rs->next()) return absl::NotFoundError("no such binding in the village");
    result.binding = ReadBoundMember(*rs);
    if (result.binding.released_at_ms != 0) {
      result.outcome = BindingRelease::Outcome::kAlreadyReleased;
      return absl::OkStatus();
    }
    std::optional<ResidentBinding> active =
        LockActiveBinding(c, "binding_id", absl::StrCat(binding_id));
    if (!active) return absl::InternalError("binding neither active nor released");
    StopBinding(c, *active, now_ms, alive_since_ms, &result.ended_access_token_ids);
    RETURN_IF_ERROR(
        RecordRelease(c, context, *active, now_ms, ReleaseCause{0, std::string(reason)}));
    result.outcome = BindingRelease::Outcome::kReleased;
    result.binding.released_at_ms = now_ms;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

namespace {

// The columns ReadRefreshToken reads, first in a select of refresh_tokens.
constexpr char kRefreshTokenColumns[] =
    "village_id, subject_kind, account_id, expires_at_ms, session_id, access_token_id";

RefreshToken ReadRefreshToken(absl::string_view token_hash, sql::ResultSet& rs) {
  RefreshToken token;
  token.token_hash = std::string(token_hash);
  token.village_id = rs.getInt64(1);
  token.kind = rs.getString(2) == "staff" ? SubjectKind::kStaff : SubjectKind::kResident;
  token.account_id = rs.getInt64(3);
  token.expires_at_ms = rs.getInt64(4);
  token.session_id = rs.getString(5);
  token.access_token_id = rs.getString(6);
  return token;
}

}  // namespace

absl::Status MySqlAccountStore::StoreRefreshToken(const RefreshToken& token) {
  return mysql::RunWithConnection(*pool_, [&](sql::Connection& c) {
    auto stmt = Prepare(c,
                        "INSERT INTO refresh_tokens (village_id, token_hash, subject_kind, "
                        "account_id, session_id, access_token_id, expires_at_ms, issued_at_ms) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    stmt->setInt64(1, token.village_id);
    stmt->setString(2, token.token_hash);
    stmt->setString(3, token.kind == SubjectKind::kStaff ? "staff" : "resident");
    stmt->setInt64(4, token.account_id);
    stmt->setString(5, token.session_id);
    stmt->setString(6, token.access_token_id);
    stmt->setInt64(7, token.expires_at_ms);
    stmt->setInt64(8, token.issued_at_ms);
    stmt->executeUpdate();
    return absl::OkStatus();
  });
}

absl::StatusOr<RefreshToken> MySqlAccountStore::ConsumeRefreshToken(absl::string_view token_hash,
                                                                    int64_t now_ms) {
  RefreshToken token;
  absl::Status status = mysql::RunInTransaction(*pool_, [&](sql::Connection& c) {
    auto select = Prepare(c, absl::StrCat("SELECT ", kRefreshTokenColumns,
                                          " FROM refresh_tokens WHERE token_hash = ? "
                                          "AND spent_at_ms IS NULL AND expires_at_ms > ? "
                                          "FOR UPDATE"));
    select->setString(1, std::string(token_hash));
    select->setInt64(2, now_ms);
    std::unique_ptr<sql::ResultSet> rs(select->executeQuery());
    if (!rs->next()) return absl::NotFoundError("refresh token unknown, spent or expired");
    token = ReadRefreshToken(token_hash, *rs);
    auto spend = Prepare(c, "UPDATE refresh_tokens SET spent_at_ms = ? WHERE token_hash = ?");
    spend->setInt64(1, now_ms);
    spend->setString(2, std::string(token_hash));
    spend->executeUpdate();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return token;
}

namespace {

// Ends session `session_id` (its tokens) in the caller's transaction. Returns how many of its
// refresh tokens were unspent.
int EndSessionById(sql::Connection& c, const std::string& session_id, int64_t now_ms,
                   int64_t alive_since_ms, std::vector<std::string>* alive) {
  return EndRefreshTokens(
      c, "session_id = ?",
      [&](sql::PreparedStatement& statement, int first) {
        statement.setString(first, session_id);
        return first + 1;
      },
      now_ms, alive_since_ms, alive);
}

}  // namespace

absl::StatusOr<ReplayedSession> MySqlAccountStore::EndReplayedSession(absl::string_view token_hash,
                                                                      int64_t now_ms,
                                                                      int64_t spent_before_ms,
                                                                      int64_t alive_since_ms) {
  ReplayedSession result;
  bool replayed = false;
  absl::Status status = mysql::RunInTransaction(*pool_, [&](sql::Connection& c) {
    result = ReplayedSession{};  // a retried transaction starts over
    replayed = false;
    // Spent rows only: this is what ConsumeRefreshToken never looks at.
    auto select = Prepare(c, absl::StrCat("SELECT ", kRefreshTokenColumns,
                                          ", spent_at_ms FROM refresh_tokens WHERE token_hash = ? "
                                          "AND spent_at_ms IS NOT NULL AND spent_at_ms < ? "
                                          "AND session_id <> '' FOR UPDATE"));
    select->setString(1, std::string(token_hash));
    select->setInt64(2, spent_before_ms);
    std::unique_ptr<sql::ResultSet> rs(select->executeQuery());
    if (!rs->next()) return absl::OkStatus();
    replayed = true;
    result.token = ReadRefreshToken(token_hash, *rs);
    result.spent_at_ms = rs->getInt64(7);
    result.session_was_live = EndSessionById(c, result.token.session_id, now_ms, alive_since_ms,
                                             &result.ended_access_token_ids) > 0;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!replayed) return absl::NotFoundError("refresh token not spent before, or unknown");
  return result;
}

absl::StatusOr<std::vector<std::string>> MySqlAccountStore::EndSession(
    absl::string_view access_token_id, int64_t now_ms, int64_t alive_since_ms) {
  std::vector<std::string> alive;
  // Tokens from before sessions have '' for both: they must never match one another.
  if (access_token_id.empty()) return alive;
  absl::Status status = mysql::RunInTransaction(*pool_, [&](sql::Connection& c) {
    alive.clear();  // a retried transaction starts over
    auto find = Prepare(c,
                        "SELECT session_id FROM refresh_tokens WHERE access_token_id = ? "
                        "AND session_id <> '' LIMIT 1");
    find->setString(1, std::string(access_token_id));
    std::unique_ptr<sql::ResultSet> found(find->executeQuery());
    if (!found->next()) return absl::OkStatus();
    EndSessionById(c, found->getString(1), now_ms, alive_since_ms, &alive);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return alive;
}

}  // namespace jifen::gateway
