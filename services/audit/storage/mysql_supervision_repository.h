// Supervision records in MariaDB (migrations 0002_supervision.sql). Every change appends its audit
// record to the trail in the same transaction (source "audit").
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/mysql/connection_pool.h"
#include "services/audit/domain/chain.h"
#include "services/audit/domain/supervision.h"

namespace sql {
class Connection;
}

namespace jifen::audit {

class MySqlSupervisionRepository final : public SupervisionRepository {
 public:
  MySqlSupervisionRepository(mysql::ConnectionPool& pool, const Hasher& hasher)
      : pool_(pool), hasher_(hasher) {}

  absl::Status UpsertVillage(const VillageInfo& village, const Actor& actor) override;
  absl::StatusOr<Visit> InsertVisit(const Visit& visit, const Actor& actor) override;
  absl::StatusOr<std::optional<Visit>> GetVisit(int64_t visit_id) override;
  absl::StatusOr<std::vector<Visit>> ListVisits(const VisitFilter& filter) override;
  absl::StatusOr<Finding> InsertFinding(
      const Finding& finding, const Actor& actor,
      const std::function<absl::Status(const Visit&)>& allow) override;
  absl::StatusOr<Finding> UpdateFinding(
      int64_t finding_id, const Actor& actor, const std::string& action,
      const std::function<absl::Status(Finding&)>& mutate) override;
  absl::StatusOr<Visit> UpdateVisit(int64_t visit_id, const Actor& actor, const std::string& action,
                                    const std::function<absl::Status(Visit&)>& mutate) override;
  absl::StatusOr<std::optional<Finding>> GetFinding(int64_t finding_id) override;
  absl::StatusOr<std::vector<Finding>> ListFindings(const FindingFilter& filter) override;
  absl::StatusOr<Notice> InsertNotice(const Notice& notice, const Actor& actor) override;
  absl::StatusOr<std::vector<Notice>> ListNotices(int64_t town_id) override;
  absl::StatusOr<GovernanceModel> UpsertModel(const GovernanceModel& model,
                                              const Actor& actor) override;
  absl::StatusOr<std::vector<GovernanceModel>> ListModels(int64_t village_id) override;
  absl::StatusOr<TownDocument> InsertTownDocument(const TownDocument& document,
                                                  const Actor& actor) override;
  absl::StatusOr<std::vector<TownDocument>> ListTownDocuments(int64_t town_id, int year) override;
  absl::StatusOr<std::vector<TownCoverage>> CountCoverage(const std::string& as_of_date,
                                                          int64_t town_id) override;
  absl::StatusOr<int64_t> InsertFlags(const std::vector<FlagDraft>& flags,
                                      const Actor& actor) override;
  absl::StatusOr<Flag> UpdateFlag(int64_t flag_id, const Actor& actor,
                                  const std::function<absl::Status(Flag&)>& mutate) override;
  absl::StatusOr<std::vector<Flag>> ListFlags(const std::vector<int64_t>& village_ids,
                                              bool include_reviewed, int limit) override;
  absl::StatusOr<Dashboard> CountDashboard(const std::vector<int64_t>& village_ids,
                                           const std::string& today) override;

 private:
  // Chains the change's audit record on `c`, inside the caller's transaction.
  absl::Status Note(sql::Connection& c, const Actor& actor, const ChangeNote& note);

  mysql::ConnectionPool& pool_;
  const Hasher& hasher_;
};

}  // namespace jifen::audit
