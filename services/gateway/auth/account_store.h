// The gateway's own records: staff accounts, residents' WeChat bindings, invitation codes and
// refresh tokens. Secrets are stored only as hashes (passwords: Argon2id; invitation codes, refresh
// tokens and openids: SHA-256), so a copy of the database signs no one in.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/auth/caller.h"

namespace jifen::gateway {

struct StaffAccount {
  int64_t account_id = 0;
  std::string username;
  std::string password_hash;
  auth::Role role = auth::Role::kGridWorker;
  int64_t town_id = 0;
  int64_t village_id = 0;
  int64_t grid_id = 0;
  int64_t team_id = 0;
  int failed_attempts = 0;
  int64_t locked_until_ms = 0;
  bool disabled = false;
};

struct ResidentBinding {
  int64_t binding_id = 0;
  std::string openid_hash;  // SHA-256 hex of the WeChat openid
  int64_t town_id = 0;
  int64_t village_id = 0;
  int64_t household_id = 0;
  int64_t member_id = 0;
};

struct Invitation {
  std::string code_hash;  // SHA-256 hex of the code
  int64_t town_id = 0;
  int64_t village_id = 0;
  int64_t household_id = 0;
  int64_t member_id = 0;
  std::string created_by;  // the admin's user id
  int64_t expires_at_ms = 0;
};

enum class SubjectKind { kStaff, kResident };

struct RefreshToken {
  std::string token_hash;  // SHA-256 hex
  SubjectKind kind = SubjectKind::kStaff;
  int64_t account_id = 0;  // StaffAccount::account_id or ResidentBinding::binding_id
  int64_t village_id = 0;
  int64_t expires_at_ms = 0;
};

class AccountStore {
 public:
  virtual ~AccountStore() = default;

  // NOT_FOUND when no such account.
  virtual absl::StatusOr<StaffAccount> FindStaffByUsername(absl::string_view username) = 0;
  virtual absl::StatusOr<StaffAccount> FindStaffById(int64_t account_id) = 0;
  // The new account's id; ALREADY_EXISTS when the user name is taken.
  virtual absl::StatusOr<int64_t> CreateStaff(const StaffAccount& account) = 0;
  // Counts a failed password; once `max_failures` are reached the account is locked until
  // now_ms + lockout_ms (and the count restarts).
  virtual absl::Status RecordLoginFailure(int64_t account_id, int64_t now_ms, int max_failures,
                                          int64_t lockout_ms) = 0;
  virtual absl::Status RecordLoginSuccess(int64_t account_id) = 0;
  // Operator changes of an existing account (no-ops for an unknown id).
  // Replaces the password hash and clears the failure count and any lock.
  virtual absl::Status SetPassword(int64_t account_id, const std::string& password_hash) = 0;
  // Clears the failure count and any lock.
  virtual absl::Status Unlock(int64_t account_id) = 0;
  virtual absl::Status SetDisabled(int64_t account_id, bool disabled) = 0;
  // Staff accounts in account_id order; town_id / village_id 0 match any.
  virtual absl::StatusOr<std::vector<StaffAccount>> ListStaff(int64_t town_id,
                                                              int64_t village_id) = 0;

  // NOT_FOUND when the openid is not bound.
  virtual absl::StatusOr<ResidentBinding> FindResident(absl::string_view openid_hash) = 0;
  virtual absl::StatusOr<ResidentBinding> FindResidentById(int64_t binding_id) = 0;

  // ALREADY_EXISTS on a code collision (the caller makes a new code).
  virtual absl::Status CreateInvitation(const Invitation& invitation) = 0;
  // In one transaction: spends the invitation (unused and unexpired at now_ms) and binds the
  // openid to its member. NOT_FOUND if the code is unknown, spent or expired; ALREADY_EXISTS if the
  // openid is already bound (the invitation is then not spent).
  virtual absl::StatusOr<ResidentBinding> RedeemInvitation(absl::string_view code_hash,
                                                           absl::string_view openid_hash,
                                                           int64_t now_ms) = 0;

  virtual absl::Status StoreRefreshToken(const RefreshToken& token) = 0;
  // Spends a refresh token once: NOT_FOUND if unknown, revoked, spent or expired at now_ms.
  virtual absl::StatusOr<RefreshToken> ConsumeRefreshToken(absl::string_view token_hash,
                                                           int64_t now_ms) = 0;
};

}  // namespace jifen::gateway
