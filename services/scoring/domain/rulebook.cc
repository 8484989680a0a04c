#include "services/scoring/domain/rulebook.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/text/text.h"

namespace jifen::scoring {
namespace {

constexpr absl::string_view kScoringRoles[] = {"grid_worker", "assessor", "village_admin",
                                               "resident"};

bool IsValidCode(absl::string_view code) {
  if (code.size() < 2 || code.size() > 32) return false;
  return std::all_of(code.begin(), code.end(), [](char c) {
    return absl::ascii_isupper(c) || absl::ascii_isdigit(c) || c == '-';
  });
}

}  // namespace

bool RuleItemSpec::AllowsRole(absl::string_view role) const {
  return std::find(allowed_roles.begin(), allowed_roles.end(), role) != allowed_roles.end();
}

bool RuleItemSpec::operator==(const RuleItemSpec& other) const {
  return code == other.code && name == other.name && category == other.category &&
         scope == other.scope && points == other.points &&
         cap_points_per_period == other.cap_points_per_period &&
         photo_required == other.photo_required &&
         // A set: the same roles in another order are the same item.
         std::set<std::string>(allowed_roles.begin(), allowed_roles.end()) ==
             std::set<std::string>(other.allowed_roles.begin(), other.allowed_roles.end());
}

absl::Status ValidateRuleItem(const RuleItemSpec& item) {
  if (!IsValidCode(item.code)) {
    return absl::InvalidArgumentError(
        absl::StrCat("item.code: \"", item.code, "\" must be 2-32 characters of A-Z, 0-9 and '-'"));
  }
  // The column holds 100 characters: 101 ASCII ones passed a 300-byte check to a database
  // refusal, and a name of spaces (full-width ones included) names nothing.
  const int name_characters = text::Utf8Length(item.name);
  if (text::IsBlank(item.name) || name_characters < 0 || name_characters > 100) {
    return absl::InvalidArgumentError("item.name must be 1-100 characters, not blank");
  }
  if (item.category < kCategoryMin || item.category > kCategoryMax) {
    return absl::InvalidArgumentError("item.category must be set");
  }
  if (item.scope < kScopeMin || item.scope > kScopeMax) {
    return absl::InvalidArgumentError("item.scope must be set");
  }
  if (item.points == 0 || item.points > 1000 || item.points < -1000) {
    return absl::InvalidArgumentError(
        "item.points must be an award (1..1000) or a deduction (-1..-1000)");
  }
  if (item.cap_points_per_period < 0) {
    return absl::InvalidArgumentError("item.cap_points_per_period must be 0 (no cap) or more");
  }
  if (item.cap_points_per_period != 0 &&
      item.cap_points_per_period < (item.points < 0 ? -item.points : item.points)) {
    return absl::InvalidArgumentError(
        "item.cap_points_per_period is below one occurrence's points");
  }
  if (item.allowed_roles.empty()) {
    return absl::InvalidArgumentError("item.allowed_roles must name at least one role");
  }
  std::set<absl::string_view> seen;
  for (const std::string& role : item.allowed_roles) {
    if (std::find(std::begin(kScoringRoles), std::end(kScoringRoles), role) ==
        std::end(kScoringRoles)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "item.allowed_roles: \"", role, "\" is not one of grid_worker, assessor, "
          "village_admin, resident"));
    }
    if (!seen.insert(role).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("item.allowed_roles: \"", role, "\" is listed twice"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateAdoptingVote(const VoteRecord& vote) {
  if (vote.meeting_date.empty()) return absl::InvalidArgumentError("vote.meeting_date: required");
  if (vote.members <= 0 || vote.members > kVoteMembersMax) {
    return absl::InvalidArgumentError(absl::StrCat(
        "vote.members: ", vote.members, " representatives; must be 1..", kVoteMembersMax));
  }
  // Each count is checked on its own before any sum, and the sums are taken in int64_t: counts
  // near INT_MAX wrapped around in int and passed (members 1073741824, one attending).
  const std::pair<const char*, int> counts[] = {{"vote.attending", vote.attending},
                                                {"vote.in_favour", vote.in_favour},
                                                {"vote.against", vote.against},
                                                {"vote.abstain", vote.abstain}};
  for (const auto& [field, count] : counts) {
    if (count < 0) return absl::InvalidArgumentError(absl::StrCat(field, ": must not be negative"));
  }
  const int64_t members = vote.members;
  const int64_t attending = vote.attending;
  if (attending > members) {
    return absl::InvalidArgumentError(
        absl::StrCat("vote.attending: ", attending, " exceeds vote.members (", members, ")"));
  }
  const int64_t cast = int64_t{vote.in_favour} + vote.against + vote.abstain;
  if (cast > attending) {
    return absl::InvalidArgumentError(
        absl::StrCat("vote.in_favour: votes cast (in favour + against + abstain = ", cast,
                     ") exceed vote.attending (", attending, ")"));
  }
  // Strict inequalities, in integers: "more than two thirds" and "more than half".
  if (attending * 3 <= members * 2) {
    return absl::FailedPreconditionError(
        absl::StrCat("VOTE_INVALID: meeting not quorate: ", attending, " of ", members,
                     " representatives attended; more than two thirds must attend"));
  }
  if (int64_t{vote.in_favour} * 2 <= attending) {
    return absl::FailedPreconditionError(
        absl::StrCat("VOTE_INVALID: not adopted: ", vote.in_favour, " of ", attending,
                     " attending voted in favour; more than half is required"));
  }
  return absl::OkStatus();
}

RulebookDiff DiffRulebooks(const std::vector<RuleItemSpec>& template_items,
                           const std::vector<RuleItemSpec>& village_items) {
  std::map<std::string, const RuleItemSpec*> by_code;
  for (const RuleItemSpec& item : template_items) by_code[item.code] = &item;
  std::map<std::string, const RuleItemSpec*> village_by_code;
  for (const RuleItemSpec& item : village_items) village_by_code[item.code] = &item;

  RulebookDiff diff;
  for (const auto& [code, item] : village_by_code) {
    auto it = by_code.find(code);
    if (it == by_code.end()) {
      diff.added.push_back(*item);
    } else if (!(*it->second == *item)) {
      diff.changed.push_back({*it->second, *item});
    }
  }
  for (const auto& [code, item] : by_code) {
    if (village_by_code.count(code) == 0) diff.removed.push_back(*item);
  }
  return diff;
}

absl::Status CheckNewVersionStart(const std::string& effective_from, bool replaces_published,
                                  const std::string& today, const std::string& last_scored_day) {
  if (!replaces_published) return absl::OkStatus();
  if (effective_from < today) {
    return absl::FailedPreconditionError(absl::StrCat(
        "EFFECTIVE_DATE_IN_PAST: effective_from: a rulebook is in force already; a new version "
        "takes effect from today (",
        today, ") or later, not ", effective_from));
  }
  if (!last_scored_day.empty() && effective_from <= last_scored_day) {
    return absl::FailedPreconditionError(absl::StrCat(
        "EFFECTIVE_DATE_IN_PAST: effective_from: deeds of ", last_scored_day,
        " are scored under the rulebook in force; a new version takes effect after that day"));
  }
  return absl::OkStatus();
}

}  // namespace jifen::scoring
