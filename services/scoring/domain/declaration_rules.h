// Self-declarations (户户参与): a household declares a deed, a village admin approves (the entry is
// written then, caps checked then) or rejects it with a reason the household sees. Pure rules: who
// may declare, what a valid declaration is, which review transitions exist, and the entry an
// approval writes.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/auth/caller.h"
#include "services/scoring/domain/household.h"
#include "services/scoring/domain/ledger_entry.h"
#include "services/scoring/domain/rulebook.h"

namespace jifen::scoring {

// Numbering follows jifen.scoring.v1.DeclarationState.
enum class DeclarationState : int { kPending = 1, kApproved = 2, kRejected = 3 };

inline constexpr char kDeclarantRole[] = "resident";
inline constexpr int kMaxDeclarationText = 500;  // note and review reason, in characters

struct DeclarationInput {
  std::string declaration_id;
  HouseholdRecord household;
  std::string item_code;
  absl::Time occurred_at;
  std::vector<std::string> photo_refs;
  std::string note;
};

// The reason of the entry an approval writes, as the household reads it in the ledger:
// "自主申报: <item name>", then ": <note>" unless the note is blank. It must fit the ledger's
// reason column (kReasonMaxCharacters), which ValidateDeclaration holds the note to.
std::string DeclarationReason(absl::string_view item_name, absl::string_view note);

// PERMISSION_DENIED unless the caller is a resident of this very household.
absl::Status CheckCanDeclare(const auth::Caller& caller, const HouseholdRecord& household);

// What a declaration must be when submitted. `items` is the rulebook in force on the deed's date,
// by code. INVALID_ARGUMENT for a malformed id, an unknown item ("UNKNOWN_ITEM"), an item residents
// may not declare ("ITEM_NOT_DECLARABLE: item_code: ..."), a missing photo ("PHOTO_REQUIRED"),
// more than kMaxPhotosPerDeed photos ("TOO_MANY_PHOTOS: photo_refs: ..."), a deed in the future
// ("OCCURRED_IN_FUTURE: occurred_at_ms: ..."), a note over kMaxDeclarationText characters or too
// long to fit, with the item's name, the entry's reason ("NOTE_TOO_LONG: note: at most N ...");
// FAILED_PRECONDITION "NOT_APPLICABLE" for a rental item of a household renting nothing.
absl::Status ValidateDeclaration(const DeclarationInput& input,
                                 const std::map<std::string, RuleItemSpec>& items, absl::Time now);

// Whether a review changes anything. OK(true): apply it; OK(false): it is already so (approving
// an approved declaration, rejecting a rejected one), return the declaration unchanged.
// INVALID_ARGUMENT when rejecting without a reason, "REASON_TOO_LONG: reason: ..." for a reason
// over kMaxDeclarationText;
// FAILED_PRECONDITION "DECLARATION_REVIEWED" for rejecting an approved (and scored) one,
// "DECLARATION_REJECTED" for approving a rejected one.
absl::StatusOr<bool> PlanReview(DeclarationState current, bool approve, absl::string_view reason);

// The entry an approval writes: the item's points for the household in the deed's period, source
// DECLARATION, by the reviewing admin. `items` is the rulebook in force on the deed's date;
// `scored_so_far` what each item has already moved for the household in that period.
// FAILED_PRECONDITION "CAP_EXCEEDED" past the item's cap, "ITEM_GONE" when the item is no longer
// declarable in the rulebook in force; the validation errors of ValidateDeclaration otherwise.
absl::StatusOr<NewEntry> PlanDeclarationEntry(const DeclarationInput& input,
                                              const std::map<std::string, RuleItemSpec>& items,
                                              const std::map<std::string, int64_t>& scored_so_far,
                                              const auth::Caller& reviewer);

}  // namespace jifen::scoring
