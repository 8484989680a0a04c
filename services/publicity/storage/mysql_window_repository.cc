#include "services/publicity/storage/mysql_window_repository.h"

#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/audit/audit_outbox.h"
#include "common/audit/state_digest.h"
#include "common/mysql/statement.h"
#include "common/mysql/transaction.h"
#include "common/text/text.h"
#include "common/status/status_macros.h"
#include "jifen/publicity/v1/windows.pb.h"

namespace jifen::publicity {
namespace {

constexpr char kWindowColumns[] =
    "w.village_id, w.period, w.starts_at_ms, w.ends_at_ms, w.opened_by_user_id, w.state, "
    "COALESCE(w.settled_at_ms, 0) AS settled_at_ms, w.households_credited, w.points_credited, "
    "w.settlement_waiting_for, "
    "(SELECT COUNT(*) FROM objections o WHERE o.village_id = w.village_id AND o.period = w.period "
    " AND o.status IN ('pending', 'upholding')) AS pending";

constexpr char kObjectionColumns[] =
    "village_id, objection_id, period, household_id, entry_sequence, reason, filed_by_user_id, "
    "filed_at_ms, status, resolution_reason, resolved_by_user_id, "
    "COALESCE(resolved_at_ms, 0) AS resolved_at_ms, "
    "COALESCE(correction_sequence, 0) AS correction_sequence";

std::unique_ptr<sql::PreparedStatement> Prepare(sql::Connection& connection, const char* text) {
  return std::unique_ptr<sql::PreparedStatement>(connection.prepareStatement(text));
}

std::string StatusText(ObjectionStatus status) {
  switch (status) {
    case ObjectionStatus::kPending:
      return "pending";
    case ObjectionStatus::kUpholding:
      return "upholding";
    case ObjectionStatus::kUpheld:
      return "upheld";
    case ObjectionStatus::kRejected:
      return "rejected";
  }
  return "pending";
}

ObjectionStatus StatusFromText(const std::string& text) {
  if (text == "upholding") return ObjectionStatus::kUpholding;
  if (text == "upheld") return ObjectionStatus::kUpheld;
  if (text == "rejected") return ObjectionStatus::kRejected;
  return ObjectionStatus::kPending;
}

WindowRecord WindowFromRow(sql::ResultSet& row) {
  WindowRecord window;
  window.village_id = row.getInt64("village_id");
  window.period = row.getString("period");
  window.starts_at = absl::FromUnixMillis(row.getInt64("starts_at_ms"));
  window.ends_at = absl::FromUnixMillis(row.getInt64("ends_at_ms"));
  window.opened_by_user_id = row.getString("opened_by_user_id");
  const std::string state = row.getString("state");
  window.stored_state = state == "settled"    ? StoredWindowState::kSettled
                        : state == "settling" ? StoredWindowState::kSettling
                                              : StoredWindowState::kOpen;
  const int64_t settled_at_ms = row.getInt64("settled_at_ms");
  if (settled_at_ms > 0) window.settled_at = absl::FromUnixMillis(settled_at_ms);
  window.households_credited = row.getInt64("households_credited");
  window.settlement_waiting_for = row.getString("settlement_waiting_for").asStdString();
  window.points_credited = row.getInt64("points_credited");
  window.pending_objections = row.getInt64("pending");
  return window;
}

ObjectionRecord ObjectionFromRow(sql::ResultSet& row) {
  ObjectionRecord objection;
  objection.village_id = row.getInt64("village_id");
  objection.objection_id = row.getInt64("objection_id");
  objection.period = row.getString("period");
  objection.household_id = row.getInt64("household_id");
  objection.entry_sequence = row.getInt64("entry_sequence");
  objection.reason = row.getString("reason");
  objection.filed_by_user_id = row.getString("filed_by_user_id");
  objection.filed_at = absl::FromUnixMillis(row.getInt64("filed_at_ms"));
  objection.status = StatusFromText(row.getString("status"));
  objection.resolution_reason = row.getString("resolution_reason");
  objection.resolved_by_user_id = row.getString("resolved_by_user_id");
  const int64_t resolved_at_ms = row.getInt64("resolved_at_ms");
  if (resolved_at_ms > 0) objection.resolved_at = absl::FromUnixMillis(resolved_at_ms);
  objection.correction_sequence = row.getInt64("correction_sequence");
  return objection;
}

absl::Status AppendAudit(sql::Connection& connection, const AuditEvent& event) {
  // Subjects read "objection/17": the kind of object, then its id.
  const size_t slash = event.subject.find('/');
  return audit::RecordAudit(connection,
                            {event.village_id, event.actor_user_id, event.actor_role, event.action,
                             event.subject.substr(0, slash),
                             slash == std::string::npos ? "" : event.subject.substr(slash + 1),
                             audit::StateDigest(event.before), audit::StateDigest(event.after)},
                            {event.request_id, absl::ToUnixMillis(event.at)});
}

absl::StatusOr<std::optional<ObjectionRecord>> SelectObjection(sql::Connection& connection,
                                                               int64_t objection_id,
                                                               bool for_update) {
  const std::string text =
      absl::StrCat("SELECT ", kObjectionColumns, " FROM objections WHERE objection_id = ?",
                   for_update ? " FOR UPDATE" : "");
  auto statement = Prepare(connection, text.c_str());
  statement->setInt64(1, objection_id);
  std::unique_ptr<sql::ResultSet> rows(statement->executeQuery());
  if (!rows->next()) return std::optional<ObjectionRecord>();
  return std::optional<ObjectionRecord>(ObjectionFromRow(*rows));
}

// Two instances follow the stream alike: the one behind must not move the position back.
void AdvanceWindowFeed(sql::Connection& connection, int64_t through_sequence) {
  auto position = Prepare(connection,
                          "UPDATE window_feed SET last_sequence = GREATEST(last_sequence, ?) "
                          "WHERE feed_id = 1");
  position->setInt64(1, through_sequence);
  position->executeUpdate();
}

}  // namespace

absl::Status MySqlWindowRepository::CreateWindow(const WindowRecord& window,
                                                 const AuditEvent& audit) {
  const absl::Status status = mysql::RunInTransaction(pool_, [&](sql::Connection& connection) {
    auto insert = Prepare(connection,
                          "INSERT INTO publicity_windows (village_id, period, starts_at_ms, "
                          "ends_at_ms, opened_by_user_id) VALUES (?, ?, ?, ?, ?)");
    insert->setInt64(1, window.village_id);
    insert->setString(2, window.period);
    insert->setInt64(3, absl::ToUnixMillis(window.starts_at));
    insert->setInt64(4, absl::ToUnixMillis(window.ends_at));
    insert->setString(5, window.opened_by_user_id);
    insert->executeUpdate();
    return AppendAudit(connection, audit);
  });
  if (absl::IsAlreadyExists(status)) {
    return absl::AlreadyExistsError(absl::StrCat(
        "village ", window.village_id, " already has a publicity window for ", window.period));
  }
  return status;
}

absl::StatusOr<std::optional<WindowRecord>> MySqlWindowRepository::GetWindow(
    int64_t village_id, const std::string& period) {
  std::optional<WindowRecord> window;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& connection) {
    const std::string text = absl::StrCat("SELECT ", kWindowColumns,
                                          " FROM publicity_windows w WHERE w.village_id = ? "
                                          "AND w.period = ?");
    auto select = Prepare(connection, text.c_str());
    select->setInt64(1, village_id);
    select->setString(2, period);
    std::unique_ptr<sql::ResultSet> rows(select->executeQuery());
    if (rows->next()) window = WindowFromRow(*rows);
    return absl::OkStatus();
  }));
  return window;
}

absl::StatusOr<ObjectionRecord> MySqlWindowRepository::FileObjection(
    const ObjectionRecord& objection, absl::Time now, AuditEvent audit) {
  ObjectionRecord stored = objection;
  const absl::Status status = mysql::RunInTransaction(pool_, [&](sql::Connection& connection) {
    // The window row lock serialises this with ClaimSettleable: an objection is either in before
    // the settlement check or refused after it.
    auto lock = Prepare(connection,
                        "SELECT starts_at_ms, ends_at_ms, state FROM publicity_windows "
                        "WHERE village_id = ? AND period = ? FOR UPDATE");
    lock->setInt64(1, objection.village_id);
    lock->setString(2, objection.period);
    std::unique_ptr<sql::ResultSet> window(lock->executeQuery());
    if (!window->next()) {
      return absl::FailedPreconditionError(absl::StrCat("NO_OPEN_WINDOW: no publicity window is open for ",
                                                        objection.period,
                                                        ": objections are accepted only "
                                                        "during the publicity window"));
    }
    const int64_t now_ms = absl::ToUnixMillis(now);
    if (window->getString("state") != "open" || now_ms < window->getInt64("starts_at_ms") ||
        now_ms >= window->getInt64("ends_at_ms")) {
      return absl::FailedPreconditionError(absl::StrCat(
          "NO_OPEN_WINDOW: the publicity window for ", objection.period,
          " is not open now: objections are accepted only during the publicity window"));
    }
    auto insert = Prepare(connection,
                          "INSERT INTO objections (village_id, period, household_id, "
                          "entry_sequence, reason, filed_by_user_id, filed_at_ms) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?)");
    insert->setInt64(1, objection.village_id);
    insert->setString(2, objection.period);
    insert->setInt64(3, objection.household_id);
    insert->setInt64(4, objection.entry_sequence);
    insert->setString(5, objection.reason);
    insert->setString(6, objection.filed_by_user_id);
    insert->setInt64(7, now_ms);
    insert->executeUpdate();
    stored.objection_id = mysql::LastInsertId(connection);
    stored.status = ObjectionStatus::kPending;
    audit.subject = absl::StrCat("objection/", stored.objection_id);
    return AppendAudit(connection, audit);
  });
  if (absl::IsAlreadyExists(status)) {
    return absl::AlreadyExistsError(
        absl::StrCat("OBJECTION_EXISTS: entry ", objection.entry_sequence,
                     " already has an objection"));
  }
  RETURN_IF_ERROR(status);
  return stored;
}

absl::StatusOr<std::optional<ObjectionRecord>> MySqlWindowRepository::GetObjection(
    int64_t objection_id) {
  std::optional<ObjectionRecord> objection;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& connection) {
    ASSIGN_OR_RETURN(objection, SelectObjection(connection, objection_id, false));
    return absl::OkStatus();
  }));
  return objection;
}

absl::StatusOr<ObjectionRecord> MySqlWindowRepository::TransitionObjection(
    const ObjectionRecord& update, const std::vector<ObjectionStatus>& from,
    const AuditEvent& audit) {
  ObjectionRecord result;
  RETURN_IF_ERROR(mysql::RunInTransaction(pool_, [&](sql::Connection& connection) {
    ASSIGN_OR_RETURN(std::optional<ObjectionRecord> stored,
                     SelectObjection(connection, update.objection_id, true));
    if (!stored.has_value()) {
      return absl::NotFoundError(absl::StrCat("no objection ", update.objection_id));
    }
    if (std::find(from.begin(), from.end(), stored->status) == from.end()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "objection ", update.objection_id, " is already ", StatusText(stored->status)));
    }
    auto write = Prepare(connection,
                         "UPDATE objections SET status = ?, resolution_reason = ?, "
                         "resolved_by_user_id = ?, resolved_at_ms = ?, correction_sequence = ? "
                         "WHERE objection_id = ?");
    write->setString(1, StatusText(update.status));
    write->setString(2, update.resolution_reason);
    write->setString(3, update.resolved_by_user_id);
    if (update.resolved_at == absl::InfinitePast()) {
      write->setNull(4, sql::DataType::BIGINT);
    } else {
      write->setInt64(4, absl::ToUnixMillis(update.resolved_at));
    }
    if (update.correction_sequence == 0) {
      write->setNull(5, sql::DataType::BIGINT);
    } else {
      write->setInt64(5, update.correction_sequence);
    }
    write->setInt64(6, update.objection_id);
    write->executeUpdate();
    RETURN_IF_ERROR(AppendAudit(connection, audit));
    ASSIGN_OR_RETURN(std::optional<ObjectionRecord> after,
                     SelectObjection(connection, update.objection_id, false));
    result = *after;
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<std::vector<ObjectionRecord>> MySqlWindowRepository::ListObjections(
    int64_t village_id, const std::string& period, int64_t household_id, int limit) {
  std::vector<ObjectionRecord> objections;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& connection) {
    const std::string text = absl::StrCat(
        "SELECT ", kObjectionColumns,
        " FROM objections WHERE village_id = ? AND period = ? AND (? = 0 OR household_id = ?) "
        "ORDER BY objection_id LIMIT ?");
    auto select = Prepare(connection, text.c_str());
    select->setInt64(1, village_id);
    select->setString(2, period);
    select->setInt64(3, household_id);
    select->setInt64(4, household_id);
    select->setInt(5, limit);
    std::unique_ptr<sql::ResultSet> rows(select->executeQuery());
    while (rows->next()) objections.push_back(ObjectionFromRow(*rows));
    return absl::OkStatus();
  }));
  return objections;
}

absl::StatusOr<std::vector<ObjectionRecord>> MySqlWindowRepository::ListUpholding(int limit) {
  std::vector<ObjectionRecord> objections;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& connection) {
    const std::string text = absl::StrCat("SELECT ", kObjectionColumns,
                                          " FROM objections WHERE status = 'upholding' "
                                          "ORDER BY objection_id LIMIT ?");
    auto select = Prepare(connection, text.c_str());
    select->setInt(1, limit);
    std::unique_ptr<sql::ResultSet> rows(select->executeQuery());
    while (rows->next()) objections.push_back(ObjectionFromRow(*rows));
    return absl::OkStatus();
  }));
  return objections;
}

absl::StatusOr<std::vector<WindowRecord>> MySqlWindowRepository::ClaimSettleable(absl::Time now,
                                                                                 int limit) {
  std::vector<WindowRecord> claimed;
  RETURN_IF_ERROR(mysql::RunInTransaction(pool_, [&](sql::Connection& connection) {
    claimed.clear();
    // Locks the due windows; FileObjection takes the same row lock, so no objection can slip in
    // between the "nothing pending" check and the state change.
    const std::string text =
        absl::StrCat("SELECT ", kWindowColumns,
                     " FROM publicity_windows w WHERE (w.state = 'open' AND w.ends_at_ms <= ?) "
                     "OR w.state = 'settling' ORDER BY w.ends_at_ms LIMIT ? FOR UPDATE");
    auto select = Prepare(connection, text.c_str());
    select->setInt64(1, absl::ToUnixMillis(now));
    select->setInt(2, limit);
    std::unique_ptr<sql::ResultSet> rows(select->executeQuery());
    std::vector<WindowRecord> due;
    while (rows->next()) due.push_back(WindowFromRow(*rows));
    for (WindowRecord& window : due) {
      if (window.pending_objections > 0) continue;
      if (window.stored_state == StoredWindowState::kOpen) {
        auto mark = Prepare(connection,
                            "UPDATE publicity_windows SET state = 'settling' "
                            "WHERE village_id = ? AND period = ? AND state = 'open'");
        mark->setInt64(1, window.village_id);
        mark->setString(2, window.period);
        mark->executeUpdate();
        window.stored_state = StoredWindowState::kSettling;
        AuditEvent audit;
        audit.action = "window.close";
        audit.actor_user_id = "publicity";
        audit.actor_role = "service";
        audit.village_id = window.village_id;
        audit.subject = absl::StrCat("window/", window.period);
        audit.before = "open";
        // ends_at_ms= for audit's close_burst rule (services/audit/domain/checks.h).
        audit.after = absl::StrCat("settling: ended with no objection pending ends_at_ms=",
                                   absl::ToUnixMillis(window.ends_at));
        audit.at = now;
        RETURN_IF_ERROR(AppendAudit(connection, audit));
      }
      claimed.push_back(window);
    }
    return absl::OkStatus();
  }));
  return claimed;
}

absl::Status MySqlWindowRepository::MarkSettled(int64_t village_id, const std::string& period,
                                                const Settlement& settlement, absl::Time at,
                                                const AuditEvent& audit) {
  return mysql::RunInTransaction(pool_, [&](sql::Connection& connection) {
    auto mark = Prepare(connection,
                        "UPDATE publicity_windows SET state = 'settled', settled_at_ms = ?, "
                        "households_credited = ?, points_credited = ?, "
                        "settlement_waiting_for = '' "
                        "WHERE village_id = ? AND period = ? AND state = 'settling'");
    mark->setInt64(1, absl::ToUnixMillis(at));
    mark->setInt64(2, settlement.households_credited);
    mark->setInt64(3, settlement.points_credited);
    mark->setInt64(4, village_id);
    mark->setString(5, period);
    // Another instance may have marked it first; the settlement itself happened once in scoring.
    if (mark->executeUpdate() == 0) return absl::OkStatus();
    return AppendAudit(connection, audit);
  });
}

absl::StatusOr<std::vector<WindowRecord>> MySqlWindowRepository::ExtendWindows(
    const std::vector<WindowDeadline>& deadlines, int64_t through_sequence, absl::Time now) {
  std::vector<WindowRecord> moved;
  RETURN_IF_ERROR(mysql::RunInTransaction(pool_, [&](sql::Connection& connection) {
    moved.clear();
    const auto read = [&](const WindowDeadline& deadline,
                          bool lock) -> std::optional<WindowRecord> {
      const std::string text = absl::StrCat("SELECT ", kWindowColumns,
                                            " FROM publicity_windows w WHERE w.village_id = ? "
                                            "AND w.period = ?",
                                            lock ? " FOR UPDATE" : "");
      auto select = Prepare(connection, text.c_str());
      select->setInt64(1, deadline.village_id);
      select->setString(2, deadline.period);
      std::unique_ptr<sql::ResultSet> rows(select->executeQuery());
      if (!rows->next()) return std::nullopt;
      return WindowFromRow(*rows);
    };
    for (const WindowDeadline& deadline : deadlines) {
      // Most entries are of a quarter whose window is not open yet or lasts long enough: a plain
      // read decides that, and only a window that must move is locked and read again.
      std::optional<WindowRecord> window = read(deadline, false);
      if (!window.has_value() || !ExtendedEnd(*window, deadline.object_until).has_value()) {
        continue;
      }
      window = read(deadline, true);
      if (!window.has_value()) continue;
      const std::optional<absl::Time> new_end = ExtendedEnd(*window, deadline.object_until);
      if (!new_end.has_value()) continue;
      auto extend = Prepare(connection,
                            "UPDATE publicity_windows SET ends_at_ms = ?, state = 'open' "
                            "WHERE village_id = ? AND period = ?");
      extend->setInt64(1, absl::ToUnixMillis(*new_end));
      extend->setInt64(2, window->village_id);
      extend->setString(3, window->period);
      extend->executeUpdate();
      RETURN_IF_ERROR(AppendAudit(connection, ExtensionAudit(*window, deadline, *new_end, now)));
      window->ends_at = *new_end;
      window->stored_state = StoredWindowState::kOpen;
      moved.push_back(*std::move(window));
    }
    if (moved.empty()) return absl::OkStatus();
    AdvanceWindowFeed(connection, through_sequence);
    return absl::OkStatus();
  }));
  return moved;
}

absl::StatusOr<int64_t> MySqlWindowRepository::WindowFeedPosition() {
  int64_t position = 0;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& connection) {
    auto select = Prepare(connection, "SELECT last_sequence FROM window_feed WHERE feed_id = 1");
    std::unique_ptr<sql::ResultSet> rows(select->executeQuery());
    if (!rows->next()) return absl::InternalError("window_feed has no row (migration 0003)");
    position = rows->getInt64(1);
    return absl::OkStatus();
  }));
  return position;
}

absl::Status MySqlWindowRepository::SaveWindowFeedPosition(int64_t through_sequence) {
  return mysql::RunWithConnection(pool_, [&](sql::Connection& connection) {
    AdvanceWindowFeed(connection, through_sequence);
    return absl::OkStatus();
  });
}

absl::StatusOr<ListRules> MySqlWindowRepository::GetListRules(int64_t village_id) {
  ListRules rules;
  rules.village_id = village_id;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& connection) {
    auto select = Prepare(connection,
                          "SELECT red_top_n, red_min_points, black_max_points, black_categories "
                          "FROM list_rules WHERE village_id = ?");
    select->setInt64(1, village_id);
    std::unique_ptr<sql::ResultSet> rows(select->executeQuery());
    if (!rows->next()) return absl::OkStatus();
    rules.red_top_n = rows->getInt("red_top_n");
    rules.red_min_points = rows->getInt64("red_min_points");
    rules.black_max_points = rows->getInt64("black_max_points");
    const std::string categories = rows->getString("black_categories");
    rules.black_categories = absl::StrSplit(categories, ',', absl::SkipEmpty());
    return absl::OkStatus();
  }));
  return rules;
}

absl::Status MySqlWindowRepository::PutListRules(const ListRules& rules, const AuditEvent& audit) {
  for (const std::string& category : rules.black_categories) {
    if (category.find(',') != std::string::npos) {
      return absl::InvalidArgumentError("black_categories: a category name has no comma");
    }
  }
  return mysql::RunInTransaction(pool_, [&](sql::Connection& connection) {
    auto upsert = Prepare(connection,
                          "INSERT INTO list_rules (village_id, red_top_n, red_min_points, "
                          "black_max_points, black_categories, updated_by_user_id) "
                          "VALUES (?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE "
                          "red_top_n = VALUES(red_top_n), red_min_points = VALUES(red_min_points), "
                          "black_max_points = VALUES(black_max_points), "
                          "black_categories = VALUES(black_categories), "
                          "updated_by_user_id = VALUES(updated_by_user_id)");
    upsert->setInt64(1, rules.village_id);
    upsert->setInt(2, rules.red_top_n);
    upsert->setInt64(3, rules.red_min_points);
    upsert->setInt64(4, rules.black_max_points);
    upsert->setString(5, absl::StrJoin(rules.black_categories, ","));
    upsert->setString(6, audit.actor_user_id);
    upsert->executeUpdate();
    return AppendAudit(connection, audit);
  });
}

absl::StatusOr<bool> MySqlWindowRepository::NoteSettlementWaiting(int64_t village_id,
                                                                 const std::string& period,
                                                                 const std::string& reason) {
  bool changed = false;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& connection) {
    auto note = Prepare(connection,
                        "UPDATE publicity_windows SET settlement_waiting_for = ? "
                        "WHERE village_id = ? AND period = ? AND state = 'settling' "
                        "AND settlement_waiting_for <> ?");
    const std::string text(text::Utf8Prefix(reason, 500));
    note->setString(1, text);
    note->setInt64(2, village_id);
    note->setString(3, period);
    note->setString(4, text);
    changed = note->executeUpdate() > 0;
    return absl::OkStatus();
  }));
  return changed;
}

}  // namespace jifen::publicity
