#include "services/scoring/storage/mysql_registry_household_directory.h"

#include <cppconn/connection.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "common/mysql/statement.h"
#include "common/mysql/transaction.h"
#include "common/status/status_macros.h"
#include "services/scoring/storage/mysql_registry_rows.h"

namespace jifen::scoring {
namespace {

using registry_sql::Prepare;
using Statement = std::unique_ptr<sql::PreparedStatement>;
using Rows = std::unique_ptr<sql::ResultSet>;

}  // namespace

absl::StatusOr<HouseholdRecord> MySqlHouseholdDirectory::FindHousehold(int64_t household_id) {
  HouseholdRecord record;
  // Every inspection starts here: a statement prepared once per connection.
  static const std::string kFindHousehold = absl::StrCat(
      "SELECT ", registry_sql::kHouseholdColumns, registry_sql::kHouseholdFrom, registry_sql::kHouseholdJoins,
      "WHERE h.household_id = ?");
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& c) -> absl::Status {
    auto rows = mysql::Statement(c, kFindHousehold.c_str()).Bind(household_id).Query();
    if (!rows->next()) {
      return absl::NotFoundError(absl::StrCat("household ", household_id, " not found"));
    }
    record = registry_sql::ReadHousehold(*rows).record;
    return absl::OkStatus();
  }));
  return record;
}

absl::StatusOr<std::vector<int64_t>> MySqlHouseholdDirectory::TeamGroups(int64_t team_id) {
  std::vector<int64_t> groups;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& c) -> absl::Status {
    Statement team = Prepare(c, "SELECT village_id FROM assessment_teams WHERE team_id = ?");
    team->setInt64(1, team_id);
    Rows team_rows(team->executeQuery());
    if (!team_rows->next())
      return absl::NotFoundError(absl::StrCat("team ", team_id, " not found"));
    Statement statement = Prepare(
        c,
        "SELECT group_id FROM team_groups WHERE village_id = ? AND team_id = ? ORDER BY group_id");
    statement->setInt64(1, team_rows->getInt64(1));
    statement->setInt64(2, team_id);
    Rows rows(statement->executeQuery());
    while (rows->next()) groups.push_back(rows->getInt64(1));
    return absl::OkStatus();
  }));
  return groups;
}

absl::StatusOr<std::string> MySqlHouseholdDirectory::GridWorker(int64_t grid_id) {
  std::string worker;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& c) -> absl::Status {
    Statement statement = Prepare(c, "SELECT worker_user_id FROM grids WHERE grid_id = ?");
    statement->setInt64(1, grid_id);
    Rows rows(statement->executeQuery());
    if (!rows->next()) return absl::NotFoundError(absl::StrCat("grid ", grid_id, " not found"));
    worker = rows->getString(1).asStdString();
    return absl::OkStatus();
  }));
  return worker;
}

absl::StatusOr<int64_t> MySqlHouseholdDirectory::TownOfVillage(int64_t village_id) {
  int64_t town_id = 0;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& c) -> absl::Status {
    Statement statement = Prepare(c, "SELECT town_id FROM villages WHERE village_id = ?");
    statement->setInt64(1, village_id);
    Rows rows(statement->executeQuery());
    if (!rows->next()) {
      return absl::NotFoundError(absl::StrCat("village ", village_id, " not found"));
    }
    town_id = rows->getInt64(1);
    return absl::OkStatus();
  }));
  return town_id;
}

absl::StatusOr<std::vector<HouseholdRecord>> MySqlHouseholdDirectory::VillageHouseholds(
    int64_t village_id) {
  std::vector<HouseholdRecord> households;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& c) -> absl::Status {
    Statement statement = Prepare(
        c, absl::StrCat("SELECT ", registry_sql::kHouseholdColumns, registry_sql::kHouseholdFrom, registry_sql::kHouseholdJoins,
                        "WHERE h.village_id = ? ORDER BY h.household_id"));
    statement->setInt64(1, village_id);
    Rows rows(statement->executeQuery());
    while (rows->next()) households.push_back(registry_sql::ReadHousehold(*rows).record);
    return absl::OkStatus();
  }));
  return households;
}

}  // namespace jifen::scoring
