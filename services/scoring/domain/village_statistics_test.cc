#include "services/scoring/domain/village_statistics.h"

#include "gtest/gtest.h"

namespace jifen::scoring {
namespace {

VoteRecord Vote(int members, int attending, int in_favour) {
  return VoteRecord{"2025-01-05", members, attending, in_favour, attending - in_favour, 0};
}

TEST(RulebookStatusOf, NoRulebookSaysSo) {
  const RulebookStatusFacts status = RulebookStatusOf({});
  EXPECT_FALSE(status.published);
  EXPECT_EQ(status.version, 0);
  EXPECT_EQ(status.vote_problem, "the village has no rulebook for this year");
}

TEST(RulebookStatusOf, NewestPublishedVersionWinsOverANewerDraft) {
  const RulebookStatusFacts status = RulebookStatusOf({{1, true, "2025-01-01", Vote(30, 25, 20)},
                                                       {3, false, "2025-09-01", std::nullopt},
                                                       {2, true, "2025-06-01", Vote(30, 21, 15)}});
  EXPECT_TRUE(status.published);
  EXPECT_EQ(status.version, 2);
  EXPECT_EQ(status.effective_from, "2025-06-01");
  EXPECT_TRUE(status.vote_valid);
  EXPECT_EQ(status.vote_problem, "");
}

TEST(RulebookStatusOf, DraftWithoutQuorumExplainsTheVote) {
  // 20 of 30 attending is exactly 2/3, not more: art. 26 is not met.
  const RulebookStatusFacts status = RulebookStatusOf({{1, false, "2025-01-01", Vote(30, 20, 15)}});
  EXPECT_FALSE(status.published);
  EXPECT_TRUE(status.vote_recorded);
  EXPECT_FALSE(status.vote_valid);
  EXPECT_NE(status.vote_problem.find("VOTE_INVALID"), std::string::npos) << status.vote_problem;
}

TEST(RulebookStatusOf, DraftWithoutVote) {
  const RulebookStatusFacts status = RulebookStatusOf({{1, false, "2025-01-01", std::nullopt}});
  EXPECT_FALSE(status.vote_recorded);
  EXPECT_FALSE(status.vote_valid);
  EXPECT_FALSE(status.vote_problem.empty());
}

TEST(PointsBuckets, EdgesAreFixed) {
  EXPECT_EQ(PointsBucketOf(-1), 0);
  EXPECT_EQ(PointsBucketOf(0), 1);
  EXPECT_EQ(PointsBucketOf(1), 2);
  EXPECT_EQ(PointsBucketOf(49), 2);
  EXPECT_EQ(PointsBucketOf(50), 3);
  EXPECT_EQ(PointsBucketOf(199), 4);
  EXPECT_EQ(PointsBucketOf(200), 5);
  EXPECT_STREQ(PointsBucketLabel(5), ">=200");
}

TEST(NeverScoredHouseholds, CountsAllAndListsTheFirstFew) {
  const NeverScored never = NeverScoredHouseholds({1, 2, 3, 4, 5, 6}, {2, 5}, 3);
  EXPECT_EQ(never.count, 4);
  EXPECT_EQ(never.first_ids, (std::vector<int64_t>{1, 3, 4}));
}

TEST(RegisteredBefore, AQuarterCountsOnlyTheHouseholdsRegisteredBeforeItEnded) {
  const std::vector<RegisteredHousehold> households = {{1, 100}, {2, 500}, {3, 999}, {4, 1000}};
  EXPECT_EQ(RegisteredBefore(households, 1000), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(RegisteredBefore(households, 100), (std::vector<int64_t>{}));
  EXPECT_EQ(RegisteredBefore(households, 2000), (std::vector<int64_t>{1, 2, 3, 4}));
}

}  // namespace
}  // namespace jifen::scoring
