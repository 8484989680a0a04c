// Sign-in and token lifecycle: staff by user name and password, residents by WeChat code (bound
// once to a household member by an invitation code from the village admin), short-lived access
// tokens, rotating refresh tokens, logout.
//
// The changes it makes are on the audit trail (AccountStore): a staff account created, a lockout,
// an invitation issued or redeemed, a WeChat user bound, a member's old binding released (by a
// new phone's invitation, or by the village admin).
// `request_id` is the HTTP request's X-Request-Id, kept in those records.
//
// Errors carry a leading code the HTTP layer shows to clients: LOGIN_FAILED (401), ACCOUNT_LOCKED
// (429, with a retry-after payload), ACCOUNT_NOT_BOUND (412), ACCOUNT_ALREADY_BOUND (409),
// INVITATION_INVALID (404), WECHAT_CODE_INVALID (401), WECHAT_UNAVAILABLE (503),
// REFRESH_TOKEN_INVALID (401), USERNAME_TAKEN (409), and ResidentBindings' for the bindings staff
// list and release.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/auth/caller.h"
#include "common/auth/token.h"
#include "services/gateway/auth/account_store.h"
#include "services/gateway/auth/password.h"
#include "services/gateway/auth/resident_bindings.h"
#include "services/gateway/auth/staff_accounts.h"
#include "services/gateway/auth/wechat_client.h"

namespace jifen::gateway {

struct LoginOptions {
  absl::Duration access_token_ttl = absl::Minutes(15);
  absl::Duration refresh_token_ttl = absl::Hours(24 * 30);
  absl::Duration invitation_ttl_default = absl::Hours(24 * 7);
  int max_failed_logins = 5;  // consecutive, then locked
  absl::Duration lockout = absl::Minutes(15);
  PasswordCost password_cost;
  size_t min_password_length = kMinPasswordLength;
  // A spent refresh token presented again within this time after it was spent is taken for a
  // parallel presentation of the same token (two requests of one phone refreshing at once, the
  // loser waiting on the winner's row lock, or a retry on a slow network), refused without
  // ending the session; later it is a replay and ends the session (Refresh).
  absl::Duration refresh_reuse_grace = absl::Seconds(10);
};

struct TokenPair {
  std::string access_token;
  std::string refresh_token;
  int64_t expires_in_seconds = 0;
  std::string user_id;
  std::string role;
  // Not for the client: the access tokens of sessions this sign-in ended (a WeChat binding it
  // replaced), for the caller to put on the revocation list. Empty for most sign-ins.
  std::vector<std::string> ended_access_token_ids;
};

struct NewInvitation {
  std::string code;  // shown once to the admin, e.g. "K7QX-M2PD"
  int64_t expires_at_ms = 0;
};

// Payload key of ACCOUNT_LOCKED statuses: seconds until the lock ends, as decimal text.
inline constexpr char kRetryAfterPayload[] = "jifen.retry_after_seconds";

class LoginService final {
 public:
  using Clock = std::function<absl::Time()>;
  // All pointers must outlive the service.
  LoginService(AccountStore* store, const auth::TokenSigner* signer, WeChatClient* wechat,
               LoginOptions options, Clock clock);

  // The wrong password that locks an account is audited as "lock" by the system. A user name no
  // account has meets the same answers (LOGIN_FAILED, then ACCOUNT_LOCKED for `lockout` from the
  // `max_failed_logins`th failure on, counted per name regardless of case), so that neither the
  // answers nor their timing tell which names exist; no account is made and nothing audited.
  // Names are matched regardless of case.
  absl::StatusOr<TokenPair> StaffLogin(absl::string_view username, absl::string_view password,
                                       absl::string_view request_id);
  // Without an invitation code an unbound openid is ACCOUNT_NOT_BOUND and a bound one signs in.
  // An invitation code is never ignored (AccountStore::RedeemInvitation):
  //  - an unbound openid is bound to the invitation's member ("bind") and signed in; a binding the
  //    member had with another WeChat user is released ("release"), its sessions ended, and their
  //    access tokens returned in TokenPair::ended_access_token_ids for the revocation list;
  //  - an openid bound to that member signs in (an unspent invitation is spent on its binding,
  //    "redeem");
  //  - an openid bound to another member is ACCOUNT_ALREADY_BOUND (ALREADY_EXISTS, HTTP 409),
  //    nothing changed and the invitation unspent.
  // INVITATION_INVALID (NOT_FOUND) for a code unknown, expired or spent on another binding.
  absl::StatusOr<TokenPair> WeChatLogin(absl::string_view code, absl::string_view invitation_code,
                                        absl::string_view request_id);
  // Spends the refresh token and issues a new pair from the account as it is now; exactly one of
  // parallel refreshes with one token wins. REFRESH_TOKEN_INVALID for a token unknown, expired or
  // spent. A token spent more than `refresh_reuse_grace` ago is a replay: a copy of it is in other
  // hands (or the thief refreshed first and this is the real phone), so its whole session ends as
  // at logout, the live refresh token with it, and the session's access tokens that may still be
  // alive are appended to `ended_access_token_ids` (may be null) for the caller to put on the
  // revocation list. A replay is logged as a warning (the staff user id or binding id,
  // `request_id`; never a token).
  absl::StatusOr<TokenPair> Refresh(absl::string_view refresh_token,
                                    absl::string_view request_id = "",
                                    std::vector<std::string>* ended_access_token_ids = nullptr);
  // Revokes a refresh token (unknown ones are fine: logout is idempotent).
  absl::Status RevokeRefreshToken(absl::string_view refresh_token);
  // Logout: ends the session `caller`'s access token belongs to (its refresh token is spent, also
  // when the client does not send it) and revokes `refresh_token` if given. Returns the ids of the
  // session's access tokens that may still be alive, the caller's own among them, for the caller
  // to put on the revocation list.
  absl::StatusOr<std::vector<std::string>> EndSession(const auth::Caller& caller,
                                                      absl::string_view refresh_token);

  // A village admin invites a member of a household of their village. (The scoring service owns
  // the roster; the HTTP layer checks the household with it before calling this.)
  absl::StatusOr<NewInvitation> CreateInvitation(const auth::Caller& admin, int64_t household_id,
                                                 int64_t member_id,
                                                 std::optional<absl::Duration> valid_for,
                                                 absl::string_view request_id);
  // Village admins create grid workers and assessors of their own village; district officials
  // create any staff role. PERMISSION_DENIED otherwise. Returns the new account's user id.
  // `confirm` (may be empty) runs with the new account's id before the account is committed; its
  // error leaves no account and is returned (AccountStore::CreateStaff).
  absl::StatusOr<std::string> CreateStaff(const auth::Caller& creator, const NewStaff& request,
                                          absl::string_view request_id,
                                          const ConfirmNewStaff& confirm = {});
  // The account `creator` would make of `request` (a village admin's is of their own village and
  // town), or CreateStaff's PERMISSION_DENIED / INVALID_ARGUMENT role refusal: what the HTTP layer
  // checks the registry with before calling CreateStaff.
  static absl::StatusOr<NewStaff> AccountToCreate(const auth::Caller& creator,
                                                  const NewStaff& request);
  // Creates the account unless the user name exists (bootstrap of the first district official at
  // start; audited with the system as its actor).
  absl::Status EnsureStaff(const NewStaff& request);

  // After `actor` had scoring's registry name `worker_user_id` ("" for none) the worker of grid
  // `grid_id` of village `village_id`: the accounts' grid claims follow the registry
  // (AccountStore::FollowGridWorker, audited with `actor`), so the replaced worker's account no
  // longer claims the grid and signs in again without it. Returns the ids of the access tokens
  // of the changed accounts that may still be alive, for the caller to put on the revocation list.
  absl::StatusOr<std::vector<std::string>> FollowGridWorker(const auth::Caller& actor,
                                                            int64_t village_id, int64_t grid_id,
                                                            absl::string_view worker_user_id,
                                                            absl::string_view request_id);

  // A village's active WeChat bindings, for its staff (ResidentBindings::List; `registry` is
  // scoring's under the reader's own token).
  absl::StatusOr<BindingPage> ListBindings(const auth::Caller& reader, const BindingQuery& query,
                                           ScopeRegistry& registry);
  // The village admin releases a binding of their village now (ResidentBindings::Release): the
  // ended access tokens of its phone are in BindingRelease::ended_access_token_ids, for the
  // caller to put on the revocation list.
  absl::StatusOr<BindingRelease> ReleaseBinding(const auth::Caller& admin, int64_t binding_id,
                                                absl::string_view reason,
                                                absl::string_view request_id);

 private:
  // A sign-in under a user name no account has: LOGIN_FAILED or ACCOUNT_LOCKED, as for one.
  absl::Status UnknownNameFailed(absl::string_view username, absl::string_view password);
  absl::StatusOr<std::string> CreateStaffAs(const auth::Caller& creator, const NewStaff& request,
                                            const AuditContext& context,
                                            const ConfirmNewStaff& confirm);
  // A new access token and a refresh token continuing `session_id` ("" starts a new session).
  absl::StatusOr<TokenPair> Issue(auth::Caller caller, SubjectKind kind, int64_t account_id,
                                  std::string session_id = "");

  AccountStore* store_;
  const auth::TokenSigner* signer_;
  WeChatClient* wechat_;
  StaffAccounts staff_;
  ResidentBindings bindings_;
  LoginOptions options_;
  Clock clock_;
  std::string dummy_hash_;  // verified against for unknown users, so timing tells nothing
};

// Lowercase hex SHA-256.
std::string Sha256Hex(absl::string_view data);
// `bytes` random bytes as base64url without padding.
std::string RandomToken(size_t bytes);

}  // namespace jifen::gateway
