#include "common/outbox/outbox_rows.h"

#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <memory>

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/mysql/sql_error.h"
#include "common/mysql/statement.h"
#include "common/mysql/transaction.h"

namespace jifen::outbox {

absl::Status Append(sql::Connection& connection, int64_t village_id, const std::string& topic,
                    const std::string& payload) {
  try {
    // Prepared once per pooled connection: every state change of every service runs it.
    mysql::Statement(connection,
                     "INSERT INTO outbox (village_id, topic, payload, created_at) "
                     "VALUES (?, ?, ?, NOW(6))")
        .Bind(village_id).Bind(topic).BindBlob(payload)
        .Update();
  } catch (const sql::SQLException& e) {
    // UNAVAILABLE makes RunInTransaction discard the connection, so no need to see it here.
    return mysql::StatusFromSqlException(e);
  }
  return absl::OkStatus();
}

absl::Status AppendAll(sql::Connection& connection, const std::vector<NewRecord>& records) {
  if (records.empty()) return absl::OkStatus();
  nlohmann::json rows = nlohmann::json::array();
  for (const NewRecord& record : records) {
    rows.push_back({{"v", record.village_id},
                    {"t", record.topic},
                    {"b", absl::Base64Escape(record.payload)}});
  }
  try {
    // Base64: JSON text would need the payload to be UTF-8. Rows are inserted in array order,
    // which MariaDB's JSON_TABLE scan follows (an ORDER BY would re-read the text per row).
    mysql::Statement(connection,
                     "INSERT INTO outbox (village_id, topic, payload, created_at) "
                     "SELECT r.village_id, r.topic, FROM_BASE64(r.payload), NOW(6) "
                     "FROM JSON_TABLE(?, '$[*]' COLUMNS (village_id BIGINT PATH '$.v', "
                     "  topic VARCHAR(64) CHARSET utf8mb4 PATH '$.t', "
                     "  payload LONGTEXT CHARSET utf8mb4 PATH '$.b')) AS r")
        .Bind(rows.dump())
        .Update();
  } catch (const sql::SQLException& e) {
    return mysql::StatusFromSqlException(e);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<OutboxRecord>> FetchUndelivered(mysql::ConnectionPool& pool,
                                                           const std::string& topic, int limit) {
  std::vector<OutboxRecord> records;
  absl::Status status = mysql::RunWithConnection(pool, [&](sql::Connection& connection) {
    std::unique_ptr<sql::PreparedStatement> select(connection.prepareStatement(
        "SELECT id, village_id, topic, payload,"
        " CAST(UNIX_TIMESTAMP(created_at) * 1000000 AS SIGNED)"
        " FROM outbox WHERE topic = ? AND delivered_at IS NULL ORDER BY id LIMIT ?"));
    select->setString(1, topic);
    select->setInt(2, limit);
    std::unique_ptr<sql::ResultSet> rows(select->executeQuery());
    while (rows->next()) {
      OutboxRecord record;
      record.id = rows->getInt64(1);
      record.village_id = rows->getInt64(2);
      record.topic = rows->getString(3);
      record.payload = rows->getString(4);
      record.created_at = absl::FromUnixMicros(rows->getInt64(5));
      records.push_back(std::move(record));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return records;
}

absl::Status MarkDelivered(mysql::ConnectionPool& pool, const std::vector<OutboxRecord>& records) {
  if (records.empty()) return absl::OkStatus();
  // Marking by explicit ids, not by an id range: a transaction that took a lower id but committed
  // after this batch was read must stay undelivered and go out with a later batch.
  std::vector<std::string> placeholders(records.size(), "?");
  const std::string update =
      absl::StrCat("UPDATE outbox SET delivered_at = NOW(6) WHERE delivered_at IS NULL AND id IN (",
                   absl::StrJoin(placeholders, ","), ")");
  return mysql::RunWithConnection(pool, [&](sql::Connection& connection) {
    std::unique_ptr<sql::PreparedStatement> statement(connection.prepareStatement(update));
    for (size_t i = 0; i < records.size(); ++i) {
      statement->setInt64(static_cast<unsigned int>(i + 1), records[i].id);
    }
    statement->executeUpdate();
    return absl::OkStatus();
  });
}

}  // namespace jifen::outbox
