#include "services/audit/storage/mysql_supervision_repository.h"

#include <cppconn/connection.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/mysql/statement.h"
#include "common/mysql/transaction.h"
#include "common/status/status_macros.h"
#include "services/audit/storage/mysql_trail_repository.h"

namespace jifen::audit {
namespace {

using Statement = std::unique_ptr<sql::PreparedStatement>;
using Rows = std::unique_ptr<sql::ResultSet>;

constexpr size_t kMaxInlineState = 512;

constexpr char kFindingColumns[] =
    "village_id, finding_id, visit_id, town_id, area, severity, description, deadline_date, "
    "status, rectification, rectified_on, review_note";
constexpr char kVisitColumns[] =
    "village_id, visit_id, client_visit_id, town_id, inspector_user_id, visit_date, summary, "
    "status, closed_on";

// " AND <column> IN (?, ...)" for a non-empty list; binds follow in order.
std::string InClause(const std::string& column, const std::vector<int64_t>& ids) {
  if (ids.empty()) return "";
  std::vector<std::string> marks(ids.size(), "?");
  return absl::StrCat(" AND ", column, " IN (", absl::StrJoin(marks, ","), ")");
}
void BindIds(sql::PreparedStatement& statement, const std::vector<int64_t>& ids, int& index) {
  for (int64_t id : ids) statement.setInt64(index++, id);
}

Finding ReadFinding(sql::ResultSet& row) {
  Finding f;
  f.village_id = row.getInt64(1);
  f.finding_id = row.getInt64(2);
  f.visit_id = row.getInt64(3);
  f.town_id = row.getInt64(4);
  f.area = static_cast<CheckArea>(row.getInt(5));
  f.severity = static_cast<Severity>(row.getInt(6));
  f.description = row.getString(7);
  f.deadline_date = row.getString(8);
  f.status = static_cast<FindingStatus>(row.getInt(9));
  f.rectification = row.getString(10);
  f.rectified_on = row.getString(11);
  f.review_note = row.getString(12);
  return f;
}

Visit ReadVisit(sql::ResultSet& row) {
  Visit v;
  v.village_id = row.getInt64(1);
  v.visit_id = row.getInt64(2);
  v.client_visit_id = row.getString(3);
  v.town_id = row.getInt64(4);
  v.inspector_user_id = row.getString(5);
  v.visit_date = row.getString(6);
  v.summary = row.getString(7);
  v.status = static_cast<VisitStatus>(row.getInt(8));
  v.closed_on = row.getString(9);
  return v;
}

int64_t LastInsertId(sql::Connection& c) {
  Statement select(c.prepareStatement("SELECT LAST_INSERT_ID()"));
  Rows rows(select->executeQuery());
  return rows->next() ? rows->getInt64(1) : 0;
}

std::optional<Finding> LoadFinding(sql::Connection& c, int64_t finding_id, bool lock) {
  Statement select(c.prepareStatement(absl::StrCat("SELECT ", kFindingColumns,
                                                   " FROM finding WHERE finding_id = ?",
                                                   lock ? " FOR UPDATE" : "")));
  select->setInt64(1, finding_id);
  Rows rows(select->executeQuery());
  if (!rows->next()) return std::nullopt;
  return ReadFinding(*rows);
}

// The visit with its checks and findings; with `lock`, the visit and its findings are locked.
std::optional<Visit> LoadVisit(sql::Connection& c, int64_t visit_id, bool lock) {
  Statement select(c.prepareStatement(absl::StrCat("SELECT ", kVisitColumns,
                                                   " FROM supervision_visit WHERE visit_id = ?",
                                                   lock ? " FOR UPDATE" : "")));
  select->setInt64(1, visit_id);
  Rows rows(select->executeQuery());
  if (!rows->next()) return std::nullopt;
  Visit visit = ReadVisit(*rows);
  Statement checks(c.prepareStatement(
      "SELECT area, result, note FROM visit_check WHERE village_id = ? AND visit_id = ? "
      "ORDER BY area"));
  checks->setInt64(1, visit.village_id);
  checks->setInt64(2, visit.visit_id);
  Rows check_rows(checks->executeQuery());
  while (check_rows->next()) {
    visit.checks.push_back({static_cast<CheckArea>(check_rows->getInt(1)),
                            static_cast<CheckResult>(check_rows->getInt(2)),
                            check_rows->getString(3)});
  }
  Statement findings(c.prepareStatement(absl::StrCat("SELECT ", kFindingColumns,
                                                     " FROM finding WHERE visit_id = ? ORDER BY "
                                                     "finding_id",
                                                     lock ? " FOR UPDATE" : "")));
  findings->setInt64(1, visit.visit_id);
  Rows finding_rows(findings->executeQuery());
  while (finding_rows->next()) visit.findings.push_back(ReadFinding(*finding_rows));
  return visit;
}

constexpr char kFlagColumns[] =
    "flag_id, village_id, rule, subject, summary, evidence, raised_at_ms, reviewed, review_note";

Flag ReadFlag(sql::ResultSet& row) {
  Flag flag;
  flag.flag_id = row.getInt64(1);
  flag.draft.village_id = row.getInt64(2);
  flag.draft.rule = row.getString(3);
  flag.draft.subject = row.getString(4);
  flag.draft.summary = row.getString(5);
  const std::string evidence = row.getString(6);
  if (!evidence.empty()) flag.draft.evidence = absl::StrSplit(evidence, '\n');
  flag.raised_at_ms = row.getInt64(7);
  flag.reviewed = row.getInt(8) != 0;
  flag.review_note = row.getString(9);
  return flag;
}

std::vector<Finding> NoticeFindings(sql::Connection& c, int64_t notice_id) {
  Statement select(c.prepareStatement(
      absl::StrCat("SELECT f.", absl::StrJoin(absl::StrSplit(kFindingColumns, ", "), ", f."),
                   " FROM notice_finding nf JOIN finding f ON f.finding_id = nf.finding_id "
                   "WHERE nf.notice_id = ? ORDER BY f.finding_id")));
  select->setInt64(1, notice_id);
  Rows rows(select->executeQuery());
  std::vector<Finding> findings;
  while (rows->next()) findings.push_back(ReadFinding(*rows));
  return findings;
}

}  // namespace

absl::Status MySqlSupervisionRepository::Note(sql::Connection& c, const Actor& actor,
                                              const ChangeNote& note) {
  auto digest = [this](const std::string& state) {
    if (state.size() <= kMaxInlineState) return state;
    return absl::StrCat("sha256:", ToHex(hasher_.Sha256(state, "")));
  };
  TrailRecord record;
  record.source_service = kSelfSource;
  record.village_id = note.village_id;
  record.actor_user_id = actor.user_id;
  record.actor_role = actor.role;
  record.action = note.action;
  record.object_type = note.object_type;
  record.object_id = note.object_id;
  record.before = digest(note.before);
  record.after = digest(note.after);
  record.occurred_at_ms = actor.now_ms;
  record.request_id = actor.request_id.substr(0, kMaxIdBytes);
  return AppendOnConnection(c, {record}, actor.now_ms, hasher_).status();
}

absl::Status MySqlSupervisionRepository::UpsertVillage(const VillageInfo& village,
                                                       const Actor& actor) {
  return mysql::RunInTransaction(pool_, [&](sql::Connection& c) -> absl::Status {
    Statement select(c.prepareStatement(
        "SELECT town_id, name FROM village_directory WHERE village_id = ? FOR UPDATE"));
    select->setInt64(1, village.village_id);
    Rows rows(select->executeQuery());
    std::string before;
    if (rows->next()) {
      before = absl::StrCat("town=", rows->getInt64(1), " name=", rows->getString(2).asStdString());
    }
    const std::string after = absl::StrCat("town=", village.town_id, " name=", village.name);
    if (before == after) return absl::OkStatus();
    Statement upsert(c.prepareStatement(
        "INSERT INTO village_directory (village_id, town_id, name, updated_at_ms) "
        "VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE town_id = VALUES(town_id), "
        "name = VALUES(name), updated_at_ms = VALUES(updated_at_ms)"));
    upsert->setInt64(1, village.village_id);
    upsert->setInt64(2, village.town_id);
    upsert->setString(3, village.name);
    upsert->setInt64(4, actor.now_ms);
    upsert->executeUpdate();
    return Note(c, actor,
                {village.village_id, "register", "village", absl::StrCat(village.village_id),
                 before, after});
  });
}

absl::StatusOr<Visit> MySqlSupervisionRepository::InsertVisit(const Visit& visit,
                                                              const Actor& actor) {
  std::optional<Visit> stored;
  absl::Status status = mysql::RunInTransaction(pool_, [&](sql::Connection& c) -> absl::Status {
    Statement existing(
        c.prepareStatement("SELECT visit_id FROM supervision_visit WHERE client_visit_id = ?"));
    existing->setString(1, visit.client_visit_id);
    Rows rows(existing->executeQuery());
    if (rows->next()) {
      stored = LoadVisit(c, rows->getInt64(1), false);
      return absl::OkStatus();
    }
    Statement insert(c.prepareStatement(
        "INSERT INTO supervision_visit (village_id, client_visit_id, town_id, inspector_user_id, "
        "visit_date, summary, status, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    insert->setInt64(1, visit.village_id);
    insert->setString(2, visit.client_visit_id);
    insert->setInt64(3, visit.town_id);
    insert->setString(4, visit.inspector_user_id);
    insert->setString(5, visit.visit_date);
    insert->setString(6, visit.summary);
    insert->setInt(7, static_cast<int>(visit.status));
    insert->setInt64(8, actor.now_ms);
    insert->executeUpdate();
    const int64_t visit_id = LastInsertId(c);
    Statement check(
        c.prepareStatement("INSERT INTO visit_check (village_id, visit_id, area, result, note) "
                           "VALUES (?, ?, ?, ?, ?)"));
    for (const Check& item : visit.checks) {
      check->setInt64(1, visit.village_id);
      check->setInt64(2, visit_id);
      check->setInt(3, static_cast<int>(item.area));
      check->setInt(4, static_cast<int>(item.result));
      check->setString(5, item.note);
      check->executeUpdate();
    }
    stored = LoadVisit(c, visit_id, false);
    if (!stored.has_value()) return absl::InternalError("inserted visit not found");
    return Note(c, actor,
                {visit.village_id, "create", "supervision_visit", absl::StrCat(visit_id), "",
                 StateText(*stored)});
  });
  if (absl::IsAlreadyExists(status)) {
    // A concurrent retry with the same client id won the insert: return its visit.
    status = mysql::RunWithConnection(pool_, [&](sql::Connection& c) -> absl::Status {
      Statement existing(
          c.prepareStatement("SELECT visit_id FROM supervision_visit WHERE client_visit_id = ?"));
      existing->setString(1, visit.client_visit_id);
      Rows rows(existing->executeQuery());
      if (rows->next()) stored = LoadVisit(c, rows->getInt64(1), false);
      return absl::OkStatus();
    });
  }
  RETURN_IF_ERROR(status);
  if (!stored.has_value()) return absl::InternalError("visit not stored");
  return *stored;
}

absl::StatusOr<std::optional<Visit>> MySqlSupervisionRepository::GetVisit(int64_t visit_id) {
  std::optional<Visit> visit;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& c) {
    visit = LoadVisit(c, visit_id, false);
    return absl::OkStatus();
  }));
  return visit;
}

absl::StatusOr<std::vector<Visit>> MySqlSupervisionRepository::ListVisits(
    const VisitFilter& filter) {
  std::vector<Visit> visits;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& c) {
    Statement select(c.prepareStatement(
        absl::StrCat("SELECT ", kVisitColumns, " FROM supervision_visit WHERE visit_id < ?",
                     InClause("village_id", filter.village_ids),
                     filter.status == VisitStatus::kUnspecified ? "" : " AND status = ?",
                     " ORDER BY visit_id DESC LIMIT ?")));
    int i = 1;
    select->setInt64(i++, filter.before_visit_id > 0 ? filter.before_visit_id : INT64_MAX);
    BindIds(*select, filter.village_ids, i);
    if (filter.status != VisitStatus::kUnspecified) {
      select->setInt(i++, static_cast<int>(filter.status));
    }
    select->setInt(i++, filter.limit);
    Rows rows(select->executeQuery());
    while (rows->next()) visits.push_back(ReadVisit(*rows));
    return absl::OkStatus();
  }));
  return visits;
}

absl::StatusOr<Finding> MySqlSupervisionRepository::InsertFinding(
    const Finding& finding, const Actor& actor,
    const std::function<absl::Status(const Visit&)>& allow) {
  Finding stored;
  RETURN_IF_ERROR(mysql::RunInTransaction(pool_, [&](sql::Connection& c) -> absl::Status {
    std::optional<Visit> visit = LoadVisit(c, finding.visit_id, true);
    if (!visit.has_value()) return absl::NotFoundError("no such visit");
    RETURN_IF_ERROR(allow(*visit));
    Statement insert(c.prepareStatement(
        "INSERT INTO finding (village_id, visit_id, town_id, area, severity, description, "
        "deadline_date, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    insert->setInt64(1, visit->village_id);
    insert->setInt64(2, visit->visit_id);
    insert->setInt64(3, visit->town_id);
    insert->setInt(4, static_cast<int>(finding.area));
    insert->setInt(5, static_cast<int>(finding.severity));
    insert->setString(6, finding.description);
    insert->setString(7, finding.deadline_date);
    insert->setInt(8, static_cast<int>(FindingStatus::kOpen));
    insert->executeUpdate();
    std::optional<Finding> loaded = LoadFinding(c, LastInsertId(c), false);
    if (!loaded.has_value()) return absl::InternalError("inserted finding not found");
    stored = *loaded;
    return Note(c, actor,
                {stored.village_id, "create", "finding", absl::StrCat(stored.finding_id), "",
                 StateText(stored)});
  }));
  return stored;
}

absl::StatusOr<Finding> MySqlSupervisionRepository::UpdateFinding(
    int64_t finding_id, const Actor& actor, const std::string& action,
    const std::function<absl::Status(Finding&)>& mutate) {
  Finding stored;
  RETURN_IF_ERROR(mysql::RunInTransaction(pool_, [&](sql::Connection& c) -> absl::Status {
    std::optional<Finding> finding = LoadFinding(c, finding_id, true);
    if (!finding.has_value()) return absl::NotFoundError("no such finding");
    const std::string before = StateText(*finding);
    RETURN_IF_ERROR(mutate(*finding));
    Statement update(c.prepareStatement(
        "UPDATE finding SET status = ?, rectification = ?, rectified_on = ?, review_note = ? "
        "WHERE village_id = ? AND finding_id = ?"));
    update->setInt(1, static_cast<int>(finding->status));
    update->setString(2, finding->rectification);
    update->setString(3, finding->rectified_on);
    update->setString(4, finding->review_note);
    update->setInt64(5, finding->village_id);
    update->setInt64(6, finding->finding_id);
    update->executeUpdate();
    stored = *finding;
    return Note(c, actor,
                {stored.village_id, action, "finding", absl::StrCat(finding_id), before,
                 StateText(stored)});
  }));
  return stored;
}

absl::StatusOr<Visit> MySqlSupervisionRepository::UpdateVisit(
    int64_t visit_id, const Actor& actor, const std::string& action,
    const std::function<absl::Status(Visit&)>& mutate) {
  Visit stored;
  RETURN_IF_ERROR(mysql::RunInTransaction(pool_, [&](sql::Connection& c) -> absl::Status {
    std::optional<Visit> visit = LoadVisit(c, visit_id, true);
    if (!visit.has_value()) return absl::NotFoundError("no such visit");
    const std::string before = StateText(*visit);
    RETURN_IF_ERROR(mutate(*visit));
    stored = *visit;
    const std::string after = StateText(stored);
    if (after == before) return absl::OkStatus();
    Statement update(c.prepareStatement(
        "UPDATE supervision_visit SET status = ?, closed_on = ? WHERE village_id = ? AND "
        "visit_id = ?"));
    update->setInt(1, static_cast<int>(stored.status));
    update->setString(2, stored.closed_on);
    update->setInt64(3, stored.village_id);
    update->setInt64(4, stored.visit_id);
    update->executeUpdate();
    return Note(
        c, actor,
        {stored.village_id, action, "supervision_visit", absl::StrCat(visit_id), before, after});
  }));
  return stored;
}

absl::StatusOr<std::optional<Finding>> MySqlSupervisionRepository::GetFinding(int64_t finding_id) {
  std::optional<Finding> finding;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& c) {
    finding = LoadFinding(c, finding_id, false);
    return absl::OkStatus();
  }));
  return finding;
}

absl::StatusOr<std::vector<Finding>> MySqlSupervisionRepository::ListFindings(
    const FindingFilter& filter) {
  std::vector<Finding> findings;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& c) {
    Statement select(c.prepareStatement(
        absl::StrCat("SELECT ", kFindingColumns, " FROM finding WHERE 1 = 1",
                     InClause("village_id", filter.village_ids),
                     filter.status == FindingStatus::kUnspecified ? "" : " AND status = ?",
                     filter.deadline_before.empty() ? "" : " AND deadline_date < ? AND status <> 3",
                     " ORDER BY deadline_date, finding_id LIMIT ?")));
    int i = 1;
    BindIds(*select, filter.village_ids, i);
    if (filter.status != FindingStatus::kUnspecified) {
      select->setInt(i++, static_cast<int>(filter.status));
    }
    if (!filter.deadline_before.empty()) select->setString(i++, filter.deadline_before);
    select->setInt(i++, filter.limit);
    Rows rows(select->executeQuery());
    while (rows->next()) findings.push_back(ReadFinding(*rows));
    return absl::OkStatus();
  }));
  return findings;
}

absl::StatusOr<Notice> MySqlSupervisionRepository::InsertNotice(const Notice& notice,
                                                                const Actor& actor) {
  Notice stored = notice;
  RETURN_IF_ERROR(mysql::RunInTransaction(pool_, [&](sql::Connection& c) -> absl::Status {
    Statement insert(c.prepareStatement(
        "INSERT INTO notice (town_id, title, body, issued_by_user_id, issued_on) "
        "VALUES (?, ?, ?, ?, ?)"));
    insert->setInt64(1, notice.town_id);
    insert->setString(2, notice.title);
    insert->setString(3, notice.body);
    insert->setString(4, notice.issued_by_user_id);
    insert->setString(5, notice.issued_on);
    insert->executeUpdate();
    stored.notice_id = LastInsertId(c);
    Statement link(
        c.prepareStatement("INSERT INTO notice_finding (notice_id, finding_id) VALUES (?, ?)"));
    for (int64_t finding_id : notice.finding_ids) {
      link->setInt64(1, stored.notice_id);
      link->setInt64(2, finding_id);
      link->executeUpdate();
    }
    stored.findings = NoticeFindings(c, stored.notice_id);
    return Note(c, actor,
                {0, "issue", "notice", absl::StrCat(stored.notice_id), "",
                 absl::StrCat("notice town=", notice.town_id, " title=", notice.title, " findings=",
                              absl::StrJoin(notice.finding_ids, ","), " body=", notice.body)});
  }));
  return stored;
}

absl::StatusOr<std::vector<Notice>> MySqlSupervisionRepository::ListNotices(int64_t town_id) {
  std::vector<Notice> notices;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& c) {
    Statement select(c.prepareStatement(absl::StrCat(
        "SELECT notice_id, town_id, title, body, issued_by_user_id, issued_on FROM notice",
        town_id == 0 ? "" : " WHERE town_id = ?", " ORDER BY notice_id DESC LIMIT 100")));
    if (town_id != 0) select->setInt64(1, town_id);
    Rows rows(select->executeQuery());
    while (rows->next()) {
      Notice notice;
      notice.notice_id = rows->getInt64(1);
      notice.town_id = rows->getInt64(2);
      notice.title = rows->getString(3);
      notice.body = rows->getString(4);
      notice.issued_by_user_id = rows->getString(5);
      notice.issued_on = rows->getString(6);
      notices.push_back(std::move(notice));
    }
    for (Notice& notice : notices) {
      notice.findings = NoticeFindings(c, notice.notice_id);
      for (const Finding& f : notice.findings) notice.finding_ids.push_back(f.finding_id);
    }
    return absl::OkStatus();
  }));
  return notices;
}

absl::StatusOr<GovernanceModel> MySqlSupervisionRepository::UpsertModel(
    const GovernanceModel& model, const Actor& actor) {
  RETURN_IF_ERROR(mysql::RunInTransaction(pool_, [&](sql::Connection& c) -> absl::Status {
    Statement select(c.prepareStatement(
        "SELECT since_date FROM governance_model WHERE village_id = ? AND kind = ? AND name = ? "
        "FOR UPDATE"));
    select->setInt64(1, model.village_id);
    select->setInt(2, static_cast<int>(model.kind));
    select->setString(3, model.name);
    Rows rows(select->executeQuery());
    std::string before;
    if (rows->next()) before = absl::StrCat("since=", rows->getString(1).asStdString());
    const std::string after = absl::StrCat("since=", model.since_date);
    if (before == after) return absl::OkStatus();
    Statement upsert(c.prepareStatement(
        "INSERT INTO governance_model (village_id, kind, name, since_date, recorded_by_user_id, "
        "updated_at_ms) VALUES (?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE "
        "since_date = VALUES(since_date), recorded_by_user_id = VALUES(recorded_by_user_id), "
        "updated_at_ms = VALUES(updated_at_ms)"));
    upsert->setInt64(1, model.village_id);
    upsert->setInt(2, static_cast<int>(model.kind));
    upsert->setString(3, model.name);
    upsert->setString(4, model.since_date);
    upsert->setString(5, model.recorded_by_user_id);
    upsert->setInt64(6, actor.now_ms);
    upsert->executeUpdate();
    return Note(c, actor,
                {model.village_id, "set", "governance_model",
                 absl::StrCat(model.village_id, "/", static_cast<int>(model.kind), "/", model.name),
                 before, after});
  }));
  return model;
}

absl::StatusOr<TownDocument> MySqlSupervisionRepository::InsertTownDocument(
    const TownDocument& document, const Actor& actor) {
  const std::string state =
      absl::StrCat("number=", document.document_number, " issued=", document.issued_date,
                   " title=", document.title);
  RETURN_IF_ERROR(mysql::RunInTransaction(pool_, [&](sql::Connection& c) -> absl::Status {
    auto earlier = mysql::Statement(c,
                                    "SELECT title, issued_date FROM town_document "
                                    "WHERE town_id = ? AND year = ? AND document_number = ? "
                                    "FOR UPDATE")
                       .Bind(document.town_id)
                       .Bind(document.year)
                       .Bind(document.document_number)
                       .Query();
    if (earlier->next()) {
      if (mysql::GetString(*earlier, "title") == document.title &&
          mysql::GetString(*earlier, "issued_date") == document.issued_date) {
        return absl::OkStatus();  // a retry
      }
      return absl::AlreadyExistsError(
          absl::StrCat("document ", document.document_number, " of town ", document.town_id,
                       " for ", document.year,
                       " is recorded with another title or date; record a correction under a "
                       "new document number"));
    }
    mysql::Statement(c,
                     "INSERT INTO town_document (town_id, year, document_number, title, "
                     "issued_date, recorded_by_user_id, recorded_at_ms) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?)")
        .Bind(document.town_id)
        .Bind(document.year)
        .Bind(document.document_number)
        .Bind(document.title)
        .Bind(document.issued_date)
        .Bind(document.recorded_by_user_id)
        .Bind(actor.now_ms)
        .Update();
    // Town documents belong to no village: recorded in the trail under village 0.
    return Note(c, actor,
                {0, "record", "town_document",
                 absl::StrCat(document.town_id, "/", document.year, "/", document.document_number),
                 "", state});
  }));
  return document;
}

absl::StatusOr<std::vector<TownDocument>> MySqlSupervisionRepository::ListTownDocuments(
    int64_t town_id, int year) {
  std::vector<TownDocument> documents;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& c) {
    auto rows = mysql::Statement(c,
                                 "SELECT town_id, year, document_number, title, issued_date, "
                                 "recorded_by_user_id FROM town_document "
                                 "WHERE year = ? AND (? = 0 OR town_id = ?) "
                                 "ORDER BY town_id, issued_date, document_number")
                    .Bind(year)
                    .Bind(town_id)
                    .Bind(town_id)
                    .Query();
    while (rows->next()) {
      TownDocument document;
      document.town_id = rows->getInt64(1);
      document.year = rows->getInt(2);
      document.document_number = rows->getString(3).asStdString();
      document.title = rows->getString(4).asStdString();
      document.issued_date = rows->getString(5).asStdString();
      document.recorded_by_user_id = rows->getString(6).asStdString();
      documents.push_back(std::move(document));
    }
    return absl::OkStatus();
  }));
  return documents;
}

absl::StatusOr<std::vector<GovernanceModel>> MySqlSupervisionRepository::ListModels(
    int64_t village_id) {
  std::vector<GovernanceModel> models;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& c) {
    Statement select(c.prepareStatement(
        "SELECT village_id, kind, name, since_date, recorded_by_user_id FROM governance_model "
        "WHERE village_id = ? ORDER BY since_date, kind, name"));
    select->setInt64(1, village_id);
    Rows rows(select->executeQuery());
    while (rows->next()) {
      models.push_back({rows->getInt64(1), static_cast<ModelKind>(rows->getInt(2)),
                        rows->getString(3), rows->getString(4), rows->getString(5)});
    }
    return absl::OkStatus();
  }));
  return models;
}

absl::StatusOr<std::vector<TownCoverage>> MySqlSupervisionRepository::CountCoverage(
    const std::string& as_of_date, int64_t town_id) {
  std::vector<TownCoverage> towns;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& c) {
    Statement select(c.prepareStatement(absl::StrCat(
        "SELECT d.town_id, COUNT(*), SUM(EXISTS (SELECT 1 FROM governance_model g "
        "WHERE g.village_id = d.village_id AND g.since_date <= ?)) FROM village_directory d",
        town_id == 0 ? "" : " WHERE d.town_id = ?", " GROUP BY d.town_id ORDER BY d.town_id")));
    select->setString(1, as_of_date);
    if (town_id != 0) select->setInt64(2, town_id);
    Rows rows(select->executeQuery());
    while (rows->next()) {
      TownCoverage town;
      town.town_id = rows->getInt64(1);
      town.villages = rows->getInt64(2);
      town.villages_with_model = rows->getInt64(3);
      towns.push_back(town);
    }
    return absl::OkStatus();
  }));
  return towns;
}

absl::StatusOr<Dashboard> MySqlSupervisionRepository::CountDashboard(
    const std::vector<int64_t>& village_ids, const std::string& today) {
  Dashboard dashboard;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& c) {
    auto count = [&](const std::string& from_where, const std::string& date) {
      Statement select(c.prepareStatement(
          absl::StrCat("SELECT COUNT(*) FROM ", from_where, InClause("village_id", village_ids))));
      int i = 1;
      if (!date.empty()) select->setString(i++, date);
      BindIds(*select, village_ids, i);
      Rows rows(select->executeQuery());
      return rows->next() ? rows->getInt64(1) : 0;
    };
    dashboard.villages = count("village_directory WHERE 1 = 1", "");
    dashboard.visits = count("supervision_visit WHERE 1 = 1", "");
    dashboard.open_findings = count("finding WHERE status <> 3", "");
    dashboard.overdue_findings = count("finding WHERE status <> 3 AND deadline_date < ?", today);
    dashboard.open_flags = count("anomaly_flag WHERE reviewed = 0", "");
    dashboard.villages_with_model = count(
        "village_directory WHERE village_id IN (SELECT village_id FROM governance_model "
        "WHERE since_date <= ?)",
        today);
    if (village_ids.empty()) {
      // The district total is the chain length: no scan of the trail.
      Statement head(c.prepareStatement("SELECT sequence FROM chain_head WHERE id = 1"));
      Rows rows(head->executeQuery());
      dashboard.audit_records = rows->next() ? rows->getInt64(1) : 0;
    } else {
      dashboard.audit_records = count("audit_record WHERE 1 = 1", "");
    }
    return absl::OkStatus();
  }));
  return dashboard;
}

absl::StatusOr<int64_t> MySqlSupervisionRepository::InsertFlags(const std::vector<FlagDraft>& flags,
                                                                const Actor& actor) {
  int64_t raised = 0;
  RETURN_IF_ERROR(mysql::RunInTransaction(pool_, [&](sql::Connection& c) -> absl::Status {
    raised = 0;
    Statement exists(c.prepareStatement(
        "SELECT flag_id FROM anomaly_flag WHERE rule = ? AND village_id = ? AND subject = ? "
        "FOR UPDATE"));
    Statement insert(c.prepareStatement(
        "INSERT INTO anomaly_flag (village_id, rule, subject, summary, evidence, raised_at_ms) "
        "VALUES (?, ?, ?, ?, ?, ?)"));
    for (const FlagDraft& flag : flags) {
      const std::string subject = flag.subject.substr(0, 191);
      exists->setString(1, flag.rule);
      exists->setInt64(2, flag.village_id);
      exists->setString(3, subject);
      Rows rows(exists->executeQuery());
      if (rows->next()) continue;
      insert->setInt64(1, flag.village_id);
      insert->setString(2, flag.rule);
      insert->setString(3, subject);
      insert->setString(4, flag.summary.substr(0, 1000));
      insert->setString(5, absl::StrJoin(flag.evidence, "\n"));
      insert->setInt64(6, actor.now_ms);
      insert->executeUpdate();
      const int64_t flag_id = LastInsertId(c);
      ++raised;
      RETURN_IF_ERROR(Note(c, actor,
                           {flag.village_id, "raise", "anomaly_flag", absl::StrCat(flag_id), "",
                            absl::StrCat(flag.rule, " ", subject, ": ", flag.summary)}));
    }
    return absl::OkStatus();
  }));
  return raised;
}

absl::StatusOr<Flag> MySqlSupervisionRepository::UpdateFlag(
    int64_t flag_id, const Actor& actor, const std::function<absl::Status(Flag&)>& mutate) {
  Flag stored;
  RETURN_IF_ERROR(mysql::RunInTransaction(pool_, [&](sql::Connection& c) -> absl::Status {
    Statement select(c.prepareStatement(
        absl::StrCat("SELECT ", kFlagColumns, " FROM anomaly_flag WHERE flag_id = ? FOR UPDATE")));
    select->setInt64(1, flag_id);
    Rows rows(select->executeQuery());
    if (!rows->next()) return absl::NotFoundError("no such flag");
    Flag flag = ReadFlag(*rows);
    const bool was_reviewed = flag.reviewed;
    RETURN_IF_ERROR(mutate(flag));
    stored = flag;
    if (was_reviewed == flag.reviewed) return absl::OkStatus();
    Statement update(c.prepareStatement(
        "UPDATE anomaly_flag SET reviewed = ?, review_note = ? WHERE village_id = ? AND "
        "flag_id = ?"));
    update->setInt(1, flag.reviewed ? 1 : 0);
    update->setString(2, flag.review_note);
    update->setInt64(3, flag.draft.village_id);
    update->setInt64(4, flag.flag_id);
    update->executeUpdate();
    return Note(c, actor,
                {flag.draft.village_id, "review", "anomaly_flag", absl::StrCat(flag_id),
                 "reviewed=0", absl::StrCat("reviewed=1 note=", flag.review_note)});
  }));
  return stored;
}

absl::StatusOr<std::vector<Flag>> MySqlSupervisionRepository::ListFlags(
    const std::vector<int64_t>& village_ids, bool include_reviewed, int limit) {
  std::vector<Flag> flags;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& c) {
    Statement select(c.prepareStatement(absl::StrCat(
        "SELECT ", kFlagColumns, " FROM anomaly_flag WHERE 1 = 1",
        InClause("village_id", village_ids), include_reviewed ? "" : " AND reviewed = 0",
        " ORDER BY flag_id DESC LIMIT ?")));
    int i = 1;
    BindIds(*select, village_ids, i);
    select->setInt(i++, limit);
    Rows rows(select->executeQuery());
    while (rows->next()) flags.push_back(ReadFlag(*rows));
    return absl::OkStatus();
  }));
  return flags;
}

}  // namespace jifen::audit
