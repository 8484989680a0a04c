#include "services/gateway/auth/login_service.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/log/log.h"

namespace jifen::gateway {
namespace {

int64_t ToMs(absl::Time t) { return absl::ToUnixMillis(t); }

absl::Status LoginFailed() {
  return absl::UnauthenticatedError("LOGIN_FAILED: wrong user name or password");
}

absl::Status Locked(int64_t seconds) {
  absl::Status status = absl::ResourceExhaustedError("ACCOUNT_LOCKED: too many failed sign-ins");
  status.SetPayload(kRetryAfterPayload, absl::Cord(absl::StrCat(std::max<int64_t>(seconds, 1))));
  return status;
}

// Invitation codes: 8 characters from an alphabet without look-alikes (0/O, 1/I/L), read aloud or
// typed on a phone; shown as XXXX-XXXX. 40 bits; guessing is bounded by the login rate limit.
constexpr char kCodeAlphabet[] = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

std::string NewInvitationCode() {
  unsigned char bytes[8];
  RAND_bytes(bytes, sizeof(bytes));
  std::string code;
  for (unsigned char b : bytes) code.push_back(kCodeAlphabet[b % (sizeof(kCodeAlphabet) - 1)]);
  return code.substr(0, 4) + "-" + code.substr(4);
}

std::string NormalizeInvitationCode(absl::string_view code) {
  std::string out;
  for (char c : code) {
    if (c == '-' || c == ' ') continue;
    out.push_back(absl::ascii_toupper(c));
  }
  return out;
}

}  // namespace

std::string Sha256Hex(absl::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

std::string RandomToken(size_t bytes) {
  std::string raw(bytes, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(raw.size()));
  return absl::WebSafeBase64Escape(raw);
}

LoginService::LoginService(AccountStore* store, const auth::TokenSigner* signer,
                           WeChatClient* wechat, LoginOptions options, Clock clock)
    : store_(store),
      signer_(signer),
      wechat_(wechat),
      staff_(store, options.password_cost, options.min_password_length),
      bindings_(store),
      options_(std::move(options)),
      clock_(std::move(clock)) {
  dummy_hash_ = HashPassword(RandomToken(16), options_.password_cost).value_or("");
}

absl::StatusOr<TokenPair> LoginService::Issue(auth::Caller caller, SubjectKind kind,
                                              int64_t account_id, std::string session_id) {
  const absl::Time now = clock_();
  // The access token's id is chosen here so that the refresh token can name it: a logout, which
  // presents the access token, then finds and ends the session.
  caller.token_id = RandomToken(16);
  if (session_id.empty()) session_id = RandomToken(16);
  absl::StatusOr<std::string> access = signer_->Sign(caller, now, options_.access_token_ttl);
  if (!access.ok()) return access.status();
  TokenPair pair;
  pair.access_token = *std::move(access);
  pair.refresh_token = RandomToken(32);
  pair.expires_in_seconds = absl::ToInt64Seconds(options_.access_token_ttl);
  pair.user_id = caller.user_id;
  pair.role = std::string(auth::RoleName(caller.role));
  RefreshToken stored;
  stored.token_hash = Sha256Hex(pair.refresh_token);
  stored.kind = kind;
  stored.account_id = account_id;
  stored.village_id = caller.village_id;
  stored.expires_at_ms = ToMs(now + options_.refresh_token_ttl);
  stored.session_id = std::move(session_id);
  stored.access_token_id = caller.token_id;
  stored.issued_at_ms = ToMs(now);
  if (absl::Status s = store_->StoreRefreshToken(stored); !s.ok()) return s;
  return pair;
}

absl::StatusOr<TokenPair> LoginService::StaffLogin(absl::string_view username,
                                                   absl::string_view password,
                                                   absl::string_view request_id) {
  absl::StatusOr<StaffAccount> account = store_->FindStaffByUsername(username);
  if (absl::IsNotFound(account.status())) return UnknownNameFailed(username, password);
  if (!account.ok()) return account.status();
  const int64_t now_ms = ToMs(clock_());
  if (account->locked_until_ms > now_ms) {
    return Locked((account->locked_until_ms - now_ms + 999) / 1000);
  }
  if (account->disabled || !VerifyPassword(password, account->password_hash)) {
    // A lockout is the gateway's rule at work, not an act of the account's holder (whoever typed
    // the wrong passwords may be someone else): the system is its actor.
    absl::Status s = store_->RecordLoginFailure(
        account->account_id, now_ms, options_.max_failed_logins,
        absl::ToInt64Milliseconds(options_.lockout), SystemContext(request_id));
    if (!s.ok()) return s;
    log::Warning("staff sign-in failed",
                 {{"user_id", StaffUserId(account->account_id)},
                  {"failed_attempts", absl::StrCat(account->failed_attempts + 1)}});
    if (account->failed_attempts + 1 >= options_.max_failed_logins) {
      return Locked(absl::ToInt64Seconds(options_.lockout));
    }
    return LoginFailed();
  }
  if (account->failed_attempts > 0) {
    if (absl::Status s = store_->RecordLoginSuccess(account->account_id); !s.ok()) return s;
  }
  auth::Caller caller;
  caller.user_id = StaffUserId(account->account_id);
  caller.role = account->role;
  caller.town_id = account->town_id;
  caller.village_id = account->village_id;
  caller.grid_id = account->grid_id;
  caller.team_id = account->team_id;
  return Issue(caller, SubjectKind::kStaff, account->account_id);
}

absl::Status LoginService::UnknownNameFailed(absl::string_view username,
                                             absl::string_view password) {
  // Whatever an account's holder would meet, an unknown name meets too, in the same order and at
  // the same cost: a lock checked before any password work, the password's check (against a
  // dummy hash), the failure counted, ACCOUNT_LOCKED from the failure that reaches the limit.
  const int64_t now_ms = ToMs(clock_());
  absl::StatusOr<int64_t> locked_until_ms = store_->UnknownNameLockedUntil(username);
  if (!locked_until_ms.ok()) return locked_until_ms.status();
  if (*locked_until_ms > now_ms) return Locked((*locked_until_ms - now_ms + 999) / 1000);
  VerifyPassword(password, dummy_hash_);
  absl::StatusOr<bool> locked = store_->RecordUnknownNameFailure(
      username, now_ms, options_.max_failed_logins, absl::ToInt64Milliseconds(options_.lockout));
  if (!locked.ok()) return locked.status();
  // The name is not logged: it may be a password typed into the wrong field.
  log::Warning("staff sign-in failed", {{"user_id", ""}, {"unknown_user_name", "true"}});
  if (*locked) return Locked(absl::ToInt64Seconds(options_.lockout));
  return LoginFailed();
}

namespace {
auth::Caller ResidentCaller(const ResidentBinding& binding) {
  auth::Caller caller;
  caller.user_id = ResidentUserId(binding.member_id);
  caller.role = auth::Role::kResident;
  caller.town_id = binding.town_id;
  caller.village_id = binding.village_id;
  caller.household_id = binding.household_id;
  return caller;
}
}  // namespace

absl::StatusOr<TokenPair> LoginService::WeChatLogin(absl::string_view code,
                                                    absl::string_view invitation_code,
                                                    absl::string_view request_id) {
  absl::StatusOr<std::string> openid = wechat_->Code2Session(code);
  if (!openid.ok()) return openid.status();
  const std::string openid_hash = Sha256Hex(*openid);
  if (invitation_code.empty()) {
    absl::StatusOr<ResidentBinding> binding = store_->FindResident(openid_hash);
    if (absl::IsNotFound(binding.status())) {
      return absl::FailedPreconditionError("ACCOUNT_NOT_BOUND: needs an invitation code");
    }
    if (!binding.ok()) return binding.status();
    return Issue(ResidentCaller(*binding), SubjectKind::kResident, binding->binding_id);
  }
  // An invitation is never ignored: it binds, confirms the binding the user has, or is refused.
  const absl::Time now = clock_();
  const std::string code_hash = Sha256Hex(NormalizeInvitationCode(invitation_code));
  absl::StatusOr<Redemption> redemption = store_->RedeemInvitation(
      code_hash, openid_hash, ToMs(now), ToMs(now - options_.access_token_ttl), request_id);
  if (absl::IsAlreadyExists(redemption.status())) {
    // A concurrent redemption bound the openid or the member first; read the outcome again.
    redemption = store_->RedeemInvitation(code_hash, openid_hash, ToMs(now),
                                          ToMs(now - options_.access_token_ttl), request_id);
  }
  if (absl::IsNotFound(redemption.status())) {
    return absl::NotFoundError("INVITATION_INVALID: unknown, spent or expired");
  }
  if (!redemption.ok()) return redemption.status();
  const ResidentBinding& binding = redemption->binding;
  switch (redemption->outcome) {
    case Redemption::Outcome::kBoundElsewhere:
      // Moving a bound WeChat user to another member silently would hand them another household's
      // points; the village admin decides (a new invitation redeemed from another WeChat user).
      return absl::AlreadyExistsError(
          "ACCOUNT_ALREADY_BOUND: this WeChat user is bound to another household member; the "
          "invitation was not used");
    case Redemption::Outcome::kAlreadyBoundHere:
      break;
    case Redemption::Outcome::kBound:
      log::Info("resident bound", {{"user_id", ResidentUserId(binding.member_id)},
                                   {"household_id", absl::StrCat(binding.household_id)}});
      if (redemption->released.binding_id != 0) {
        log::Info("resident binding replaced",
                  {{"user_id", ResidentUserId(binding.member_id)},
                   {"released_binding_id", absl::StrCat(redemption->released.binding_id)},
                   {"binding_id", absl::StrCat(binding.binding_id)}});
      }
      break;
  }
  absl::StatusOr<TokenPair> pair =
      Issue(ResidentCaller(binding), SubjectKind::kResident, binding.binding_id);
  if (!pair.ok()) return pair.status();
  pair->ended_access_token_ids = std::move(redemption->ended_access_token_ids);
  return pair;
}

absl::StatusOr<TokenPair> LoginService::Refresh(absl::string_view refresh_token,
                                                absl::string_view request_id,
                                                std::vector<std::string>* ended_access_token_ids) {
  const std::string token_hash = Sha256Hex(refresh_token);
  const absl::Time now = clock_();
  absl::StatusOr<RefreshToken> spent = store_->ConsumeRefreshToken(token_hash, ToMs(now));
  if (absl::IsNotFound(spent.status())) {
    // Spent before? Then someone else holds a copy. Within the grace it is taken for the same
    // phone refreshing twice at once (the loser of two parallel refreshes lands here right after
    // the winner spent the token, possibly before the winner's new token is even stored): only
    // refused, so that it can't end the winner's session. A thief who replays within the grace
    // gains nothing either; one who refreshed first is found out when the real phone presents the
    // token after the grace, and loses the session with it.
    absl::StatusOr<ReplayedSession> replay =
        store_->EndReplayedSession(token_hash, ToMs(now), ToMs(now - options_.refresh_reuse_grace),
                                   ToMs(now - options_.access_token_ttl));
    if (replay.ok()) {
      log::Warning("spent refresh token presented again; its session ended",
                   {{"subject", replay->token.kind == SubjectKind::kStaff
                                    ? StaffUserId(replay->token.account_id)
                                    : absl::StrCat("binding-", replay->token.account_id)},
                    {"request_id", std::string(request_id)},
                    {"spent_seconds_ago", absl::StrCat((ToMs(now) - replay->spent_at_ms) / 1000)},
                    {"session_was_live", replay->session_was_live ? "true" : "false"},
                    {"access_tokens_ended", absl::StrCat(replay->ended_access_token_ids.size())}});
      if (ended_access_token_ids != nullptr) {
        ended_access_token_ids->insert(ended_access_token_ids->end(),
                                       replay->ended_access_token_ids.begin(),
                                       replay->ended_access_token_ids.end());
      }
    } else if (!absl::IsNotFound(replay.status())) {
      // The refusal stands; the session could not be ended now and is ended by the next replay.
      log::Warning(
          "spent refresh token presented again; its session not ended",
          {{"request_id", std::string(request_id)}, {"error", replay.status().ToString()}});
    }
    return absl::UnauthenticatedError("REFRESH_TOKEN_INVALID: unknown, spent or expired");
  }
  if (!spent.ok()) return spent.status();
  if (spent->kind == SubjectKind::kResident) {
    absl::StatusOr<ResidentBinding> binding = store_->FindResidentById(spent->account_id);
    if (!binding.ok()) {
      return absl::UnauthenticatedError("REFRESH_TOKEN_INVALID: binding gone");
    }
    return Issue(ResidentCaller(*binding), SubjectKind::kResident, binding->binding_id,
                 spent->session_id);
  }
  absl::StatusOr<StaffAccount> account = store_->FindStaffById(spent->account_id);
  if (!account.ok() || account->disabled) {
    return absl::UnauthenticatedError("REFRESH_TOKEN_INVALID: account gone or disabled");
  }
  auth::Caller caller;
  caller.user_id = StaffUserId(account->account_id);
  caller.role = account->role;
  caller.town_id = account->town_id;
  caller.village_id = account->village_id;
  caller.grid_id = account->grid_id;
  caller.team_id = account->team_id;
  return Issue(caller, SubjectKind::kStaff, account->account_id, spent->session_id);
}

absl::StatusOr<std::vector<std::string>> LoginService::EndSession(const auth::Caller& caller,
                                                                  absl::string_view refresh_token) {
  if (absl::Status s = RevokeRefreshToken(refresh_token); !s.ok()) return s;
  const absl::Time now = clock_();
  absl::StatusOr<std::vector<std::string>> access_token_ids =
      store_->EndSession(caller.token_id, ToMs(now), ToMs(now - options_.access_token_ttl));
  if (!access_token_ids.ok()) return access_token_ids.status();
  if (!caller.token_id.empty() && std::find(access_token_ids->begin(), access_token_ids->end(),
                                            caller.token_id) == access_token_ids->end()) {
    access_token_ids->push_back(caller.token_id);
  }
  return access_token_ids;
}

absl::Status LoginService::RevokeRefreshToken(absl::string_view refresh_token) {
  if (refresh_token.empty()) return absl::OkStatus();
  absl::StatusOr<RefreshToken> spent =
      store_->ConsumeRefreshToken(Sha256Hex(refresh_token), ToMs(clock_()));
  if (spent.ok() || absl::IsNotFound(spent.status())) return absl::OkStatus();
  return spent.status();
}

absl::StatusOr<NewInvitation> LoginService::CreateInvitation(
    const auth::Caller& admin, int64_t household_id, int64_t member_id,
    std::optional<absl::Duration> valid_for, absl::string_view request_id) {
  if (admin.role != auth::Role::kVillageAdmin || admin.village_id == 0) {
    return absl::PermissionDeniedError("only a village admin invites residents");
  }
  if (household_id <= 0) return absl::InvalidArgumentError("household_id: required, positive");
  if (member_id <= 0) return absl::InvalidArgumentError("member_id: required, positive");
  const absl::Duration ttl = valid_for.value_or(options_.invitation_ttl_default);
  if (ttl <= absl::ZeroDuration() || ttl > absl::Hours(24 * 30)) {
    return absl::InvalidArgumentError("valid_hours: must be 1..720");
  }
  for (int attempt = 0; attempt < 5; ++attempt) {
    NewInvitation result;
    result.code = NewInvitationCode();
    result.expires_at_ms = ToMs(clock_() + ttl);
    Invitation invitation;
    invitation.code_hash = Sha256Hex(NormalizeInvitationCode(result.code));
    invitation.town_id = admin.town_id;
    invitation.village_id = admin.village_id;
    invitation.household_id = household_id;
    invitation.member_id = member_id;
    invitation.created_by = admin.user_id;
    invitation.expires_at_ms = result.expires_at_ms;
    absl::Status s = store_->CreateInvitation(invitation, CallerContext(admin, request_id));
    if (s.ok()) return result;
    if (!absl::IsAlreadyExists(s)) return s;
  }
  return absl::InternalError("could not make a unique invitation code");
}

absl::StatusOr<std::string> LoginService::CreateStaff(const auth::Caller& creator,
                                                      const NewStaff& request,
                                                      absl::string_view request_id,
                                                      const ConfirmNewStaff& confirm) {
  return CreateStaffAs(creator, request, CallerContext(creator, request_id), confirm);
}

absl::StatusOr<NewStaff> LoginService::AccountToCreate(const auth::Caller& creator,
                                                       const NewStaff& request) {
  absl::StatusOr<auth::Role> role = ParseStaffRole(request.role);
  if (!role.ok()) return role.status();
  NewStaff account = request;
  if (creator.role == auth::Role::kVillageAdmin) {
    if (*role != auth::Role::kGridWorker && *role != auth::Role::kAssessor) {
      return absl::PermissionDeniedError("a village admin creates grid workers and assessors");
    }
    if (request.village_id != 0 && request.village_id != creator.village_id) {
      return absl::PermissionDeniedError("another village");
    }
    // A town the form names is the admin's village's, or the form is wrong: refused, not dropped.
    if (request.town_id != 0 && creator.town_id != 0 && request.town_id != creator.town_id) {
      return absl::InvalidArgumentError(
          absl::StrCat("VILLAGE_NOT_IN_TOWN: town_id: village ", creator.village_id,
                       " is not of town ", request.town_id));
    }
    account.village_id = creator.village_id;
    // A token without a town keeps the form's, which the registry check then holds to the
    // village's town (staff_scope.h).
    if (creator.town_id != 0) account.town_id = creator.town_id;
  } else if (creator.role != auth::Role::kDistrictOfficial) {
    return absl::PermissionDeniedError("may not create staff accounts");
  }
  return account;
}

absl::StatusOr<std::string> LoginService::CreateStaffAs(const auth::Caller& creator,
                                                        const NewStaff& request,
                                                        const AuditContext& context,
                                                        const ConfirmNewStaff& confirm) {
  absl::StatusOr<NewStaff> account = AccountToCreate(creator, request);
  if (!account.ok()) return account.status();
  absl::StatusOr<int64_t> id = staff_.Create(*account, context, confirm);
  if (!id.ok()) return id.status();
  log::Info("staff account created",
            {{"user_id", StaffUserId(*id)}, {"role", request.role}, {"by", creator.user_id}});
  return StaffUserId(*id);
}

absl::Status LoginService::EnsureStaff(const NewStaff& request) {
  if (store_->FindStaffByUsername(request.username).ok()) return absl::OkStatus();
  auth::Caller district;
  district.role = auth::Role::kDistrictOfficial;
  district.user_id = "bootstrap";
  absl::StatusOr<std::string> id = CreateStaffAs(district, request, SystemContext(""), {});
  if (absl::IsAlreadyExists(id.status())) return absl::OkStatus();
  return id.status();
}

absl::StatusOr<std::vector<std::string>> LoginService::FollowGridWorker(
    const auth::Caller& actor, int64_t village_id, int64_t grid_id,
    absl::string_view worker_user_id, absl::string_view request_id) {
  const absl::Time now = clock_();
  return staff_.FollowGridWorker(village_id, grid_id, StaffAccountIdOf(worker_user_id), ToMs(now),
                                 ToMs(now - options_.access_token_ttl),
                                 CallerContext(actor, request_id));
}

absl::StatusOr<BindingPage> LoginService::ListBindings(const auth::Caller& reader,
                                                       const BindingQuery& query,
                                                       ScopeRegistry& registry) {
  return bindings_.List(reader, query, registry);
}

absl::StatusOr<BindingRelease> LoginService::ReleaseBinding(const auth::Caller& admin,
                                                            int64_t binding_id,
                                                            absl::string_view reason,
                                                            absl::string_view request_id) {
  // As a new phone's binding releases the old one: the access tokens issued within their
  // lifetime may still be alive.
  const absl::Time now = clock_();
  return bindings_.Release(admin, binding_id, reason, ToMs(now),
                           ToMs(now - options_.access_token_ttl), request_id);
}

}  // namespace jifen::gateway
