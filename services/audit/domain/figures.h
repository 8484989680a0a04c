// Visit preparation and the dashboard's precomputed figures: both read the facts the other
// services own (VillageFactsSource) — the checklist live, the dashboard from a per-village table
// that a refresh fills, so drawing a dashboard never waits on three services.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/auth/caller.h"
#include "services/audit/domain/supervision.h"
#include "services/audit/domain/village_facts.h"
#include "services/audit/domain/visit_checklist.h"

namespace jifen::audit {

struct QuarterFigures {
  std::string period;
  int64_t households_scored = 0;
  int64_t households_in_registry = -1;  // the households the quarter could score; -1: not known
  int64_t participation_permille = 0;
  std::vector<int64_t> distribution = std::vector<int64_t>(kPointsBuckets, 0);
  int64_t red_count = 0;
  int64_t black_count = 0;
  int64_t villages_with_window = 0;
};

struct DashboardFigures {
  int year = 0;
  int64_t figures_oldest_ms = 0;
  int64_t villages_with_figures = 0;
  int64_t households_registered = 0;
  int64_t households_opted_in = 0;
  std::vector<QuarterFigures> quarters;  // Q1..Q4
  int64_t budget_fen = 0;
  int64_t redeemed_value_fen = 0;
  int64_t funding_fen = 0;
  int64_t villages_budget_lower = 0;
  int64_t villages_rulebook_published = 0;
  int64_t villages_chain_broken = 0;
};

// The per-village figures table (storage: MariaDB). Each Store replaces one service's part of a
// (village, year) and stamps it with now_ms.
class FiguresRepository {
 public:
  virtual ~FiguresRepository() = default;
  virtual absl::Status StoreScoring(int64_t village_id, int year, const ScoringFacts& facts,
                                    int64_t now_ms) = 0;
  virtual absl::Status StorePublicity(int64_t village_id, int year, const PublicityFacts& facts,
                                      int64_t now_ms) = 0;
  virtual absl::Status StoreRedemption(int64_t village_id, int year, const RedemptionFacts& facts,
                                       int64_t now_ms) = 0;
  // Every village of the directory, ascending.
  virtual absl::StatusOr<std::vector<int64_t>> DirectoryVillages() = 0;
  // Sums over `village_ids` (empty: every village). Participation is left to the caller.
  virtual absl::StatusOr<DashboardFigures> Sum(const std::vector<int64_t>& village_ids,
                                               int year) = 0;
};

// participation_permille of each quarter from households under management.
void ComputeParticipation(DashboardFigures& figures);

struct RefreshOutcome {
  int64_t villages = 0;
  int64_t parts_unavailable = 0;
};

class SupervisionFigures final {
 public:
  // All must outlive this.
  SupervisionFigures(Supervision& supervision, SupervisionRepository& repository,
                     VillageDirectory& directory, VillageFactsSource& facts,
                     FiguresRepository& figures, std::function<absl::Time()> clock)
      : supervision_(supervision),
        repository_(repository),
        directory_(directory),
        facts_(facts),
        figures_(figures),
        clock_(std::move(clock)) {}

  struct Prepared {
    Checklist checklist;
    int64_t flags_raised = 0;
  };
  // District roles; town officials for their town's villages. NOT_FOUND for a village missing
  // from the directory. Failed checks raise flags when a district inspector asks.
  absl::StatusOr<Prepared> PrepareVisit(const auth::Caller& caller, const Actor& actor,
                                        int64_t village_id, int year);
  // District roles or the service itself. Village 0: every village in the directory. `stop`
  // (optional) is asked between villages, so a long refresh ends early at shutdown.
  absl::StatusOr<RefreshOutcome> Refresh(const auth::Caller& caller, int64_t village_id, int year,
                                         const std::function<bool()>& stop = nullptr);
  // Same scope rules as Supervision::GetDashboard.
  absl::StatusOr<DashboardFigures> Figures(const auth::Caller& caller, int64_t town_id,
                                           int64_t village_id, int year);

  int CurrentYear() const;

 private:
  absl::StatusOr<int> YearOrCurrent(int year) const;

  Supervision& supervision_;
  SupervisionRepository& repository_;
  VillageDirectory& directory_;
  VillageFactsSource& facts_;
  FiguresRepository& figures_;
  std::function<absl::Time()> clock_;
};

}  // namespace jifen::audit
