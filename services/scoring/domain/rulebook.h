// Rulebook rules: what a valid item is, when an adoption vote is valid, and how a village rulebook
// differs from the district template.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace jifen::scoring {

// Numbering follows jifen.scoring.v1.Category / Scope.
inline constexpr int kCategoryMin = 1, kCategoryMax = 7;
inline constexpr int kCategoryRentalHousing = 4;
inline constexpr int kScopeMin = 1, kScopeMax = 5;

struct RuleItemSpec {
  std::string code;
  std::string name;
  int category = 0;
  int scope = 0;
  int64_t points = 0;
  int64_t cap_points_per_period = 0;  // 0: no cap
  bool photo_required = false;
  std::vector<std::string> allowed_roles;  // each once; the order carries no meaning

  bool AllowsRole(absl::string_view role) const;
  // Every field equal; allowed_roles compared as a set.
  bool operator==(const RuleItemSpec& other) const;
};

// A villagers' representatives' meeting (村民代表会议) has a few dozen members, a large village's
// a few hundred; anything beyond this is a typing error.
inline constexpr int kVoteMembersMax = 100000;

struct VoteRecord {
  std::string meeting_date;  // YYYY-MM-DD
  int members = 0;
  int attending = 0;
  int in_favour = 0;
  int against = 0;
  int abstain = 0;
};

// INVALID_ARGUMENT naming the field when the item is malformed (a role unknown or listed twice
// included).
absl::Status ValidateRuleItem(const RuleItemSpec& item);

// INVALID_ARGUMENT naming the field ("vote.members: ...") when the numbers are inconsistent
// (members not 1..kVoteMembersMax, a negative count, more attending than members, more votes than
// attendants). FAILED_PRECONDITION "VOTE_INVALID: ..." when the meeting was not quorate
// (attending must be more than 2/3 of members) or the rulebook was not adopted (in favour must be
// more than half of attending) — Organic Law of Villagers' Committees, art. 26.
absl::Status ValidateAdoptingVote(const VoteRecord& vote);

// Where a village already has a published rulebook (`replaces_published`), a new version takes
// effect no earlier than `today` (the day it is drafted or published, Shanghai) and after
// `last_scored_day` (the day of the village's latest deed already scored; "" when none): the
// rulebook in force on a date never changes for a deed scored under it, and no version reaches
// back to deeds done before the villagers adopted it. FAILED_PRECONDITION
// "EFFECTIVE_DATE_IN_PAST" otherwise. A village's first rulebook may start earlier: nothing was
// scored before it. Dates are "YYYY-MM-DD".
absl::Status CheckNewVersionStart(const std::string& effective_from, bool replaces_published,
                                  const std::string& today, const std::string& last_scored_day);

struct ItemChange {
  RuleItemSpec template_item;
  RuleItemSpec village_item;
};
struct RulebookDiff {
  std::vector<RuleItemSpec> added;
  std::vector<RuleItemSpec> removed;
  std::vector<ItemChange> changed;
};
// Items matched by code; each list ordered by code.
RulebookDiff DiffRulebooks(const std::vector<RuleItemSpec>& template_items,
                           const std::vector<RuleItemSpec>& village_items);

}  // namespace jifen::scoring
