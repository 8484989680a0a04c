// Reads for GetVillageStatistics: the village's town, its households by kind, and per quarter the
// score of every scored household. Read-only; prepared statements on scoring's own tables.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/mysql/connection_pool.h"
#include "services/scoring/domain/village_statistics.h"

namespace jifen::scoring {

struct VillageHouseholdFacts {
  int64_t town_id = 0;
  std::vector<RegisteredHousehold> households;  // by id, every kind, with when it was registered
  int64_t registered = 0;              // kind 1 (本村居民)
  int64_t opted_in = 0;                // kind 2 (非本村居民, consent recorded)
};

struct QuarterScores {
  std::vector<std::pair<int64_t, int64_t>> household_scores;  // (household, score), by household
  int64_t awards_points = 0;
  int64_t deductions_points = 0;
};

class MySqlVillageStatistics final {
 public:
  explicit MySqlVillageStatistics(mysql::ConnectionPool& pool) : pool_(pool) {}

  // NOT_FOUND for an unknown village.
  absl::StatusOr<VillageHouseholdFacts> Households(int64_t village_id);
  // Score-account entries of `period` ("YYYYQn") summed per household.
  absl::StatusOr<QuarterScores> Quarter(int64_t village_id, const std::string& period);

 private:
  mysql::ConnectionPool& pool_;
};

}  // namespace jifen::scoring
