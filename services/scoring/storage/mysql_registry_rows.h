// Statement helpers shared by the registry's MySQL classes (internal to storage/).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "services/scoring/domain/registry_model.h"

namespace sql {
class Connection;
class PreparedStatement;
class ResultSet;
}  // namespace sql

namespace jifen::scoring::registry_sql {

// The columns that ReadHousehold expects, in order, from `households h` with kHouseholdJoins
// (its village v, and its grid g, which a household without a grid lacks).
inline constexpr char kHouseholdColumns[] =
    "h.household_id, v.town_id, h.village_id, h.group_id, h.grid_id, h.house_number, "
    "h.head_name, h.kind, IFNULL(DATE_FORMAT(h.consent_date, '%Y-%m-%d'), ''), "
    "h.rents_out_rooms, h.steward_user_id, IFNULL(g.worker_user_id, '')";
inline constexpr int kHouseholdColumnCount = 12;
inline constexpr char kHouseholdJoins[] =
    " JOIN villages v ON v.village_id = h.village_id "
    "LEFT JOIN grids g ON g.village_id = h.village_id AND g.grid_id = h.grid_id ";
inline constexpr char kHouseholdFrom[] = " FROM households h ";

// Household kinds as stored (households.kind).
inline constexpr int kKindRegistered = 1;
inline constexpr int kKindNonRegistered = 2;

// Reads the current row of a result selected with kHouseholdColumns.
RegistryHousehold ReadHousehold(const sql::ResultSet& row);

std::unique_ptr<sql::PreparedStatement> Prepare(sql::Connection& connection,
                                                const std::string& sql);

// Whether `user_id` is the staff account linked to a member of the household (an award by that
// person to their own household is a conflict of interest audit flags).
bool StaffIsMemberOf(sql::Connection& connection, int64_t village_id, int64_t household_id,
                     const std::string& user_id);

// LAST_INSERT_ID() of the connection.
int64_t LastInsertId(sql::Connection& connection);

}  // namespace jifen::scoring::registry_sql
