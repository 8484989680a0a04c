// AccountStore on the gateway's own MariaDB schema (services/gateway/migrations). Audit records go
// into the schema's outbox (migration 0003) in the change's transaction; the gateway's
// outbox::Relay delivers them to jifen-audit.
#pragma once

#include <functional>

#include "common/mysql/connection_pool.h"
#include "services/gateway/auth/account_store.h"

namespace jifen::gateway {

class MySqlAccountStore final : public AccountStore {
 public:
  explicit MySqlAccountStore(mysql::ConnectionPool* pool) : pool_(pool) {}

  absl::StatusOr<StaffAccount> FindStaffByUsername(absl::string_view username) override;
  absl::StatusOr<StaffAccount> FindStaffById(int64_t account_id) override;
  absl::StatusOr<int64_t> CreateStaff(const StaffAccount& account, const AuditContext& context,
                                      const ConfirmNewStaff& confirm) override;
  absl::Status RecordLoginFailure(int64_t account_id, int64_t now_ms, int max_failures,
                                  int64_t lockout_ms, const AuditContext& context) override;
  absl::Status RecordLoginSuccess(int64_t account_id) override;
  absl::StatusOr<int64_t> UnknownNameLockedUntil(absl::string_view username) override;
  absl::StatusOr<bool> RecordUnknownNameFailure(absl::string_view username, int64_t now_ms,
                                                int max_failures, int64_t lockout_ms) override;
  absl::Status SetPassword(int64_t account_id, const std::string& password_hash,
                           const AuditContext& context) override;
  absl::Status Unlock(int64_t account_id, const AuditContext& context) override;
  absl::Status SetDisabled(int64_t account_id, bool disabled, const AuditContext& context) override;
  absl::StatusOr<std::vector<StaffAccount>> ListStaff(int64_t town_id,
                                                      int64_t village_id) override;
  absl::StatusOr<std::vector<std::string>> FollowGridWorker(int64_t village_id, int64_t grid_id,
                                                            int64_t worker_account_id,
                                                            int64_t now_ms, int64_t alive_since_ms,
                                                            const AuditContext& context) override;
  absl::StatusOr<ResidentBinding> FindResident(absl::string_view openid_hash) override;
  absl::StatusOr<ResidentBinding> FindResidentById(int64_t binding_id) override;
  absl::Status CreateInvitation(const Invitation& invitation, const AuditContext& context) override;
  absl::StatusOr<Redemption> RedeemInvitation(absl::string_view code_hash,
                                              absl::string_view openid_hash, int64_t now_ms,
                                              int64_t alive_since_ms,
                                              absl::string_view request_id) override;
  absl::StatusOr<std::vector<BoundMember>> ListActiveBindings(int64_t village_id,
                                                              int64_t household_id,
                                                              int64_t after_binding_id,
                                                              int limit) override;
  absl::StatusOr<BindingRelease> ReleaseBinding(int64_t village_id, int64_t binding_id,
                                                int64_t now_ms, int64_t alive_since_ms,
                                                absl::string_view reason,
                                                const AuditContext& context) override;
  absl::Status StoreRefreshToken(const RefreshToken& token) override;
  absl::StatusOr<RefreshToken> ConsumeRefreshToken(absl::string_view token_hash,
                                                   int64_t now_ms) override;
  absl::StatusOr<ReplayedSession> EndReplayedSession(absl::string_view token_hash, int64_t now_ms,
                                                     int64_t spent_before_ms,
                                                     int64_t alive_since_ms) override;
  absl::StatusOr<std::vector<std::string>> EndSession(absl::string_view access_token_id,
                                                      int64_t now_ms,
                                                      int64_t alive_since_ms) override;

 private:
  // The account matching `condition` (SQL after WHERE with one parameter, `value`).
  absl::StatusOr<StaffAccount> FindStaff(const char* condition, const std::string& value);
  absl::StatusOr<ResidentBinding> FindBinding(const char* where_column, const std::string& value);
  // Whether the account's row exists, once any transaction still writing it has ended.
  absl::StatusOr<bool> StaffRowStored(int64_t account_id);
  // In one transaction: locks the account's row (NOT_FOUND if none), lets `change` edit the
  // account, writes it back, and, unless `change` returned nullptr (a routine change), appends the
  // audit record of that action with the states before and after.
  absl::Status ChangeStaff(int64_t account_id, const AuditContext& context,
                           const std::function<const char*(StaffAccount&)>& change);
  mysql::ConnectionPool* pool_;
};

}  // namespace jifen::gateway
