// Automatic checks over the audit trail: facts are read from the trail records services report,
// the anomaly rules run over them, the chain is verified, and new flags are stored for review.
//
// Facts taken from trail records (the reporting services' convention; "key=value" or JSON
// "\"key\":value" inside `after`):
//   - object_type "ledger_entry" or "inspection", action "create": a ScoreEvent by actor_user_id,
//     points from `points` (default 1: a count), household from `household_id`, photos from
//     `photo` (repeatable);
//   - object_type "order", action "create": a RedemptionEvent.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/audit/domain/anomaly.h"
#include "services/audit/domain/chain.h"
#include "services/audit/domain/trail.h"

namespace jifen::audit {

struct Facts {
  std::vector<ScoreEvent> scores;
  std::vector<RedemptionEvent> redemptions;
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

// Verifies the chain and runs the rules over every record after `after_sequence`.
absl::StatusOr<CheckRun> RunChecks(TrailRepository& trail, const Hasher& hasher,
                                   int64_t after_sequence);

}  // namespace jifen::audit
