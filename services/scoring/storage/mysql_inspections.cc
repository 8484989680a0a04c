#include "services/scoring/storage/mysql_inspections.h"

#include <cppconn/connection.h>
#include <cppconn/resultset.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/mysql/statement.h"
#include "common/mysql/transaction.h"
#include "common/status/status_macros.h"
#include "services/audit/domain/record_facts.h"
#include "services/scoring/domain/access.h"
#include "services/scoring/domain/inspection_rules.h"
#include "services/scoring/domain/period.h"
#include "services/scoring/storage/audit_outbox.h"
#include "services/scoring/storage/digests.h"
#include "services/scoring/storage/ledger_proto.h"
#include "services/scoring/storage/mysql_registry_rows.h"
#include "services/scoring/storage/mysql_rulebooks.h"

namespace jifen::scoring {
namespace {

using mysql::GetString;
using mysql::Statement;

InspectionInput ToDomain(const auth::Caller& caller, const HouseholdRecord& household,
                         const v1::SubmitInspectionRequest& request) {
  InspectionInput input;
  input.inspection_id = request.inspection_id();
  input.actor_user_id = caller.user_id;
  input.actor_role = std::string(auth::RoleName(caller.role));
  input.household = household;
  input.occurred_at = absl::FromUnixMillis(request.occurred_at_ms());
  for (const v1::InspectionOutcome& outcome : request.outcomes()) {
    input.outcomes.push_back({outcome.item_code(),
                              {outcome.photo_refs().begin(), outcome.photo_refs().end()},
                              outcome.note()});
  }
  return input;
}

// Whether any outcome names an item with a cap, so that the household's totals must be read.
bool AnyCapped(const v1::SubmitInspectionRequest& request,
               const std::map<std::string, RuleItemSpec>& items) {
  for (const v1::InspectionOutcome& outcome : request.outcomes()) {
    auto item = items.find(outcome.item_code());
    if (item != items.end() && item->second.cap_points_per_period > 0) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<v1::SubmitInspectionResponse> MySqlInspections::Submit(
    const auth::Caller& caller, const v1::SubmitInspectionRequest& request) {
  RETURN_IF_ERROR(ValidateClientId("inspection_id", request.inspection_id()));
  if (request.household_id() <= 0) return absl::InvalidArgumentError("household_id is required");
  if (request.occurred_at_ms() <= 0) {
    return absl::InvalidArgumentError("occurred_at_ms is required (Unix milliseconds)");
  }
  // Every role that may inspect works in its own village (CheckCanInspect), so that village is
  // the one to lock; the household is read under the lock with the rest of the context.
  const bool inspecting_role = caller.role == auth::Role::kGridWorker ||
                               caller.role == auth::Role::kAssessor ||
                               caller.role == auth::Role::kVillageAdmin;
  if (!inspecting_role || caller.village_id <= 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        "FORBIDDEN: ", auth::RoleName(caller.role), " may not submit inspections"));
  }
  std::vector<int64_t> team_groups;
  if (caller.role == auth::Role::kAssessor && caller.team_id != 0) {
    ASSIGN_OR_RETURN(team_groups, households_.TeamGroups(caller.team_id));
  }

  const std::string digest = RequestDigest(caller, request);
  const absl::Time occurred_at = absl::FromUnixMillis(request.occurred_at_ms());
  const std::string period = PeriodOf(occurred_at);
  v1::SubmitInspectionResponse response;
  LedgerSequencer::Ticket ticket = ledger_.sequencer().Begin();
  const absl::Status written =
      mysql::RunInTransaction(pool_, [&](sql::Connection& connection) -> absl::Status {
    response.Clear();
    ASSIGN_OR_RETURN(VillageHead head, MySqlLedger::LockVillage(connection, caller.village_id));
    // Plain reads: the village lock above came first, so this snapshot has every earlier commit
    // of this village; the same id from another village meets the primary key at insert. One
    // round trip for the four facts every inspection needs while the village is locked: the
    // household, whether the period is settled, the rulebook in force, an earlier submission.
    static const std::string kContext = absl::StrCat(
        "SELECT ", registry_sql::kHouseholdColumns, ", "
        "  EXISTS(SELECT 1 FROM settlements WHERE village_id = ? AND period = ?) AS settled, "
        "  (SELECT rulebook_id FROM rulebooks WHERE village_id = ? AND state = 2 "
        "   AND effective_from <= ? ORDER BY effective_from DESC, version DESC "
        "   LIMIT 1) AS rulebook_id, "
        "  EXISTS(SELECT 1 FROM members m WHERE m.village_id = h.village_id "
        "         AND m.household_id = h.household_id AND m.staff_user_id = ?) AS scorer_is_member, "
        "  earlier.payload_sha256, earlier.response",
        registry_sql::kHouseholdFrom,
        "LEFT JOIN inspections AS earlier ON earlier.inspection_id = ? "
        "WHERE h.household_id = ?");
    auto context = Statement(connection, kContext.c_str())
                       .Bind(caller.village_id).Bind(period)
                       .Bind(caller.village_id).Bind(FormatDate(occurred_at))
                       .Bind(caller.user_id)
                       .Bind(request.inspection_id()).Bind(request.household_id())
                       .Query();
    if (!context->next()) {
      return absl::NotFoundError(
          absl::StrCat("household ", request.household_id(), " not found"));
    }
    const HouseholdRecord household = registry_sql::ReadHousehold(*context).record;
    // The scorer lives in this household: audit flags such an award for review.
    const bool scorer_is_member = context->getBoolean("scorer_is_member");
    RETURN_IF_ERROR(CheckCanInspect(caller, household, team_groups));
    if (!context->isNull("payload_sha256")) {
      if (GetString(*context, "payload_sha256") != digest) {
        return absl::AlreadyExistsError(absl::StrCat(
            "INSPECTION_ID_REUSED: inspection ", request.inspection_id(),
            " was already submitted with different content"));
      }
      if (!response.ParseFromString(GetString(*context, "response"))) {
        return absl::DataLossError("stored inspection response does not parse");
      }
      return absl::OkStatus();
    }
    if (context->getBoolean("settled")) {
      return absl::FailedPreconditionError(absl::StrCat(
          "PERIOD_FINAL: ", period, " is settled and published; it takes no more scores"));
    }
    if (context->isNull("rulebook_id")) {
      return absl::FailedPreconditionError(
          absl::StrCat("NO_RULEBOOK: village ", household.village_id,
                       " has no published rulebook in force on ", FormatDate(occurred_at)));
    }
    ASSIGN_OR_RETURN(const std::shared_ptr<const RulebookRecord> rulebook,
                     rulebooks_.Get(connection, context->getInt64("rulebook_id")));
    context.reset();
    std::map<std::string, RuleItemSpec> items;
    for (const RuleItemSpec& item : rulebook->items) items[item.code] = item;
    std::map<std::string, int64_t> scored_so_far;
    if (AnyCapped(request, items)) {
      ASSIGN_OR_RETURN(scored_so_far,
                       MySqlLedger::ItemTotals(connection, household.household_id, period));
    }
    ASSIGN_OR_RETURN(const std::vector<NewEntry> planned,
                     PlanInspectionEntries(ToDomain(caller, household, request), items,
                                           scored_so_far, absl::Now()));
    ASSIGN_OR_RETURN(const std::vector<StoredEntry> stored,
                     ledger_.Append(connection, head, planned, ticket));

    response.set_inspection_id(request.inspection_id());
    int64_t total = 0;
    for (const StoredEntry& entry : stored) {
      ToProto(entry, response.add_entries());
      total += entry.points;
    }
    response.set_total_points(total);
    const std::string response_bytes = response.SerializeAsString();
    Statement(connection,
              "INSERT INTO inspections (village_id, inspection_id, household_id, actor_user_id, "
              "actor_role, payload_sha256, request, response, occurred_at_ms, recorded_at_ms) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .Bind(household.village_id).Bind(request.inspection_id()).Bind(household.household_id)
        .Bind(caller.user_id).Bind(auth::RoleName(caller.role)).Bind(digest)
        .BindBlob(request.SerializeAsString()).BindBlob(response_bytes)
        .Bind(request.occurred_at_ms()).Bind(absl::ToUnixMillis(absl::Now()))
        .Update();
    // The facts audit's anomaly rules read (record_facts.h): whose household, how much, which
    // photos, and the household's steward, so that a steward scoring their own household shows.
    audit::AwardFacts facts{household.household_id, total, household.steward_user_id, {},
                            scorer_is_member};
    for (const v1::InspectionOutcome& outcome : request.outcomes()) {
      facts.photo_refs.insert(facts.photo_refs.end(), outcome.photo_refs().begin(),
                              outcome.photo_refs().end());
    }
    return RecordAudit(connection,
                       {household.village_id, caller.user_id,
                        std::string(auth::RoleName(caller.role)), "submit_inspection",
                        "inspection", request.inspection_id(), "",
                        AuditState(audit::FormatAward(
                            facts, absl::StrCat("entries=", stored.size())))});
  });
  if (written.code() == absl::StatusCode::kAlreadyExists &&
      written.message().find("INSPECTION_ID_REUSED") == absl::string_view::npos) {
    // The primary key met the same id written for another village meanwhile.
    return absl::AlreadyExistsError(absl::StrCat(
        "INSPECTION_ID_REUSED: inspection ", request.inspection_id(),
        " was already submitted with different content"));
  }
  RETURN_IF_ERROR(written);
  return response;
}

}  // namespace jifen::scoring
