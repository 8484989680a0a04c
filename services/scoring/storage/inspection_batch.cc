#include "services/scoring/storage/inspection_batch.h"

#include <cppconn/connection.h>
#include <cppconn/resultset.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/mysql/statement.h"
#include "common/outbox/outbox.h"
#include "common/status/status_macros.h"
#include "services/audit/domain/record_facts.h"
#include "services/scoring/domain/access.h"
#include "services/scoring/domain/inspection_rules.h"
#include "services/scoring/domain/period.h"
#include "services/scoring/domain/registry_privacy.h"
#include "services/scoring/storage/audit_outbox.h"
#include "services/scoring/storage/ledger_hash.h"
#include "services/scoring/storage/ledger_proto.h"
#include "services/scoring/storage/mysql_ledger.h"
#include "services/scoring/storage/mysql_registry_rows.h"

namespace jifen::scoring {
namespace {

using mysql::Statement;
using nlohmann::json;

// JSON_TABLE's text columns are as wide as the table's: MariaDB builds the rows in a temporary
// table of fixed-width rows, and wide columns made the ledger insert a third slower. JSON_TABLE
// would cut an over-long value short with only a warning, so every text is checked against its
// column before it is sent (CheckWidths).
//
// Every text column names its character set: without one, JSON_TABLE takes the schema's default
// collation (utf8mb4_unicode_ci where jifen-migrate created it), and comparing it with a table's
// column (the charset's default, utf8mb4_general_ci) is an error.
//
// No statement sorts its JSON_TABLE: MariaDB reads a JSON array in order, and sorting makes it
// look each row up again from the start of the text (quadratic in the batch). The order the
// chain needs is checked after the insert instead (AppendEntries); villages are passed sorted,
// so heads are locked in village order.
constexpr char kLockHeads[] =
    "SELECT h.village_id, h.head_sequence, h.head_hash, h.entries "
    "FROM JSON_TABLE(?, '$[*]' COLUMNS (village_id BIGINT PATH '$')) AS wanted "
    "JOIN ledger_heads h ON h.village_id = wanted.village_id FOR UPDATE";

// The household's columns (registry_sql::ReadHousehold) come first, then these.
enum ContextColumn : int {
  kSettled = registry_sql::kHouseholdColumnCount + 1,
  kRulebookInForce,
  kScorerIsMember,
  kEarlierDigest,  // with kEarlierResponse, NULL unless submitted before
  kEarlierResponse,
  kPosition,  // in the batch
};

// Left to itself, MariaDB answers "is the scorer a member" by reading every member of the village
// (the primary key's prefix); members_staff holds all three columns it asks for.
const std::string& ContextQuery() {
  static const std::string query = absl::StrCat(
      "SELECT ", registry_sql::kHouseholdColumns, ", "
      "  EXISTS(SELECT 1 FROM settlements s WHERE s.village_id = asked.village_id "
      "         AND s.period = asked.period), "
      "  (SELECT r.rulebook_id FROM rulebooks r WHERE r.village_id = asked.village_id "
      "   AND r.state = 2 AND r.effective_from <= asked.deed_date "
      "   ORDER BY r.effective_from DESC, r.version DESC LIMIT 1), "
      "  EXISTS(SELECT 1 FROM members m FORCE INDEX (members_staff) "
      "         WHERE m.village_id = h.village_id "
      "         AND m.household_id = h.household_id AND m.staff_user_id = asked.user_id), "
      "  earlier.payload_sha256, earlier.response, asked.position "
      "FROM JSON_TABLE(?, '$[*]' COLUMNS (position INT PATH '$.i', household_id BIGINT PATH '$.h', "
      "  village_id BIGINT PATH '$.v', period VARCHAR(6) CHARSET utf8mb4 PATH '$.p', "
      "  deed_date DATE PATH '$.d', "
      "  user_id VARCHAR(64) CHARSET utf8mb4 PATH '$.u', "
      "  inspection_id VARCHAR(64) CHARSET utf8mb4 PATH '$.id')) AS asked "
      "JOIN households h ON h.household_id = asked.household_id",
      registry_sql::kHouseholdJoins,
      "LEFT JOIN inspections AS earlier ON earlier.inspection_id = asked.inspection_id");
  return query;
}

constexpr char kItemTotals[] =
    "SELECT asked.household_id, asked.period, e.item_code, SUM(e.points) "
    "FROM JSON_TABLE(?, '$[*]' COLUMNS (household_id BIGINT PATH '$.h', "
    "  period VARCHAR(6) CHARSET utf8mb4 PATH '$.p')) AS asked "
    "JOIN ledger_entries e ON e.household_id = asked.household_id AND e.period = asked.period "
    "  AND e.account = 1 "
    "GROUP BY asked.household_id, asked.period, e.item_code";

constexpr char kInsertEntries[] =
    "INSERT INTO ledger_entries (village_id, household_id, group_id, account, points, period, "
    "  item_code, category, reason, source, source_id, reverses_sequence, actor_user_id, "
    "  actor_role, occurred_at_ms, recorded_at_ms, prev_hash, hash) "
    "SELECT e.village_id, e.household_id, e.group_id, e.account, e.points, e.period, e.item_code, "
    "  e.category, e.reason, e.source, e.source_id, NULLIF(e.reverses_sequence, 0), "
    "  e.actor_user_id, e.actor_role, e.occurred_at_ms, e.recorded_at_ms, e.prev_hash, e.hash "
    "FROM JSON_TABLE(?, '$[*]' COLUMNS (village_id BIGINT PATH '$.v', "
    "  household_id BIGINT PATH '$.h', group_id BIGINT PATH '$.g', account INT PATH '$.a', "
    "  points BIGINT PATH '$.n', period VARCHAR(6) CHARSET utf8mb4 PATH '$.p', "
    "  item_code VARCHAR(32) CHARSET utf8mb4 PATH '$.c', "
    "  category VARCHAR(32) CHARSET utf8mb4 PATH '$.k', "
    "  reason VARCHAR(500) CHARSET utf8mb4 PATH '$.r', source INT PATH '$.s', "
    "  source_id VARCHAR(80) CHARSET utf8mb4 PATH '$.si', reverses_sequence BIGINT PATH '$.rs', "
    "  actor_user_id VARCHAR(64) CHARSET utf8mb4 PATH '$.u', "
    "  actor_role VARCHAR(32) CHARSET utf8mb4 PATH '$.ur', occurred_at_ms BIGINT PATH '$.o', "
    "  recorded_at_ms BIGINT PATH '$.t', prev_hash VARCHAR(64) CHARSET utf8mb4 PATH '$.ph', "
    "  hash VARCHAR(64) CHARSET utf8mb4 PATH '$.x')) AS e "
    "RETURNING sequence, hash";

constexpr char kAddPeriodScores[] =
    "INSERT INTO period_scores (village_id, household_id, period, score) "
    "SELECT s.village_id, s.household_id, s.period, s.points "
    "FROM JSON_TABLE(?, '$[*]' COLUMNS (village_id BIGINT PATH '$.v', "
    "  household_id BIGINT PATH '$.h', period VARCHAR(6) CHARSET utf8mb4 PATH '$.p', "
    "  points BIGINT PATH '$.n')) AS s "
    "ON DUPLICATE KEY UPDATE score = score + VALUES(score)";

constexpr char kMoveHeads[] =
    "UPDATE ledger_heads h JOIN JSON_TABLE(?, '$[*]' COLUMNS (village_id BIGINT PATH '$.v', "
    "  head_sequence BIGINT PATH '$.s', head_hash VARCHAR(64) CHARSET utf8mb4 PATH '$.x', "
    "  entries BIGINT PATH '$.n')) AS moved ON h.village_id = moved.village_id "
    "SET h.head_sequence = moved.head_sequence, h.head_hash = moved.head_hash, "
    "  h.entries = moved.entries";

constexpr char kInsertInspections[] =
    "INSERT INTO inspections (village_id, inspection_id, household_id, actor_user_id, "
    "  actor_role, payload_sha256, request, response, occurred_at_ms, recorded_at_ms) "
    "SELECT i.village_id, i.inspection_id, i.household_id, i.actor_user_id, i.actor_role, "
    "  i.payload_sha256, FROM_BASE64(i.request), FROM_BASE64(i.response), i.occurred_at_ms, "
    "  i.recorded_at_ms "
    "FROM JSON_TABLE(?, '$[*]' COLUMNS (village_id BIGINT PATH '$.v', "
    "  inspection_id VARCHAR(64) CHARSET utf8mb4 PATH '$.id', household_id BIGINT PATH '$.h', "
    "  actor_user_id VARCHAR(64) CHARSET utf8mb4 PATH '$.u', "
    "  actor_role VARCHAR(32) CHARSET utf8mb4 PATH '$.ur', "
    "  payload_sha256 VARCHAR(64) CHARSET utf8mb4 PATH '$.sha', "
    "  request LONGTEXT CHARSET utf8mb4 PATH '$.rq', "
    "  response LONGTEXT CHARSET utf8mb4 PATH '$.rs', occurred_at_ms BIGINT PATH '$.o', "
    "  recorded_at_ms BIGINT PATH '$.t')) AS i";

// INVALID_ARGUMENT naming the column when `value` would not fit it.
absl::Status CheckWidth(absl::string_view column, absl::string_view value, int max_characters) {
  const int length = Utf8Length(value);
  if (length >= 0 && length <= max_characters) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(column, " must be UTF-8 of at most ", max_characters, " characters"));
}

absl::Status CheckWidths(const NewEntry& entry) {
  RETURN_IF_ERROR(CheckWidth("period", entry.period, 6));
  RETURN_IF_ERROR(CheckWidth("item_code", entry.item_code, 32));
  RETURN_IF_ERROR(CheckWidth("category", entry.category, 32));
  RETURN_IF_ERROR(CheckWidth("reason", entry.reason, kReasonMaxCharacters));
  RETURN_IF_ERROR(CheckWidth("source_id", entry.source_id, 80));
  RETURN_IF_ERROR(CheckWidth("actor_user_id", entry.actor_user_id, 64));
  return CheckWidth("actor_role", entry.actor_role, 32);
}

// What the context query says about one inspection.
struct Context {
  HouseholdRecord household;
  bool settled = false;
  int64_t rulebook_id = 0;  // 0: none in force
  bool scorer_is_member = false;
  bool submitted_before = false;
  std::string earlier_digest;
  std::string earlier_response;
};

// An inspection the batch scores.
struct Scored {
  size_t position = 0;
  const Context* context = nullptr;
  std::vector<NewEntry> planned;
  std::vector<StoredEntry> stored;
};

const v1::SubmitInspectionRequest& RequestOf(const QueuedInspection& inspection) {
  return *inspection.request;
}

std::string PeriodOfRequest(const QueuedInspection& inspection) {
  return PeriodOf(absl::FromUnixMillis(RequestOf(inspection).occurred_at_ms()));
}

InspectionInput ToDomain(const QueuedInspection& inspection, const HouseholdRecord& household) {
  const v1::SubmitInspectionRequest& request = RequestOf(inspection);
  InspectionInput input;
  input.inspection_id = request.inspection_id();
  input.actor_user_id = inspection.caller->user_id;
  input.actor_role = std::string(auth::RoleName(inspection.caller->role));
  input.household = household;
  input.occurred_at = absl::FromUnixMillis(request.occurred_at_ms());
  for (const v1::InspectionOutcome& outcome : request.outcomes()) {
    input.outcomes.push_back({outcome.item_code(),
                              {outcome.photo_refs().begin(), outcome.photo_refs().end()},
                              outcome.note()});
  }
  return input;
}

bool AnyCapped(const v1::SubmitInspectionRequest& request,
               const std::map<std::string, RuleItemSpec>& items) {
  for (const v1::InspectionOutcome& outcome : request.outcomes()) {
    auto item = items.find(outcome.item_code());
    if (item != items.end() && item->second.cap_points_per_period > 0) return true;
  }
  return false;
}

using HeadsByVillage = std::map<int64_t, VillageHead>;

absl::StatusOr<HeadsByVillage> LockHeads(sql::Connection& connection,
                                                        const std::set<int64_t>& villages) {
  json wanted = json::array();
  for (int64_t village : villages) wanted.push_back(village);
  std::map<int64_t, VillageHead> heads;
  {
    auto rows = Statement(connection, kLockHeads).Bind(wanted.dump()).Query();
    while (rows->next()) {
      VillageHead& head = heads[rows->getInt64(1)];
      head.village_id = rows->getInt64(1);
      head.head_sequence = rows->getInt64(2);
      head.head_hash = rows->getString(3).asStdString();
      head.entries = rows->getInt64(4);
    }
  }
  for (int64_t village : villages) {
    if (heads.count(village) > 0) continue;
    // The village's first entry: LockVillage creates its head.
    ASSIGN_OR_RETURN(heads[village], MySqlLedger::LockVillage(connection, village));
  }
  return heads;
}

std::vector<std::optional<Context>> ReadContexts(sql::Connection& connection,
                                                 const std::vector<QueuedInspection*>& batch) {
  json asked = json::array();
  for (size_t k = 0; k < batch.size(); ++k) {
    const v1::SubmitInspectionRequest& request = RequestOf(*batch[k]);
    asked.push_back({{"i", k},
                     {"h", request.household_id()},
                     {"v", batch[k]->caller->village_id},
                     {"p", PeriodOfRequest(*batch[k])},
                     {"d", FormatDate(absl::FromUnixMillis(request.occurred_at_ms()))},
                     {"u", batch[k]->caller->user_id},
                     {"id", request.inspection_id()}});
  }
  std::vector<std::optional<Context>> contexts(batch.size());
  auto rows = Statement(connection, ContextQuery().c_str()).Bind(asked.dump()).Query();
  while (rows->next()) {
    const auto position = static_cast<size_t>(rows->getInt(kPosition));
    if (position >= contexts.size()) continue;
    Context& context = contexts[position].emplace();
    context.household = registry_sql::ReadHousehold(*rows).record;
    context.settled = rows->getBoolean(kSettled);
    context.rulebook_id = rows->isNull(kRulebookInForce) ? 0 : rows->getInt64(kRulebookInForce);
    context.scorer_is_member = rows->getBoolean(kScorerIsMember);
    context.submitted_before = !rows->isNull(kEarlierDigest);
    if (context.submitted_before) {
      context.earlier_digest = rows->getString(kEarlierDigest).asStdString();
      context.earlier_response = rows->getString(kEarlierResponse).asStdString();
    }
  }
  return contexts;
}

// The stored answer to a retry, a refusal, or nullopt when the inspection is to be scored.
std::optional<InspectionOutcome> Judge(const QueuedInspection& inspection,
                                       const std::optional<Context>& context) {
  const v1::SubmitInspectionRequest& request = RequestOf(inspection);
  if (absl::Status fits = CheckWidth("the caller's user id", inspection.caller->user_id, 64);
      !fits.ok()) {
    return fits;
  }
  if (!context.has_value()) {
    return absl::NotFoundError(absl::StrCat("household ", request.household_id(), " not found"));
  }
  if (absl::Status denied =
          CheckCanInspect(*inspection.caller, context->household, inspection.team_groups);
      !denied.ok()) {
    return denied;
  }
  if (context->submitted_before) {
    if (context->earlier_digest != inspection.digest) {
      return absl::AlreadyExistsError(
          absl::StrCat("INSPECTION_ID_REUSED: inspection ", request.inspection_id(),
                       " was already submitted with different content"));
    }
    v1::SubmitInspectionResponse response;
    if (!response.ParseFromString(context->earlier_response)) {
      return absl::DataLossError("stored inspection response does not parse");
    }
    return response;
  }
  const absl::Time occurred_at = absl::FromUnixMillis(request.occurred_at_ms());
  if (context->settled) {
    return absl::FailedPreconditionError(absl::StrCat("PERIOD_FINAL: ", PeriodOf(occurred_at),
                                                      " is settled and published; it takes no "
                                                      "more scores"));
  }
  if (context->rulebook_id == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("NO_RULEBOOK: village ", context->household.village_id,
                     " has no published rulebook in force on ", FormatDate(occurred_at)));
  }
  return std::nullopt;
}

// Signed points per (household, period, item) so far: the ledger's, then the batch's own.
using ItemKey = std::tuple<int64_t, std::string, std::string>;
using ItemTotals = std::map<ItemKey, int64_t>;

absl::StatusOr<std::map<ItemKey, int64_t>> ReadItemTotals(
    sql::Connection& connection, const std::set<std::pair<int64_t, std::string>>& households) {
  std::map<ItemKey, int64_t> totals;
  if (households.empty()) return totals;
  json asked = json::array();
  for (const auto& [household, period] : households) {
    asked.push_back({{"h", household}, {"p", period}});
  }
  auto rows = Statement(connection, kItemTotals).Bind(asked.dump()).Query();
  while (rows->next()) {
    totals[{rows->getInt64(1), rows->getString(2).asStdString(),
            rows->getString(3).asStdString()}] = rows->getInt64(4);
  }
  return totals;
}

std::map<std::string, int64_t> ScoredSoFar(const std::map<ItemKey, int64_t>& totals,
                                           int64_t household, const std::string& period) {
  std::map<std::string, int64_t> moved;
  for (auto it = totals.lower_bound({household, period, ""});
       it != totals.end() && std::get<0>(it->first) == household &&
       std::get<1>(it->first) == period;
       ++it) {
    moved[std::get<2>(it->first)] = std::abs(it->second);
  }
  return moved;
}

// Chains the planned entries of every scored inspection, in batch order, onto their villages'
// heads, and inserts them. Fills `stored` with the sequences the ledger gave.
absl::Status AppendEntries(sql::Connection& connection, std::map<int64_t, VillageHead>& heads,
                           std::vector<Scored>& scored, int64_t recorded_at_ms,
                           LedgerSequencer::Ticket& ticket) {
  json rows = json::array();
  std::map<std::string, StoredEntry*> by_hash;
  for (Scored& inspection : scored) {
    inspection.stored.reserve(inspection.planned.size());
    for (const NewEntry& entry : inspection.planned) {
      auto head = heads.find(entry.village_id);
      if (head == heads.end()) return absl::InternalError("entry of a village not locked");
      if (entry.account != Account::kScore) {
        return absl::InternalError("an inspection planned an entry outside the period score");
      }
      StoredEntry& row = inspection.stored.emplace_back();
      static_cast<NewEntry&>(row) = entry;
      row.recorded_at_ms = recorded_at_ms;
      row.prev_hash = head->second.head_hash;
      row.hash = ChainHash(row.prev_hash, entry, recorded_at_ms);
      head->second.head_hash = row.hash;
      ++head->second.entries;
      by_hash[row.hash] = &row;
      rows.push_back({{"v", entry.village_id}, {"h", entry.household_id},
                      {"g", entry.group_id}, {"a", static_cast<int>(entry.account)},
                      {"n", entry.points}, {"p", entry.period}, {"c", entry.item_code},
                      {"k", entry.category}, {"r", entry.reason},
                      {"s", static_cast<int>(entry.source)}, {"si", entry.source_id},
                      {"rs", entry.reverses_sequence}, {"u", entry.actor_user_id},
                      {"ur", entry.actor_role}, {"o", entry.occurred_at_ms},
                      {"t", recorded_at_ms}, {"ph", row.prev_hash}, {"x", row.hash}});
    }
  }
  if (rows.empty()) return absl::OkStatus();
  int64_t first = 0;
  int64_t last = 0;
  {
    auto inserted = Statement(connection, kInsertEntries).Bind(rows.dump()).Query();
    while (inserted->next()) {
      auto row = by_hash.find(inserted->getString(2).asStdString());
      if (row == by_hash.end()) return absl::InternalError("the ledger returned an unknown hash");
      row->second->sequence = inserted->getInt64(1);
      first = first == 0 ? row->second->sequence : std::min(first, row->second->sequence);
      last = std::max(last, row->second->sequence);
    }
  }
  ticket.Allocated(first, last);
  // A village's chain is read in sequence order: its links must have been numbered in order.
  std::map<int64_t, int64_t> last_of_village;
  for (const Scored& inspection : scored) {
    for (const StoredEntry& row : inspection.stored) {
      int64_t& previous = last_of_village[row.village_id];
      if (row.sequence <= previous) {
        return absl::InternalError("ledger sequences out of chain order");
      }
      previous = row.sequence;
    }
  }
  for (const auto& [village, sequence] : last_of_village) heads[village].head_sequence = sequence;
  return absl::OkStatus();
}

void AddPeriodScores(sql::Connection& connection, const std::vector<Scored>& scored) {
  std::map<std::tuple<int64_t, int64_t, std::string>, int64_t> sums;
  for (const Scored& inspection : scored) {
    for (const StoredEntry& row : inspection.stored) {
      sums[{row.village_id, row.household_id, row.period}] += row.points;
    }
  }
  if (sums.empty()) return;
  json rows = json::array();
  for (const auto& [key, points] : sums) {
    rows.push_back({{"v", std::get<0>(key)}, {"h", std::get<1>(key)}, {"p", std::get<2>(key)},
                    {"n", points}});
  }
  Statement(connection, kAddPeriodScores).Bind(rows.dump()).Update();
}

void MoveHeads(sql::Connection& connection, const std::map<int64_t, VillageHead>& heads,
               const std::vector<Scored>& scored) {
  std::set<int64_t> moved;
  for (const Scored& inspection : scored) {
    for (const StoredEntry& row : inspection.stored) moved.insert(row.village_id);
  }
  if (moved.empty()) return;
  json rows = json::array();
  for (int64_t village : moved) {
    const VillageHead& head = heads.at(village);
    rows.push_back({{"v", village}, {"s", head.head_sequence}, {"x", head.head_hash},
                    {"n", head.entries}});
  }
  Statement(connection, kMoveHeads).Bind(rows.dump()).Update();
}

v1::SubmitInspectionResponse ResponseOf(const QueuedInspection& inspection, const Scored& scored) {
  v1::SubmitInspectionResponse response;
  response.set_inspection_id(RequestOf(inspection).inspection_id());
  int64_t total = 0;
  for (const StoredEntry& entry : scored.stored) {
    ToProto(entry, response.add_entries());
    total += entry.points;
  }
  response.set_total_points(total);
  return response;
}

// The facts audit's anomaly rules read (record_facts.h): whose household, how much, which photos,
// and the household's steward, so that a steward scoring their own household shows.
AuditFacts AuditOf(const QueuedInspection& inspection, const Scored& scored,
                   const v1::SubmitInspectionResponse& response) {
  const HouseholdRecord& household = scored.context->household;
  audit::AwardFacts facts{household.household_id, response.total_points(),
                          household.steward_user_id, {}, scored.context->scorer_is_member};
  for (const v1::InspectionOutcome& outcome : RequestOf(inspection).outcomes()) {
    facts.photo_refs.insert(facts.photo_refs.end(), outcome.photo_refs().begin(),
                            outcome.photo_refs().end());
  }
  return {household.village_id,
          inspection.caller->user_id,
          std::string(auth::RoleName(inspection.caller->role)),
          "submit_inspection",
          "inspection",
          RequestOf(inspection).inspection_id(),
          "",
          // period= lets audit's close_burst rule count only the deeds of the quarter whose
          // publicity window is closing.
          AuditState(audit::FormatAward(facts, absl::StrCat("entries=", scored.stored.size(),
                                                            " period=", PeriodOfRequest(inspection))))};
}

// The inspection rows (the idempotency record with its answer) and their audit records.
absl::Status RecordInspections(sql::Connection& connection,
                               const std::vector<QueuedInspection*>& batch,
                               const std::vector<Scored>& scored, int64_t recorded_at_ms,
                               std::vector<InspectionOutcome>* outcomes) {
  if (scored.empty()) return absl::OkStatus();
  json rows = json::array();
  std::vector<outbox::NewRecord> audit_records;
  for (const Scored& inspection : scored) {
    const QueuedInspection& queued = *batch[inspection.position];
    const v1::SubmitInspectionRequest& request = RequestOf(queued);
    v1::SubmitInspectionResponse response = ResponseOf(queued, inspection);
    const HouseholdRecord& household = inspection.context->household;
    rows.push_back({{"v", household.village_id}, {"id", request.inspection_id()},
                    {"h", household.household_id}, {"u", queued.caller->user_id},
                    {"ur", auth::RoleName(queued.caller->role)}, {"sha", queued.digest},
                    {"rq", absl::Base64Escape(request.SerializeAsString())},
                    {"rs", absl::Base64Escape(response.SerializeAsString())},
                    {"o", request.occurred_at_ms()}, {"t", recorded_at_ms}});
    audit_records.push_back({household.village_id, kAuditTopic,
                             AuditRecordBytes(AuditOf(queued, inspection, response),
                                              AuditOrigin{queued.caller->request_id})});
    (*outcomes)[inspection.position] = std::move(response);
  }
  Statement(connection, kInsertInspections).Bind(rows.dump()).Update();
  return outbox::AppendAll(connection, audit_records);
}

absl::Status WriteOrThrow(sql::Connection& connection, PublishedRulebookCache& rulebooks,
                          const std::vector<QueuedInspection*>& batch,
                          LedgerSequencer::Ticket& ticket,
                          std::vector<InspectionOutcome>* outcomes) {
  outcomes->assign(batch.size(), absl::UnknownError("not decided"));
  const absl::Time now = absl::Now();
  const int64_t recorded_at_ms = absl::ToUnixMillis(now);
  std::set<int64_t> villages;
  for (const QueuedInspection* inspection : batch) villages.insert(inspection->caller->village_id);
  // Reads come after the heads are locked, so they see every earlier commit of these villages;
  // the same id from another village meets the inspections primary key at insert.
  ASSIGN_OR_RETURN(HeadsByVillage heads, LockHeads(connection, villages));
  const std::vector<std::optional<Context>> contexts = ReadContexts(connection, batch);

  std::vector<Scored> scored;
  std::vector<std::map<std::string, RuleItemSpec>> items;
  std::set<std::pair<int64_t, std::string>> capped_households;
  for (size_t k = 0; k < batch.size(); ++k) {
    if (std::optional<InspectionOutcome> answer = Judge(*batch[k], contexts[k])) {
      (*outcomes)[k] = *std::move(answer);
      continue;
    }
    ASSIGN_OR_RETURN(const std::shared_ptr<const RulebookRecord> rulebook,
                     rulebooks.Get(connection, contexts[k]->rulebook_id));
    std::map<std::string, RuleItemSpec>& by_code = items.emplace_back();
    for (const RuleItemSpec& item : rulebook->items) by_code[item.code] = item;
    if (AnyCapped(RequestOf(*batch[k]), by_code)) {
      capped_households.insert({contexts[k]->household.household_id, PeriodOfRequest(*batch[k])});
    }
    scored.push_back({k, &*contexts[k], {}, {}});
  }
  ASSIGN_OR_RETURN(ItemTotals totals,
                   ReadItemTotals(connection, capped_households));

  std::vector<Scored> accepted;
  for (size_t s = 0; s < scored.size(); ++s) {
    const QueuedInspection& inspection = *batch[scored[s].position];
    const HouseholdRecord& household = scored[s].context->household;
    const std::string period = PeriodOfRequest(inspection);
    absl::StatusOr<std::vector<NewEntry>> planned = PlanInspectionEntries(
        ToDomain(inspection, household), items[s],
        ScoredSoFar(totals, household.household_id, period), now);
    absl::Status fits = planned.status();
    for (size_t e = 0; fits.ok() && e < planned->size(); ++e) fits = CheckWidths((*planned)[e]);
    if (!fits.ok()) {
      (*outcomes)[scored[s].position] = fits;
      continue;
    }
    for (const NewEntry& entry : *planned) {
      totals[{entry.household_id, entry.period, entry.item_code}] += entry.points;
    }
    scored[s].planned = *std::move(planned);
    accepted.push_back(std::move(scored[s]));
  }

  RETURN_IF_ERROR(AppendEntries(connection, heads, accepted, recorded_at_ms, ticket));
  AddPeriodScores(connection, accepted);
  MoveHeads(connection, heads, accepted);
  return RecordInspections(connection, batch, accepted, recorded_at_ms, outcomes);
}

}  // namespace

absl::Status WriteInspectionBatch(sql::Connection& connection, PublishedRulebookCache& rulebooks,
                                  const std::vector<QueuedInspection*>& batch,
                                  LedgerSequencer::Ticket& ticket,
                                  std::vector<InspectionOutcome>* outcomes) {
  try {
    return WriteOrThrow(connection, rulebooks, batch, ticket, outcomes);
  } catch (const json::exception& e) {
    // Protobuf checks that request strings are UTF-8, so this is a stored value gone bad.
    return absl::InternalError(absl::StrCat("inspection rows do not encode as JSON: ", e.what()));
  }
}

}  // namespace jifen::scoring
