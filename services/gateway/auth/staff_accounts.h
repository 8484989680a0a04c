// Staff accounts: the rules that hold however an account is made or changed, shared by the
// gateway's HTTP API (through LoginService, which adds who may do what) and the operator CLI
// (tools/admin, jifen-admin). Passwords are stored only as Argon2id hashes; nothing here returns
// one.
//
// Errors carry a leading code: USERNAME_TAKEN (ALREADY_EXISTS), ACCOUNT_NOT_FOUND (NOT_FOUND),
// PASSWORD_TOO_SHORT, PASSWORD_TOO_WEAK and field-named INVALID_ARGUMENT for a bad role, scope or
// user name.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/auth/caller.h"
#include "services/gateway/auth/account_store.h"
#include "services/gateway/auth/password.h"

namespace jifen::gateway {

// The shortest password accepted, unless a caller sets its own.
inline constexpr size_t kMinPasswordLength = 10;
// The fewest different characters a password may have ("aaaaaaaaaaaa", "abababababab" are refused).
inline constexpr size_t kMinPasswordDistinctCharacters = 5;

// OK, or PASSWORD_TOO_WEAK (INVALID_ARGUMENT naming the field "password") for a password a guesser
// tries early, whatever its length: fewer than kMinPasswordDistinctCharacters different characters,
// one run in order ("abcdefghijk", "9876543210"), the user name inside it (ignoring ASCII case), or
// one of a short list of common passwords. Every password set goes through it (StaffAccounts).
absl::Status CheckPasswordStrength(absl::string_view password, absl::string_view username);

struct NewStaff {
  std::string username;
  std::string password;
  std::string role;
  int64_t town_id = 0;
  int64_t village_id = 0;
  int64_t grid_id = 0;
  int64_t team_id = 0;
};

// The role named `role` if it is a staff role (not resident or service); INVALID_ARGUMENT
// otherwise.
absl::StatusOr<auth::Role> ParseStaffRole(absl::string_view role);

class StaffAccounts final {
 public:
  // `store` must outlive this object.
  StaffAccounts(AccountStore* store, PasswordCost password_cost, size_t min_password_length);

  // Checks the role (a staff role, never resident or service), the scope the role needs (grid
  // worker: village and grid; assessor: village and team; village admin: village; town official:
  // town), the user name (3..64 bytes) and the password's length and strength
  // (CheckPasswordStrength), then stores the account with the
  // password's hash. Returns the new account id. Each change below is on the audit trail with
  // `context` as its actor (AccountStore); a refused one writes no record.
  // `confirm` (may be empty) runs before the account is committed and can refuse it
  // (AccountStore::CreateStaff).
  absl::StatusOr<int64_t> Create(const NewStaff& request, const AuditContext& context,
                                 const ConfirmNewStaff& confirm = {});

  // Replaces the password (held to the same length and strength rules as at creation) and clears a
  // lock and the failure count (a reset is how an operator lets a locked-out person back in with a
  // new secret).
  absl::Status ResetPassword(absl::string_view username, absl::string_view new_password,
                             const AuditContext& context);
  // Lifts a lockout from too many failed sign-ins; the password is unchanged.
  absl::Status Unlock(absl::string_view username, const AuditContext& context);
  // A disabled account signs in no more and its refresh tokens stop working; access tokens
  // already issued run out within their short lifetime. Enabling undoes it.
  absl::Status SetDisabled(absl::string_view username, bool disabled, const AuditContext& context);

  // After the registry (scoring) named account `worker_account_id` the worker of grid `grid_id`
  // of village `village_id`, the accounts' grid claims follow it (AccountStore::FollowGridWorker,
  // audited with `context`): the ids of the changed accounts' access tokens that may be alive.
  absl::StatusOr<std::vector<std::string>> FollowGridWorker(int64_t village_id, int64_t grid_id,
                                                            int64_t worker_account_id,
                                                            int64_t now_ms, int64_t alive_since_ms,
                                                            const AuditContext& context);

  // Accounts in id order, filtered by town and/or village (0: any), with password_hash cleared.
  absl::StatusOr<std::vector<StaffAccount>> List(int64_t town_id, int64_t village_id);

 private:
  // PASSWORD_TOO_SHORT, PASSWORD_TOO_WEAK (CheckPasswordStrength) or the hash.
  absl::StatusOr<std::string> HashNewPassword(absl::string_view password,
                                              absl::string_view username) const;
  absl::StatusOr<StaffAccount> Find(absl::string_view username);

  AccountStore* store_;
  PasswordCost password_cost_;
  size_t min_password_length_;
};

}  // namespace jifen::gateway
