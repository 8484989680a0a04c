// Automatic checks over the audit trail: facts are read from the trail records services report,
// the anomaly rules run over them, the chain is verified, and new flags are stored for review.
//
// Facts taken from trail records ("key=value" or JSON "\"key\":value" inside `after`; the
// producers' side of the convention is record_facts.h). What each service writes today:
//   - scoring, object_type "inspection" action "submit_inspection"
//     (services/scoring/storage/mysql_inspections.cc) and object_type "declaration" action
//     "approve_declaration" (mysql_declarations.cc): a ScoreEvent by actor_user_id with
//     household, points, steward and photo digests (FormatAward);
//   - publicity, object_type "window" (actions "window.open", "window.extend", "window.close",
//     "window.settle"; services/publicity): `ends_at_ms=` gives the window's closing time for
//     CloseBursts;
//   - redemption, object_type "order" action "confirm" (services/redemption/storage): one
//     redemption. Reservations ("reserve") are not redemptions yet; later steps of the same order
//     ("request_cancel", "cancel", "fulfil") are not counted again.
// The older convention stays accepted (tests and any producer still writing it): object_type
// "ledger_entry" or "inspection" with action "create" is a ScoreEvent (points default 1, household
// from `household_id`), object_type "order" with action "create" a redemption.
// A state longer than 512 bytes reaches the trail as "sha256:<hex>" and yields no facts beyond
// who, what and when.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/audit/domain/anomaly.h"
#include "services/audit/domain/chain.h"
#include "services/audit/domain/trail.h"

namespace jifen::audit {

// A publicity window's closing time as a window record states it.
struct WindowClose {
  std::string evidence;  // "audit:<seq>" of the record that stated it
  int64_t village_id = 0;
  std::string period;    // the window's quarter, from its object id "window/<period>"
  int64_t ends_at_ms = 0;
};

struct Facts {
  std::vector<ScoreEvent> scores;
  std::vector<RedemptionEvent> redemptions;
  std::vector<WindowClose> window_closes;  // one per window record; several per window
};

// Adds what `record` tells (if anything) to `facts`.
void ExtractFacts(const TrailRecord& record, Facts& facts);

// Values of `key` in `text`, from "key=value" (value up to a space, ',' or ';') or "\"key\":value"
// (a number or a quoted string) forms; in order of appearance.
std::vector<std::string> FindValues(absl::string_view text, absl::string_view key);

struct CheckRun {
  int64_t records_examined = 0;
  std::vector<FlagDraft> flags;
};

// Verifies the chain and runs the rules over every record after `after_sequence`:
// PeerOutliers, SharedPhotos, SelfAwards (the steward named on each award), CloseBursts (once per
// window closing time found, the window's record added to the evidence) and RedemptionSpikes.
absl::StatusOr<CheckRun> RunChecks(TrailRepository& trail, const Hasher& hasher,
                                   int64_t after_sequence);

}  // namespace jifen::audit
