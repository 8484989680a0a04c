#include "tests/support/audit_outbox.h"

#include <cppconn/connection.h>
#include <gtest/gtest.h>

#include "common/mysql/statement.h"
#include "common/mysql/transaction.h"

namespace jifen::testing {

int64_t LastOutboxId(mysql::ConnectionPool& pool) {
  int64_t id = -1;
  const absl::Status status = mysql::RunWithConnection(pool, [&](sql::Connection& c) {
    auto rows = mysql::Statement(c, "SELECT COALESCE(MAX(id), 0) FROM outbox").Query();
    if (rows->next()) id = rows->getInt64(1);
    return absl::OkStatus();
  });
  EXPECT_TRUE(status.ok()) << status;
  return id;
}

std::vector<OutboxAudit> AuditOutboxAfter(mysql::ConnectionPool& pool, int64_t after_id) {
  std::vector<OutboxAudit> found;
  const absl::Status status = mysql::RunWithConnection(pool, [&](sql::Connection& c) {
    found.clear();
    auto rows = mysql::Statement(c,
                                 "SELECT id, village_id, payload FROM outbox "
                                 "WHERE topic = 'audit' AND id > ? ORDER BY id")
                    .Bind(after_id)
                    .Query();
    while (rows->next()) {
      OutboxAudit row;
      row.outbox_id = rows->getInt64(1);
      row.village_id = rows->getInt64(2);
      row.payload = rows->getString(3).asStdString();
      row.parsed = row.record.ParseFromString(row.payload);
      found.push_back(std::move(row));
    }
    return absl::OkStatus();
  });
  EXPECT_TRUE(status.ok()) << status;
  return found;
}

}  // namespace jifen::testing
