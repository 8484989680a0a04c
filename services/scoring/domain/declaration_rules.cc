#include "services/scoring/domain/declaration_rules.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "common/text/text.h"
#include "services/scoring/domain/inspection_rules.h"
#include "services/scoring/domain/period.h"
#include "services/scoring/domain/photo_refs.h"
#include "services/scoring/domain/registry_privacy.h"

namespace jifen::scoring {
namespace {

// The item of the declaration and whether the household may declare it (shared by submission and
// approval).
absl::StatusOr<RuleItemSpec> DeclarableItem(const DeclarationInput& input,
                                            const std::map<std::string, RuleItemSpec>& items) {
  const auto item_it = items.find(input.item_code);
  if (item_it == items.end()) {
    return absl::InvalidArgumentError(absl::StrCat("UNKNOWN_ITEM: item \"", input.item_code,
                                                   "\" is not in the rulebook in force on ",
                                                   FormatDate(input.occurred_at)));
  }
  const RuleItemSpec& item = item_it->second;
  if (!item.AllowsRole(kDeclarantRole)) {
    // Not a refusal of the resident (no resident may declare it): the request names the wrong
    // item, so the form can point at item_code.
    return absl::InvalidArgumentError(
        absl::StrCat("ITEM_NOT_DECLARABLE: item_code: item ", item.code, " (", item.name,
                     ") cannot be self-declared; it is scored by inspection"));
  }
  if (item.photo_required && input.photo_refs.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("PHOTO_REQUIRED: item ", item.code, " (", item.name, ") needs a photo"));
  }
  if (item.category == kCategoryRentalHousing && !input.household.rents_out_rooms) {
    return absl::FailedPreconditionError(absl::StrCat(
        "NOT_APPLICABLE: item ", item.code, " applies only to households renting out rooms"));
  }
  return item;
}

}  // namespace

std::string DeclarationReason(absl::string_view item_name, absl::string_view note) {
  return text::IsBlank(note) ? absl::StrCat("自主申报: ", item_name)
                             : absl::StrCat("自主申报: ", item_name, ": ", note);
}

absl::Status CheckCanDeclare(const auth::Caller& caller, const HouseholdRecord& household) {
  if (caller.role != auth::Role::kResident) {
    return absl::PermissionDeniedError(
        absl::StrCat(auth::RoleName(caller.role), " may not file a self-declaration"));
  }
  if (caller.household_id == 0 || caller.household_id != household.household_id ||
      caller.village_id != household.village_id) {
    return absl::PermissionDeniedError("a resident may declare only for their own household");
  }
  return absl::OkStatus();
}

absl::Status ValidateDeclaration(const DeclarationInput& input,
                                 const std::map<std::string, RuleItemSpec>& items, absl::Time now) {
  if (absl::Status id = ValidateClientId("declaration_id", input.declaration_id); !id.ok()) {
    return id;
  }
  if (absl::Status when = ValidateOccurredAt(absl::ToUnixMillis(input.occurred_at), now);
      !when.ok()) {
    return when;
  }
  if (Utf8Length(input.note) < 0 || Utf8Length(input.note) > kMaxDeclarationText) {
    return absl::InvalidArgumentError(
        absl::StrCat("NOTE_TOO_LONG: note: at most ", kMaxDeclarationText, " characters"));
  }
  if (absl::Status photos = ValidatePhotoRefs(input.photo_refs, "photo_refs"); !photos.ok()) {
    return photos;
  }
  ASSIGN_OR_RETURN(const RuleItemSpec item, DeclarableItem(input, items));
  // The whole note reaches the household's ledger or the declaration is refused now, while the
  // resident can still shorten it: the approval must not cut it.
  const int room = kReasonMaxCharacters - Utf8Length(DeclarationReason(item.name, "")) - 2;
  if (!text::IsBlank(input.note) && Utf8Length(input.note) > room) {
    return absl::InvalidArgumentError(
        absl::StrCat("NOTE_TOO_LONG: note: at most ", std::max(room, 0), " characters for item ",
                     item.code, " (the ledger entry's reason holds ", kReasonMaxCharacters,
                     " characters and begins with the item's name), got ", Utf8Length(input.note)));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> PlanReview(DeclarationState current, bool approve, absl::string_view reason) {
  if (Utf8Length(reason) < 0 || Utf8Length(reason) > kMaxDeclarationText) {
    return absl::InvalidArgumentError(
        absl::StrCat("REASON_TOO_LONG: reason: at most ", kMaxDeclarationText, " characters"));
  }
  // The full-width space of a Chinese input method is as blank as an ASCII one.
  if (!approve && text::IsBlank(reason)) {
    return absl::InvalidArgumentError(
        "reason is required when rejecting: the household is told why");
  }
  switch (current) {
    case DeclarationState::kPending:
      return true;
    case DeclarationState::kApproved:
      if (approve) return false;
      return absl::FailedPreconditionError(
          "DECLARATION_REVIEWED: the declaration was approved and scored; correct its entry "
          "through an objection instead");
    case DeclarationState::kRejected:
      if (!approve) return false;
      // Nothing was scored: a code of its own, so that nobody is told it was.
      return absl::FailedPreconditionError(
          "DECLARATION_REJECTED: the declaration was rejected and nothing was scored; the "
          "household may declare again");
  }
  return absl::InternalError("unknown declaration state");
}

absl::StatusOr<NewEntry> PlanDeclarationEntry(const DeclarationInput& input,
                                              const std::map<std::string, RuleItemSpec>& items,
                                              const std::map<std::string, int64_t>& scored_so_far,
                                              const auth::Caller& reviewer) {
  absl::StatusOr<RuleItemSpec> declarable = DeclarableItem(input, items);
  if (!declarable.ok()) {
    if (declarable.status().code() == absl::StatusCode::kInvalidArgument &&
        items.find(input.item_code) == items.end()) {
      return absl::FailedPreconditionError(absl::StrCat("ITEM_GONE: item ", input.item_code,
                                                        " is not in the rulebook in force on ",
                                                        FormatDate(input.occurred_at)));
    }
    return declarable.status();
  }
  const RuleItemSpec& item = *declarable;
  const std::string period = PeriodOf(input.occurred_at);
  const int64_t magnitude = item.points < 0 ? -item.points : item.points;
  const auto so_far = scored_so_far.find(item.code);
  const int64_t already = so_far == scored_so_far.end() ? 0 : so_far->second;
  if (item.cap_points_per_period > 0 && already + magnitude > item.cap_points_per_period) {
    return absl::FailedPreconditionError(
        absl::StrCat("CAP_EXCEEDED: item ", item.code, " has moved ", already, " of its ",
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
  // Submission held the note to what fits with the item's name then. Only a version of the
  // rulebook published since, in force from the deed's day with a longer name, can leave less
  // room: the note is then shortened where the household sees it ("…"); the declaration keeps it
  // whole.
  entry.reason = DeclarationReason(item.name, input.note);
  if (Utf8Length(entry.reason) > kReasonMaxCharacters) {
    std::string shortened;
    int characters = Utf8Length(DeclarationReason(item.name, "")) + 2 + 1;  // ": " and "…"
    for (absl::string_view character : text::Utf8Characters(input.note)) {
      if (++characters > kReasonMaxCharacters) break;
      absl::StrAppend(&shortened, character);
    }
    entry.reason = DeclarationReason(item.name, absl::StrCat(shortened, "…"));
  }
  entry.source = EntrySource::kDeclaration;
  entry.source_id = input.declaration_id;
  entry.actor_user_id = reviewer.user_id;
  entry.actor_role = std::string(auth::RoleName(reviewer.role));
  entry.occurred_at_ms = absl::ToUnixMillis(input.occurred_at);
  return entry;
}

}  // namespace jifen::scoring
