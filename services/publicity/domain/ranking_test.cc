#include "services/publicity/domain/ranking.h"

#include "gtest/gtest.h"

namespace jifen::publicity {
namespace {

TEST(RankingTest, EqualPointsShareARankAndListByHouseholdId) {
  std::vector<RankedRow> rows = {{30, 5, 0}, {10, 9, 0}, {20, 5, 0}, {40, 1, 0}, {5, 5, 0}};
  RankWholeBoard(rows);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].household_id, 10);
  EXPECT_EQ(rows[0].rank, 1);
  EXPECT_EQ(rows[1].household_id, 5);
  EXPECT_EQ(rows[1].rank, 2);
  EXPECT_EQ(rows[2].household_id, 20);
  EXPECT_EQ(rows[2].rank, 2);
  EXPECT_EQ(rows[3].household_id, 30);
  EXPECT_EQ(rows[3].rank, 2);
  EXPECT_EQ(rows[4].household_id, 40);
  EXPECT_EQ(rows[4].rank, 5);  // competition ranking: 1, 2, 2, 2, 5
}

TEST(RankingTest, APageInTheMiddleContinuesTheRanks) {
  // Positions 3.. of a board where two households score more than 7 and one more 7 precedes.
  std::vector<RankedRow> page = {{21, 7, 0}, {22, 7, 0}, {23, 4, 0}};
  AssignRanks(page, /*first_position=*/3, /*households_above_first=*/2);
  EXPECT_EQ(page[0].rank, 3);
  EXPECT_EQ(page[1].rank, 3);
  EXPECT_EQ(page[2].rank, 6);
}

}  // namespace
}  // namespace jifen::publicity
