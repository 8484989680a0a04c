#include "services/scoring/domain/rulebook.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace jifen::scoring {
namespace {

VoteRecord Vote(int members, int attending, int in_favour, int against = 0, int abstain = 0) {
  return {"2025-12-20", members, attending, in_favour, against, abstain};
}

TEST(AdoptingVoteTest, NeedsMoreThanTwoThirdsAttendingAndMoreThanHalfInFavour) {
  EXPECT_TRUE(ValidateAdoptingVote(Vote(30, 21, 11)).ok());
  // Exactly two thirds is not "more than two thirds".
  EXPECT_EQ(ValidateAdoptingVote(Vote(30, 20, 20)).code(), absl::StatusCode::kFailedPrecondition);
  // Exactly half is not "more than half".
  EXPECT_EQ(ValidateAdoptingVote(Vote(30, 22, 11)).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(ValidateAdoptingVote(Vote(30, 22, 12)).ok());
  EXPECT_TRUE(ValidateAdoptingVote(Vote(3, 3, 2, 1)).ok());
}

TEST(AdoptingVoteTest, InconsistentNumbersAreInvalidArguments) {
  EXPECT_EQ(ValidateAdoptingVote(Vote(0, 0, 0)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateAdoptingVote(Vote(10, 11, 9)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateAdoptingVote(Vote(10, 9, 8, 2)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateAdoptingVote(Vote(10, 9, -1)).code(), absl::StatusCode::kInvalidArgument);
  VoteRecord undated = Vote(10, 9, 8);
  undated.meeting_date.clear();
  EXPECT_EQ(ValidateAdoptingVote(undated).code(), absl::StatusCode::kInvalidArgument);
}

// Counts near INT_MAX wrapped around in int arithmetic: 1073741824 members with one attending
// passed as quorate. The sums are taken in 64 bits and members is bounded.
TEST(AdoptingVoteTest, HugeCountsAreRefusedNotWrappedAround) {
  const absl::Status huge = ValidateAdoptingVote(Vote(1073741824, 1, 1));
  EXPECT_EQ(huge.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(huge.message(), "vote.members: ")) << huge;
  EXPECT_EQ(ValidateAdoptingVote(Vote(kVoteMembersMax + 1, kVoteMembersMax + 1, 60000)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ValidateAdoptingVote(Vote(kVoteMembersMax, kVoteMembersMax, 60000)).ok());
  // Votes cast summing past INT_MAX are more than attended, not a small negative number.
  const absl::Status cast = ValidateAdoptingVote(Vote(100, 90, 2147483647, 2147483647, 2));
  EXPECT_EQ(cast.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(cast.message(), "vote.in_favour: ")) << cast;
}

// Every refusal of the numbers names its field, so that the gateway can mark it.
TEST(AdoptingVoteTest, RefusalsNameTheirField) {
  const std::vector<std::pair<VoteRecord, std::string>> cases = {
      {Vote(0, 0, 0), "vote.members: "},       {Vote(10, 11, 9), "vote.attending: "},
      {Vote(10, -1, 0), "vote.attending: "},   {Vote(10, 9, -1), "vote.in_favour: "},
      {Vote(10, 9, 8, -1), "vote.against: "},  {Vote(10, 9, 8, 0, -1), "vote.abstain: "},
      {Vote(10, 9, 8, 2), "vote.in_favour: "}, {{"", 10, 9, 8, 0, 0}, "vote.meeting_date: "}};
  for (const auto& [vote, field] : cases) {
    const absl::Status refused = ValidateAdoptingVote(vote);
    EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument) << field;
    EXPECT_TRUE(absl::StartsWith(refused.message(), field)) << refused;
  }
}

RuleItemSpec Item(const std::string& code, int64_t points) {
  RuleItemSpec item;
  item.code = code;
  item.name = "宅前屋后整洁";
  item.category = 1;
  item.scope = 1;
  item.points = points;
  item.cap_points_per_period = 20;
  item.allowed_roles = {"grid_worker"};
  return item;
}

TEST(RuleItemTest, ValidatesEachField) {
  EXPECT_TRUE(ValidateRuleItem(Item("HJ-01", 5)).ok());
  EXPECT_FALSE(ValidateRuleItem(Item("hj-01", 5)).ok());
  EXPECT_FALSE(ValidateRuleItem(Item("H", 5)).ok());
  EXPECT_FALSE(ValidateRuleItem(Item("HJ-01", 0)).ok());
  EXPECT_FALSE(ValidateRuleItem(Item("HJ-01", 25)).ok());  // cap below one occurrence
  RuleItemSpec unknown_role = Item("HJ-01", 5);
  unknown_role.allowed_roles = {"mayor"};
  EXPECT_FALSE(ValidateRuleItem(unknown_role).ok());
  RuleItemSpec no_category = Item("HJ-01", 5);
  no_category.category = 0;
  EXPECT_FALSE(ValidateRuleItem(no_category).ok());
}

TEST(RuleItemTest, ARoleIsListedOnce) {
  RuleItemSpec twice = Item("HJ-01", 5);
  twice.allowed_roles = {"village_admin", "grid_worker", "village_admin"};
  const absl::Status refused = ValidateRuleItem(twice);
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(refused.message(), "item.allowed_roles: ")) << refused;
}

// The name column holds 100 characters, whatever their bytes.
TEST(RuleItemTest, TheNameIsOneToAHundredCharactersNotBlank) {
  RuleItemSpec item = Item("HJ-01", 5);
  item.name.clear();
  for (int i = 0; i < 100; ++i) item.name += "整";
  EXPECT_TRUE(ValidateRuleItem(item).ok());
  item.name += "整";
  EXPECT_EQ(ValidateRuleItem(item).code(), absl::StatusCode::kInvalidArgument);
  item.name = std::string(101, 'a');
  EXPECT_EQ(ValidateRuleItem(item).code(), absl::StatusCode::kInvalidArgument);
  item.name = "\xE3\x80\x80\xE3\x80\x80";
  EXPECT_EQ(ValidateRuleItem(item).code(), absl::StatusCode::kInvalidArgument);
}

TEST(RulebookDiffTest, ListsAddedRemovedAndChangedByCode) {
  const std::vector<RuleItemSpec> template_items = {Item("A-01", 5), Item("B-01", -5),
                                                    Item("C-01", 3)};
  std::vector<RuleItemSpec> village_items = {Item("A-01", 5), Item("C-01", 4), Item("TS-01", 10)};
  const RulebookDiff diff = DiffRulebooks(template_items, village_items);
  ASSERT_EQ(diff.added.size(), 1u);
  EXPECT_EQ(diff.added[0].code, "TS-01");
  ASSERT_EQ(diff.removed.size(), 1u);
  EXPECT_EQ(diff.removed[0].code, "B-01");
  ASSERT_EQ(diff.changed.size(), 1u);
  EXPECT_EQ(diff.changed[0].template_item.points, 3);
  EXPECT_EQ(diff.changed[0].village_item.points, 4);
}

// The roles are a set: listing them in another order changes nothing in the item.
TEST(RulebookDiffTest, RolesInAnotherOrderAreNoChange) {
  RuleItemSpec template_item = Item("A-01", 5);
  template_item.allowed_roles = {"grid_worker", "assessor"};
  RuleItemSpec reordered = template_item;
  reordered.allowed_roles = {"assessor", "grid_worker"};
  EXPECT_TRUE(DiffRulebooks({template_item}, {reordered}).changed.empty());
  RuleItemSpec narrowed = template_item;
  narrowed.allowed_roles = {"assessor"};
  EXPECT_EQ(DiffRulebooks({template_item}, {narrowed}).changed.size(), 1u);
}

}  // namespace
TEST(NewVersionStartTest, AReplacementStartsFromTodayAndAfterEveryScoredDeed) {
  // A first rulebook may reach back: nothing was scored before it.
  EXPECT_TRUE(CheckNewVersionStart("2026-01-01", false, "2026-11-30", "").ok());
  EXPECT_TRUE(CheckNewVersionStart("2026-11-30", true, "2026-11-30", "").ok());
  EXPECT_TRUE(CheckNewVersionStart("2026-12-01", true, "2026-11-30", "2026-11-30").ok());
  for (const auto& [start, last_scored] :
       std::vector<std::pair<std::string, std::string>>{{"2026-06-01", ""},
                                                        {"2026-11-29", ""},
                                                        {"2026-11-30", "2026-11-30"}}) {
    const absl::Status refused = CheckNewVersionStart(start, true, "2026-11-30", last_scored);
    EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << start;
    EXPECT_TRUE(absl::StartsWith(refused.message(), "EFFECTIVE_DATE_IN_PAST: effective_from:"))
        << refused;
  }
}

}  // namespace jifen::scoring
