#include "services/publicity/domain/red_black.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace jifen::publicity {

absl::Status ValidateListRules(const ListRules& rules) {
  if (rules.village_id <= 0) return absl::InvalidArgumentError("village_id is required");
  if (rules.red_top_n < 0 || rules.red_top_n > kRedTopNMax) {
    return absl::InvalidArgumentError(absl::StrCat("red_top_n must be 0..", kRedTopNMax));
  }
  if (rules.black_categories.size() > kBlackCategoriesMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("black_categories holds at most ", kBlackCategoriesMax));
  }
  for (const std::string& category : rules.black_categories) {
    if (category.empty() || category.size() > kCategoryLengthMax) {
      return absl::InvalidArgumentError(
          absl::StrCat("black_categories: each must be 1..", kCategoryLengthMax, " bytes"));
    }
  }
  return absl::OkStatus();
}

Lists ComputeLists(
    const ListRules& rules, std::vector<RankedRow> board,
    const absl::flat_hash_map<std::string, absl::flat_hash_map<int64_t, int64_t>>& net_deductions) {
  RankWholeBoard(board);
  Lists lists;
  for (const RankedRow& row : board) {
    if (static_cast<int32_t>(lists.red.size()) >= rules.red_top_n) break;
    if (row.points < rules.red_min_points) break;  // ranking order: nothing further qualifies
    lists.red.push_back(row);
  }
  // Lowest first: walk the board backwards, but keep household_id ascending within equal points.
  std::vector<RankedRow> lowest_first = board;
  std::stable_sort(lowest_first.begin(), lowest_first.end(),
                   [](const RankedRow& a, const RankedRow& b) {
                     if (a.points != b.points) return a.points < b.points;
                     return a.household_id < b.household_id;
                   });
  for (const RankedRow& row : lowest_first) {
    BlackListed listed{row, {}};
    if (row.points <= rules.black_max_points) listed.reasons.push_back("points");
    for (const std::string& category : rules.black_categories) {
      const auto by_category = net_deductions.find(category);
      if (by_category == net_deductions.end()) continue;
      const auto deduction = by_category->second.find(row.household_id);
      if (deduction != by_category->second.end() && deduction->second < 0) {
        listed.reasons.push_back(category);
      }
    }
    if (!listed.reasons.empty()) lists.black.push_back(std::move(listed));
  }
  return lists;
}

std::string ReasonLabel(const std::string& reason, const ListRules& rules) {
  if (reason == "points") {
    return absl::StrCat("季度积分不高于", rules.black_max_points, "分");
  }
  // The rulebook's categories (jifen.scoring.v1.Category), by the names scoring's entries carry.
  static const auto* const kCategoryNames = new absl::flat_hash_map<std::string, std::string>{
      {"living_environment", "人居环境"}, {"changing_customs", "移风易俗"},
      {"garbage_sorting", "垃圾分类"},    {"rental_housing", "房屋出租"},
      {"safety", "生产生活安全"},         {"volunteer_service", "志愿服务"},
      {"village_specific", "特色积分项目"}};
  const auto name = kCategoryNames->find(reason);
  if (name == kCategoryNames->end()) return reason;
  return absl::StrCat(name->second, "扣分");
}

}  // namespace jifen::publicity
