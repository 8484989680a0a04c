#include "services/scoring/storage/mysql_registry_rows.h"

#include <cppconn/connection.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include "common/mysql/statement.h"

namespace jifen::scoring::registry_sql {

RegistryHousehold ReadHousehold(const sql::ResultSet& row) {
  RegistryHousehold household;
  HouseholdRecord& record = household.record;
  record.household_id = row.getInt64(1);
  record.town_id = row.getInt64(2);
  record.village_id = row.getInt64(3);
  record.group_id = row.getInt64(4);
  record.grid_id = row.getInt64(5);
  record.house_number = row.getString(6).asStdString();
  record.head_name = row.getString(7).asStdString();
  record.registered = row.getInt(8) == kKindRegistered;
  household.consent_date = row.getString(9).asStdString();
  record.rents_out_rooms = row.getBoolean(10);
  record.steward_user_id = row.getString(11).asStdString();
  record.grid_worker_user_id = row.getString(12).asStdString();
  return household;
}

std::unique_ptr<sql::PreparedStatement> Prepare(sql::Connection& connection,
                                                const std::string& sql) {
  return std::unique_ptr<sql::PreparedStatement>(connection.prepareStatement(sql));
}

bool StaffIsMemberOf(sql::Connection& connection, int64_t village_id, int64_t household_id,
                     const std::string& user_id) {
  auto rows = mysql::Statement(connection,
                               "SELECT 1 FROM members WHERE village_id = ? AND household_id = ? "
                               "AND staff_user_id = ? LIMIT 1")
                  .Bind(village_id)
                  .Bind(household_id)
                  .Bind(user_id)
                  .Query();
  return rows->next();
}

int64_t LastInsertId(sql::Connection& connection) {
  std::unique_ptr<sql::PreparedStatement> statement =
      Prepare(connection, "SELECT LAST_INSERT_ID()");
  std::unique_ptr<sql::ResultSet> row(statement->executeQuery());
  row->next();
  return row->getInt64(1);
}

}  // namespace jifen::scoring::registry_sql
