#include "services/scoring/storage/mysql_rulebooks.h"

#include <cppconn/connection.h>
#include <cppconn/resultset.h>

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/mysql/statement.h"
#include "common/mysql/transaction.h"
#include "common/status/status_macros.h"
#include "services/scoring/domain/ledger_entry.h"
#include "services/scoring/domain/period.h"

namespace jifen::scoring {
namespace {

using mysql::GetString;
using mysql::Statement;

constexpr char kRulebookColumns[] =
    "rulebook_id, village_id, year, version, DATE_FORMAT(effective_from, '%Y-%m-%d') AS eff, "
    "state, DATE_FORMAT(vote_meeting_date, '%Y-%m-%d') AS meeting, vote_members, vote_attending, "
    "vote_in_favour, vote_against, vote_abstain, COALESCE(published_at_ms, 0) AS published";

RulebookRecord ReadRulebook(sql::ResultSet& rows) {
  RulebookRecord record;
  record.rulebook_id = rows.getInt64("rulebook_id");
  record.village_id = rows.getInt64("village_id");
  record.year = rows.getInt("year");
  record.version = rows.getInt("version");
  record.effective_from = GetString(rows, "eff");
  record.state = rows.getInt("state");
  record.published_at_ms = rows.getInt64("published");
  if (!rows.isNull("vote_members")) {
    VoteRecord vote;
    vote.meeting_date = GetString(rows, "meeting");
    vote.members = rows.getInt("vote_members");
    vote.attending = rows.getInt("vote_attending");
    vote.in_favour = rows.getInt("vote_in_favour");
    vote.against = rows.getInt("vote_against");
    vote.abstain = rows.getInt("vote_abstain");
    record.vote = vote;
  }
  return record;
}

std::vector<RuleItemSpec> LoadItems(sql::Connection& connection, int64_t rulebook_id) {
  auto rows = Statement(connection,
                        "SELECT code, name, category, scope, points, cap_points_per_period, "
                        "photo_required, allowed_roles FROM rule_items WHERE rulebook_id = ? "
                        "ORDER BY code")
                  .Bind(rulebook_id)
                  .Query();
  std::vector<RuleItemSpec> items;
  while (rows->next()) {
    RuleItemSpec item;
    item.code = GetString(*rows, "code");
    item.name = GetString(*rows, "name");
    item.category = rows->getInt("category");
    item.scope = rows->getInt("scope");
    item.points = rows->getInt64("points");
    item.cap_points_per_period = rows->getInt64("cap_points_per_period");
    item.photo_required = rows->getBoolean("photo_required");
    item.allowed_roles = absl::StrSplit(GetString(*rows, "allowed_roles"), ',', absl::SkipEmpty());
    items.push_back(std::move(item));
  }
  return items;
}

absl::StatusOr<RulebookRecord> LoadRulebook(sql::Connection& connection, int64_t rulebook_id,
                                            bool for_update) {
  const std::string query = absl::StrCat("SELECT ", kRulebookColumns,
                                         " FROM rulebooks WHERE rulebook_id = ?",
                                         for_update ? " FOR UPDATE" : "");
  auto rows = Statement(connection, query.c_str()).Bind(rulebook_id).Query();
  if (!rows->next()) {
    return absl::NotFoundError(absl::StrCat("rulebook ", rulebook_id, " does not exist"));
  }
  RulebookRecord record = ReadRulebook(*rows);
  record.items = LoadItems(connection, rulebook_id);
  return record;
}

absl::StatusOr<RulebookRecord> LoadDraftForUpdate(sql::Connection& connection,
                                                  int64_t rulebook_id) {
  ASSIGN_OR_RETURN(RulebookRecord record, LoadRulebook(connection, rulebook_id, true));
  if (record.state != kRulebookDraft) {
    return absl::FailedPreconditionError(absl::StrCat(
        "RULEBOOK_PUBLISHED: rulebook ", rulebook_id,
        " is published and cannot change; create a new version with a later effective date"));
  }
  return record;
}

void InsertItem(sql::Connection& connection, int64_t village_id, int64_t rulebook_id,
                const RuleItemSpec& item) {
  Statement(connection,
            "INSERT INTO rule_items (village_id, rulebook_id, code, name, category, scope, "
            "points, cap_points_per_period, photo_required, allowed_roles) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .Bind(village_id).Bind(rulebook_id).Bind(item.code).Bind(item.name).Bind(item.category)
      .Bind(item.scope).Bind(item.points).Bind(item.cap_points_per_period)
      .Bind(item.photo_required).Bind(absl::StrJoin(item.allowed_roles, ","))
      .Update();
}

absl::Status AuditChange(sql::Connection& connection, const Actor& actor, int64_t village_id,
                         int64_t rulebook_id, const std::string& action,
                         const std::string& after) {
  return RecordAudit(connection,
                     {village_id, actor.user_id, actor.role, action, "rulebook",
                      absl::StrCat(rulebook_id), "", AuditState(after)},
                     AuditOrigin{actor.request_id});
}

// Takes, before any plain read, the locks that order a publish: the draft, its village's row
// (two drafts of one village are published one after the other, so they can't both pass the
// date check for the same date) and its village's chain head (which inspection writers lock
// before they read the rulebook in force, so a deed is scored either before the publish, and
// counted by its last-scored-day check, or after it, under the new version). InnoDB takes a
// transaction's snapshot at its first plain read: taken after these locks, it holds whatever
// the transactions this one waited for committed.
absl::Status LockForPublishing(sql::Connection& connection, int64_t rulebook_id) {
  auto rulebook =
      Statement(connection, "SELECT village_id FROM rulebooks WHERE rulebook_id = ? FOR UPDATE")
          .Bind(rulebook_id)
          .Query();
  if (!rulebook->next()) {
    return absl::NotFoundError(absl::StrCat("rulebook ", rulebook_id, " does not exist"));
  }
  const int64_t village_id = rulebook->getInt64(1);
  Statement(connection, "SELECT village_id FROM villages WHERE village_id = ? FOR UPDATE")
      .Bind(village_id)
      .Query();
  Statement(connection, "SELECT village_id FROM ledger_heads WHERE village_id = ? FOR UPDATE")
      .Bind(village_id)
      .Query();
  return absl::OkStatus();
}

// The effective date ("YYYY-MM-DD") of the village's latest published rulebook, if any.
std::optional<std::string> LatestPublishedStart(sql::Connection& connection, int64_t village_id) {
  auto latest = Statement(connection,
                          "SELECT DATE_FORMAT(MAX(effective_from), '%Y-%m-%d') AS eff "
                          "FROM rulebooks WHERE village_id = ? AND state = 2")
                    .Bind(village_id)
                    .Query();
  if (!latest->next() || latest->isNull("eff")) return std::nullopt;
  return GetString(*latest, "eff");
}

// The day ("YYYY-MM-DD", Shanghai) of the village's latest deed already scored, "" when none.
std::string LastScoredDay(sql::Connection& connection, int64_t village_id) {
  auto latest = Statement(connection,
                          "SELECT MAX(occurred_at_ms) AS at_ms FROM ledger_entries "
                          "WHERE village_id = ? AND source IN (?, ?, ?)")
                    .Bind(village_id)
                    .Bind(static_cast<int>(EntrySource::kInspection))
                    .Bind(static_cast<int>(EntrySource::kDeclaration))
                    .Bind(static_cast<int>(EntrySource::kEvaluation))
                    .Query();
  if (!latest->next() || latest->isNull("at_ms")) return "";
  return FormatDate(absl::FromUnixMillis(latest->getInt64("at_ms")));
}

}  // namespace

absl::StatusOr<RulebookRecord> MySqlRulebooks::Get(int64_t rulebook_id) {
  absl::StatusOr<RulebookRecord> result;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& connection) {
    result = LoadRulebook(connection, rulebook_id, false);
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<RulebookRecord> MySqlRulebooks::Template() {
  absl::StatusOr<RulebookRecord> result;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& connection) {
    auto rows = Statement(connection,
                          "SELECT rulebook_id FROM rulebooks WHERE village_id = 0 AND state = 2 "
                          "ORDER BY effective_from DESC, version DESC LIMIT 1")
                    .Query();
    if (!rows->next()) {
      result = absl::FailedPreconditionError("the district template is missing");
      return absl::OkStatus();
    }
    result = LoadRulebook(connection, rows->getInt64(1), false);
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<RulebookRecord> MySqlRulebooks::InForceOn(sql::Connection& connection,
                                                         int64_t village_id,
                                                         const std::string& date) {
  auto rows = Statement(connection,
                        "SELECT rulebook_id FROM rulebooks WHERE village_id = ? AND state = 2 "
                        "AND effective_from <= ? ORDER BY effective_from DESC, version DESC "
                        "LIMIT 1")
                  .Bind(village_id).Bind(date)
                  .Query();
  if (!rows->next()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "NO_RULEBOOK: village ", village_id, " has no published rulebook in force on ", date));
  }
  return LoadRulebook(connection, rows->getInt64(1), false);
}

absl::StatusOr<RulebookRecord> MySqlRulebooks::Load(sql::Connection& connection,
                                                    int64_t rulebook_id) {
  return LoadRulebook(connection, rulebook_id, false);
}

absl::StatusOr<std::shared_ptr<const RulebookRecord>> PublishedRulebookCache::Get(
    sql::Connection& connection, int64_t rulebook_id) {
  {
    absl::MutexLock lock(&mutex_);
    auto found = by_id_.find(rulebook_id);
    if (found != by_id_.end()) return found->second;
  }
  ASSIGN_OR_RETURN(RulebookRecord loaded, LoadRulebook(connection, rulebook_id, false));
  auto record = std::make_shared<const RulebookRecord>(std::move(loaded));
  if (record->state == kRulebookPublished) {
    absl::MutexLock lock(&mutex_);
    if (by_id_.size() >= kMaxRulebooks) by_id_.clear();
    by_id_.emplace(rulebook_id, record);
  }
  return record;
}

absl::StatusOr<RulebookRecord> MySqlRulebooks::InForce(int64_t village_id,
                                                       const std::string& date) {
  absl::StatusOr<RulebookRecord> result;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& connection) {
    result = InForceOn(connection, village_id, date);
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<std::vector<RulebookRecord>> MySqlRulebooks::List(int64_t village_id, int year) {
  std::vector<RulebookRecord> records;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& connection) {
    const std::string query = absl::StrCat("SELECT ", kRulebookColumns,
                                           " FROM rulebooks WHERE village_id = ?",
                                           year != 0 ? " AND year = ?" : "",
                                           " ORDER BY year, version");
    Statement statement(connection, query.c_str());
    statement.Bind(village_id);
    if (year != 0) statement.Bind(year);
    auto rows = statement.Query();
    while (rows->next()) records.push_back(ReadRulebook(*rows));
    return absl::OkStatus();
  }));
  return records;
}

absl::StatusOr<RulebookRecord> MySqlRulebooks::CreateDraft(int64_t village_id, int year,
                                                           const std::string& effective_from,
                                                           int64_t now_ms, const Actor& actor) {
  ASSIGN_OR_RETURN(const absl::Time effective, ParseDate(effective_from, "effective_from"));
  if (YearOf(effective) != year) {
    return absl::InvalidArgumentError(
        absl::StrCat("effective_from: ", effective_from, " is not in year ", year));
  }
  ASSIGN_OR_RETURN(const RulebookRecord template_rulebook, Template());
  int64_t rulebook_id = 0;
  RETURN_IF_ERROR(mysql::RunInTransaction(pool_, [&](sql::Connection& connection) -> absl::Status {
    const std::optional<std::string> latest = LatestPublishedStart(connection, village_id);
    if (latest.has_value() && *latest >= effective_from) {
      return absl::FailedPreconditionError(
          absl::StrCat("EFFECTIVE_DATE_TOO_EARLY: a published rulebook already takes effect on ",
                       *latest, "; a new version must start later"));
    }
    // Deeds scored until it is published are checked then; today's date can be checked now.
    RETURN_IF_ERROR(CheckNewVersionStart(effective_from, latest.has_value(),
                                         FormatDate(absl::FromUnixMillis(now_ms)), ""));
    auto version = Statement(connection,
                             "SELECT COALESCE(MAX(version), 0) + 1 FROM rulebooks "
                             "WHERE village_id = ? AND year = ? FOR UPDATE")
                       .Bind(village_id).Bind(year)
                       .Query();
    version->next();
    Statement(connection,
              "INSERT INTO rulebooks (village_id, year, version, effective_from, state) "
              "VALUES (?, ?, ?, ?, 1)")
        .Bind(village_id).Bind(year).Bind(version->getInt(1)).Bind(effective_from)
        .Update();
    rulebook_id = mysql::LastInsertId(connection);
    for (const RuleItemSpec& item : template_rulebook.items) {
      InsertItem(connection, village_id, rulebook_id, item);
    }
    return AuditChange(connection, actor, village_id, rulebook_id, "create_rulebook_draft",
                       absl::StrCat("year=", year, " effective_from=", effective_from));
  }));
  return Get(rulebook_id);
}

absl::StatusOr<RulebookRecord> MySqlRulebooks::PutItem(int64_t rulebook_id,
                                                       const RuleItemSpec& item,
                                                       const Actor& actor) {
  RETURN_IF_ERROR(ValidateRuleItem(item));
  RETURN_IF_ERROR(mysql::RunInTransaction(pool_, [&](sql::Connection& connection) -> absl::Status {
    ASSIGN_OR_RETURN(const RulebookRecord draft, LoadDraftForUpdate(connection, rulebook_id));
    Statement(connection, "DELETE FROM rule_items WHERE rulebook_id = ? AND code = ?")
        .Bind(rulebook_id).Bind(item.code)
        .Update();
    InsertItem(connection, draft.village_id, rulebook_id, item);
    return AuditChange(connection, actor, draft.village_id, rulebook_id, "put_rule_item",
                       absl::StrCat(item.code, " ", item.name, " points=", item.points,
                                    " cap=", item.cap_points_per_period));
  }));
  return Get(rulebook_id);
}

absl::StatusOr<RulebookRecord> MySqlRulebooks::RemoveItem(int64_t rulebook_id,
                                                          const std::string& code,
                                                          const Actor& actor) {
  RETURN_IF_ERROR(mysql::RunInTransaction(pool_, [&](sql::Connection& connection) -> absl::Status {
    ASSIGN_OR_RETURN(const RulebookRecord draft, LoadDraftForUpdate(connection, rulebook_id));
    const int removed =
        Statement(connection, "DELETE FROM rule_items WHERE rulebook_id = ? AND code = ?")
            .Bind(rulebook_id).Bind(code)
            .Update();
    if (removed == 0) {
      return absl::NotFoundError(absl::StrCat("item ", code, " is not in rulebook ", rulebook_id));
    }
    return AuditChange(connection, actor, draft.village_id, rulebook_id, "remove_rule_item", code);
  }));
  return Get(rulebook_id);
}

absl::StatusOr<RulebookRecord> MySqlRulebooks::RecordVote(int64_t rulebook_id,
                                                          const VoteRecord& vote,
                                                          const Actor& actor) {
  RETURN_IF_ERROR(ParseDate(vote.meeting_date, "vote.meeting_date").status());
  // Numbers must be consistent to be recorded; whether they adopt the rulebook is decided at
  // Publish, so an unsuccessful vote is on record too.
  if (absl::Status valid = ValidateAdoptingVote(vote);
      !valid.ok() && valid.code() == absl::StatusCode::kInvalidArgument) {
    return valid;
  }
  RETURN_IF_ERROR(mysql::RunInTransaction(pool_, [&](sql::Connection& connection) -> absl::Status {
    ASSIGN_OR_RETURN(const RulebookRecord draft, LoadDraftForUpdate(connection, rulebook_id));
    Statement(connection,
              "UPDATE rulebooks SET vote_meeting_date = ?, vote_members = ?, vote_attending = ?, "
              "vote_in_favour = ?, vote_against = ?, vote_abstain = ? WHERE rulebook_id = ?")
        .Bind(vote.meeting_date).Bind(vote.members).Bind(vote.attending).Bind(vote.in_favour)
        .Bind(vote.against).Bind(vote.abstain).Bind(rulebook_id)
        .Update();
    return AuditChange(connection, actor, draft.village_id, rulebook_id, "record_vote",
                       absl::StrCat("date=", vote.meeting_date, " members=", vote.members,
                                    " attending=", vote.attending, " for=", vote.in_favour,
                                    " against=", vote.against, " abstain=", vote.abstain));
  }));
  return Get(rulebook_id);
}

absl::StatusOr<RulebookRecord> MySqlRulebooks::Publish(int64_t rulebook_id, int64_t now_ms,
                                                       const Actor& actor) {
  RETURN_IF_ERROR(mysql::RunInTransaction(pool_, [&](sql::Connection& connection) -> absl::Status {
    RETURN_IF_ERROR(LockForPublishing(connection, rulebook_id));
    ASSIGN_OR_RETURN(const RulebookRecord draft, LoadDraftForUpdate(connection, rulebook_id));
    if (!draft.vote.has_value()) {
      return absl::FailedPreconditionError(
          "VOTE_MISSING: record the villager representatives' vote before publishing");
    }
    RETURN_IF_ERROR(ValidateAdoptingVote(*draft.vote));
    if (draft.items.empty()) {
      return absl::FailedPreconditionError("RULEBOOK_EMPTY: a rulebook needs at least one item");
    }
    // CreateDraft compared the date with the versions published then; another draft may have
    // been published since, and LockForPublishing makes sure this transaction sees it.
    const std::optional<std::string> latest = LatestPublishedStart(connection, draft.village_id);
    if (latest.has_value() && *latest >= draft.effective_from) {
      return absl::FailedPreconditionError(absl::StrCat(
          "EFFECTIVE_DATE_TOO_EARLY: a published rulebook already takes effect on ", *latest,
          "; this draft starts on ", draft.effective_from,
          " and can't be published; start a new draft with a later date"));
    }
    RETURN_IF_ERROR(CheckNewVersionStart(draft.effective_from, latest.has_value(),
                                         FormatDate(absl::FromUnixMillis(now_ms)),
                                         LastScoredDay(connection, draft.village_id)));
    Statement(connection,
              "UPDATE rulebooks SET state = 2, published_at_ms = ? WHERE rulebook_id = ?")
        .Bind(now_ms).Bind(rulebook_id)
        .Update();
    return AuditChange(connection, actor, draft.village_id, rulebook_id, "publish_rulebook",
                       absl::StrCat("items=", draft.items.size()));
  }));
  return Get(rulebook_id);
}

}  // namespace jifen::scoring
