#include "services/publicity/domain/board_entry.h"

#include "gtest/gtest.h"

namespace jifen::publicity {
namespace {

BoardEntry Score(int64_t points, std::string category = "garbage_sorting", int64_t reverses = 0) {
  BoardEntry entry;
  entry.sequence = 9;
  entry.village_id = 1;
  entry.household_id = 7;
  entry.group_id = 2;
  entry.score_account = true;
  entry.points = points;
  entry.period = "2025Q3";
  entry.category = std::move(category);
  entry.reverses_sequence = reverses;
  return entry;
}

TEST(BoardEntryTest, AwardMovesBoardsButIsNoDeduction) {
  const BoardEffect effect = EffectOf(Score(5));
  EXPECT_TRUE(effect.moves_boards);
  EXPECT_EQ(effect.quarter, "2025Q3");
  EXPECT_EQ(effect.year, "2025");
  EXPECT_EQ(effect.points_delta, 5);
  EXPECT_EQ(effect.deduction_delta, 0);
}

TEST(BoardEntryTest, DeductionAndItsReversalCancelInTheCategory) {
  const BoardEffect deduction = EffectOf(Score(-3));
  EXPECT_EQ(deduction.deduction_delta, -3);
  EXPECT_EQ(deduction.category, "garbage_sorting");
  const BoardEffect reversal = EffectOf(Score(3, "garbage_sorting", 8));
  EXPECT_EQ(reversal.deduction_delta, 3);
  EXPECT_EQ(reversal.points_delta, 3);
}

TEST(BoardEntryTest, ReversalOfAnAwardIsNotADeduction) {
  const BoardEffect effect = EffectOf(Score(-5, "garbage_sorting", 8));
  EXPECT_EQ(effect.points_delta, -5);
  EXPECT_EQ(effect.deduction_delta, 0);
}

TEST(BoardEntryTest, WalletAndMalformedEntriesOnlyMoveTheCursor) {
  BoardEntry wallet = Score(10);
  wallet.score_account = false;
  EXPECT_FALSE(EffectOf(wallet).moves_boards);
  BoardEntry no_period = Score(10);
  no_period.period = "";
  EXPECT_FALSE(EffectOf(no_period).moves_boards);
}

}  // namespace
}  // namespace jifen::publicity
