// HouseholdDirectory on the registry tables, for the rest of scoring (assessment, ledger).
#pragma once

#include "common/mysql/connection_pool.h"
#include "services/scoring/domain/household.h"

namespace jifen::scoring {

class MySqlHouseholdDirectory final : public HouseholdDirectory {
 public:
  // The pool must outlive the directory. Reads only; each call uses one pooled connection.
  explicit MySqlHouseholdDirectory(mysql::ConnectionPool& pool) : pool_(pool) {}

  absl::StatusOr<HouseholdRecord> FindHousehold(int64_t household_id) override;
  absl::StatusOr<std::vector<int64_t>> TeamGroups(int64_t team_id) override;
  // NOT_FOUND if there is no such grid; "" if the grid has no worker yet.
  absl::StatusOr<std::string> GridWorker(int64_t grid_id) override;
  absl::StatusOr<std::vector<HouseholdRecord>> VillageHouseholds(int64_t village_id) override;
  absl::StatusOr<int64_t> TownOfVillage(int64_t village_id) override;

 private:
  mysql::ConnectionPool& pool_;
};

}  // namespace jifen::scoring
