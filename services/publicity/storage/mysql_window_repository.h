// WindowRepository over the publicity schema in MariaDB (services/publicity/migrations). Every
// change writes its audit record to the outbox (topic "audit") in the same transaction.
#pragma once

#include "common/mysql/connection_pool.h"
#include "services/publicity/domain/windows.h"

namespace jifen::publicity {

class MySqlWindowRepository final : public WindowRepository {
 public:
  explicit MySqlWindowRepository(mysql::ConnectionPool& pool) : pool_(pool) {}

  absl::Status CreateWindow(const WindowRecord& window, const AuditEvent& audit) override;
  absl::StatusOr<std::optional<WindowRecord>> GetWindow(int64_t village_id,
                                                        const std::string& period) override;
  absl::StatusOr<ObjectionRecord> FileObjection(const ObjectionRecord& objection, absl::Time now,
                                                AuditEvent audit) override;
  absl::StatusOr<std::optional<ObjectionRecord>> GetObjection(int64_t objection_id) override;
  absl::StatusOr<ObjectionRecord> TransitionObjection(const ObjectionRecord& update,
                                                      const std::vector<ObjectionStatus>& from,
                                                      const AuditEvent& audit) override;
  absl::StatusOr<std::vector<ObjectionRecord>> ListObjections(int64_t village_id,
                                                              const std::string& period,
                                                              int64_t household_id,
                                                              int limit) override;
  absl::StatusOr<std::vector<ObjectionRecord>> ListUpholding(int limit) override;
  absl::StatusOr<std::vector<WindowRecord>> ClaimSettleable(absl::Time now, int limit) override;
  absl::Status MarkSettled(int64_t village_id, const std::string& period,
                           const Settlement& settlement, absl::Time at,
                           const AuditEvent& audit) override;
  absl::StatusOr<bool> NoteSettlementWaiting(int64_t village_id, const std::string& period,
                                             const std::string& reason) override;
  absl::StatusOr<std::vector<WindowRecord>> ExtendWindows(
      const std::vector<WindowDeadline>& deadlines, int64_t through_sequence,
      absl::Time now) override;
  absl::StatusOr<int64_t> WindowFeedPosition() override;
  absl::Status SaveWindowFeedPosition(int64_t through_sequence) override;
  absl::StatusOr<ListRules> GetListRules(int64_t village_id) override;
  absl::Status PutListRules(const ListRules& rules, const AuditEvent& audit) override;

 private:
  mysql::ConnectionPool& pool_;
};

}  // namespace jifen::publicity
