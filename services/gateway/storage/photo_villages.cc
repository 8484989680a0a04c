#include "services/gateway/storage/photo_villages.h"

#include <cppconn/connection.h>

#include "common/mysql/statement.h"
#include "common/mysql/transaction.h"

namespace jifen::gateway {

absl::Status MySqlPhotoVillages::Record(const std::string& photo_ref, int64_t village_id,
                                        int64_t town_id, const std::string& uploaded_by,
                                        int64_t at_ms) {
  return mysql::RunWithConnection(*pool_, [&](sql::Connection& connection) {
    mysql::Statement(connection,
                     "INSERT IGNORE INTO photo_villages (photo_ref, village_id, town_id, "
                     "uploaded_by, uploaded_at_ms) VALUES (?, ?, ?, ?, ?)")
        .Bind(photo_ref)
        .Bind(village_id)
        .Bind(town_id)
        .Bind(uploaded_by)
        .Bind(at_ms)
        .Update();
    return absl::OkStatus();
  });
}

namespace {

// Whether a row of photo_villages has `photo_ref` and `value` in `column` (a constant of ours).
absl::StatusOr<bool> HasRow(mysql::ConnectionPool& pool, const char* sql,
                            const std::string& photo_ref, int64_t value) {
  bool found = false;
  absl::Status status = mysql::RunWithConnection(pool, [&](sql::Connection& connection) {
    auto rows = mysql::Statement(connection, sql).Bind(photo_ref).Bind(value).Query();
    found = rows->next();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return found;
}

}  // namespace

absl::StatusOr<bool> MySqlPhotoVillages::UploadedIn(const std::string& photo_ref,
                                                    int64_t village_id) {
  return HasRow(*pool_, "SELECT 1 FROM photo_villages WHERE photo_ref = ? AND village_id = ?",
                photo_ref, village_id);
}

absl::StatusOr<std::vector<int64_t>> MySqlPhotoVillages::VillagesOf(
    const std::string& photo_ref) {
  std::vector<int64_t> villages;
  absl::Status status = mysql::RunWithConnection(*pool_, [&](sql::Connection& connection) {
    villages.clear();  // a retried connection starts over
    auto rows = mysql::Statement(connection,
                                 "SELECT village_id FROM photo_villages WHERE photo_ref = ? "
                                 "ORDER BY village_id")
                    .Bind(photo_ref)
                    .Query();
    while (rows->next()) villages.push_back(rows->getInt64(1));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return villages;
}

}  // namespace jifen::gateway
