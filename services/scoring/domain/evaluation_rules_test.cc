#include "services/scoring/domain/evaluation_rules.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/scoring/domain/period.h"

namespace jifen::scoring {
namespace {

using auth::Caller;
using auth::Role;

constexpr int64_t kVillage = 10;
const absl::Time kNow = absl::FromCivil(absl::CivilDay(2025, 11, 20), ShanghaiTime());

RoundSpec Spec() {
  RoundSpec spec;
  spec.round_id = "round-2025Q3-a";
  spec.village_id = kVillage;
  spec.period = "2025Q3";
  spec.item_code = "PJ-01";
  spec.criteria = {"环境整洁", "垃圾分类"};
  spec.awarded_groups = 1;
  spec.group_ids = {1, 2, 3};
  return spec;
}

// Every other group on every criterion, with `score(rated, criterion_index)`.
std::vector<RatingInput> Complete(const RoundSpec& spec, int64_t rater,
                                  int (*score)(int64_t, int)) {
  std::vector<RatingInput> ratings;
  for (int64_t rated : spec.group_ids) {
    if (rated == rater) continue;
    for (size_t c = 0; c < spec.criteria.size(); ++c) {
      ratings.push_back({rater, rated, spec.criteria[c], score(rated, static_cast<int>(c))});
    }
  }
  return ratings;
}

int Eighty(int64_t, int) { return 80; }

TEST(RoundDeedDayTest, IsTheLastDayOfThePeriod) {
  EXPECT_EQ(FormatDate(*RoundDeedDay("2025Q3")), "2025-09-30");
  EXPECT_EQ(FormatDate(*RoundDeedDay("2025Q4")), "2025-12-31");
  EXPECT_EQ(FormatDate(*RoundDeedDay("2024Q1")), "2024-03-31");
  EXPECT_EQ(PeriodOf(*RoundDeedDay("2025Q2")), "2025Q2");
  EXPECT_FALSE(RoundDeedDay("2025Q5").ok());
}

TEST(ValidateRoundSpecTest, AcceptsAValidRound) {
  EXPECT_TRUE(ValidateRoundSpec(Spec(), kNow).ok());
}

TEST(ValidateRoundSpecTest, RefusesMalformedRounds) {
  RoundSpec spec = Spec();
  spec.round_id = "r1";
  EXPECT_EQ(ValidateRoundSpec(spec, kNow).code(), absl::StatusCode::kInvalidArgument);
  spec = Spec();
  spec.period = "2025-3";
  EXPECT_EQ(ValidateRoundSpec(spec, kNow).code(), absl::StatusCode::kInvalidArgument);
  spec = Spec();
  spec.criteria.clear();
  EXPECT_EQ(ValidateRoundSpec(spec, kNow).code(), absl::StatusCode::kInvalidArgument);
  spec = Spec();
  spec.criteria = {"环境整洁", "环境整洁"};
  EXPECT_EQ(ValidateRoundSpec(spec, kNow).code(), absl::StatusCode::kInvalidArgument);
  spec = Spec();
  spec.criteria = {" "};
  EXPECT_EQ(ValidateRoundSpec(spec, kNow).code(), absl::StatusCode::kInvalidArgument);
  spec = Spec();
  spec.criteria = {std::string(65, 'x')};
  EXPECT_EQ(ValidateRoundSpec(spec, kNow).code(), absl::StatusCode::kInvalidArgument);
  spec.criteria = {""};
  for (int i = 0; i < 64; ++i) spec.criteria[0] += "洁";  // 64 characters, 192 bytes
  EXPECT_TRUE(ValidateRoundSpec(spec, kNow).ok());
  spec = Spec();
  spec.awarded_groups = 0;
  EXPECT_EQ(ValidateRoundSpec(spec, kNow).code(), absl::StatusCode::kInvalidArgument);
  spec.awarded_groups = 3;  // every group would win
  EXPECT_EQ(ValidateRoundSpec(spec, kNow).code(), absl::StatusCode::kInvalidArgument);
  spec.awarded_groups = 2;
  EXPECT_TRUE(ValidateRoundSpec(spec, kNow).ok());
}

// A round's period and criteria errors start with the field's name, for the gateway to name it.
TEST(ValidateRoundSpecTest, PeriodAndCriteriaErrorsNameTheirField) {
  RoundSpec spec = Spec();
  spec.period = "2026Q5";
  EXPECT_EQ(ValidateRoundSpec(spec, kNow).message(),
            "period: quarter 5 of \"2026Q5\" is outside 1..4");
  spec = Spec();
  spec.criteria = {"环境整洁", "环境整洁"};
  EXPECT_EQ(ValidateRoundSpec(spec, kNow).message(), "criteria: \"环境整洁\" appears twice");
  spec.criteria = {" "};
  EXPECT_TRUE(absl::StartsWith(ValidateRoundSpec(spec, kNow).message(), "criteria: "));
  spec.criteria.assign(kMaxCriteria + 1, "");
  for (int i = 0; i <= kMaxCriteria; ++i) spec.criteria[i] = absl::StrCat("项目", i);
  EXPECT_TRUE(absl::StartsWith(ValidateRoundSpec(spec, kNow).message(), "criteria: "));
}

TEST(ValidateRoundSpecTest, NeedsTwoGroupsAndABegunPeriod) {
  RoundSpec spec = Spec();
  spec.group_ids = {1};
  EXPECT_EQ(ValidateRoundSpec(spec, kNow).code(), absl::StatusCode::kFailedPrecondition);
  spec = Spec();
  spec.period = "2026Q1";
  const absl::Status future = ValidateRoundSpec(spec, kNow);
  EXPECT_EQ(future.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(future.message().find("PERIOD_NOT_STARTED"), absl::string_view::npos);
}

TEST(ValidateRoundItemTest, AwardsOnlyAndNotRentalOnly) {
  RuleItemSpec item;
  item.code = "PJ-01";
  item.category = 7;
  item.points = 10;
  EXPECT_TRUE(ValidateRoundItem(item).ok());
  item.points = -5;
  EXPECT_EQ(ValidateRoundItem(item).code(), absl::StatusCode::kInvalidArgument);
  item.points = 5;
  item.category = kCategoryRentalHousing;
  EXPECT_EQ(ValidateRoundItem(item).code(), absl::StatusCode::kInvalidArgument);
}

TEST(CheckCanRateTest, TheGroupsRepresentativeAndTheAdminForAny) {
  HouseholdRecord household;
  household.household_id = 5000;
  household.village_id = kVillage;
  household.group_id = 2;
  RoundSpec spec;
  spec.village_id = kVillage;
  spec.group_ids = {2, 3};
  spec.representatives = {{2, "member-77"}};
  Caller resident;
  resident.user_id = "member-77";
  resident.role = Role::kResident;
  resident.village_id = kVillage;
  resident.household_id = 5000;
  EXPECT_TRUE(CheckCanRate(resident, spec, 2, &household).ok());
  EXPECT_EQ(CheckCanRate(resident, spec, 3, &household).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CheckCanRate(resident, spec, 2, nullptr).code(), absl::StatusCode::kPermissionDenied);
  RoundSpec elsewhere = spec;
  elsewhere.village_id = kVillage + 1;
  EXPECT_EQ(CheckCanRate(resident, elsewhere, 2, &household).code(),
            absl::StatusCode::kPermissionDenied);
  // Another villager of the same group (the same household, even) does not cast its vote.
  Caller neighbour = resident;
  neighbour.user_id = "member-78";
  const absl::Status refused = CheckCanRate(neighbour, spec, 2, &household);
  EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(absl::StartsWith(refused.message(), "NOT_GROUP_REPRESENTATIVE")) << refused;
  // A group without a representative is rated for by the admin only.
  spec.representatives.clear();
  EXPECT_EQ(CheckCanRate(resident, spec, 2, &household).code(),
            absl::StatusCode::kPermissionDenied);

  Caller admin;
  admin.role = Role::kVillageAdmin;
  admin.village_id = kVillage;
  EXPECT_TRUE(CheckCanRate(admin, spec, 3, nullptr).ok());
  EXPECT_EQ(CheckCanRate(admin, elsewhere, 3, nullptr).code(),
            absl::StatusCode::kPermissionDenied);

  Caller grid_worker;
  grid_worker.role = Role::kGridWorker;
  grid_worker.village_id = kVillage;
  EXPECT_EQ(CheckCanRate(grid_worker, spec, 3, nullptr).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(RepresentativesTest, EachOfARoundGroupAndAResidentsAccount) {
  RoundSpec spec;
  spec.group_ids = {2, 3};
  spec.representatives = {{2, "member-77"}, {3, "member-9"}};
  EXPECT_TRUE(ValidateRepresentatives(spec).ok());
  spec.representatives = {{4, "member-77"}};
  EXPECT_EQ(ValidateRepresentatives(spec).code(), absl::StatusCode::kInvalidArgument);
  for (const char* not_a_resident : {"staff-3", "member-", "member-07", "member-1x", ""}) {
    spec.representatives = {{2, not_a_resident}};
    EXPECT_EQ(ValidateRepresentatives(spec).code(), absl::StatusCode::kInvalidArgument)
        << not_a_resident;
  }
  EXPECT_EQ(MemberIdOfUser("member-194"), 194);
  EXPECT_EQ(MemberIdOfUser("resident-1"), 0);
}

TEST(ValidateRatingsTest, AcceptsACompleteSubmission) {
  EXPECT_TRUE(ValidateRatings(Spec(), 1, Complete(Spec(), 1, Eighty)).ok());
}

TEST(ValidateRatingsTest, RefusesSelfRating) {
  std::vector<RatingInput> ratings = Complete(Spec(), 1, Eighty);
  ratings.push_back({1, 1, "环境整洁", 100});
  const absl::Status status = ValidateRatings(Spec(), 1, ratings);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("SELF_RATING"), absl::string_view::npos);
}

TEST(ValidateRatingsTest, RefusesIncompleteDuplicateAndOutOfRange) {
  std::vector<RatingInput> ratings = Complete(Spec(), 1, Eighty);
  ratings.pop_back();
  const absl::Status incomplete = ValidateRatings(Spec(), 1, ratings);
  EXPECT_EQ(incomplete.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(incomplete.message().find("RATINGS_INCOMPLETE"), absl::string_view::npos);

  ratings = Complete(Spec(), 1, Eighty);
  ratings.push_back(ratings.front());
  EXPECT_EQ(ValidateRatings(Spec(), 1, ratings).code(), absl::StatusCode::kInvalidArgument);

  ratings = Complete(Spec(), 1, Eighty);
  ratings[0].score = 101;
  EXPECT_EQ(ValidateRatings(Spec(), 1, ratings).code(), absl::StatusCode::kInvalidArgument);
  ratings[0].score = -1;
  EXPECT_EQ(ValidateRatings(Spec(), 1, ratings).code(), absl::StatusCode::kInvalidArgument);

  ratings = Complete(Spec(), 1, Eighty);
  ratings[0].criterion = "村容村貌";
  EXPECT_EQ(ValidateRatings(Spec(), 1, ratings).code(), absl::StatusCode::kInvalidArgument);

  ratings = Complete(Spec(), 1, Eighty);
  ratings[0].rated_group_id = 99;
  EXPECT_EQ(ValidateRatings(Spec(), 1, ratings).code(), absl::StatusCode::kInvalidArgument);

  EXPECT_EQ(ValidateRatings(Spec(), 99, Complete(Spec(), 99, Eighty)).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(CanonicalRatingsTest, OrderDoesNotMatter) {
  std::vector<RatingInput> forward = Complete(Spec(), 1, Eighty);
  std::vector<RatingInput> backward(forward.rbegin(), forward.rend());
  const std::vector<RatingInput> a = CanonicalRatings(forward);
  const std::vector<RatingInput> b = CanonicalRatings(backward);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].rated_group_id, b[i].rated_group_id);
    EXPECT_EQ(a[i].criterion, b[i].criterion);
  }
}

TEST(CheckRoundCompleteTest, NamesTheMissingGroups) {
  EXPECT_TRUE(CheckRoundComplete(Spec(), {1, 2, 3}).ok());
  const absl::Status missing = CheckRoundComplete(Spec(), {2});
  EXPECT_EQ(missing.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(missing.message().find("1, 3"), absl::string_view::npos);
  // Not RATINGS_INCOMPLETE: that code tells a rater to rate every pair, which an admin closing
  // the round cannot do; this one says groups have not submitted.
  EXPECT_TRUE(absl::StartsWith(missing.message(), "GROUPS_NOT_SUBMITTED: groups 1, 3 "))
      << missing.message();
}

TEST(MeanRoundedHalfUpTest, RoundsHalvesUp) {
  EXPECT_EQ(MeanRoundedHalfUp(0, 0), 0);
  EXPECT_EQ(MeanRoundedHalfUp(170, 2), 85);
  EXPECT_EQ(MeanRoundedHalfUp(171, 2), 86);  // 85.5
  EXPECT_EQ(MeanRoundedHalfUp(169, 2), 85);  // 84.5
  EXPECT_EQ(MeanRoundedHalfUp(256, 3), 85);  // 85.33
  EXPECT_EQ(MeanRoundedHalfUp(257, 3), 86);  // 85.67
  EXPECT_EQ(MeanRoundedHalfUp(400, 4), 100);
}

std::vector<RatingInput> AllRatings(const RoundSpec& spec, int (*score)(int64_t, int)) {
  std::vector<RatingInput> all;
  for (int64_t rater : spec.group_ids) {
    const std::vector<RatingInput> some = Complete(spec, rater, score);
    all.insert(all.end(), some.begin(), some.end());
  }
  return all;
}

// Group 1: 90, group 2: 70 and 81 -> 75.5 -> 76, group 3: 60.
int Distinct(int64_t rated, int criterion) {
  if (rated == 1) return 90;
  if (rated == 2) return criterion == 0 ? 70 : 81;
  return 60;
}

TEST(RankGroupsTest, RanksByRoundedMean) {
  RoundSpec spec = Spec();
  const std::vector<GroupOutcome> outcomes = RankGroups(spec, AllRatings(spec, Distinct));
  ASSERT_EQ(outcomes.size(), 3u);
  EXPECT_EQ(outcomes[0].group_id, 1);
  EXPECT_EQ(outcomes[0].result, 90);
  EXPECT_EQ(outcomes[0].rank, 1);
  EXPECT_TRUE(outcomes[0].awarded);
  EXPECT_EQ(outcomes[0].ratings_received, 4);  // 2 raters x 2 criteria
  EXPECT_EQ(outcomes[1].group_id, 2);
  EXPECT_EQ(outcomes[1].result, 76);
  EXPECT_EQ(outcomes[1].rank, 2);
  EXPECT_FALSE(outcomes[1].awarded);
  EXPECT_EQ(outcomes[2].group_id, 3);
  EXPECT_EQ(outcomes[2].rank, 3);
}

// Groups 2 and 3 tie on 85 after rounding (84.5 -> 85, and 85); group 1 has 70.
int TieAfterRounding(int64_t rated, int criterion) {
  if (rated == 1) return 70;
  if (rated == 2) return criterion == 0 ? 84 : 85;
  return 85;
}

TEST(RankGroupsTest, TiesShareARankAndTheNextRankIsSkipped) {
  RoundSpec spec = Spec();
  spec.group_ids = {1, 2, 3, 4};
  spec.awarded_groups = 1;
  auto score = [](int64_t rated, int criterion) -> int {
    if (rated == 4) return 50;
    return TieAfterRounding(rated, criterion);
  };
  const std::vector<GroupOutcome> outcomes = RankGroups(spec, AllRatings(spec, +score));
  ASSERT_EQ(outcomes.size(), 4u);
  EXPECT_EQ(outcomes[0].group_id, 2);
  EXPECT_EQ(outcomes[0].rank, 1);
  EXPECT_EQ(outcomes[1].group_id, 3);
  EXPECT_EQ(outcomes[1].rank, 1);
  EXPECT_EQ(outcomes[0].result, outcomes[1].result);
  EXPECT_TRUE(outcomes[0].awarded);
  EXPECT_TRUE(outcomes[1].awarded);  // a tie on the boundary awards both
  EXPECT_EQ(outcomes[2].group_id, 1);
  EXPECT_EQ(outcomes[2].rank, 3);  // competition ranking: 1, 1, 3
  EXPECT_FALSE(outcomes[2].awarded);
  EXPECT_EQ(outcomes[3].rank, 4);

  spec.awarded_groups = 2;  // rank 3 is still outside
  const std::vector<GroupOutcome> two = RankGroups(spec, AllRatings(spec, +score));
  EXPECT_FALSE(two[2].awarded);
}

TEST(RankGroupsTest, IgnoresSelfRatingsAndUnknownGroups) {
  RoundSpec spec = Spec();
  std::vector<RatingInput> ratings = AllRatings(spec, Eighty);
  ratings.push_back({1, 1, "环境整洁", 0});
  ratings.push_back({1, 99, "环境整洁", 0});
  const std::vector<GroupOutcome> outcomes = RankGroups(spec, ratings);
  ASSERT_EQ(outcomes.size(), 3u);
  for (const GroupOutcome& outcome : outcomes) {
    EXPECT_EQ(outcome.result, 80);
    EXPECT_EQ(outcome.rank, 1);
    EXPECT_EQ(outcome.ratings_received, 4);
  }
}

TEST(CappedAwardTest, LimitsToWhatIsLeftOfTheCap) {
  RuleItemSpec item;
  item.points = 10;
  item.cap_points_per_period = 30;
  EXPECT_EQ(CappedAward(item, 0), 10);
  EXPECT_EQ(CappedAward(item, 25), 5);
  EXPECT_EQ(CappedAward(item, 30), 0);
  EXPECT_EQ(CappedAward(item, 40), 0);
  item.cap_points_per_period = 0;
  EXPECT_EQ(CappedAward(item, 1000), 10);
}

TEST(EvaluationEntryTest, CreditsTheHouseholdForTheRound) {
  RuleItemSpec item;
  item.code = "PJ-01";
  item.name = "组组互评优胜组";
  item.category = 7;
  item.points = 10;
  HouseholdRecord household;
  household.household_id = 5000;
  household.village_id = kVillage;
  household.group_id = 2;
  GroupOutcome outcome{2, 88, 1, 4, true};
  Caller admin;
  admin.user_id = "admin-1";
  admin.role = Role::kVillageAdmin;
  const absl::Time day = *RoundDeedDay("2025Q3");
  const NewEntry entry = EvaluationEntry(Spec(), item, household, outcome, 10, day, admin);
  EXPECT_EQ(entry.source, EntrySource::kEvaluation);
  EXPECT_EQ(entry.source_id, "round-2025Q3-a");
  EXPECT_EQ(entry.period, "2025Q3");
  EXPECT_EQ(entry.points, 10);
  EXPECT_EQ(entry.group_id, 2);
  EXPECT_EQ(entry.account, Account::kScore);
  EXPECT_EQ(entry.category, "village_specific");
  EXPECT_EQ(entry.occurred_at_ms, absl::ToUnixMillis(day));
  EXPECT_EQ(entry.actor_role, "village_admin");
  EXPECT_NE(entry.reason.find("第1名"), std::string::npos);
}

}  // namespace
}  // namespace jifen::scoring
