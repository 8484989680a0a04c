#include "services/scoring/storage/mysql_village_statistics.h"

#include "absl/strings/str_cat.h"
#include "common/mysql/statement.h"
#include "common/mysql/transaction.h"
#include "common/status/status_macros.h"
#include "services/scoring/storage/score_sums_sql.h"

namespace jifen::scoring {

using mysql::Statement;

absl::StatusOr<VillageHouseholdFacts> MySqlVillageStatistics::Households(int64_t village_id) {
  VillageHouseholdFacts facts;
  bool found = false;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& connection) {
    auto village = Statement(connection, "SELECT town_id FROM villages WHERE village_id = ?")
                       .Bind(village_id)
                       .Query();
    if (!village->next()) return absl::OkStatus();
    found = true;
    facts.town_id = village->getInt64(1);
    auto rows = Statement(connection,
                          "SELECT household_id, kind, FLOOR(UNIX_TIMESTAMP(created_at) * 1000) "
                          "FROM households WHERE village_id = ? ORDER BY household_id")
                    .Bind(village_id)
                    .Query();
    while (rows->next()) {
      facts.households.push_back({rows->getInt64(1), rows->getInt64(3)});
      if (rows->getInt(2) == 1) {
        ++facts.registered;
      } else {
        ++facts.opted_in;
      }
    }
    return absl::OkStatus();
  }));
  if (!found) return absl::NotFoundError(absl::StrCat("village ", village_id, " not found"));
  return facts;
}

absl::StatusOr<QuarterScores> MySqlVillageStatistics::Quarter(int64_t village_id,
                                                              const std::string& period) {
  QuarterScores scores;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& connection) {
    // account 1 = the period score; the (village_id, period, account) index serves this.
    static const std::string query = absl::StrCat(
        "SELECT household_id, SUM(points), ", kAwardsSumSql, ", ", kDeductionsSumSql,
        " FROM ledger_entries WHERE village_id = ? AND period = ? AND account = 1 "
        "GROUP BY household_id ORDER BY household_id");
    auto rows = Statement(connection, query.c_str()).Bind(village_id).Bind(period).Query();
    while (rows->next()) {
      scores.household_scores.emplace_back(rows->getInt64(1), rows->getInt64(2));
      scores.awards_points += rows->getInt64(3);
      scores.deductions_points += rows->getInt64(4);
    }
    return absl::OkStatus();
  }));
  return scores;
}

}  // namespace jifen::scoring
