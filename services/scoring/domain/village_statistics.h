// The pure parts of a village's yearly statistics for supervision: which rulebook version speaks
// for the year and whether its vote is valid, the fixed points buckets, and never-scored
// households.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "services/scoring/domain/rulebook.h"

namespace jifen::scoring {

// One rulebook version of the year, as much as the rulebook status needs.
struct RulebookVersionFacts {
  int version = 0;
  bool published = false;
  std::string effective_from;
  std::optional<VoteRecord> vote;
};

struct RulebookStatusFacts {
  bool published = false;
  int version = 0;
  std::string effective_from;
  bool vote_recorded = false;
  bool vote_valid = false;
  std::string vote_problem;  // "" when valid
};

// The newest published version speaks for the year; without one, the newest draft does (so that a
// supervisor sees why it could not be published). `versions` in any order.
RulebookStatusFacts RulebookStatusOf(const std::vector<RulebookVersionFacts>& versions);

inline constexpr int kPointsBuckets = 6;
// "<0", "0", "1-49", "50-99", "100-199", ">=200": fixed edges, so villages can be summed.
const char* PointsBucketLabel(int bucket);
int PointsBucketOf(int64_t score);

// A household of the village with the time it was registered.
struct RegisteredHousehold {
  int64_t household_id = 0;
  int64_t registered_at_ms = 0;
};
// The ids (ascending, as `households` is ordered) of those registered before `end_ms`: the
// households a quarter ending then could score. A village that brings its roster in mid-year is
// not told that the newcomers went unscored in the quarters before they were registered.
std::vector<int64_t> RegisteredBefore(const std::vector<RegisteredHousehold>& households,
                                      int64_t end_ms);

// Households of `all_households` that have no score in `scored` (both ascending); the count and the
// first `ids_max` ids.
struct NeverScored {
  int64_t count = 0;
  std::vector<int64_t> first_ids;
};
NeverScored NeverScoredHouseholds(const std::vector<int64_t>& all_households,
                                  const std::vector<int64_t>& scored, int ids_max);

}  // namespace jifen::scoring
