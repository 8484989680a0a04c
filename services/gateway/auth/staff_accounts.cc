#include "services/gateway/auth/staff_accounts.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/text/text.h"

namespace jifen::gateway {

absl::StatusOr<auth::Role> ParseStaffRole(absl::string_view role) {
  absl::StatusOr<auth::Role> parsed = auth::ParseRole(role);
  if (!parsed.ok() || *parsed == auth::Role::kResident || *parsed == auth::Role::kService) {
    return absl::InvalidArgumentError("role: not a staff role");
  }
  return parsed;
}

StaffAccounts::StaffAccounts(AccountStore* store, PasswordCost password_cost,
                             size_t min_password_length)
    : store_(store), password_cost_(password_cost), min_password_length_(min_password_length) {}

namespace {

// The code points of `text` (UTF-8; a stray byte counts as one character of its own).
std::vector<uint32_t> CodePoints(absl::string_view text) {
  std::vector<uint32_t> points;
  for (size_t i = 0; i < text.size();) {
    const unsigned char lead = static_cast<unsigned char>(text[i]);
    const size_t length = lead < 0x80    ? 1
                          : lead >= 0xF0 ? 4
                          : lead >= 0xE0 ? 3
                          : lead >= 0xC0 ? 2
                                         : 1;
    if (i + length > text.size()) {
      points.push_back(lead);
      ++i;
      continue;
    }
    uint32_t point = length == 1 ? lead : lead & (0x7F >> length);
    for (size_t k = 1; k < length; ++k) {
      point = (point << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    }
    points.push_back(point);
    i += length;
  }
  return points;
}

// Passwords that meet the length and variety rules but are among the first a guesser tries (the
// most common of leaked Chinese and international password lists of 10 or more characters).
constexpr absl::string_view kCommonPasswords[] = {
    "1234567890",   "0987654321",   "12345678910",  "1qaz2wsx3edc", "1q2w3e4r5t",   "1q2w3e4r5t6y",
    "qwertyuiop",   "qwer1234qwer", "password123",  "password1234", "passw0rd123",  "iloveyou123",
    "woaini1314",   "woaini521",    "5201314520",   "a123456789",   "abc123456789", "qq123456789",
    "123456789a",   "123456789abc", "admin123456",  "admin12345",   "1234567890a",  "zxcvbnm123",
    "asdfghjkl123", "aa123456789",  "1234qwerasdf", "qwe123456789"};

}  // namespace

absl::Status CheckPasswordStrength(absl::string_view password, absl::string_view username) {
  const std::vector<uint32_t> points = CodePoints(password);
  std::vector<uint32_t> distinct = points;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  if (distinct.size() < kMinPasswordDistinctCharacters) {
    return absl::InvalidArgumentError(absl::StrCat("PASSWORD_TOO_WEAK: password: at least ",
                                                   kMinPasswordDistinctCharacters,
                                                   " different characters"));
  }
  // "abcdefghij", "9876543210", "13579bdfhj": one step all the way.
  bool one_step = points.size() > 2;
  for (size_t i = 2; one_step && i < points.size(); ++i) {
    one_step = int64_t{points[i]} - points[i - 1] == int64_t{points[1]} - points[0];
  }
  if (one_step) {
    return absl::InvalidArgumentError("PASSWORD_TOO_WEAK: password: a run of characters in order");
  }
  const std::string folded = absl::AsciiStrToLower(password);
  if (!username.empty() && absl::StrContains(folded, absl::AsciiStrToLower(username))) {
    return absl::InvalidArgumentError("PASSWORD_TOO_WEAK: password: contains the user name");
  }
  for (absl::string_view common : kCommonPasswords) {
    if (folded == common) {
      return absl::InvalidArgumentError("PASSWORD_TOO_WEAK: password: a common password");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> StaffAccounts::HashNewPassword(absl::string_view password,
                                                           absl::string_view username) const {
  if (password.size() < min_password_length_) {
    return absl::InvalidArgumentError(absl::StrCat("PASSWORD_TOO_SHORT: password: at least ",
                                                   min_password_length_, " characters"));
  }
  if (absl::Status strong = CheckPasswordStrength(password, username); !strong.ok()) {
    return strong;
  }
  return HashPassword(password, password_cost_);
}

absl::StatusOr<StaffAccount> StaffAccounts::Find(absl::string_view username) {
  absl::StatusOr<StaffAccount> account = store_->FindStaffByUsername(username);
  if (absl::IsNotFound(account.status())) {
    return absl::NotFoundError(absl::StrCat("ACCOUNT_NOT_FOUND: no staff account ", username));
  }
  return account;
}

namespace {

// Ids are positive where given (0: none). A negative one would reach the audit trail, which
// refuses it and with it every record queued behind it.
absl::Status CheckScopeIds(const NewStaff& request) {
  for (const auto& [name, id] : {std::pair<const char*, int64_t>{"town_id", request.town_id},
                                 {"village_id", request.village_id},
                                 {"grid_id", request.grid_id},
                                 {"team_id", request.team_id}}) {
    if (id < 0) return absl::InvalidArgumentError(absl::StrCat(name, ": must be a positive id"));
  }
  return absl::OkStatus();
}

// ASCII whitespace, and the no-break (U+00A0) and ideographic (U+3000) spaces a Chinese input
// method types.
bool StartsOrEndsWithSpace(absl::string_view text) {
  constexpr absl::string_view kWideSpaces[] = {"\xC2\xA0", "\xE3\x80\x80"};
  if (absl::ascii_isspace(static_cast<unsigned char>(text.front())) ||
      absl::ascii_isspace(static_cast<unsigned char>(text.back()))) {
    return true;
  }
  for (absl::string_view space : kWideSpaces) {
    if (absl::StartsWith(text, space) || absl::EndsWith(text, space)) return true;
  }
  return false;
}

// The database compares user names ignoring trailing spaces ("district " is "district"), and a
// name with spaces around it can't be told apart on screen: such names are refused, not trimmed.
// The column is utf8mb4: the database itself refuses other bytes, as an error of its own.
absl::Status CheckUsername(absl::string_view username) {
  if (username.size() < 3 || username.size() > 64) {
    return absl::InvalidArgumentError("username: 3..64 characters");
  }
  if (text::Utf8Length(username) < 0) {
    return absl::InvalidArgumentError("username: not valid UTF-8");
  }
  if (StartsOrEndsWithSpace(username)) {
    return absl::InvalidArgumentError("username: no spaces at the start or end");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<int64_t> StaffAccounts::Create(const NewStaff& request, const AuditContext& context,
                                              const ConfirmNewStaff& confirm) {
  absl::StatusOr<auth::Role> role = ParseStaffRole(request.role);
  if (!role.ok()) return role.status();
  if (absl::Status ids = CheckScopeIds(request); !ids.ok()) return ids;
  StaffAccount account;
  account.role = *role;
  account.town_id = request.town_id;
  account.village_id = request.village_id;
  account.grid_id = request.grid_id;
  account.team_id = request.team_id;
  if (account.role == auth::Role::kGridWorker &&
      (account.village_id == 0 || account.grid_id == 0)) {
    return absl::InvalidArgumentError("grid_id: a grid worker needs village_id and grid_id");
  }
  if (account.role == auth::Role::kAssessor && (account.village_id == 0 || account.team_id == 0)) {
    return absl::InvalidArgumentError("team_id: an assessor needs village_id and team_id");
  }
  if (account.role == auth::Role::kVillageAdmin && account.village_id == 0) {
    return absl::InvalidArgumentError("village_id: a village admin needs village_id");
  }
  if (account.role == auth::Role::kTownOfficial && account.town_id == 0) {
    return absl::InvalidArgumentError("town_id: a town official needs town_id");
  }
  if (absl::Status name = CheckUsername(request.username); !name.ok()) return name;
  account.username = request.username;
  absl::StatusOr<std::string> hash = HashNewPassword(request.password, request.username);
  if (!hash.ok()) return hash.status();
  account.password_hash = *std::move(hash);
  absl::StatusOr<int64_t> id = store_->CreateStaff(account, context, confirm);
  if (absl::IsAlreadyExists(id.status())) {
    return absl::AlreadyExistsError("USERNAME_TAKEN: user name exists");
  }
  return id;
}

absl::Status StaffAccounts::ResetPassword(absl::string_view username,
                                          absl::string_view new_password,
                                          const AuditContext& context) {
  absl::StatusOr<std::string> hash = HashNewPassword(new_password, username);
  if (!hash.ok()) return hash.status();
  absl::StatusOr<StaffAccount> account = Find(username);
  if (!account.ok()) return account.status();
  return store_->SetPassword(account->account_id, *hash, context);
}

absl::Status StaffAccounts::Unlock(absl::string_view username, const AuditContext& context) {
  absl::StatusOr<StaffAccount> account = Find(username);
  if (!account.ok()) return account.status();
  return store_->Unlock(account->account_id, context);
}

absl::Status StaffAccounts::SetDisabled(absl::string_view username, bool disabled,
                                        const AuditContext& context) {
  absl::StatusOr<StaffAccount> account = Find(username);
  if (!account.ok()) return account.status();
  return store_->SetDisabled(account->account_id, disabled, context);
}

absl::StatusOr<std::vector<std::string>> StaffAccounts::FollowGridWorker(
    int64_t village_id, int64_t grid_id, int64_t worker_account_id, int64_t now_ms,
    int64_t alive_since_ms, const AuditContext& context) {
  if (village_id <= 0 || grid_id <= 0) {
    return absl::InvalidArgumentError("grid_id: a grid of a village is required");
  }
  return store_->FollowGridWorker(village_id, grid_id, worker_account_id, now_ms, alive_since_ms,
                                  context);
}

absl::StatusOr<std::vector<StaffAccount>> StaffAccounts::List(int64_t town_id, int64_t village_id) {
  absl::StatusOr<std::vector<StaffAccount>> accounts = store_->ListStaff(town_id, village_id);
  if (!accounts.ok()) return accounts.status();
  for (StaffAccount& account : *accounts) account.password_hash.clear();
  return accounts;
}

}  // namespace jifen::gateway
