#include "services/audit/storage/mysql_village_directory.h"

#include <cppconn/connection.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <memory>

#include "common/mysql/transaction.h"
#include "common/status/status_macros.h"

namespace jifen::audit {

absl::StatusOr<std::optional<int64_t>> MySqlVillageDirectory::TownOf(int64_t village_id) {
  std::optional<int64_t> town;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& c) -> absl::Status {
    std::unique_ptr<sql::PreparedStatement> select(
        c.prepareStatement("SELECT town_id FROM village_directory WHERE village_id = ?"));
    select->setInt64(1, village_id);
    std::unique_ptr<sql::ResultSet> rows(select->executeQuery());
    if (rows->next()) town = rows->getInt64(1);
    return absl::OkStatus();
  }));
  return town;
}

absl::StatusOr<std::vector<int64_t>> MySqlVillageDirectory::VillagesOf(int64_t town_id) {
  std::vector<int64_t> villages;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& c) -> absl::Status {
    std::unique_ptr<sql::PreparedStatement> select(c.prepareStatement(
        "SELECT village_id FROM village_directory WHERE town_id = ? ORDER BY village_id"));
    select->setInt64(1, town_id);
    std::unique_ptr<sql::ResultSet> rows(select->executeQuery());
    while (rows->next()) villages.push_back(rows->getInt64(1));
    return absl::OkStatus();
  }));
  return villages;
}

}  // namespace jifen::audit
