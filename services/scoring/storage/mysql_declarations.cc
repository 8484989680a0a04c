#include "services/scoring/storage/mysql_declarations.h"

#include <cppconn/connection.h>
#include <cppconn/resultset.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <openssl/sha.h>

#include <optional>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/mysql/statement.h"
#include "common/mysql/transaction.h"
#include "common/status/status_macros.h"
#include "services/audit/domain/record_facts.h"
#include "services/scoring/domain/access.h"
#include "services/scoring/domain/declaration_rules.h"
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

constexpr int kListLimit = 500;

constexpr char kColumns[] =
    "village_id, declaration_id, household_id, item_code, occurred_at_ms, actor_user_id, "
    "payload_sha256, request, state, review_reason, reviewed_at_ms, entry, submitted_at_ms";

struct DeclarationRow {
  std::string payload_sha256;
  v1::SubmitDeclarationRequest request;
  v1::Declaration declaration;
};

absl::StatusOr<DeclarationRow> ReadRow(sql::ResultSet& rows) {
  DeclarationRow row;
  row.payload_sha256 = GetString(rows, "payload_sha256");
  if (!row.request.ParseFromString(GetString(rows, "request"))) {
    return absl::DataLossError("stored declaration request does not parse");
  }
  v1::Declaration& out = row.declaration;
  out.set_declaration_id(GetString(rows, "declaration_id"));
  out.set_village_id(rows.getInt64("village_id"));
  out.set_household_id(rows.getInt64("household_id"));
  out.set_item_code(GetString(rows, "item_code"));
  out.set_occurred_at_ms(rows.getInt64("occurred_at_ms"));
  *out.mutable_photo_refs() = row.request.photo_refs();
  out.set_note(row.request.note());
  out.set_state(static_cast<v1::DeclarationState>(rows.getInt("state")));
  out.set_review_reason(GetString(rows, "review_reason"));
  out.set_reviewed_at_ms(rows.getInt64("reviewed_at_ms"));
  out.set_submitted_at_ms(rows.getInt64("submitted_at_ms"));
  if (!rows.isNull("entry")) {
    if (!out.mutable_entry()->ParseFromString(GetString(rows, "entry"))) {
      return absl::DataLossError("stored declaration entry does not parse");
    }
  }
  return row;
}

// The declaration by id, in any village. `lock`: "", " LOCK IN SHARE MODE" or " FOR UPDATE".
absl::StatusOr<std::optional<DeclarationRow>> FindDeclaration(sql::Connection& connection,
                                                              const std::string& declaration_id,
                                                              const char* lock) {
  const std::string query =
      absl::StrCat("SELECT ", kColumns, " FROM declarations WHERE declaration_id = ?", lock);
  auto rows = Statement(connection, query.c_str()).Bind(declaration_id).Query();
  if (!rows->next()) return std::optional<DeclarationRow>();
  ASSIGN_OR_RETURN(DeclarationRow row, ReadRow(*rows));
  return std::optional<DeclarationRow>(std::move(row));
}

DeclarationInput ToDomain(const HouseholdRecord& household,
                          const v1::SubmitDeclarationRequest& request) {
  DeclarationInput input;
  input.declaration_id = request.declaration_id();
  input.household = household;
  input.item_code = request.item_code();
  input.occurred_at = absl::FromUnixMillis(request.occurred_at_ms());
  input.photo_refs.assign(request.photo_refs().begin(), request.photo_refs().end());
  input.note = request.note();
  return input;
}

std::map<std::string, RuleItemSpec> ItemsByCode(const RulebookRecord& rulebook) {
  std::map<std::string, RuleItemSpec> items;
  for (const RuleItemSpec& item : rulebook.items) items[item.code] = item;
  return items;
}

absl::Status CheckNotSettled(sql::Connection& connection, int64_t village_id,
                             const std::string& period) {
  ASSIGN_OR_RETURN(const bool settled, MySqlLedger::IsSettled(connection, village_id, period));
  if (settled) {
    return absl::FailedPreconditionError(absl::StrCat(
        "PERIOD_FINAL: ", period, " is settled and published; it takes no more scores"));
  }
  return absl::OkStatus();
}

const char* StateName(v1::DeclarationState state) {
  switch (state) {
    case v1::DECLARATION_STATE_PENDING: return "pending";
    case v1::DECLARATION_STATE_APPROVED: return "approved";
    case v1::DECLARATION_STATE_REJECTED: return "rejected";
    default: return "unspecified";
  }
}

}  // namespace

absl::StatusOr<v1::Declaration> MySqlDeclarations::Submit(
    const auth::Caller& caller, const v1::SubmitDeclarationRequest& request) {
  RETURN_IF_ERROR(ValidateClientId("declaration_id", request.declaration_id()));
  if (request.household_id() <= 0) return absl::InvalidArgumentError("household_id is required");
  // Before the rulebook lookup: a time no rulebook could cover is the request's mistake.
  RETURN_IF_ERROR(ValidateOccurredAt(request.occurred_at_ms(), absl::Now()));
  // Refused before the lookup, so that nobody learns which household ids exist.
  if (caller.role != auth::Role::kResident || caller.household_id != request.household_id()) {
    return absl::PermissionDeniedError("a resident may declare only for their own household");
  }
  ASSIGN_OR_RETURN(const HouseholdRecord household,
                   households_.FindHousehold(request.household_id()));
  RETURN_IF_ERROR(CheckCanDeclare(caller, household));

  const std::string digest = RequestDigest(caller, request);
  const absl::Time occurred_at = absl::FromUnixMillis(request.occurred_at_ms());
  const std::string period = PeriodOf(occurred_at);
  v1::Declaration result;
  RETURN_IF_ERROR(mysql::RunInTransaction(pool_, [&](sql::Connection& connection) -> absl::Status {
    result.Clear();
    // The village's ledger lock orders this with settlement and with concurrent retries.
    RETURN_IF_ERROR(MySqlLedger::LockVillage(connection, household.village_id).status());
    ASSIGN_OR_RETURN(std::optional<DeclarationRow> earlier,
                     FindDeclaration(connection, request.declaration_id(), ""));
    if (earlier.has_value()) {
      if (earlier->payload_sha256 != digest) {
        return absl::AlreadyExistsError(absl::StrCat(
            "DECLARATION_ID_REUSED: declaration ", request.declaration_id(),
            " was already submitted with different content"));
      }
      result = std::move(earlier->declaration);
      return absl::OkStatus();
    }
    RETURN_IF_ERROR(CheckNotSettled(connection, household.village_id, period));
    ASSIGN_OR_RETURN(const RulebookRecord rulebook,
                     MySqlRulebooks::InForceOn(connection, household.village_id,
                                               FormatDate(occurred_at)));
    RETURN_IF_ERROR(
        ValidateDeclaration(ToDomain(household, request), ItemsByCode(rulebook), absl::Now()));
    const int64_t now_ms = absl::ToUnixMillis(absl::Now());
    Statement(connection,
              "INSERT INTO declarations (village_id, declaration_id, household_id, item_code, "
              "occurred_at_ms, actor_user_id, payload_sha256, request, state, submitted_at_ms) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .Bind(household.village_id).Bind(request.declaration_id()).Bind(household.household_id)
        .Bind(request.item_code()).Bind(request.occurred_at_ms()).Bind(caller.user_id)
        .Bind(digest).BindBlob(request.SerializeAsString())
        .Bind(static_cast<int>(DeclarationState::kPending)).Bind(now_ms)
        .Update();
    result.set_declaration_id(request.declaration_id());
    result.set_village_id(household.village_id);
    result.set_household_id(household.household_id);
    result.set_item_code(request.item_code());
    result.set_occurred_at_ms(request.occurred_at_ms());
    *result.mutable_photo_refs() = request.photo_refs();
    result.set_note(request.note());
    result.set_state(v1::DECLARATION_STATE_PENDING);
    result.set_submitted_at_ms(now_ms);
    return RecordAudit(connection,
                       {household.village_id, caller.user_id,
                        std::string(auth::RoleName(caller.role)), "submit_declaration",
                        "declaration", request.declaration_id(), "",
                        AuditState(absl::StrCat("household=", household.household_id,
                                                " item=", request.item_code(),
                                                " occurred_at_ms=", request.occurred_at_ms(),
                                                " state=pending"))},
                       AuditOrigin{caller.request_id});
  }));
  return result;
}

absl::StatusOr<v1::Declaration> MySqlDeclarations::Review(
    const auth::Caller& caller, const v1::ReviewDeclarationRequest& request) {
  if (request.declaration_id().empty()) {
    return absl::InvalidArgumentError("declaration_id is required");
  }
  if (caller.role != auth::Role::kVillageAdmin) {
    return absl::PermissionDeniedError(
        absl::StrCat(auth::RoleName(caller.role), " may not review declarations"));
  }
  // Where it belongs and whose it is never change: read once outside the transaction.
  std::optional<DeclarationRow> found;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& connection) {
    ASSIGN_OR_RETURN(found, FindDeclaration(connection, request.declaration_id(), ""));
    return absl::OkStatus();
  }));
  if (!found.has_value() || found->declaration.village_id() != caller.village_id) {
    // Another village's declaration is reported as absent: ids of other villages are not told.
    return absl::NotFoundError(
        absl::StrCat("declaration ", request.declaration_id(), " not found in your village"));
  }
  RETURN_IF_ERROR(CheckVillageAdmin(caller, found->declaration.village_id()));
  const int64_t village_id = found->declaration.village_id();
  // Validates the reason before any lock; the state is decided again under the lock.
  RETURN_IF_ERROR(PlanReview(DeclarationState::kPending, request.approve(), request.reason())
                      .status());
  HouseholdRecord household;
  if (request.approve()) {
    // The household's group as of the approval goes on the entry.
    ASSIGN_OR_RETURN(household, households_.FindHousehold(found->declaration.household_id()));
  }

  std::optional<LedgerSequencer::Ticket> ticket;
  if (request.approve()) ticket.emplace(ledger_.sequencer().Begin());
  v1::Declaration result;
  RETURN_IF_ERROR(mysql::RunInTransaction(pool_, [&](sql::Connection& connection) -> absl::Status {
    result.Clear();
    ASSIGN_OR_RETURN(VillageHead head, MySqlLedger::LockVillage(connection, village_id));
    ASSIGN_OR_RETURN(std::optional<DeclarationRow> row,
                     FindDeclaration(connection, request.declaration_id(), " FOR UPDATE"));
    if (!row.has_value()) return absl::InternalError("declaration vanished");
    result = row->declaration;
    const v1::DeclarationState before = result.state();
    ASSIGN_OR_RETURN(const bool changes,
                     PlanReview(static_cast<DeclarationState>(before), request.approve(),
                                request.reason()));
    if (!changes) return absl::OkStatus();

    const int64_t now_ms = absl::ToUnixMillis(absl::Now());
    std::string audit_after;
    if (!request.approve()) {
      Statement(connection,
                "UPDATE declarations SET state = ?, review_reason = ?, reviewer_user_id = ?, "
                "reviewed_at_ms = ? WHERE village_id = ? AND declaration_id = ?")
          .Bind(static_cast<int>(DeclarationState::kRejected)).Bind(request.reason())
          .Bind(caller.user_id).Bind(now_ms).Bind(village_id).Bind(request.declaration_id())
          .Update();
      result.set_state(v1::DECLARATION_STATE_REJECTED);
      audit_after = absl::StrCat("state=rejected reason=", request.reason());
    } else {
      const absl::Time occurred_at = absl::FromUnixMillis(result.occurred_at_ms());
      const std::string period = PeriodOf(occurred_at);
      RETURN_IF_ERROR(CheckNotSettled(connection, village_id, period));
      ASSIGN_OR_RETURN(const RulebookRecord rulebook,
                       MySqlRulebooks::InForceOn(connection, village_id,
                                                 FormatDate(occurred_at)));
      ASSIGN_OR_RETURN(const auto scored_so_far,
                       MySqlLedger::ItemTotals(connection, household.household_id, period));
      ASSIGN_OR_RETURN(const NewEntry planned,
                       PlanDeclarationEntry(ToDomain(household, row->request),
                                            ItemsByCode(rulebook), scored_so_far, caller));
      ASSIGN_OR_RETURN(const std::vector<StoredEntry> stored,
                       ledger_.Append(connection, head, {planned}, *ticket));
      if (stored.size() != 1) return absl::InternalError("approval wrote no entry");
      ToProto(stored.front(), result.mutable_entry());
      Statement(connection,
                "UPDATE declarations SET state = ?, review_reason = ?, reviewer_user_id = ?, "
                "reviewed_at_ms = ?, entry_sequence = ?, entry = ? "
                "WHERE village_id = ? AND declaration_id = ?")
          .Bind(static_cast<int>(DeclarationState::kApproved)).Bind(request.reason())
          .Bind(caller.user_id).Bind(now_ms).Bind(stored.front().sequence)
          .BindBlob(result.entry().SerializeAsString()).Bind(village_id)
          .Bind(request.declaration_id())
          .Update();
      result.set_state(v1::DECLARATION_STATE_APPROVED);
      // An approval is an award by the reviewer: the same facts as an inspection's for audit's
      // anomaly rules (record_facts.h), with the household's steward as of the approval.
      audit_after = audit::FormatAward(
          {household.household_id, stored.front().points, household.steward_user_id,
           {row->request.photo_refs().begin(), row->request.photo_refs().end()},
           registry_sql::StaffIsMemberOf(connection, village_id, household.household_id,
                                         caller.user_id)},
          absl::StrCat("state=approved sequence=", stored.front().sequence,
                       " period=", stored.front().period));
    }
    result.set_review_reason(request.reason());
    result.set_reviewed_at_ms(now_ms);
    return RecordAudit(connection,
                       {village_id, caller.user_id, std::string(auth::RoleName(caller.role)),
                        request.approve() ? "approve_declaration" : "reject_declaration",
                        "declaration", request.declaration_id(),
                        absl::StrCat("state=", StateName(before)), AuditState(audit_after)},
                       AuditOrigin{caller.request_id});
  }));
  return result;
}

absl::StatusOr<v1::ListDeclarationsResponse> MySqlDeclarations::List(
    const auth::Caller& caller, const v1::ListDeclarationsRequest& request) {
  if (request.village_id() <= 0) return absl::InvalidArgumentError("village_id is required");
  if (!v1::DeclarationState_IsValid(request.state())) {
    return absl::InvalidArgumentError("state is not a declaration state");
  }
  int64_t household_filter = request.household_id();
  if (caller.role == auth::Role::kResident) {
    if (caller.village_id != request.village_id() || caller.household_id == 0 ||
        (household_filter != 0 && household_filter != caller.household_id)) {
      return absl::PermissionDeniedError("a resident sees only their own household's declarations");
    }
    household_filter = caller.household_id;
  } else if (!caller.IsDistrict() && !caller.IsService()) {
    RETURN_IF_ERROR(CheckVillageAdmin(caller, request.village_id()));
  }
  const int state_filter = static_cast<int>(request.state());
  v1::ListDeclarationsResponse response;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& connection) {
    response.Clear();
    // A household of another village (or none) would match nothing and read as "no declarations
    // yet"; the filter is refused instead, alike for unknown and foreign ids.
    if (household_filter != 0) {
      auto household = Statement(connection,
                                 "SELECT 1 FROM households WHERE household_id = ? AND village_id = ?")
                           .Bind(household_filter).Bind(request.village_id())
                           .Query();
      if (!household->next()) {
        return absl::InvalidArgumentError(
            absl::StrCat("HOUSEHOLD_NOT_IN_VILLAGE: household_id: household ", household_filter,
                         " is not a household of village ", request.village_id()));
      }
    }
    const std::string query = absl::StrCat(
        "SELECT ", kColumns,
        " FROM declarations WHERE village_id = ? AND (? = 0 OR household_id = ?) "
        "AND (? = 0 OR state = ?) ORDER BY submitted_at_ms DESC, declaration_id LIMIT ?");
    auto rows = Statement(connection, query.c_str())
                    .Bind(request.village_id()).Bind(household_filter).Bind(household_filter)
                    .Bind(state_filter).Bind(state_filter).Bind(kListLimit)
                    .Query();
    while (rows->next()) {
      ASSIGN_OR_RETURN(DeclarationRow row, ReadRow(*rows));
      *response.add_declarations() = std::move(row.declaration);
    }
    return absl::OkStatus();
  }));
  return response;
}

}  // namespace jifen::scoring
