// Writes a batch of inspections in the caller's transaction with a fixed number of statements,
// however many inspections and villages it holds: the village heads locked, the context of every
// inspection read, the new entries, period scores, chain heads, inspection rows and audit records
// each written by one multi-row statement (rows passed as one JSON parameter and expanded by
// JSON_TABLE, so every statement stays prepared and cached).
//
// Each inspection is judged as if it were written alone, after the ones before it in the batch:
// a retry gets the stored answer, a refusal writes nothing for that inspection only, and caps count
// what earlier inspections of the batch scored.
#pragma once

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "jifen/scoring/v1/assessment.pb.h"
#include "services/scoring/storage/inspection_queue.h"
#include "services/scoring/storage/ledger_sequencer.h"
#include "services/scoring/storage/mysql_rulebooks.h"

namespace sql {
class Connection;
}

namespace jifen::scoring {

using InspectionOutcome = absl::StatusOr<v1::SubmitInspectionResponse>;

// On OK, (*outcomes)[k] is the answer to batch[k] (an error for a refused inspection), and the
// caller commits. Any other status means the transaction must roll back: nothing is decided.
absl::Status WriteInspectionBatch(sql::Connection& connection, PublishedRulebookCache& rulebooks,
                                  const std::vector<QueuedInspection*>& batch,
                                  LedgerSequencer::Ticket& ticket,
                                  std::vector<InspectionOutcome>* outcomes);

}  // namespace jifen::scoring
