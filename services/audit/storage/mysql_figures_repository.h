// The dashboard's per-village figures in MariaDB (migrations/0003_dashboard_figures.sql).
#pragma once

#include "common/mysql/connection_pool.h"
#include "services/audit/domain/figures.h"

namespace jifen::audit {

class MySqlFiguresRepository final : public FiguresRepository {
 public:
  explicit MySqlFiguresRepository(mysql::ConnectionPool& pool) : pool_(pool) {}

  absl::Status StoreScoring(int64_t village_id, int year, const ScoringFacts& facts,
                            int64_t now_ms) override;
  absl::Status StorePublicity(int64_t village_id, int year, const PublicityFacts& facts,
                              int64_t now_ms) override;
  absl::Status StoreRedemption(int64_t village_id, int year, const RedemptionFacts& facts,
                               int64_t now_ms) override;
  absl::StatusOr<std::vector<int64_t>> DirectoryVillages() override;
  absl::StatusOr<DashboardFigures> Sum(const std::vector<int64_t>& village_ids, int year) override;

 private:
  mysql::ConnectionPool& pool_;
};

}  // namespace jifen::audit
