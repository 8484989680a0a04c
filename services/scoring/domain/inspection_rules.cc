#include "services/scoring/domain/inspection_rules.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/text/text.h"
#include "services/scoring/domain/period.h"
#include "services/scoring/domain/photo_refs.h"
#include "services/scoring/domain/registry_privacy.h"

namespace jifen::scoring {

const char* CategoryName(int category) {
  switch (category) {
    case 1: return "living_environment";
    case 2: return "changing_customs";
    case 3: return "garbage_sorting";
    case 4: return "rental_housing";
    case 5: return "safety";
    case 6: return "volunteer_service";
    case 7: return "village_specific";
    default: return "unspecified";
  }
}

absl::Status ValidateClientId(absl::string_view field, absl::string_view id) {
  const bool charset_ok = std::all_of(id.begin(), id.end(), [](char c) {
    return absl::ascii_isalnum(c) || c == '-' || c == '_';
  });
  if (id.size() < 8 || id.size() > 64 || !charset_ok) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must be 8-64 characters of letters, digits, '-' or '_' (a UUID)"));
  }
  return absl::OkStatus();
}

absl::Status ValidateOccurredAt(int64_t occurred_at_ms, absl::Time now) {
  if (occurred_at_ms <= 0) {
    return absl::InvalidArgumentError("occurred_at_ms is required (Unix milliseconds)");
  }
  const absl::Time occurred_at = absl::FromUnixMillis(occurred_at_ms);
  const int year = YearOf(occurred_at);
  if (occurred_at > now + kOccurredAtSkewMax) {
    // The year says what went wrong: 58882 is microseconds, 2031 a date typed wrong.
    return absl::InvalidArgumentError(
        absl::StrCat("OCCURRED_IN_FUTURE: occurred_at_ms: ", occurred_at_ms,
                     " lies in the future (in the year ", year, "); Unix milliseconds expected"));
  }
  if (year < kFirstPeriodYear) {
    return absl::InvalidArgumentError(absl::StrCat(
        "occurred_at_ms: ", occurred_at_ms, " is in the year ", year, ", before any score period (",
        kFirstPeriodYear, "Q1); Unix milliseconds expected"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<NewEntry>> PlanInspectionEntries(
    const InspectionInput& input, const std::map<std::string, RuleItemSpec>& items,
    const std::map<std::string, int64_t>& scored_so_far, absl::Time now) {
  if (absl::Status id = ValidateClientId("inspection_id", input.inspection_id); !id.ok()) return id;
  if (input.outcomes.empty()) {
    return absl::InvalidArgumentError("outcomes must name at least one rule item");
  }
  if (absl::Status when = ValidateOccurredAt(absl::ToUnixMillis(input.occurred_at), now);
      !when.ok()) {
    return when;
  }
  const std::string period = PeriodOf(input.occurred_at);
  std::set<std::string> seen;
  std::vector<NewEntry> entries;
  for (size_t k = 0; k < input.outcomes.size(); ++k) {
    const OutcomeInput& outcome = input.outcomes[k];
    if (absl::Status photos =
            ValidatePhotoRefs(outcome.photo_refs, absl::StrCat("outcomes[", k, "].photo_refs"));
        !photos.ok()) {
      return photos;
    }
    if (!seen.insert(outcome.item_code).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("item ", outcome.item_code, " appears twice in one inspection"));
    }
    const auto item_it = items.find(outcome.item_code);
    if (item_it == items.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "UNKNOWN_ITEM: item \"", outcome.item_code, "\" is not in the rulebook in force on ",
          FormatDate(input.occurred_at)));
    }
    const RuleItemSpec& item = item_it->second;
    if (!item.AllowsRole(input.actor_role)) {
      return absl::PermissionDeniedError(absl::StrCat(
          "ROLE_NOT_ALLOWED: ", input.actor_role, " may not score item ", item.code));
    }
    if (item.photo_required && outcome.photo_refs.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("PHOTO_REQUIRED: item ", item.code, " (", item.name, ") needs a photo"));
    }
    if (item.category == kCategoryRentalHousing && !input.household.rents_out_rooms) {
      return absl::FailedPreconditionError(absl::StrCat(
          "NOT_APPLICABLE: item ", item.code, " applies only to households renting out rooms"));
    }
    const int64_t magnitude = item.points < 0 ? -item.points : item.points;
    const auto so_far = scored_so_far.find(item.code);
    const int64_t already = so_far == scored_so_far.end() ? 0 : so_far->second;
    if (item.cap_points_per_period > 0 && already + magnitude > item.cap_points_per_period) {
      return absl::FailedPreconditionError(absl::StrCat(
          "CAP_EXCEEDED: item ", item.code, " has moved ", already, " of its ",
          item.cap_points_per_period, " points for this household in ", period));
    }

    NewEntry entry;
    entry.village_id = input.household.village_id;
    entry.household_id = input.household.household_id;
    entry.group_id = input.household.group_id;
    entry.account = Account::kScore;
    entry.points = item.points;
    entry.period = period;
    entry.item_code = item.code;
    entry.category = CategoryName(item.category);
    // A note of spaces (the full-width ones too) adds nothing to the reason the household reads.
    entry.reason = text::IsBlank(outcome.note) ? item.name
                                               : absl::StrCat(item.name, ": ", outcome.note);
    if (Utf8Length(entry.reason) > kReasonMaxCharacters) {
      const int room = kReasonMaxCharacters - Utf8Length(item.name) - 2;
      return absl::InvalidArgumentError(absl::StrCat("NOTE_TOO_LONG: the note on item ", item.code,
                                                     " may have at most ", std::max(room, 0),
                                                     " characters"));
    }
    entry.source = EntrySource::kInspection;
    entry.source_id = input.inspection_id;
    entry.actor_user_id = input.actor_user_id;
    entry.actor_role = input.actor_role;
    entry.occurred_at_ms = absl::ToUnixMillis(input.occurred_at);
    entries.push_back(std::move(entry));
  }
  return entries;
}

}  // namespace jifen::scoring
