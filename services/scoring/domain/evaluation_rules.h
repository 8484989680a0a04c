// Group mutual evaluation (组组互评): what a valid round and a valid set of ratings are, who may
// rate for which group, and how a closed round's results, ranks and awards are computed. Pure; the
// contract is stated in proto/jifen/scoring/v1/assessment.proto (EvaluationRound).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/auth/caller.h"
#include "services/scoring/domain/household.h"
#include "services/scoring/domain/ledger_entry.h"
#include "services/scoring/domain/rulebook.h"

namespace jifen::scoring {

inline constexpr int kMaxCriteria = 20;
inline constexpr size_t kMaxCriterionLength = 64;  // characters
inline constexpr int kMinScore = 0;
inline constexpr int kMaxScore = 100;

struct RoundSpec {
  std::string round_id;
  int64_t village_id = 0;
  std::string period;  // "YYYYQn"
  std::string item_code;
  std::vector<std::string> criteria;
  int awarded_groups = 0;
  std::vector<int64_t> group_ids;  // the participating groups (the village's groups at open)
  // group id -> the resident who rates for it ("member-<id>"); groups without one: admin only.
  std::map<int64_t, std::string> representatives;
};

struct RatingInput {
  int64_t rater_group_id = 0;
  int64_t rated_group_id = 0;
  std::string criterion;
  int score = 0;
};

struct GroupOutcome {
  int64_t group_id = 0;
  int64_t result = 0;  // mean of the scores received, rounded half up
  int rank = 0;        // 1 = best; ties share a rank (competition ranking, "1224")
  int ratings_received = 0;
  bool awarded = false;
};

// The day whose rulebook scores a round: the last day of its period (Shanghai). INVALID_ARGUMENT
// for a malformed period.
absl::StatusOr<absl::Time> RoundDeedDay(absl::string_view period);

// INVALID_ARGUMENT for a malformed id, period, criteria (none, blank, repeated, too many, too long)
// or awarded_groups outside 1 .. groups - 1; FAILED_PRECONDITION "TOO_FEW_GROUPS" for a village
// with fewer than two groups and "PERIOD_NOT_STARTED" for a period that begins after `now`.
absl::Status ValidateRoundSpec(const RoundSpec& spec, absl::Time now);

// The item credited by a round must be an award that every household can receive.
// INVALID_ARGUMENT otherwise.
absl::Status ValidateRoundItem(const RuleItemSpec& item);

// PERMISSION_DENIED unless the caller may submit ratings for `rater_group_id` in the round's
// village: the resident named the group's representative in `spec`, whose household
// (`caller_household`, looked up by the caller's household id) is in that group of the village;
// or the village's admin for any group (a paper ballot). Any other resident of the group is
// refused "NOT_GROUP_REPRESENTATIVE": one villager must not cast the group's only vote.
absl::Status CheckCanRate(const auth::Caller& caller, const RoundSpec& spec,
                          int64_t rater_group_id, const HouseholdRecord* caller_household);

// The representatives named in `spec`: each of a participating group, user ids of residents'
// accounts ("member-<id>"). INVALID_ARGUMENT naming `representatives` otherwise. (That each is a
// member of their group is the registry's to say: the storage checks it.)
absl::Status ValidateRepresentatives(const RoundSpec& spec);

// The member id of a resident's account id "member-<id>"; 0 when `user_id` is not one.
int64_t MemberIdOfUser(const std::string& user_id);

// One rater group's submission: the rater takes part, never rates itself ("SELF_RATING"), rates
// each other participating group on each criterion exactly once ("RATINGS_INCOMPLETE" names a
// missing pair), scores within 0..100 ("RATING_OUT_OF_RANGE: ratings[i].score: ..."). INVALID_ARGUMENT
// otherwise.
absl::Status ValidateRatings(const RoundSpec& spec, int64_t rater_group_id,
                             const std::vector<RatingInput>& ratings);

// The ratings ordered by (rated group, criterion): the canonical form whose digest decides whether
// a second submission is the same.
std::vector<RatingInput> CanonicalRatings(std::vector<RatingInput> ratings);

// FAILED_PRECONDITION "GROUPS_NOT_SUBMITTED" naming the groups that have not submitted (not
// RATINGS_INCOMPLETE: that one tells a rater their submission lacks a pair).
absl::Status CheckRoundComplete(const RoundSpec& spec, const std::vector<int64_t>& submitted);

// round(sum / count) with halves rounded up, for non-negative sums; 0 when count is 0.
int64_t MeanRoundedHalfUp(int64_t sum, int64_t count);

// Results of every participating group, ordered by rank then group id.
std::vector<GroupOutcome> RankGroups(const RoundSpec& spec,
                                     const std::vector<RatingInput>& ratings);

// The points one household of an awarded group receives: the item's points, limited by what is
// left of the item's cap in the period (`already` = points the item has moved for the household);
// 0 when nothing is left.
int64_t CappedAward(const RuleItemSpec& item, int64_t already);

// The score entry crediting `household` for its group's award in the round.
NewEntry EvaluationEntry(const RoundSpec& spec, const RuleItemSpec& item,
                         const HouseholdRecord& household, const GroupOutcome& outcome,
                         int64_t points, absl::Time deed_day, const auth::Caller& actor);

}  // namespace jifen::scoring
