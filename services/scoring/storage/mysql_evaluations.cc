#include "services/scoring/storage/mysql_evaluations.h"

#include <cppconn/connection.h>
#include <cppconn/resultset.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <openssl/sha.h>

#include <algorithm>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/mysql/statement.h"
#include "common/mysql/transaction.h"
#include "common/status/status_macros.h"
#include "services/scoring/domain/access.h"
#include "services/scoring/domain/evaluation_rules.h"
#include "services/scoring/domain/period.h"
#include "services/scoring/storage/audit_outbox.h"
#include "services/scoring/storage/digests.h"
#include "services/scoring/storage/mysql_rulebooks.h"

namespace jifen::scoring {
namespace {

using mysql::GetString;
using mysql::Statement;

// The fields of a round a client sets: what "the same round" means.
v1::EvaluationRound Definition(const v1::EvaluationRound& round) {
  v1::EvaluationRound definition;
  definition.set_round_id(round.round_id());
  definition.set_village_id(round.village_id());
  definition.set_period(round.period());
  definition.set_item_code(round.item_code());
  *definition.mutable_criteria() = round.criteria();
  definition.set_awarded_groups(round.awarded_groups());
  // By group, so that the same representatives in another order are the same round.
  std::vector<v1::GroupRepresentative> representatives(round.representatives().begin(),
                                                       round.representatives().end());
  std::sort(representatives.begin(), representatives.end(),
            [](const v1::GroupRepresentative& a, const v1::GroupRepresentative& b) {
              return std::make_pair(a.group_id(), a.user_id()) <
                     std::make_pair(b.group_id(), b.user_id());
            });
  for (v1::GroupRepresentative& representative : representatives) {
    *definition.add_representatives() = std::move(representative);
  }
  return definition;
}

RoundSpec ToSpec(const v1::EvaluationRound& definition, std::vector<int64_t> group_ids) {
  RoundSpec spec;
  spec.round_id = definition.round_id();
  spec.village_id = definition.village_id();
  spec.period = definition.period();
  spec.item_code = definition.item_code();
  spec.criteria.assign(definition.criteria().begin(), definition.criteria().end());
  spec.awarded_groups = definition.awarded_groups();
  spec.group_ids = std::move(group_ids);
  for (const v1::GroupRepresentative& representative : definition.representatives()) {
    spec.representatives[representative.group_id()] = representative.user_id();
  }
  return spec;
}

// Each representative must be a member of a household of the group they rate for.
absl::Status CheckRepresentativesAreMembers(sql::Connection& connection,
                                            const v1::EvaluationRound& definition) {
  for (const v1::GroupRepresentative& representative : definition.representatives()) {
    auto rows = Statement(connection,
                          "SELECT h.group_id FROM members m JOIN households h "
                          "ON h.village_id = m.village_id AND h.household_id = m.household_id "
                          "WHERE m.village_id = ? AND m.member_id = ?")
                    .Bind(definition.village_id())
                    .Bind(MemberIdOfUser(representative.user_id()))
                    .Query();
    if (!rows->next() || rows->getInt64(1) != representative.group_id()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "REPRESENTATIVE_NOT_IN_GROUP: representatives: ", representative.user_id(),
          " is not a member of a household of group ", representative.group_id()));
    }
  }
  return absl::OkStatus();
}

// The digest of one rater group's ratings, independent of their order.
std::string RatingsDigest(const std::vector<RatingInput>& canonical) {
  std::string text;
  for (const RatingInput& rating : canonical) {
    absl::StrAppend(&text, rating.rater_group_id, "|", rating.rated_group_id, "|",
                    rating.criterion.size(), ":", rating.criterion, "|", rating.score, "\n");
  }
  return Sha256Hex(text);
}

struct RoundRow {
  v1::EvaluationRound definition;
  RoundSpec spec;
  std::string payload_sha256;
  bool closed = false;
  int64_t closed_at_ms = 0;
};

absl::StatusOr<std::vector<int64_t>> ParseGroupIds(const std::string& text) {
  std::vector<int64_t> ids;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    int64_t id = 0;
    if (!absl::SimpleAtoi(part, &id)) return absl::DataLossError("stored group ids do not parse");
    ids.push_back(id);
  }
  return ids;
}

constexpr char kRoundColumns[] = "definition, group_ids, payload_sha256, closed, closed_at_ms";

// The round on the current row of a query selecting kRoundColumns.
absl::StatusOr<RoundRow> ReadRound(sql::ResultSet& rows) {
  RoundRow row;
  if (!row.definition.ParseFromString(GetString(rows, "definition"))) {
    return absl::DataLossError("stored round definition does not parse");
  }
  ASSIGN_OR_RETURN(std::vector<int64_t> group_ids, ParseGroupIds(GetString(rows, "group_ids")));
  row.spec = ToSpec(row.definition, std::move(group_ids));
  row.payload_sha256 = GetString(rows, "payload_sha256");
  row.closed = rows.getBoolean("closed");
  row.closed_at_ms = rows.getInt64("closed_at_ms");
  return row;
}

// The round by id, in any village. `lock`: "", " LOCK IN SHARE MODE" or " FOR UPDATE".
absl::StatusOr<std::optional<RoundRow>> FindRound(sql::Connection& connection,
                                                  const std::string& round_id, const char* lock) {
  const std::string query = absl::StrCat("SELECT ", kRoundColumns,
                                         " FROM evaluation_rounds WHERE round_id = ?", lock);
  auto rows = Statement(connection, query.c_str()).Bind(round_id).Query();
  if (!rows->next()) return std::optional<RoundRow>();
  ASSIGN_OR_RETURN(RoundRow row, ReadRound(*rows));
  return std::optional<RoundRow>(std::move(row));
}

// The town of `village_id`; 0 for an unknown village (the scope check then refuses or says
// not found, as the caller's role decides).
int64_t TownOfVillage(sql::Connection& connection, int64_t village_id) {
  auto rows = Statement(connection, "SELECT town_id FROM villages WHERE village_id = ?")
                  .Bind(village_id)
                  .Query();
  return rows->next() ? rows->getInt64(1) : 0;
}

absl::StatusOr<RoundRow> RequireRound(sql::Connection& connection, const std::string& round_id,
                                      const char* lock) {
  ASSIGN_OR_RETURN(std::optional<RoundRow> row, FindRound(connection, round_id, lock));
  if (!row.has_value()) {
    return absl::NotFoundError(absl::StrCat("evaluation round ", round_id, " not found"));
  }
  return *std::move(row);
}

absl::StatusOr<std::vector<int64_t>> SubmittedGroups(sql::Connection& connection,
                                                     const RoundSpec& spec) {
  auto rows = Statement(connection,
                        "SELECT rater_group_id FROM evaluation_submissions "
                        "WHERE village_id = ? AND round_id = ? ORDER BY rater_group_id")
                  .Bind(spec.village_id).Bind(spec.round_id)
                  .Query();
  std::vector<int64_t> groups;
  while (rows->next()) groups.push_back(rows->getInt64(1));
  return groups;
}

// The round as the API shows it: definition, participants, who has rated, results when closed.
absl::StatusOr<v1::EvaluationRound> RoundProto(sql::Connection& connection, const RoundRow& row) {
  v1::EvaluationRound round = row.definition;
  for (int64_t group_id : row.spec.group_ids) round.add_group_ids(group_id);
  ASSIGN_OR_RETURN(const std::vector<int64_t> submitted, SubmittedGroups(connection, row.spec));
  for (int64_t group_id : submitted) round.add_rated_by_groups(group_id);
  round.set_closed(row.closed);
  round.set_closed_at_ms(row.closed_at_ms);
  if (row.closed) {
    auto rows = Statement(connection,
                          "SELECT group_id, result, group_rank, ratings_received, awarded, "
                          "households_credited FROM evaluation_results "
                          "WHERE village_id = ? AND round_id = ? ORDER BY group_rank, group_id")
                    .Bind(row.spec.village_id).Bind(row.spec.round_id)
                    .Query();
    while (rows->next()) {
      v1::GroupResult* result = round.add_results();
      result->set_group_id(rows->getInt64("group_id"));
      result->set_result(rows->getInt64("result"));
      result->set_rank(rows->getInt("group_rank"));
      result->set_ratings_received(rows->getInt("ratings_received"));
      result->set_awarded(rows->getBoolean("awarded"));
      result->set_households_credited(rows->getInt("households_credited"));
    }
  }
  return round;
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

// The round's item in the rulebook in force on the period's last day.
absl::StatusOr<RuleItemSpec> RoundItem(sql::Connection& connection, const RoundSpec& spec,
                                       absl::Time deed_day, bool at_close) {
  ASSIGN_OR_RETURN(const RulebookRecord rulebook,
                   MySqlRulebooks::InForceOn(connection, spec.village_id, FormatDate(deed_day)));
  for (const RuleItemSpec& item : rulebook.items) {
    if (item.code != spec.item_code) continue;
    RETURN_IF_ERROR(ValidateRoundItem(item));
    return item;
  }
  const std::string message =
      absl::StrCat("item \"", spec.item_code, "\" is not in the rulebook in force on ",
                   FormatDate(deed_day), " (the last day of ", spec.period, ")");
  if (at_close) return absl::FailedPreconditionError(absl::StrCat("ITEM_GONE: ", message));
  return absl::InvalidArgumentError(absl::StrCat("UNKNOWN_ITEM: ", message));
}

std::string ActorRole(const auth::Caller& caller) {
  return std::string(auth::RoleName(caller.role));
}

}  // namespace

absl::StatusOr<v1::EvaluationRound> MySqlEvaluations::Open(const auth::Caller& caller,
                                                           const v1::EvaluationRound& round) {
  RETURN_IF_ERROR(CheckVillageAdmin(caller, round.village_id()));
  const v1::EvaluationRound definition = Definition(round);
  // Shape checks that need no data come first (the group list is checked in the transaction).
  {
    RoundSpec shape = ToSpec(definition, {0, 0});
    shape.awarded_groups = 1;
    RETURN_IF_ERROR(ValidateRoundSpec(shape, absl::Now()));
  }
  const std::string definition_bytes = DeterministicBytes(definition);
  const std::string digest = Sha256Hex(definition_bytes);
  v1::EvaluationRound result;
  RETURN_IF_ERROR(mysql::RunInTransaction(pool_, [&](sql::Connection& connection) -> absl::Status {
    result.Clear();
    RETURN_IF_ERROR(MySqlLedger::LockVillage(connection, round.village_id()).status());
    ASSIGN_OR_RETURN(std::optional<RoundRow> earlier,
                     FindRound(connection, round.round_id(), ""));
    if (earlier.has_value()) {
      if (earlier->payload_sha256 != digest) {
        return absl::AlreadyExistsError(absl::StrCat(
            "ROUND_ID_REUSED: round ", round.round_id(), " was opened with another definition"));
      }
      ASSIGN_OR_RETURN(result, RoundProto(connection, *earlier));
      return absl::OkStatus();
    }
    std::vector<int64_t> group_ids;
    {
      auto rows = Statement(connection,
                            "SELECT group_id FROM villager_groups WHERE village_id = ? "
                            "ORDER BY group_id")
                      .Bind(round.village_id())
                      .Query();
      while (rows->next()) group_ids.push_back(rows->getInt64(1));
    }
    RoundRow row;
    row.definition = definition;
    row.spec = ToSpec(definition, group_ids);
    row.payload_sha256 = digest;
    RETURN_IF_ERROR(ValidateRoundSpec(row.spec, absl::Now()));
    if (static_cast<size_t>(definition.representatives_size()) != row.spec.representatives.size()) {
      return absl::InvalidArgumentError("representatives: at most one per group");
    }
    RETURN_IF_ERROR(ValidateRepresentatives(row.spec));
    RETURN_IF_ERROR(CheckRepresentativesAreMembers(connection, definition));
    RETURN_IF_ERROR(CheckNotSettled(connection, round.village_id(), round.period()));
    ASSIGN_OR_RETURN(const absl::Time deed_day, RoundDeedDay(round.period()));
    RETURN_IF_ERROR(RoundItem(connection, row.spec, deed_day, /*at_close=*/false).status());
    Statement(connection,
              "INSERT INTO evaluation_rounds (village_id, round_id, period, item_code, definition, "
              "awarded_groups, group_ids, payload_sha256, opened_by, opened_at_ms) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .Bind(round.village_id()).Bind(round.round_id()).Bind(round.period())
        .Bind(round.item_code()).BindBlob(definition_bytes).Bind(round.awarded_groups())
        .Bind(absl::StrJoin(group_ids, ",")).Bind(digest).Bind(caller.user_id)
        .Bind(absl::ToUnixMillis(absl::Now()))
        .Update();
    ASSIGN_OR_RETURN(result, RoundProto(connection, row));
    return RecordAudit(
        connection,
        {round.village_id(), caller.user_id, ActorRole(caller), "open_evaluation_round",
         "evaluation_round", round.round_id(), "",
         AuditState(absl::StrCat("period=", round.period(), " item=", round.item_code(),
                                 " criteria=", absl::StrJoin(round.criteria(), "/"),
                                 " awarded_groups=", round.awarded_groups(),
                                 " groups=", absl::StrJoin(group_ids, ","),
                                 " representatives=",
                                 absl::StrJoin(row.spec.representatives, ",",
                                               absl::PairFormatter(":"))))},
        AuditOrigin{caller.request_id});
  }));
  return result;
}

absl::Status MySqlEvaluations::SubmitRatings(const auth::Caller& caller,
                                             const v1::SubmitRatingsRequest& request) {
  if (request.round_id().empty()) return absl::InvalidArgumentError("round_id is required");
  if (caller.role != auth::Role::kResident && caller.role != auth::Role::kVillageAdmin) {
    return absl::PermissionDeniedError(
        absl::StrCat(auth::RoleName(caller.role), " may not submit mutual-evaluation ratings"));
  }
  // The definition never changes: read it once outside the transaction for the checks.
  std::optional<RoundRow> found;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& connection) {
    ASSIGN_OR_RETURN(found, FindRound(connection, request.round_id(), ""));
    return absl::OkStatus();
  }));
  if (!found.has_value() || found->spec.village_id != caller.village_id) {
    return absl::NotFoundError(
        absl::StrCat("evaluation round ", request.round_id(), " not found in your village"));
  }
  const RoundSpec& spec = found->spec;
  std::optional<HouseholdRecord> household;
  if (caller.role == auth::Role::kResident && caller.household_id != 0) {
    ASSIGN_OR_RETURN(household, households_.FindHousehold(caller.household_id));
  }
  RETURN_IF_ERROR(CheckCanRate(caller, spec, request.rater_group_id(),
                               household.has_value() ? &*household : nullptr));
  std::vector<RatingInput> ratings;
  for (const v1::Rating& rating : request.ratings()) {
    ratings.push_back(
        {request.rater_group_id(), rating.rated_group_id(), rating.criterion(), rating.score()});
  }
  RETURN_IF_ERROR(ValidateRatings(spec, request.rater_group_id(), ratings));
  ratings = CanonicalRatings(std::move(ratings));
  const std::string digest = RatingsDigest(ratings);

  return mysql::RunInTransaction(pool_, [&](sql::Connection& connection) -> absl::Status {
    RETURN_IF_ERROR(MySqlLedger::LockVillage(connection, spec.village_id).status());
    ASSIGN_OR_RETURN(const RoundRow row, RequireRound(connection, spec.round_id, " FOR UPDATE"));
    auto earlier = Statement(connection,
                             "SELECT payload_sha256 FROM evaluation_submissions "
                             "WHERE village_id = ? AND round_id = ? AND rater_group_id = ?")
                       .Bind(spec.village_id).Bind(spec.round_id).Bind(request.rater_group_id())
                       .Query();
    const bool submitted_before = earlier->next();
    // A retry of what was recorded gets its answer even after the round closed; anything else in
    // a closed round is told so first, since that is what the representative can act on.
    if (submitted_before && GetString(*earlier, "payload_sha256") == digest) {
      return absl::OkStatus();
    }
    if (row.closed) {
      return absl::FailedPreconditionError(
          absl::StrCat("ROUND_CLOSED: round ", spec.round_id, " is closed"));
    }
    if (submitted_before) {
      return absl::AlreadyExistsError(absl::StrCat(
          "RATINGS_SUBMITTED: group ", request.rater_group_id(),
          " has already submitted different ratings in round ", spec.round_id));
    }
    // Settlement waits for open rounds; a round of a quarter settled all the same (before that
    // rule) can never close, so ratings into it would be taken for nothing.
    RETURN_IF_ERROR(CheckNotSettled(connection, spec.village_id, spec.period));
    const int64_t now_ms = absl::ToUnixMillis(absl::Now());
    Statement(connection,
              "INSERT INTO evaluation_submissions (village_id, round_id, rater_group_id, "
              "payload_sha256, actor_user_id, actor_role, submitted_at_ms) "
              "VALUES (?, ?, ?, ?, ?, ?, ?)")
        .Bind(spec.village_id).Bind(spec.round_id).Bind(request.rater_group_id()).Bind(digest)
        .Bind(caller.user_id).Bind(ActorRole(caller)).Bind(now_ms)
        .Update();
    for (const RatingInput& rating : ratings) {
      Statement(connection,
                "INSERT INTO evaluation_ratings (village_id, round_id, rater_group_id, "
                "rated_group_id, criterion, score) VALUES (?, ?, ?, ?, ?, ?)")
          .Bind(spec.village_id).Bind(spec.round_id).Bind(rating.rater_group_id)
          .Bind(rating.rated_group_id).Bind(rating.criterion).Bind(rating.score)
          .Update();
    }
    return RecordAudit(connection,
                       {spec.village_id, caller.user_id, ActorRole(caller), "submit_ratings",
                        "evaluation_round", spec.round_id, "",
                        AuditState(absl::StrCat("rater_group=", request.rater_group_id(),
                                                " ratings=", ratings.size(),
                                                " sha256=", digest))},
                       AuditOrigin{caller.request_id});
  });
}

absl::StatusOr<v1::EvaluationRound> MySqlEvaluations::Close(const auth::Caller& caller,
                                                            const v1::CloseRoundRequest& request) {
  if (request.round_id().empty()) return absl::InvalidArgumentError("round_id is required");
  if (caller.role != auth::Role::kVillageAdmin) {
    return absl::PermissionDeniedError(
        absl::StrCat(auth::RoleName(caller.role), " may not close evaluation rounds"));
  }
  std::optional<RoundRow> found;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& connection) {
    ASSIGN_OR_RETURN(found, FindRound(connection, request.round_id(), ""));
    return absl::OkStatus();
  }));
  if (!found.has_value() || found->spec.village_id != caller.village_id) {
    return absl::NotFoundError(
        absl::StrCat("evaluation round ", request.round_id(), " not found in your village"));
  }
  RETURN_IF_ERROR(CheckVillageAdmin(caller, found->spec.village_id));
  const int64_t village_id = found->spec.village_id;

  LedgerSequencer::Ticket ticket = ledger_.sequencer().Begin();
  v1::EvaluationRound result;
  RETURN_IF_ERROR(mysql::RunInTransaction(pool_, [&](sql::Connection& connection) -> absl::Status {
    result.Clear();
    ASSIGN_OR_RETURN(VillageHead head, MySqlLedger::LockVillage(connection, village_id));
    ASSIGN_OR_RETURN(RoundRow row, RequireRound(connection, request.round_id(), " FOR UPDATE"));
    if (row.closed) {
      ASSIGN_OR_RETURN(result, RoundProto(connection, row));
      return absl::OkStatus();
    }
    const RoundSpec& spec = row.spec;
    RETURN_IF_ERROR(CheckNotSettled(connection, village_id, spec.period));
    ASSIGN_OR_RETURN(const std::vector<int64_t> submitted, SubmittedGroups(connection, spec));
    RETURN_IF_ERROR(CheckRoundComplete(spec, submitted));
    ASSIGN_OR_RETURN(const absl::Time deed_day, RoundDeedDay(spec.period));
    ASSIGN_OR_RETURN(const RuleItemSpec item,
                     RoundItem(connection, spec, deed_day, /*at_close=*/true));

    std::vector<RatingInput> ratings;
    {
      auto rows = Statement(connection,
                            "SELECT rater_group_id, rated_group_id, criterion, score "
                            "FROM evaluation_ratings WHERE village_id = ? AND round_id = ?")
                      .Bind(village_id).Bind(spec.round_id)
                      .Query();
      while (rows->next()) {
        ratings.push_back({rows->getInt64("rater_group_id"), rows->getInt64("rated_group_id"),
                           GetString(*rows, "criterion"), rows->getInt("score")});
      }
    }
    const std::vector<GroupOutcome> outcomes = RankGroups(spec, ratings);
    std::map<int64_t, const GroupOutcome*> awarded;
    for (const GroupOutcome& outcome : outcomes) {
      if (outcome.awarded) awarded[outcome.group_id] = &outcome;
    }

    // What the item has already moved for each household in the period (the cap applies).
    std::map<int64_t, int64_t> moved;
    {
      auto rows = Statement(connection,
                            "SELECT household_id, ABS(SUM(points)) AS moved FROM ledger_entries "
                            "WHERE village_id = ? AND period = ? AND account = 1 AND item_code = ? "
                            "GROUP BY household_id")
                      .Bind(village_id).Bind(spec.period).Bind(item.code)
                      .Query();
      while (rows->next()) moved[rows->getInt64("household_id")] = rows->getInt64("moved");
    }
    std::vector<NewEntry> credits;
    std::map<int64_t, int> credited_per_group;
    {
      auto rows = Statement(connection,
                            "SELECT household_id, group_id FROM households "
                            "WHERE village_id = ? ORDER BY household_id")
                      .Bind(village_id)
                      .Query();
      while (rows->next()) {
        HouseholdRecord household;
        household.village_id = village_id;
        household.household_id = rows->getInt64("household_id");
        household.group_id = rows->getInt64("group_id");
        const auto winner = awarded.find(household.group_id);
        if (winner == awarded.end()) continue;
        const auto already = moved.find(household.household_id);
        const int64_t points = CappedAward(item, already == moved.end() ? 0 : already->second);
        if (points <= 0) continue;
        credits.push_back(
            EvaluationEntry(spec, item, household, *winner->second, points, deed_day, caller));
        ++credited_per_group[household.group_id];
      }
    }
    ASSIGN_OR_RETURN(const std::vector<StoredEntry> stored,
                     ledger_.Append(connection, head, credits, ticket));
    int64_t points_credited = 0;
    for (const StoredEntry& entry : stored) points_credited += entry.points;

    for (const GroupOutcome& outcome : outcomes) {
      Statement(connection,
                "INSERT INTO evaluation_results (village_id, round_id, group_id, result, "
                "group_rank, ratings_received, awarded, households_credited) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
          .Bind(village_id).Bind(spec.round_id).Bind(outcome.group_id).Bind(outcome.result)
          .Bind(outcome.rank).Bind(outcome.ratings_received).Bind(outcome.awarded)
          .Bind(credited_per_group[outcome.group_id])
          .Update();
    }
    const int64_t now_ms = absl::ToUnixMillis(absl::Now());
    Statement(connection,
              "UPDATE evaluation_rounds SET closed = TRUE, closed_by = ?, closed_at_ms = ? "
              "WHERE village_id = ? AND round_id = ?")
        .Bind(caller.user_id).Bind(now_ms).Bind(village_id).Bind(spec.round_id)
        .Update();
    row.closed = true;
    row.closed_at_ms = now_ms;
    ASSIGN_OR_RETURN(result, RoundProto(connection, row));
    std::vector<std::string> ranking;
    for (const GroupOutcome& outcome : outcomes) {
      ranking.push_back(absl::StrCat(outcome.group_id, ":", outcome.result, "#", outcome.rank,
                                     outcome.awarded ? "*" : ""));
    }
    return RecordAudit(connection,
                       {village_id, caller.user_id, ActorRole(caller), "close_evaluation_round",
                        "evaluation_round", spec.round_id, "closed=false",
                        AuditState(absl::StrCat("closed=true results=",
                                                absl::StrJoin(ranking, ","),
                                                " households_credited=", stored.size(),
                                                " points=", points_credited))},
                       AuditOrigin{caller.request_id});
  }));
  return result;
}

absl::StatusOr<v1::EvaluationRound> MySqlEvaluations::Get(const auth::Caller& caller,
                                                          const v1::GetRoundRequest& request) {
  if (request.round_id().empty()) return absl::InvalidArgumentError("round_id is required");
  v1::EvaluationRound result;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& connection)
                                                      -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<RoundRow> row, FindRound(connection, request.round_id(), ""));
    if (!row.has_value()) {
      return absl::NotFoundError(
          absl::StrCat("evaluation round ", request.round_id(), " not found"));
    }
    if (absl::Status allowed = CheckCanReadVillage(caller, row->spec.village_id,
                                                   TownOfVillage(connection, row->spec.village_id));
        !allowed.ok()) {
      // Rounds of other villages are reported as absent.
      return absl::NotFoundError(
          absl::StrCat("evaluation round ", request.round_id(), " not found"));
    }
    ASSIGN_OR_RETURN(result, RoundProto(connection, *row));
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<v1::ListRoundsResponse> MySqlEvaluations::List(
    const auth::Caller& caller, const v1::ListRoundsRequest& request) {
  if (request.village_id() <= 0) {
    return absl::InvalidArgumentError("village_id: must be a positive id");
  }
  v1::ListRoundsResponse result;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& connection)
                                                      -> absl::Status {
    RETURN_IF_ERROR(CheckCanReadVillage(caller, request.village_id(),
                                        TownOfVillage(connection, request.village_id())));
    const std::string query =
        absl::StrCat("SELECT ", kRoundColumns,
                     " FROM evaluation_rounds WHERE village_id = ? AND (closed = FALSE OR ? = FALSE) "
                     "ORDER BY opened_at_ms DESC, round_id LIMIT 100");
    auto rows = Statement(connection, query.c_str())
                    .Bind(request.village_id())
                    .Bind(request.open_only())
                    .Query();
    // Read to the end before the rounds' own queries run on the connection.
    std::vector<RoundRow> rounds;
    while (rows->next()) {
      ASSIGN_OR_RETURN(RoundRow row, ReadRound(*rows));
      rounds.push_back(std::move(row));
    }
    for (const RoundRow& row : rounds) {
      ASSIGN_OR_RETURN(*result.add_rounds(), RoundProto(connection, row));
    }
    return absl::OkStatus();
  }));
  return result;
}

}  // namespace jifen::scoring
