// Facts about one village and year that live in the other services (scoring, publicity,
// redemption), as the visit checklist and the dashboard need them. The source is an interface so
// the rules are tested without a network; services/audit/client implements it over gRPC.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace jifen::audit {

inline constexpr int kPointsBuckets = 6;  // "<0", "0", "1-49", "50-99", "100-199", ">=200"

struct QuarterScoring {
  std::string period;  // "YYYYQn"
  int64_t households_scored = 0;
  int64_t households_never_scored = 0;
  int64_t households_in_registry = 0;  // the households the quarter could score
  std::vector<int64_t> never_scored_ids;  // the first few, ascending
  std::vector<int64_t> distribution = std::vector<int64_t>(kPointsBuckets, 0);
};

struct ScoringFacts {
  int64_t town_id = 0;
  bool rulebook_published = false;
  int rulebook_version = 0;
  bool vote_recorded = false;
  bool vote_valid = false;
  std::string vote_problem;
  int64_t households_registered = 0;
  int64_t households_opted_in = 0;
  std::vector<QuarterScoring> quarters;  // Q1..Q4
  bool chain_intact = true;
  int64_t chain_entries_checked = 0;
  int64_t chain_first_bad_sequence = 0;
};

// Publicity window states, as in proto/jifen/publicity/v1/windows.proto.
enum class WindowState { kNone = 0, kOpen = 1, kClosed = 2, kSettling = 3, kSettled = 4 };

struct QuarterPublicity {
  std::string period;
  WindowState window = WindowState::kNone;  // kNone: the quarter never had a window
  int64_t pending_objections = 0;
  int64_t red_count = 0;
  int64_t black_count = 0;
};

struct PublicityFacts {
  std::vector<QuarterPublicity> quarters;  // Q1..Q4
};

struct RedemptionFacts {
  bool budget_set = false;
  int64_t budget_fen = 0;
  bool previous_budget_set = false;
  int64_t previous_budget_fen = 0;
  bool not_lower_than_last_year = true;
  int64_t funding_committed_fen = 0;
  int64_t donations_fen = 0;
  int64_t redeemed_value_fen = 0;
};

// The three answers about one village and year; each on its own, as one may fail alone.
struct AllFacts {
  absl::StatusOr<ScoringFacts> scoring;
  absl::StatusOr<PublicityFacts> publicity;
  absl::StatusOr<RedemptionFacts> redemption;
};

class VillageFactsSource {
 public:
  virtual ~VillageFactsSource() = default;
  // The three at once. The default asks one after the other; a networked source overrides it to
  // ask in parallel, so a hanging service costs one deadline, not three.
  virtual AllFacts All(int64_t village_id, int year) {
    return {Scoring(village_id, year), Publicity(village_id, year), Redemption(village_id, year)};
  }
  // Each UNAVAILABLE / DEADLINE_EXCEEDED when the owning service cannot be reached; NOT_FOUND when
  // it does not know the village.
  virtual absl::StatusOr<ScoringFacts> Scoring(int64_t village_id, int year) = 0;
  virtual absl::StatusOr<PublicityFacts> Publicity(int64_t village_id, int year) = 0;
  virtual absl::StatusOr<RedemptionFacts> Redemption(int64_t village_id, int year) = 0;
};

}  // namespace jifen::audit
