#include "services/audit/storage/mysql_figures_repository.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/mysql/statement.h"
#include "common/mysql/transaction.h"
#include "common/status/status_macros.h"

namespace jifen::audit {
namespace {

using mysql::Statement;

// " AND village_id IN (?, ...)" for a non-empty list; "" (every village) for an empty one.
std::string VillageFilter(const std::vector<int64_t>& ids) {
  if (ids.empty()) return "";
  return absl::StrCat(" AND village_id IN (",
                      absl::StrJoin(std::vector<std::string>(ids.size(), "?"), ", "), ")");
}

void BindVillages(Statement& statement, const std::vector<int64_t>& ids) {
  for (int64_t id : ids) statement.Bind(id);
}

// The oldest non-zero timestamp; 0 while nothing was seen.
void Older(int64_t at_ms, int64_t& oldest_ms) {
  if (at_ms > 0 && (oldest_ms == 0 || at_ms < oldest_ms)) oldest_ms = at_ms;
}

}  // namespace

absl::Status MySqlFiguresRepository::StoreScoring(int64_t village_id, int year,
                                                  const ScoringFacts& facts, int64_t now_ms) {
  return mysql::RunInTransaction(pool_, [&](sql::Connection& c) -> absl::Status {
    Statement(c,
              "INSERT INTO village_year_figures (village_id, year, households_registered, "
              "households_opted_in, rulebook_published, chain_intact, scoring_at_ms) "
              "VALUES (?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE "
              "households_registered = VALUES(households_registered), "
              "households_opted_in = VALUES(households_opted_in), "
              "rulebook_published = VALUES(rulebook_published), "
              "chain_intact = VALUES(chain_intact), scoring_at_ms = VALUES(scoring_at_ms)")
        .Bind(village_id)
        .Bind(year)
        .Bind(facts.households_registered)
        .Bind(facts.households_opted_in)
        .Bind(facts.rulebook_published && facts.vote_valid)
        .Bind(facts.chain_intact)
        .Bind(now_ms)
        .Update();
    for (const QuarterScoring& q : facts.quarters) {
      Statement quarter(
          c,
          "INSERT INTO village_quarter_figures (village_id, period, year, households_scored, "
          "households_in_registry, bucket_negative, bucket_zero, bucket_1_49, bucket_50_99, "
          "bucket_100_199, bucket_200_up, scoring_at_ms) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
          "ON DUPLICATE KEY UPDATE households_scored = VALUES(households_scored), "
          "households_in_registry = VALUES(households_in_registry), "
          "bucket_negative = VALUES(bucket_negative), bucket_zero = VALUES(bucket_zero), "
          "bucket_1_49 = VALUES(bucket_1_49), bucket_50_99 = VALUES(bucket_50_99), "
          "bucket_100_199 = VALUES(bucket_100_199), bucket_200_up = VALUES(bucket_200_up), "
          "scoring_at_ms = VALUES(scoring_at_ms)");
      quarter.Bind(village_id).Bind(q.period).Bind(year).Bind(q.households_scored).Bind(
          q.households_in_registry);
      for (int b = 0; b < kPointsBuckets; ++b) {
        quarter.Bind(b < static_cast<int>(q.distribution.size()) ? q.distribution[b] : 0);
      }
      quarter.Bind(now_ms).Update();
    }
    return absl::OkStatus();
  });
}

absl::Status MySqlFiguresRepository::StorePublicity(int64_t village_id, int year,
                                                    const PublicityFacts& facts, int64_t now_ms) {
  return mysql::RunInTransaction(pool_, [&](sql::Connection& c) -> absl::Status {
    for (const QuarterPublicity& q : facts.quarters) {
      Statement(c,
                "INSERT INTO village_quarter_figures (village_id, period, year, red_count, "
                "black_count, window_opened, publicity_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON DUPLICATE KEY UPDATE red_count = VALUES(red_count), "
                "black_count = VALUES(black_count), window_opened = VALUES(window_opened), "
                "publicity_at_ms = VALUES(publicity_at_ms)")
          .Bind(village_id)
          .Bind(q.period)
          .Bind(year)
          .Bind(q.red_count)
          .Bind(q.black_count)
          .Bind(q.window != WindowState::kNone)
          .Bind(now_ms)
          .Update();
    }
    return absl::OkStatus();
  });
}

absl::Status MySqlFiguresRepository::StoreRedemption(int64_t village_id, int year,
                                                     const RedemptionFacts& facts, int64_t now_ms) {
  return mysql::RunInTransaction(pool_, [&](sql::Connection& c) -> absl::Status {
    Statement(c,
              "INSERT INTO village_year_figures (village_id, year, budget_fen, "
              "redeemed_value_fen, funding_fen, budget_not_lower, redemption_at_ms) "
              "VALUES (?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE "
              "budget_fen = VALUES(budget_fen), redeemed_value_fen = VALUES(redeemed_value_fen), "
              "funding_fen = VALUES(funding_fen), budget_not_lower = VALUES(budget_not_lower), "
              "redemption_at_ms = VALUES(redemption_at_ms)")
        .Bind(village_id)
        .Bind(year)
        .Bind(facts.budget_fen)
        .Bind(facts.redeemed_value_fen)
        .Bind(facts.funding_committed_fen + facts.donations_fen)
        .Bind(facts.not_lower_than_last_year)
        .Bind(now_ms)
        .Update();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<int64_t>> MySqlFiguresRepository::DirectoryVillages() {
  std::vector<int64_t> villages;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& c) {
    auto rows =
        Statement(c, "SELECT village_id FROM village_directory ORDER BY village_id").Query();
    while (rows->next()) villages.push_back(rows->getInt64(1));
    return absl::OkStatus();
  }));
  return villages;
}

absl::StatusOr<DashboardFigures> MySqlFiguresRepository::Sum(
    const std::vector<int64_t>& village_ids, int year) {
  DashboardFigures figures;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& c) {
    const std::string year_sql = absl::StrCat(
        "SELECT COUNT(*), COALESCE(SUM(households_registered), 0), "
        "COALESCE(SUM(households_opted_in), 0), COALESCE(SUM(budget_fen), 0), "
        "COALESCE(SUM(redeemed_value_fen), 0), COALESCE(SUM(funding_fen), 0), "
        "COALESCE(SUM(redemption_at_ms > 0 AND NOT budget_not_lower), 0), "
        "COALESCE(SUM(rulebook_published), 0), "
        "COALESCE(SUM(scoring_at_ms > 0 AND NOT chain_intact), 0), "
        "COALESCE(MIN(NULLIF(scoring_at_ms, 0)), 0), COALESCE(MIN(NULLIF(redemption_at_ms, 0)), 0) "
        "FROM village_year_figures WHERE year = ?",
        VillageFilter(village_ids));
    Statement years(c, year_sql.c_str());
    years.Bind(year);
    BindVillages(years, village_ids);
    auto y = years.Query();
    if (y->next()) {
      figures.villages_with_figures = y->getInt64(1);
      figures.households_registered = y->getInt64(2);
      figures.households_opted_in = y->getInt64(3);
      figures.budget_fen = y->getInt64(4);
      figures.redeemed_value_fen = y->getInt64(5);
      figures.funding_fen = y->getInt64(6);
      figures.villages_budget_lower = y->getInt64(7);
      figures.villages_rulebook_published = y->getInt64(8);
      figures.villages_chain_broken = y->getInt64(9);
      Older(y->getInt64(10), figures.figures_oldest_ms);
      Older(y->getInt64(11), figures.figures_oldest_ms);
    }
    for (int quarter = 1; quarter <= 4; ++quarter) {
      QuarterFigures q;
      q.period = absl::StrCat(year, "Q", quarter);
      const std::string quarter_sql = absl::StrCat(
          "SELECT COALESCE(SUM(households_scored), 0), COALESCE(SUM(bucket_negative), 0), "
          "COALESCE(SUM(bucket_zero), 0), COALESCE(SUM(bucket_1_49), 0), "
          "COALESCE(SUM(bucket_50_99), 0), COALESCE(SUM(bucket_100_199), 0), "
          "COALESCE(SUM(bucket_200_up), 0), COALESCE(SUM(red_count), 0), "
          "COALESCE(SUM(black_count), 0), COALESCE(SUM(window_opened), 0), "
          "COALESCE(MIN(NULLIF(publicity_at_ms, 0)), 0), "
          // Rows refreshed before the column was stored (-1) leave the quarter's households
          // unknown: the year's count speaks for them.
          "COALESCE(SUM(GREATEST(households_in_registry, 0)), 0), "
          "COALESCE(SUM(households_in_registry < 0), 0) "
          "FROM village_quarter_figures WHERE period = ?",
          VillageFilter(village_ids));
      Statement select(c, quarter_sql.c_str());
      select.Bind(q.period);
      BindVillages(select, village_ids);
      auto rows = select.Query();
      if (rows->next()) {
        q.households_scored = rows->getInt64(1);
        for (int b = 0; b < kPointsBuckets; ++b) q.distribution[b] = rows->getInt64(2 + b);
        q.red_count = rows->getInt64(8);
        q.black_count = rows->getInt64(9);
        q.villages_with_window = rows->getInt64(10);
        Older(rows->getInt64(11), figures.figures_oldest_ms);
        // Known only when every village's row has it.
        if (rows->getInt64(13) == 0) q.households_in_registry = rows->getInt64(12);
      }
      figures.quarters.push_back(std::move(q));
    }
    return absl::OkStatus();
  }));
  return figures;
}

}  // namespace jifen::audit
