// village_directory in MariaDB (migrations 0002_supervision.sql).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/mysql/connection_pool.h"
#include "services/audit/domain/scope.h"

namespace jifen::audit {

class MySqlVillageDirectory final : public VillageDirectory {
 public:
  explicit MySqlVillageDirectory(mysql::ConnectionPool& pool) : pool_(pool) {}
  absl::StatusOr<std::optional<int64_t>> TownOf(int64_t village_id) override;
  absl::StatusOr<std::vector<int64_t>> VillagesOf(int64_t town_id) override;

 private:
  mysql::ConnectionPool& pool_;
};

}  // namespace jifen::audit
