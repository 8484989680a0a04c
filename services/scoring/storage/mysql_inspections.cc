#include "services/scoring/storage/mysql_inspections.h"

#include "absl/strings/str_cat.h"
#include "common/mysql/transaction.h"
#include "common/status/status_macros.h"
#include "services/scoring/domain/inspection_rules.h"
#include "services/scoring/storage/digests.h"

namespace jifen::scoring {

MySqlInspections::MySqlInspections(mysql::ConnectionPool& pool, MySqlLedger& ledger,
                                   HouseholdDirectory& households,
                                   PublishedRulebookCache& rulebooks,
                                   GroupCommitOptions group_commit)
    : pool_(pool), ledger_(ledger), households_(households), rulebooks_(rulebooks) {
  if (group_commit.writers > 0) {
    queue_ = std::make_unique<InspectionQueue>(
        group_commit.writers, group_commit.max_batch,
        [this](const std::vector<QueuedInspection*>& batch) { WriteBatch(batch); });
  }
}

namespace {

// A submission answered later: owns the caller's identity while it waits in the queue.
struct PendingInspection {
  auth::Caller caller;
  QueuedInspection queued;
  std::function<void(InspectionOutcome)> done;
};

}  // namespace

void MySqlInspections::Submit(const auth::Caller& caller,
                              const v1::SubmitInspectionRequest& request,
                              std::function<void(InspectionOutcome)> done) {
  if (absl::Status valid = ValidateClientId("inspection_id", request.inspection_id());
      !valid.ok()) {
    return done(valid);
  }
  if (request.household_id() <= 0) {
    return done(absl::InvalidArgumentError("household_id is required"));
  }
  // Before the rulebook lookup: a time no rulebook could cover is the request's mistake.
  if (absl::Status when = ValidateOccurredAt(request.occurred_at_ms(), absl::Now()); !when.ok()) {
    return done(when);
  }
  // Every role that may inspect works in its own village (CheckCanInspect), so that village is
  // the one to lock; the household is read under the lock with the rest of the context.
  const bool inspecting_role = caller.role == auth::Role::kGridWorker ||
                               caller.role == auth::Role::kAssessor ||
                               caller.role == auth::Role::kVillageAdmin;
  if (!inspecting_role || caller.village_id <= 0) {
    return done(absl::PermissionDeniedError(
        absl::StrCat(auth::RoleName(caller.role), " may not submit inspections")));
  }
  auto pending = std::make_unique<PendingInspection>();
  pending->caller = caller;
  pending->queued.caller = &pending->caller;
  pending->queued.request = &request;
  if (caller.role == auth::Role::kAssessor && caller.team_id != 0) {
    absl::StatusOr<std::vector<int64_t>> groups = households_.TeamGroups(caller.team_id);
    if (!groups.ok()) return done(groups.status());
    pending->queued.team_groups = *std::move(groups);
  }
  pending->queued.digest = RequestDigest(caller, request);
  pending->done = std::move(done);
  if (queue_ == nullptr) {
    WriteBatch({&pending->queued});
    return pending->done(std::move(pending->queued.result));
  }
  PendingInspection* queued = pending.release();
  queued->queued.on_written = [queued] {
    std::unique_ptr<PendingInspection> owned(queued);
    owned->done(std::move(owned->queued.result));
  };
  queue_->Submit(queued->queued);
}

void MySqlInspections::WriteBatch(const std::vector<QueuedInspection*>& batch) {
  std::vector<InspectionOutcome> outcomes;
  const absl::Status written = WriteTogether(batch, &outcomes);
  if (written.ok()) {
    for (size_t k = 0; k < batch.size(); ++k) batch[k]->result = std::move(outcomes[k]);
    return;
  }
  if (batch.size() > 1) {
    for (QueuedInspection* inspection : batch) WriteBatch({inspection});
    return;
  }
  const std::string& inspection_id = batch[0]->request->inspection_id();
  if (written.code() == absl::StatusCode::kAlreadyExists) {
    // The primary key met the same id, written for another village meanwhile.
    batch[0]->result = absl::AlreadyExistsError(absl::StrCat(
        "INSPECTION_ID_REUSED: inspection ", inspection_id,
        " was already submitted with different content"));
    return;
  }
  batch[0]->result = written;
}

absl::Status MySqlInspections::WriteTogether(const std::vector<QueuedInspection*>& batch,
                                             std::vector<InspectionOutcome>* outcomes) {
  LedgerSequencer::Ticket ticket = ledger_.sequencer().Begin();
  return mysql::RunInTransaction(pool_, [&](sql::Connection& connection) {
    return WriteInspectionBatch(connection, rulebooks_, batch, ticket, outcomes);
  });
}

}  // namespace jifen::scoring
