// Red and black lists (环境红黑榜) of a village's quarter, by the rules the village sets.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "services/publicity/domain/ranking.h"

namespace jifen::publicity {

struct ListRules {
  int64_t village_id = 0;
  int32_t red_top_n = 10;
  int64_t red_min_points = 1;
  int64_t black_max_points = -10;
  std::vector<std::string> black_categories;
};

inline constexpr int32_t kRedTopNMax = 100;
inline constexpr size_t kBlackCategoriesMax = 20;
inline constexpr size_t kCategoryLengthMax = 64;

// INVALID_ARGUMENT naming the field when a rule is out of range.
absl::Status ValidateListRules(const ListRules& rules);

struct BlackListed {
  RankedRow row;
  std::vector<std::string> reasons;  // "points" and/or category names, in rule order
};

// A black-list reason as the board shows it to villagers, in Chinese: "points" with the village's
// line ("季度积分不高于-10分"), a rulebook category by its name ("垃圾分类扣分"); an unknown
// category as it is.
std::string ReasonLabel(const std::string& reason, const ListRules& rules);

struct Lists {
  std::vector<RankedRow> red;      // ranking order
  std::vector<BlackListed> black;  // lowest points first, then household_id
};

// `board` is the whole quarter board (any order; ranks are recomputed). `net_deductions` maps
// category -> household -> net deduction points (< 0 means a deduction stands).
Lists ComputeLists(
    const ListRules& rules, std::vector<RankedRow> board,
    const absl::flat_hash_map<std::string, absl::flat_hash_map<int64_t, int64_t>>& net_deductions);

}  // namespace jifen::publicity
