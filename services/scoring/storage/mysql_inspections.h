// Inspections: validated against the rulebook in force and written with their ledger entries and
// audit record in one transaction. The client's inspection id makes retries free of effect.
// Inspections submitted at the same time are written together (group commit, inspection_queue.h).
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "common/auth/caller.h"
#include "common/mysql/connection_pool.h"
#include "jifen/scoring/v1/assessment.pb.h"
#include "services/scoring/domain/household.h"
#include "services/scoring/storage/inspection_batch.h"
#include "services/scoring/storage/inspection_queue.h"
#include "services/scoring/storage/mysql_ledger.h"
#include "services/scoring/storage/mysql_rulebooks.h"

namespace jifen::scoring {

struct GroupCommitOptions {
  // Writer threads; villages are spread over them. 0: every inspection is written alone, in its
  // own transaction, on the caller's thread.
  int writers = 2;
  int max_batch = 64;  // inspections written in one transaction at most
};

class MySqlInspections final {
 public:
  MySqlInspections(mysql::ConnectionPool& pool, MySqlLedger& ledger,
                   HouseholdDirectory& households, PublishedRulebookCache& rulebooks,
                   GroupCommitOptions group_commit = {});

  // The first answer for this inspection id (a retry gets it unchanged, nothing written);
  // ALREADY_EXISTS "INSPECTION_ID_REUSED" for the same id with another payload or author;
  // PERMISSION_DENIED for a household outside the caller's grid/team/village; the domain's
  // validation errors (inspection_rules.h); FAILED_PRECONDITION "PERIOD_FINAL" for a deed in a
  // settled period and "NO_RULEBOOK" when none is in force on the deed's date.
  //
  // The answer comes through `done`, called exactly once: at once for a request refused before
  // it is queued, otherwise on a writer thread after its batch. `request` must stay valid until
  // then. No thread waits meanwhile, so a burst of submissions needs no handler thread each.
  // With no writers (GroupCommitOptions::writers == 0) the inspection is written on this thread.
  void Submit(const auth::Caller& caller, const v1::SubmitInspectionRequest& request,
              std::function<void(InspectionOutcome)> done);

 private:
  // Writes the batch in one transaction; when that fails as a whole (say, an id met in another
  // village at the same moment), each is written alone so that one cannot fail the others.
  void WriteBatch(const std::vector<QueuedInspection*>& batch);
  absl::Status WriteTogether(const std::vector<QueuedInspection*>& batch,
                             std::vector<InspectionOutcome>* outcomes);

  mysql::ConnectionPool& pool_;
  MySqlLedger& ledger_;
  HouseholdDirectory& households_;
  PublishedRulebookCache& rulebooks_;
  std::unique_ptr<InspectionQueue> queue_;  // null when writing each alone
};

}  // namespace jifen::scoring
