// The gateway's own records: staff accounts, residents' WeChat bindings, invitation codes and
// refresh tokens. Secrets are stored only as hashes (passwords: Argon2id; invitation codes, refresh
// tokens and openids: SHA-256), so a copy of the database signs no one in.
//
// Changes to accounts, invitations and bindings are on the audit trail: the store writes a
// jifen.audit.v1.AuditRecord into its outbox in the change's own transaction (a change refused or
// rolled back writes none). Records never hold a secret: no password or hash of one, no invitation
// code or its hash, no openid or its hash, no refresh token. Sign-ins, refreshes and logouts are
// routine and not audited.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/auth/caller.h"

namespace jifen::gateway {

// Who makes a change, for its audit record.
struct AuditContext {
  // The actor's user id: a token's subject ("staff-12"), an operator's name (jifen-admin), or ""
  // when the gateway itself acts (actor_role "system").
  std::string actor_user_id;
  // auth::RoleName of the actor's role, "operator" (jifen-admin) or "system".
  std::string actor_role;
  // The X-Request-Id of the HTTP request that made the change; "" outside a request.
  std::string request_id;
};

// The actor of a signed-in caller's change.
AuditContext CallerContext(const auth::Caller& caller, absl::string_view request_id);
// The gateway acting on its own rules (a lockout, the bootstrap account).
AuditContext SystemContext(absl::string_view request_id);
// An operator at the jifen-admin CLI.
AuditContext OperatorContext(absl::string_view operator_name);

// The user ids that staff and residents carry in their tokens (and as audit actors).
std::string StaffUserId(int64_t account_id);
std::string ResidentUserId(int64_t member_id);
// The account of a staff user id ("staff-12" -> 12); 0 for any other text.
int64_t StaffAccountIdOf(absl::string_view user_id);

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

// What redeeming an invitation came to (AccountStore::RedeemInvitation).
struct Redemption {
  enum class Outcome {
    kBound,             // the openid is now bound to the invitation's member
    kAlreadyBoundHere,  // the openid was bound to that member already; nothing else changed
    kBoundElsewhere,    // the openid is bound to another member; nothing changed
  };
  Outcome outcome = Outcome::kBound;
  // The openid's active binding (for kBoundElsewhere: the one it keeps).
  ResidentBinding binding;
  // kBound: the member's previous binding, now released (binding_id 0 when there was none).
  ResidentBinding released;
  // kBound: the released binding's access tokens that may still be alive, to revoke.
  std::vector<std::string> ended_access_token_ids;
};

// A binding as staff see it: whose it is and since when, never the WeChat user's openid or its
// hash (the openid is WeChat's identifier of a person across the app).
struct BoundMember {
  int64_t binding_id = 0;
  int64_t village_id = 0;
  int64_t household_id = 0;
  int64_t member_id = 0;
  int64_t bound_at_ms = 0;     // when the invitation was redeemed
  int64_t released_at_ms = 0;  // 0 while the binding is active
  // The binding's last sign-in or token refresh (the phone in use); 0 when none is recorded
  // (tokens from before migration 0009). Filled in by ListActiveBindings only.
  int64_t last_active_at_ms = 0;
};

// What releasing a binding came to (AccountStore::ReleaseBinding).
struct BindingRelease {
  enum class Outcome {
    kReleased,         // the binding was active and is released now
    kAlreadyReleased,  // it had been released before; nothing changed
  };
  Outcome outcome = Outcome::kReleased;
  BoundMember binding;  // released_at_ms: now, or when it was released before
  // kReleased: the binding's access tokens that may still be alive, to revoke.
  std::vector<std::string> ended_access_token_ids;
};

enum class SubjectKind { kStaff, kResident };

struct RefreshToken {
  std::string token_hash;  // SHA-256 hex
  SubjectKind kind = SubjectKind::kStaff;
  int64_t account_id = 0;  // StaffAccount::account_id or ResidentBinding::binding_id
  int64_t village_id = 0;
  int64_t expires_at_ms = 0;
  std::string session_id;       // the sign-in this token continues; "" for tokens from before
  std::string access_token_id;  // jti of the access token issued with it
  int64_t issued_at_ms = 0;     // when it was issued (a sign-in or a refresh)
};

// A spent refresh token presented again, and the session it ended
// (AccountStore::EndReplayedSession).
struct ReplayedSession {
  RefreshToken token;       // the token presented: its subject and session (token_hash as given)
  int64_t spent_at_ms = 0;  // when it was spent
  // Whether the session still had an unspent refresh token, i.e. was in use until now (false: it
  // had ended before, by logout, a released binding or a changed grid claim).
  bool session_was_live = false;
  std::vector<std::string> ended_access_token_ids;
};

// What must hold outside the gateway's database for a new staff account to exist (a grid worker
// named on their grid), and how to take it back when the account is not stored after all.
struct ConfirmNewStaff {
  // Runs inside the transaction that creates the account, with its id, before the commit. An error
  // rolls the account back (nothing stored, nothing audited) and is returned.
  std::function<absl::Status(int64_t account_id)> confirm;
  // Runs after `confirm` succeeded when the commit then failed and the account is known not to be
  // stored, to undo what `confirm` did. The creation answers with its error, or with the commit's
  // when it succeeded. (When the store can't tell whether the account was stored, it runs nothing
  // and answers UNAVAILABLE saying so: the account may exist.) May be null.
  std::function<absl::Status(int64_t account_id)> withdraw;

  explicit operator bool() const { return static_cast<bool>(confirm); }
};

class AccountStore {
 public:
  virtual ~AccountStore() = default;

  // NOT_FOUND when no such account. User names are one regardless of case: any case finds it.
  virtual absl::StatusOr<StaffAccount> FindStaffByUsername(absl::string_view username) = 0;
  virtual absl::StatusOr<StaffAccount> FindStaffById(int64_t account_id) = 0;
  // The new account's id; ALREADY_EXISTS when the user name is taken, in any case. Audited as
  // "create".
  // `confirm` (may be empty) runs before the commit and can refuse the account (ConfirmNewStaff).
  virtual absl::StatusOr<int64_t> CreateStaff(const StaffAccount& account,
                                              const AuditContext& context,
                                              const ConfirmNewStaff& confirm) = 0;
  // Counts a failed password; once `max_failures` are reached the account is locked until
  // now_ms + lockout_ms (and the count restarts). Only the failure that locks is audited ("lock"):
  // counting wrong passwords is routine. NOT_FOUND for an unknown id.
  virtual absl::Status RecordLoginFailure(int64_t account_id, int64_t now_ms, int max_failures,
                                          int64_t lockout_ms, const AuditContext& context) = 0;
  // Clears the failure count (routine, not audited).
  virtual absl::Status RecordLoginSuccess(int64_t account_id) = 0;
  // Wrong passwords under user names no account has, counted per name (names compare as for
  // accounts: regardless of case) so that such a name locks as an account does; nothing is
  // audited and no account is made. Until when `username` is locked (0: not locked).
  virtual absl::StatusOr<int64_t> UnknownNameLockedUntil(absl::string_view username) = 0;
  // Counts a failed sign-in under the unknown name `username` as RecordLoginFailure counts one
  // for an account: the failure that reaches `max_failures` locks the name until
  // now_ms + lockout_ms and restarts the count. True when this failure locked it.
  virtual absl::StatusOr<bool> RecordUnknownNameFailure(absl::string_view username, int64_t now_ms,
                                                        int max_failures, int64_t lockout_ms) = 0;
  // Operator changes of an existing account, each audited even when it changes nothing (an
  // operator acted); NOT_FOUND for an unknown id.
  // Replaces the password hash and clears the failure count and any lock ("reset_password").
  virtual absl::Status SetPassword(int64_t account_id, const std::string& password_hash,
                                   const AuditContext& context) = 0;
  // Clears the failure count and any lock ("unlock").
  virtual absl::Status Unlock(int64_t account_id, const AuditContext& context) = 0;
  // "disable" or "enable".
  virtual absl::Status SetDisabled(int64_t account_id, bool disabled,
                                   const AuditContext& context) = 0;
  // Staff accounts in account_id order; town_id / village_id 0 match any.
  virtual absl::StatusOr<std::vector<StaffAccount>> ListStaff(int64_t town_id,
                                                              int64_t village_id) = 0;
  // The registry (scoring) now names `worker_account_id` (0: no account of ours) the worker of
  // grid `grid_id` of village `village_id`, and the grid claims of the village's grid worker
  // accounts follow it, in one transaction: every other account claiming the grid loses the
  // claim (grid_id 0, audited "release_grid"), and the named account, if it is a grid worker of
  // the village claiming another grid or none, claims this one ("bind_grid"). Each account
  // changed has its sessions ended (its unspent refresh tokens spent), since its tokens carry the
  // old claim. Returns the ids of those accounts' access tokens that may still be alive (issued
  // with refresh tokens unspent or spent after `alive_since_ms`); empty when nothing changed.
  virtual absl::StatusOr<std::vector<std::string>> FollowGridWorker(
      int64_t village_id, int64_t grid_id, int64_t worker_account_id, int64_t now_ms,
      int64_t alive_since_ms, const AuditContext& context) = 0;

  // The openid's active binding; NOT_FOUND when it has none (never bound, or released).
  virtual absl::StatusOr<ResidentBinding> FindResident(absl::string_view openid_hash) = 0;
  // NOT_FOUND also for a released binding: its sessions must not go on.
  virtual absl::StatusOr<ResidentBinding> FindResidentById(int64_t binding_id) = 0;

  // ALREADY_EXISTS on a code collision (the caller makes a new code). Audited as "issue" on the
  // invitation's number, never its code.
  virtual absl::Status CreateInvitation(const Invitation& invitation,
                                        const AuditContext& context) = 0;
  // In one transaction, what the WeChat user `openid_hash` redeeming the invitation `code_hash`
  // comes to (Redemption::Outcome):
  //  - the openid has no active binding: the invitation is spent and the openid bound to its
  //    member ("bind"). A binding the member already had (another WeChat user: the member's new
  //    phone) is released first ("release"): its refresh tokens are spent and the access tokens
  //    that may still be alive are returned in Redemption::ended_access_token_ids.
  //  - the openid is bound to the invitation's member (same village, household and member): the
  //    invitation, if unspent, is spent on that binding ("redeem" on the invitation), so no one
  //    else can take the member with it later; one spent on that binding before is no error (a
  //    client sending its code again).
  //  - the openid is bound to another member: nothing changes, the invitation stays unspent.
  // NOT_FOUND if the code is unknown, expired, or spent on another binding; ALREADY_EXISTS when
  // a concurrent redemption bound the openid or member first (try again). The actor of every
  // record is the member the invitation was for (ResidentUserId, role "resident"), whom the
  // person redeeming it signs in as.
  virtual absl::StatusOr<Redemption> RedeemInvitation(absl::string_view code_hash,
                                                      absl::string_view openid_hash, int64_t now_ms,
                                                      int64_t alive_since_ms,
                                                      absl::string_view request_id) = 0;

  // The active bindings of village `village_id` (of household `household_id` only, unless 0) with
  // binding ids above `after_binding_id`, in binding id order, at most `limit` of them.
  virtual absl::StatusOr<std::vector<BoundMember>> ListActiveBindings(int64_t village_id,
                                                                      int64_t household_id,
                                                                      int64_t after_binding_id,
                                                                      int limit) = 0;
  // Releases binding `binding_id` of village `village_id` as a new phone's binding releases the
  // member's old one (RedeemInvitation), in one transaction: from now on it signs in no one, its
  // refresh tokens are spent, and its access tokens that may still be alive (issued with refresh
  // tokens unspent or spent after `alive_since_ms`) are returned in
  // BindingRelease::ended_access_token_ids. Audited as "release" with `context` as its actor and
  // `reason` (may be empty) in the record. A binding released before is kAlreadyReleased and
  // changes nothing. NOT_FOUND when the village has no binding of that id (another village's is
  // not found either).
  virtual absl::StatusOr<BindingRelease> ReleaseBinding(int64_t village_id, int64_t binding_id,
                                                        int64_t now_ms, int64_t alive_since_ms,
                                                        absl::string_view reason,
                                                        const AuditContext& context) = 0;

  virtual absl::Status StoreRefreshToken(const RefreshToken& token) = 0;
  // Spends a refresh token once: NOT_FOUND if unknown, revoked, spent or expired at now_ms.
  virtual absl::StatusOr<RefreshToken> ConsumeRefreshToken(absl::string_view token_hash,
                                                           int64_t now_ms) = 0;
  // A refresh token ConsumeRefreshToken refused, presented again after it was spent: someone holds
  // a copy of it (a stolen token, or the real phone after a thief refreshed with it first). If it
  // was spent before `spent_before_ms` and belongs to a session, that session ends in one
  // transaction, as at logout: its unspent refresh tokens are spent, and the ids of its access
  // tokens issued with refresh tokens unspent or spent after `alive_since_ms` are returned for the
  // revocation list. NOT_FOUND when the token is unknown, was never spent (merely expired), was
  // spent at or after `spent_before_ms` (a parallel presentation, see LoginService::Refresh), or
  // is from before sessions.
  virtual absl::StatusOr<ReplayedSession> EndReplayedSession(absl::string_view token_hash,
                                                             int64_t now_ms,
                                                             int64_t spent_before_ms,
                                                             int64_t alive_since_ms) = 0;
  // Ends the session of the access token `access_token_id`: spends its unspent refresh tokens and
  // returns the ids of its access tokens issued with refresh tokens unspent or spent after
  // `alive_since_ms` (older ones have expired). Empty when the token belongs to no session.
  virtual absl::StatusOr<std::vector<std::string>> EndSession(absl::string_view access_token_id,
                                                              int64_t now_ms,
                                                              int64_t alive_since_ms) = 0;
};

}  // namespace jifen::gateway
