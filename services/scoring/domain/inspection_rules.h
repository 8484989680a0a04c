// What an inspection scores: validated against the rulebook in force, the caller's role, caps and
// photo requirements, before anything is written.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/scoring/domain/household.h"
#include "services/scoring/domain/ledger_entry.h"
#include "services/scoring/domain/rulebook.h"

namespace jifen::scoring {

struct OutcomeInput {
  std::string item_code;
  std::vector<std::string> photo_refs;
  std::string note;
};

struct InspectionInput {
  std::string inspection_id;
  std::string actor_user_id;
  std::string actor_role;  // auth role name
  HouseholdRecord household;
  absl::Time occurred_at;
  std::vector<OutcomeInput> outcomes;
};

// The ledger's reason column: an entry's reason is the item's name, ": " and the note.
inline constexpr int kReasonMaxCharacters = 500;

// INVALID_ARGUMENT unless the id is 8..64 characters of [A-Za-z0-9_-].
absl::Status ValidateClientId(absl::string_view field, absl::string_view id);

// The clock skew a deed's time may be ahead of ours: a phone's clock runs a little fast.
inline constexpr absl::Duration kOccurredAtSkewMax = absl::Minutes(5);

// When a deed (inspection, declaration) happened, checked before anything is read, so that a time
// no rulebook could be in force on is refused for what it is and not as "no rulebook on
// 58882-12-20". INVALID_ARGUMENT naming occurred_at_ms: "occurred_at_ms is required" for <= 0;
// one before 2000 (seconds where milliseconds belong; no period before 2000Q1 exists);
// "OCCURRED_IN_FUTURE: occurred_at_ms: ..." for one after `now` + kOccurredAtSkewMax
// (microseconds where milliseconds belong, INT64_MAX, a date typed wrong).
absl::Status ValidateOccurredAt(int64_t occurred_at_ms, absl::Time now);

// The entries an inspection writes, one per outcome in request order. `items` is the rulebook in
// force on the deed's date, by code; `scored_so_far` the absolute points each item has already
// moved for this household in the deed's period. Errors (nothing is written):
// INVALID_ARGUMENT for an unknown or repeated item, a missing photo, a deed in the future
// ("OCCURRED_IN_FUTURE: occurred_at_ms: ..."), a note too long for the ledger's reason
// ("NOTE_TOO_LONG");
// PERMISSION_DENIED "ROLE_NOT_ALLOWED" for an item the caller's role may not score;
// FAILED_PRECONDITION "CAP_EXCEEDED" when an item's cap per period would be passed, and
// "NOT_APPLICABLE" for a rental item on a household that does not rent out rooms.
absl::StatusOr<std::vector<NewEntry>> PlanInspectionEntries(
    const InspectionInput& input, const std::map<std::string, RuleItemSpec>& items,
    const std::map<std::string, int64_t>& scored_so_far, absl::Time now);

}  // namespace jifen::scoring
