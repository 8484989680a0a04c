// An in-memory AccountStore for unit tests, with the same semantics as MySqlAccountStore except
// the audit trail: it keeps the action and context of each audited change (changes()) instead of
// writing records.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "services/gateway/auth/account_store.h"

namespace jifen::gateway {

class FakeAccountStore final : public AccountStore {
 public:
  absl::StatusOr<StaffAccount> FindStaffByUsername(absl::string_view username) override {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, account] : staff_) {
      if (account.username == username) return account;
    }
    return absl::NotFoundError("no such staff account");
  }
  absl::StatusOr<StaffAccount> FindStaffById(int64_t account_id) override {
    absl::MutexLock lock(&mu_);
    auto it = staff_.find(account_id);
    if (it == staff_.end()) return absl::NotFoundError("no such staff account");
    return it->second;
  }
  absl::StatusOr<int64_t> CreateStaff(const StaffAccount& account, const AuditContext& context,
                                      const ConfirmNewStaff& confirm) override {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, existing] : staff_) {
      if (existing.username == account.username) return absl::AlreadyExistsError("taken");
    }
    // Ids are never given twice, as with AUTO_INCREMENT, even when `confirm` refuses one.
    const int64_t id = ++last_staff_id_;
    if (confirm) {
      if (absl::Status confirmed = confirm.confirm(id); !confirmed.ok()) return confirmed;
    }
    if (fail_next_commit_) {
      // As MySqlAccountStore after a failed commit whose account is known not to be stored.
      fail_next_commit_ = false;
      if (confirm && confirm.withdraw) {
        if (absl::Status withdrawn = confirm.withdraw(id); !withdrawn.ok()) return withdrawn;
      }
      return absl::UnavailableError("commit failed");
    }
    staff_[id] = account;
    staff_[id].account_id = id;
    changes_.emplace_back("create", context);
    return id;
  }
  absl::Status RecordLoginFailure(int64_t account_id, int64_t now_ms, int max_failures,
                                  int64_t lockout_ms, const AuditContext& context) override {
    absl::MutexLock lock(&mu_);
    auto it = staff_.find(account_id);
    if (it == staff_.end()) return absl::NotFoundError("no such staff account");
    StaffAccount& a = it->second;
    if (a.failed_attempts + 1 >= max_failures) {
      a.locked_until_ms = now_ms + lockout_ms;
      a.failed_attempts = 0;
      changes_.emplace_back("lock", context);
    } else {
      ++a.failed_attempts;
    }
    return absl::OkStatus();
  }
  absl::Status RecordLoginSuccess(int64_t account_id) override {
    absl::MutexLock lock(&mu_);
    staff_.at(account_id).failed_attempts = 0;
    return absl::OkStatus();
  }
  absl::Status SetPassword(int64_t account_id, const std::string& password_hash,
                           const AuditContext& context) override {
    absl::MutexLock lock(&mu_);
    auto it = staff_.find(account_id);
    if (it == staff_.end()) return absl::NotFoundError("no such staff account");
    it->second.password_hash = password_hash;
    it->second.failed_attempts = 0;
    it->second.locked_until_ms = 0;
    changes_.emplace_back("reset_password", context);
    return absl::OkStatus();
  }
  absl::Status Unlock(int64_t account_id, const AuditContext& context) override {
    absl::MutexLock lock(&mu_);
    auto it = staff_.find(account_id);
    if (it == staff_.end()) return absl::NotFoundError("no such staff account");
    it->second.failed_attempts = 0;
    it->second.locked_until_ms = 0;
    changes_.emplace_back("unlock", context);
    return absl::OkStatus();
  }
  absl::Status SetDisabled(int64_t account_id, bool disabled,
                           const AuditContext& context) override {
    absl::MutexLock lock(&mu_);
    auto it = staff_.find(account_id);
    if (it == staff_.end()) return absl::NotFoundError("no such staff account");
    it->second.disabled = disabled;
    changes_.emplace_back(disabled ? "disable" : "enable", context);
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<StaffAccount>> ListStaff(int64_t town_id,
                                                      int64_t village_id) override {
    absl::MutexLock lock(&mu_);
    std::vector<StaffAccount> out;
    for (const auto& [id, account] : staff_) {
      if ((town_id == 0 || account.town_id == town_id) &&
          (village_id == 0 || account.village_id == village_id)) {
        out.push_back(account);
      }
    }
    return out;
  }
  absl::StatusOr<std::vector<std::string>> FollowGridWorker(int64_t village_id, int64_t grid_id,
                                                            int64_t worker_account_id,
                                                            int64_t now_ms, int64_t alive_since_ms,
                                                            const AuditContext& context) override {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> alive;
    for (auto& [id, account] : staff_) {
      if (account.village_id != village_id || account.role != auth::Role::kGridWorker) continue;
      const bool named = id == worker_account_id;
      if (!named && account.grid_id != grid_id) continue;
      const int64_t claim = named ? grid_id : 0;
      if (account.grid_id == claim) continue;
      account.grid_id = claim;
      changes_.emplace_back(named ? "bind_grid" : "release_grid", context);
      for (const auto& [token, spent_at_ms] : spent_refresh_) {
        if (token.kind == SubjectKind::kStaff && token.account_id == id &&
            spent_at_ms > alive_since_ms) {
          alive.push_back(token.access_token_id);
        }
      }
      for (auto it = refresh_.begin(); it != refresh_.end();) {
        if (it->second.kind != SubjectKind::kStaff || it->second.account_id != id) {
          ++it;
          continue;
        }
        alive.push_back(it->second.access_token_id);
        spent_refresh_.push_back({it->second, now_ms});
        it = refresh_.erase(it);
      }
    }
    return alive;
  }
  absl::StatusOr<ResidentBinding> FindResident(absl::string_view openid_hash) override {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, b] : bindings_) {
      if (b.openid_hash == openid_hash) return b;
    }
    return absl::NotFoundError("not bound");
  }
  absl::StatusOr<ResidentBinding> FindResidentById(int64_t binding_id) override {
    absl::MutexLock lock(&mu_);
    auto it = bindings_.find(binding_id);
    if (it == bindings_.end()) return absl::NotFoundError("not bound");
    return it->second;
  }
  absl::Status CreateInvitation(const Invitation& invitation,
                                const AuditContext& context) override {
    absl::MutexLock lock(&mu_);
    if (!invitations_.emplace(invitation.code_hash, invitation).second) {
      return absl::AlreadyExistsError("collision");
    }
    changes_.emplace_back("issue", context);
    return absl::OkStatus();
  }
  absl::StatusOr<ResidentBinding> RedeemInvitation(absl::string_view code_hash,
                                                   absl::string_view openid_hash, int64_t now_ms,
                                                   absl::string_view request_id) override {
    absl::MutexLock lock(&mu_);
    auto it = invitations_.find(std::string(code_hash));
    if (it == invitations_.end() || spent_.count(it->first) != 0 ||
        it->second.expires_at_ms <= now_ms) {
      return absl::NotFoundError("invitation");
    }
    for (const auto& [id, b] : bindings_) {
      if (b.openid_hash == openid_hash) return absl::AlreadyExistsError("bound");
    }
    ResidentBinding b;
    b.binding_id = static_cast<int64_t>(bindings_.size()) + 1;
    b.openid_hash = std::string(openid_hash);
    b.town_id = it->second.town_id;
    b.village_id = it->second.village_id;
    b.household_id = it->second.household_id;
    b.member_id = it->second.member_id;
    bindings_[b.binding_id] = b;
    spent_[it->first] = now_ms;
    changes_.emplace_back(
        "bind", AuditContext{ResidentUserId(b.member_id), "resident", std::string(request_id)});
    return b;
  }
  absl::Status StoreRefreshToken(const RefreshToken& token) override {
    absl::MutexLock lock(&mu_);
    refresh_[token.token_hash] = token;
    return absl::OkStatus();
  }
  absl::StatusOr<RefreshToken> ConsumeRefreshToken(absl::string_view token_hash,
                                                   int64_t now_ms) override {
    absl::MutexLock lock(&mu_);
    auto it = refresh_.find(std::string(token_hash));
    if (it == refresh_.end() || it->second.expires_at_ms <= now_ms) {
      return absl::NotFoundError("refresh");
    }
    RefreshToken token = it->second;
    refresh_.erase(it);
    spent_refresh_.push_back({token, now_ms});
    return token;
  }
  absl::StatusOr<std::vector<std::string>> EndSession(absl::string_view access_token_id,
                                                      int64_t now_ms,
                                                      int64_t alive_since_ms) override {
    absl::MutexLock lock(&mu_);
    std::string session;
    for (const auto& [hash, token] : refresh_) {
      if (token.access_token_id == access_token_id) session = token.session_id;
    }
    for (const auto& [token, spent_at_ms] : spent_refresh_) {
      if (token.access_token_id == access_token_id) session = token.session_id;
    }
    std::vector<std::string> alive;
    if (session.empty() || access_token_id.empty()) return alive;
    for (auto it = refresh_.begin(); it != refresh_.end();) {
      if (it->second.session_id != session) {
        ++it;
        continue;
      }
      alive.push_back(it->second.access_token_id);
      spent_refresh_.push_back({it->second, now_ms});
      it = refresh_.erase(it);
    }
    for (const auto& [token, spent_at_ms] : spent_refresh_) {
      if (token.session_id == session && spent_at_ms > alive_since_ms) {
        alive.push_back(token.access_token_id);
      }
    }
    return alive;
  }

  size_t refresh_token_count() {
    absl::MutexLock lock(&mu_);
    return refresh_.size();
  }
  // The next CreateStaff fails at its commit, after `confirm` succeeded.
  void FailNextCommit() {
    absl::MutexLock lock(&mu_);
    fail_next_commit_ = true;
  }
  // The audited changes so far: action and who made it, in order.
  std::vector<std::pair<std::string, AuditContext>> changes() {
    absl::MutexLock lock(&mu_);
    return changes_;
  }

 private:
  absl::Mutex mu_;
  std::map<int64_t, StaffAccount> staff_ ABSL_GUARDED_BY(mu_);
  int64_t last_staff_id_ ABSL_GUARDED_BY(mu_) = 0;
  bool fail_next_commit_ ABSL_GUARDED_BY(mu_) = false;
  std::map<int64_t, ResidentBinding> bindings_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Invitation> invitations_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int64_t> spent_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, RefreshToken> refresh_ ABSL_GUARDED_BY(mu_);
  std::vector<std::pair<RefreshToken, int64_t>> spent_refresh_
      ABSL_GUARDED_BY(mu_);  // with spent_at_ms
  std::vector<std::pair<std::string, AuditContext>> changes_ ABSL_GUARDED_BY(mu_);
};

}  // namespace jifen::gateway
