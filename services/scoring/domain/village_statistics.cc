#include "services/scoring/domain/village_statistics.h"

#include <algorithm>

namespace jifen::scoring {

RulebookStatusFacts RulebookStatusOf(const std::vector<RulebookVersionFacts>& versions) {
  const RulebookVersionFacts* chosen = nullptr;
  for (const RulebookVersionFacts& v : versions) {
    if (chosen == nullptr || (v.published && !chosen->published) ||
        (v.published == chosen->published && v.version > chosen->version)) {
      chosen = &v;
    }
  }
  RulebookStatusFacts status;
  if (chosen == nullptr) {
    status.vote_problem = "the village has no rulebook for this year";
    return status;
  }
  status.published = chosen->published;
  status.version = chosen->version;
  status.effective_from = chosen->effective_from;
  status.vote_recorded = chosen->vote.has_value();
  if (!chosen->vote.has_value()) {
    status.vote_problem = "no vote of the villager representatives' meeting is recorded";
    return status;
  }
  const absl::Status valid = ValidateAdoptingVote(*chosen->vote);
  status.vote_valid = valid.ok();
  if (!valid.ok()) status.vote_problem = std::string(valid.message());
  return status;
}

const char* PointsBucketLabel(int bucket) {
  static const char* const kLabels[kPointsBuckets] = {"<0",    "0",       "1-49",
                                                      "50-99", "100-199", ">=200"};
  return bucket >= 0 && bucket < kPointsBuckets ? kLabels[bucket] : "";
}

int PointsBucketOf(int64_t score) {
  if (score < 0) return 0;
  if (score == 0) return 1;
  if (score < 50) return 2;
  if (score < 100) return 3;
  if (score < 200) return 4;
  return 5;
}

std::vector<int64_t> RegisteredBefore(const std::vector<RegisteredHousehold>& households,
                                      int64_t end_ms) {
  std::vector<int64_t> ids;
  for (const RegisteredHousehold& household : households) {
    if (household.registered_at_ms < end_ms) ids.push_back(household.household_id);
  }
  return ids;
}

NeverScored NeverScoredHouseholds(const std::vector<int64_t>& all_households,
                                  const std::vector<int64_t>& scored, int ids_max) {
  NeverScored result;
  for (int64_t household : all_households) {
    if (std::binary_search(scored.begin(), scored.end(), household)) continue;
    ++result.count;
    if (static_cast<int>(result.first_ids.size()) < ids_max) result.first_ids.push_back(household);
  }
  return result;
}

}  // namespace jifen::scoring
