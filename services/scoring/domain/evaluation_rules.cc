#include "services/scoring/domain/evaluation_rules.h"

#include <algorithm>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/text/text.h"
#include "services/scoring/domain/inspection_rules.h"
#include "services/scoring/domain/period.h"

namespace jifen::scoring {
namespace {

bool Contains(const std::vector<int64_t>& ids, int64_t id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

}  // namespace

absl::StatusOr<absl::Time> RoundDeedDay(absl::string_view period) {
  absl::StatusOr<PeriodBounds> bounds = BoundsOf(period);
  if (!bounds.ok()) return bounds.status();
  const absl::CivilDay last_day = absl::ToCivilDay(bounds->end, ShanghaiTime()) - 1;
  return absl::FromCivil(last_day, ShanghaiTime());
}

absl::Status ValidateRoundSpec(const RoundSpec& spec, absl::Time now) {
  if (absl::Status id = ValidateClientId("round_id", spec.round_id); !id.ok()) return id;
  if (spec.village_id <= 0) return absl::InvalidArgumentError("village_id is required");
  absl::StatusOr<PeriodBounds> bounds = BoundsOf(spec.period);
  if (!bounds.ok()) return bounds.status();
  if (spec.item_code.empty()) return absl::InvalidArgumentError("item_code is required");
  if (spec.criteria.empty()) {
    return absl::InvalidArgumentError("criteria must name at least one criterion");
  }
  if (spec.criteria.size() > static_cast<size_t>(kMaxCriteria)) {
    return absl::InvalidArgumentError(
        absl::StrCat("criteria: at most ", kMaxCriteria, " per round"));
  }
  std::set<std::string> seen;
  for (const std::string& criterion : spec.criteria) {
    const int length = text::Utf8Length(criterion);
    if (text::IsBlank(criterion) || length < 0 ||
        length > static_cast<int>(kMaxCriterionLength)) {
      return absl::InvalidArgumentError(
          "criteria: each criterion must be 1..64 characters, not blank");
    }
    if (!seen.insert(criterion).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("criteria: \"", criterion, "\" appears twice"));
    }
  }
  if (bounds->start > now) {
    return absl::FailedPreconditionError(
        absl::StrCat("PERIOD_NOT_STARTED: ", spec.period, " has not begun"));
  }
  const int groups = static_cast<int>(spec.group_ids.size());
  if (groups < 2) {
    return absl::FailedPreconditionError(absl::StrCat(
        "TOO_FEW_GROUPS: mutual evaluation needs at least two villager groups; the village has ",
        groups));
  }
  if (spec.awarded_groups < 1 || spec.awarded_groups > groups - 1) {
    return absl::InvalidArgumentError(absl::StrCat("awarded_groups must be between 1 and ",
                                                   groups - 1, " (the village has ", groups,
                                                   " groups)"));
  }
  return absl::OkStatus();
}

absl::Status ValidateRoundItem(const RuleItemSpec& item) {
  if (item.points <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "item ", item.code, " is a deduction; a mutual evaluation credits an award item"));
  }
  if (item.category == kCategoryRentalHousing) {
    return absl::InvalidArgumentError(
        absl::StrCat("item ", item.code,
                     " applies only to households renting out rooms; a mutual evaluation "
                     "credits every household of a group"));
  }
  return absl::OkStatus();
}

absl::Status CheckCanRate(const auth::Caller& caller, const RoundSpec& spec,
                          int64_t rater_group_id, const HouseholdRecord* caller_household) {
  switch (caller.role) {
    case auth::Role::kVillageAdmin:
      if (caller.village_id == spec.village_id) return absl::OkStatus();
      return absl::PermissionDeniedError("village_admin may not rate in another village's round");
    case auth::Role::kResident: {
      if (caller_household == nullptr || caller.village_id != spec.village_id ||
          caller_household->household_id != caller.household_id ||
          caller_household->village_id != spec.village_id ||
          caller_household->group_id != rater_group_id) {
        return absl::PermissionDeniedError(
            "a resident may rate only for their own household's group");
      }
      const auto representative = spec.representatives.find(rater_group_id);
      if (representative == spec.representatives.end() ||
          representative->second != caller.user_id) {
        return absl::PermissionDeniedError(absl::StrCat(
            "NOT_GROUP_REPRESENTATIVE: only the representative the village admin named for group ",
            rater_group_id, " submits its ratings"));
      }
      return absl::OkStatus();
    }
    default:
      return absl::PermissionDeniedError(
          absl::StrCat(auth::RoleName(caller.role), " may not submit mutual-evaluation ratings"));
  }
}

int64_t MemberIdOfUser(const std::string& user_id) {
  absl::string_view digits = user_id;
  int64_t member_id = 0;
  if (!absl::ConsumePrefix(&digits, "member-") || digits.empty() || digits.front() == '0' ||
      !std::all_of(digits.begin(), digits.end(), absl::ascii_isdigit) ||
      !absl::SimpleAtoi(digits, &member_id)) {
    return 0;
  }
  return member_id;
}

absl::Status ValidateRepresentatives(const RoundSpec& spec) {
  for (const auto& [group_id, user_id] : spec.representatives) {
    if (!Contains(spec.group_ids, group_id)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "representatives: group ", group_id, " is not one of the round's groups"));
    }
    if (MemberIdOfUser(user_id) == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "representatives: \"", text::Utf8Prefix(user_id, 64),
          "\" is not a resident's account id (member-<id>)"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateRatings(const RoundSpec& spec, int64_t rater_group_id,
                             const std::vector<RatingInput>& ratings) {
  if (!Contains(spec.group_ids, rater_group_id)) {
    return absl::InvalidArgumentError(absl::StrCat("rater group ", rater_group_id,
                                                   " does not take part in round ", spec.round_id));
  }
  const std::set<std::string> criteria(spec.criteria.begin(), spec.criteria.end());
  std::set<std::pair<int64_t, std::string>> seen;
  for (size_t i = 0; i < ratings.size(); ++i) {
    const RatingInput& rating = ratings[i];
    if (rating.rated_group_id == rater_group_id) {
      return absl::InvalidArgumentError(
          absl::StrCat("SELF_RATING: group ", rater_group_id, " may not rate itself"));
    }
    if (!Contains(spec.group_ids, rating.rated_group_id)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "group ", rating.rated_group_id, " does not take part in round ", spec.round_id));
    }
    if (criteria.count(rating.criterion) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("criterion \"", rating.criterion, "\" is not one of the round's criteria"));
    }
    if (rating.score < kMinScore || rating.score > kMaxScore) {
      return absl::InvalidArgumentError(absl::StrCat(
          "RATING_OUT_OF_RANGE: ratings[", i, "].score: ", rating.score, " for group ",
          rating.rated_group_id, " on \"", rating.criterion, "\" is outside ", kMinScore, "..",
          kMaxScore));
    }
    if (!seen.insert({rating.rated_group_id, rating.criterion}).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "group ", rating.rated_group_id, " is rated twice on \"", rating.criterion, "\""));
    }
  }
  for (int64_t group_id : spec.group_ids) {
    if (group_id == rater_group_id) continue;
    for (const std::string& criterion : spec.criteria) {
      if (seen.count({group_id, criterion}) == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("RATINGS_INCOMPLETE: group ", group_id, " is not rated on \"", criterion,
                         "\"; every other group must be rated on every criterion"));
      }
    }
  }
  return absl::OkStatus();
}

std::vector<RatingInput> CanonicalRatings(std::vector<RatingInput> ratings) {
  std::sort(ratings.begin(), ratings.end(), [](const RatingInput& a, const RatingInput& b) {
    return std::tie(a.rater_group_id, a.rated_group_id, a.criterion, a.score) <
           std::tie(b.rater_group_id, b.rated_group_id, b.criterion, b.score);
  });
  return ratings;
}

absl::Status CheckRoundComplete(const RoundSpec& spec, const std::vector<int64_t>& submitted) {
  std::vector<int64_t> missing;
  for (int64_t group_id : spec.group_ids) {
    if (!Contains(submitted, group_id)) missing.push_back(group_id);
  }
  if (missing.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "GROUPS_NOT_SUBMITTED: groups ", absl::StrJoin(missing, ", "),
      " have not submitted their ratings; a village admin may enter them for a group"));
}

int64_t MeanRoundedHalfUp(int64_t sum, int64_t count) {
  if (count <= 0) return 0;
  return (2 * sum + count) / (2 * count);
}

std::vector<GroupOutcome> RankGroups(const RoundSpec& spec,
                                     const std::vector<RatingInput>& ratings) {
  std::map<int64_t, std::pair<int64_t, int>> received;  // group -> (sum, count)
  for (int64_t group_id : spec.group_ids) received[group_id] = {0, 0};
  for (const RatingInput& rating : ratings) {
    auto it = received.find(rating.rated_group_id);
    if (it == received.end() || rating.rated_group_id == rating.rater_group_id) continue;
    it->second.first += rating.score;
    it->second.second += 1;
  }
  std::vector<GroupOutcome> outcomes;
  for (const auto& [group_id, totals] : received) {
    GroupOutcome outcome;
    outcome.group_id = group_id;
    outcome.result = MeanRoundedHalfUp(totals.first, totals.second);
    outcome.ratings_received = totals.second;
    outcomes.push_back(outcome);
  }
  std::sort(outcomes.begin(), outcomes.end(), [](const GroupOutcome& a, const GroupOutcome& b) {
    if (a.result != b.result) return a.result > b.result;
    return a.group_id < b.group_id;
  });
  for (size_t i = 0; i < outcomes.size(); ++i) {
    outcomes[i].rank = (i > 0 && outcomes[i].result == outcomes[i - 1].result)
                           ? outcomes[i - 1].rank
                           : static_cast<int>(i) + 1;
    outcomes[i].awarded = outcomes[i].rank <= spec.awarded_groups;
  }
  return outcomes;
}

int64_t CappedAward(const RuleItemSpec& item, int64_t already) {
  if (item.points <= 0) return 0;
  if (item.cap_points_per_period <= 0) return item.points;
  const int64_t left = item.cap_points_per_period - already;
  if (left <= 0) return 0;
  return std::min(item.points, left);
}

NewEntry EvaluationEntry(const RoundSpec& spec, const RuleItemSpec& item,
                         const HouseholdRecord& household, const GroupOutcome& outcome,
                         int64_t points, absl::Time deed_day, const auth::Caller& actor) {
  NewEntry entry;
  entry.village_id = household.village_id;
  entry.household_id = household.household_id;
  entry.group_id = household.group_id;
  entry.account = Account::kScore;
  entry.points = points;
  entry.period = spec.period;
  entry.item_code = item.code;
  entry.category = CategoryName(item.category);
  entry.reason = absl::StrCat("组组互评 ", spec.period, ": ", item.name, " (第", outcome.rank,
                              "名, 得分 ", outcome.result, ")");
  if (points != item.points) absl::StrAppend(&entry.reason, " [已达上限, 计 ", points, " 分]");
  entry.source = EntrySource::kEvaluation;
  entry.source_id = spec.round_id;
  entry.actor_user_id = actor.user_id;
  entry.actor_role = std::string(auth::RoleName(actor.role));
  entry.occurred_at_ms = absl::ToUnixMillis(deed_day);
  return entry;
}

}  // namespace jifen::scoring
