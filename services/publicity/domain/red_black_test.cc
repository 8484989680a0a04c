#include "services/publicity/domain/red_black.h"

#include "gtest/gtest.h"

namespace jifen::publicity {
namespace {

TEST(RedBlackTest, RedIsTopNAboveTheMinimumBlackByPointsOrCategory) {
  ListRules rules;
  rules.village_id = 1;
  rules.red_top_n = 3;
  rules.red_min_points = 10;
  rules.black_max_points = -5;
  rules.black_categories = {"garbage_sorting"};
  std::vector<RankedRow> board = {{1, 30, 0}, {2, 12, 0}, {3, 9, 0}, {4, 20, 0},
                                  {5, -8, 0}, {6, 2, 0},  {7, -5, 0}};
  absl::flat_hash_map<std::string, absl::flat_hash_map<int64_t, int64_t>> deductions;
  deductions["garbage_sorting"][6] = -2;
  deductions["garbage_sorting"][2] = 0;  // reversed: no longer a deduction
  const Lists lists = ComputeLists(rules, board, deductions);
  ASSERT_EQ(lists.red.size(), 3u);
  EXPECT_EQ(lists.red[0].household_id, 1);
  EXPECT_EQ(lists.red[1].household_id, 4);
  EXPECT_EQ(lists.red[2].household_id, 2);
  ASSERT_EQ(lists.black.size(), 3u);
  EXPECT_EQ(lists.black[0].row.household_id, 5);
  EXPECT_EQ(lists.black[0].reasons, std::vector<std::string>{"points"});
  EXPECT_EQ(lists.black[1].row.household_id, 7);
  EXPECT_EQ(lists.black[2].row.household_id, 6);
  EXPECT_EQ(lists.black[2].reasons, std::vector<std::string>{"garbage_sorting"});
}

TEST(RedBlackTest, ReasonsReadInChineseOnTheBoard) {
  ListRules rules;
  rules.black_max_points = -20;
  EXPECT_EQ(ReasonLabel("points", rules), "季度积分不高于-20分");
  EXPECT_EQ(ReasonLabel("garbage_sorting", rules), "垃圾分类扣分");
  EXPECT_EQ(ReasonLabel("rental_housing", rules), "房屋出租扣分");
  EXPECT_EQ(ReasonLabel("a_village_word", rules), "a_village_word");
}

TEST(RedBlackTest, RulesAreValidated) {
  ListRules rules;
  EXPECT_FALSE(ValidateListRules(rules).ok());  // no village
  rules.village_id = 1;
  EXPECT_TRUE(ValidateListRules(rules).ok());
  rules.red_top_n = 101;
  EXPECT_EQ(ValidateListRules(rules).code(), absl::StatusCode::kInvalidArgument);
  rules.red_top_n = 10;
  rules.black_categories = {""};
  EXPECT_EQ(ValidateListRules(rules).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace jifen::publicity
