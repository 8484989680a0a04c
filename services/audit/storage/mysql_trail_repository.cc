#include "services/audit/storage/mysql_trail_repository.h"

#include <cppconn/connection.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/mysql/transaction.h"
#include "common/status/status_macros.h"
#include "services/audit/domain/village_feed.h"

namespace jifen::audit {
namespace {

constexpr char kRecordColumns[] =
    "sequence, source_service, outbox_id, village_id, actor_user_id, actor_role, action, "
    "object_type, object_id, before_state, after_state, occurred_at_ms, request_id, "
    "received_at_ms, hash";

TrailRecord ReadRecord(sql::ResultSet& row) {
  TrailRecord r;
  r.sequence = row.getInt64(1);
  r.source_service = row.getString(2);
  r.outbox_id = row.getInt64(3);
  r.village_id = row.getInt64(4);
  r.actor_user_id = row.getString(5);
  r.actor_role = row.getString(6);
  r.action = row.getString(7);
  r.object_type = row.getString(8);
  r.object_id = row.getString(9);
  r.before = row.getString(10);
  r.after = row.getString(11);
  r.occurred_at_ms = row.getInt64(12);
  r.request_id = row.getString(13);
  r.received_at_ms = row.getInt64(14);
  r.hash = row.getString(15);
  return r;
}

Checkpoint ReadCheckpoint(sql::ResultSet& row) {
  Checkpoint c;
  c.date = row.getString(1);
  c.record_count = row.getInt64(2);
  c.head_hash = row.getString(3);
  c.signed_at_ms = row.getInt64(4);
  c.signature = row.getString(5);
  return c;
}

}  // namespace

absl::StatusOr<AppendOutcome> AppendOnConnection(sql::Connection& c,
                                                 const std::vector<TrailRecord>& records,
                                                 int64_t now_ms, const Hasher& hasher) {
  AppendOutcome outcome;
  std::unique_ptr<sql::PreparedStatement> lock(c.prepareStatement(
      "SELECT sequence, hash, received_at_ms FROM chain_head WHERE id = 1 FOR UPDATE"));
  std::unique_ptr<sql::ResultSet> head(lock->executeQuery());
  if (!head->next()) return absl::InternalError("chain_head row missing");
  int64_t sequence = head->getInt64(1);
  RawHash previous;
  if (!FromHex(head->getString(2).asStdString(), &previous)) {
    return absl::DataLossError("chain_head hash is not hex");
  }
  const int64_t received_at_ms = std::max(now_ms, head->getInt64(3));

  std::unique_ptr<sql::PreparedStatement> exists(
      c.prepareStatement("SELECT 1 FROM audit_record WHERE source_service = ? AND outbox_id = ?"));
  std::unique_ptr<sql::PreparedStatement> insert(
      c.prepareStatement(absl::StrCat("INSERT INTO audit_record (", kRecordColumns,
                                      ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")));
  std::unique_ptr<sql::PreparedStatement> upsert_village;
  for (const TrailRecord& reported : records) {
    TrailRecord r = reported;
    r.sequence = sequence + 1;
    // The service's own changes have no outbox: their sequence is their unique id.
    if (r.outbox_id == 0 && r.source_service == kSelfSource) r.outbox_id = r.sequence;
    exists->setString(1, r.source_service);
    exists->setInt64(2, r.outbox_id);
    std::unique_ptr<sql::ResultSet> found(exists->executeQuery());
    if (found->next()) {
      ++outcome.duplicates;
      continue;
    }
    ++sequence;
    r.received_at_ms = received_at_ms;
    previous = ChainHash(hasher, previous, r);
    r.hash = ToHex(previous);
    insert->setInt64(1, r.sequence);
    insert->setString(2, r.source_service);
    insert->setInt64(3, r.outbox_id);
    insert->setInt64(4, r.village_id);
    insert->setString(5, r.actor_user_id);
    insert->setString(6, r.actor_role);
    insert->setString(7, r.action);
    insert->setString(8, r.object_type);
    insert->setString(9, r.object_id);
    insert->setString(10, r.before);
    insert->setString(11, r.after);
    insert->setInt64(12, r.occurred_at_ms);
    insert->setString(13, r.request_id);
    insert->setInt64(14, r.received_at_ms);
    insert->setString(15, r.hash);
    insert->executeUpdate();
    ++outcome.appended;
    // In the append's transaction, so the directory never misses a village the trail has.
    if (std::optional<VillageInfo> village = VillageFromRecord(r)) {
      if (!upsert_village) {
        upsert_village.reset(c.prepareStatement(
            "INSERT INTO village_directory (village_id, town_id, name, updated_at_ms) "
            "VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE town_id = VALUES(town_id), "
            "name = VALUES(name), updated_at_ms = VALUES(updated_at_ms)"));
      }
      upsert_village->setInt64(1, village->village_id);
      upsert_village->setInt64(2, village->town_id);
      upsert_village->setString(3, village->name);
      upsert_village->setInt64(4, received_at_ms);
      upsert_village->executeUpdate();
    }
  }
  if (outcome.appended > 0) {
    std::unique_ptr<sql::PreparedStatement> update(c.prepareStatement(
        "UPDATE chain_head SET sequence = ?, hash = ?, received_at_ms = ? WHERE id = 1"));
    update->setInt64(1, sequence);
    update->setString(2, ToHex(previous));
    update->setInt64(3, received_at_ms);
    update->executeUpdate();
  }
  outcome.head_sequence = sequence;
  return outcome;
}

absl::StatusOr<AppendOutcome> MySqlTrailRepository::Append(const std::vector<TrailRecord>& records,
                                                           int64_t now_ms, const Hasher& hasher) {
  AppendOutcome outcome;
  absl::Status status = mysql::RunInTransaction(pool_, [&](sql::Connection& c) -> absl::Status {
    ASSIGN_OR_RETURN(outcome, AppendOnConnection(c, records, now_ms, hasher));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return outcome;
}

absl::Status MySqlTrailRepository::Scan(int64_t after_sequence,
                                        const std::function<bool(const TrailRecord&)>& visit) {
  int64_t cursor = after_sequence;
  while (true) {
    std::vector<TrailRecord> page;
    RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& c) -> absl::Status {
      std::unique_ptr<sql::PreparedStatement> select(c.prepareStatement(
          absl::StrCat("SELECT ", kRecordColumns,
                       " FROM audit_record WHERE sequence > ? ORDER BY sequence LIMIT ?")));
      select->setInt64(1, cursor);
      select->setInt(2, scan_page_rows_);
      std::unique_ptr<sql::ResultSet> rows(select->executeQuery());
      page.reserve(rows->rowsCount());
      while (rows->next()) page.push_back(ReadRecord(*rows));
      return absl::OkStatus();
    }));
    for (const TrailRecord& record : page) {
      if (!visit(record)) return absl::OkStatus();
    }
    if (static_cast<int>(page.size()) < scan_page_rows_) return absl::OkStatus();
    cursor = page.back().sequence;
  }
}

absl::StatusOr<std::optional<TrailRecord>> MySqlTrailRepository::Get(int64_t sequence) {
  std::optional<TrailRecord> record;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& c) -> absl::Status {
    std::unique_ptr<sql::PreparedStatement> select(c.prepareStatement(
        absl::StrCat("SELECT ", kRecordColumns, " FROM audit_record WHERE sequence = ?")));
    select->setInt64(1, sequence);
    std::unique_ptr<sql::ResultSet> rows(select->executeQuery());
    if (rows->next()) record = ReadRecord(*rows);
    return absl::OkStatus();
  }));
  return record;
}

absl::StatusOr<std::vector<TrailRecord>> MySqlTrailRepository::List(const RecordFilter& filter) {
  std::vector<TrailRecord> records;
  std::string where = "sequence > ?";
  if (!filter.village_ids.empty()) {
    std::vector<std::string> marks(filter.village_ids.size(), "?");
    absl::StrAppend(&where, " AND village_id IN (", absl::StrJoin(marks, ","), ")");
  }
  if (!filter.object_type.empty()) absl::StrAppend(&where, " AND object_type = ?");
  if (!filter.object_id.empty()) absl::StrAppend(&where, " AND object_id = ?");
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& c) -> absl::Status {
    std::unique_ptr<sql::PreparedStatement> select(
        c.prepareStatement(absl::StrCat("SELECT ", kRecordColumns, " FROM audit_record WHERE ",
                                        where, " ORDER BY sequence LIMIT ?")));
    int i = 1;
    select->setInt64(i++, filter.after_sequence);
    for (int64_t village_id : filter.village_ids) select->setInt64(i++, village_id);
    if (!filter.object_type.empty()) select->setString(i++, filter.object_type);
    if (!filter.object_id.empty()) select->setString(i++, filter.object_id);
    select->setInt(i++, filter.limit);
    std::unique_ptr<sql::ResultSet> rows(select->executeQuery());
    while (rows->next()) records.push_back(ReadRecord(*rows));
    return absl::OkStatus();
  }));
  return records;
}

absl::StatusOr<ChainHead> MySqlTrailRepository::HeadBefore(int64_t before_ms) {
  ChainHead head;
  head.hash = kZeroHashHex;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& c) -> absl::Status {
    std::unique_ptr<sql::PreparedStatement> select(
        c.prepareStatement("SELECT sequence, hash FROM audit_record WHERE received_at_ms < ? "
                           "ORDER BY received_at_ms DESC, sequence DESC LIMIT 1"));
    select->setInt64(1, before_ms);
    std::unique_ptr<sql::ResultSet> rows(select->executeQuery());
    if (rows->next()) {
      head.sequence = rows->getInt64(1);
      head.hash = rows->getString(2);
    }
    return absl::OkStatus();
  }));
  return head;
}

absl::Status MySqlTrailRepository::InsertCheckpoint(const Checkpoint& checkpoint) {
  return mysql::RunWithConnection(pool_, [&](sql::Connection& c) -> absl::Status {
    std::unique_ptr<sql::PreparedStatement> insert(c.prepareStatement(
        "INSERT INTO audit_checkpoint (checkpoint_date, record_count, head_hash, signed_at_ms, "
        "signature) VALUES (?, ?, ?, ?, ?)"));
    insert->setString(1, checkpoint.date);
    insert->setInt64(2, checkpoint.record_count);
    insert->setString(3, checkpoint.head_hash);
    insert->setInt64(4, checkpoint.signed_at_ms);
    insert->setString(5, checkpoint.signature);
    insert->executeUpdate();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<Checkpoint>> MySqlTrailRepository::GetCheckpoint(
    const std::string& date) {
  std::optional<Checkpoint> checkpoint;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& c) -> absl::Status {
    std::unique_ptr<sql::PreparedStatement> select(c.prepareStatement(
        "SELECT checkpoint_date, record_count, head_hash, signed_at_ms, signature "
        "FROM audit_checkpoint WHERE checkpoint_date = ?"));
    select->setString(1, date);
    std::unique_ptr<sql::ResultSet> rows(select->executeQuery());
    if (rows->next()) checkpoint = ReadCheckpoint(*rows);
    return absl::OkStatus();
  }));
  return checkpoint;
}

absl::StatusOr<std::vector<Checkpoint>> MySqlTrailRepository::ListCheckpoints(
    const std::string& from_date, const std::string& to_date, int limit) {
  std::vector<Checkpoint> checkpoints;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& c) -> absl::Status {
    std::unique_ptr<sql::PreparedStatement> select(c.prepareStatement(
        "SELECT checkpoint_date, record_count, head_hash, signed_at_ms, signature "
        "FROM audit_checkpoint WHERE checkpoint_date >= ? AND checkpoint_date <= ? "
        "ORDER BY checkpoint_date DESC LIMIT ?"));
    select->setString(1, from_date.empty() ? "0000-00-00" : from_date);
    select->setString(2, to_date.empty() ? "9999-99-99" : to_date);
    select->setInt(3, limit);
    std::unique_ptr<sql::ResultSet> rows(select->executeQuery());
    while (rows->next()) checkpoints.push_back(ReadCheckpoint(*rows));
    return absl::OkStatus();
  }));
  return checkpoints;
}

}  // namespace jifen::audit
