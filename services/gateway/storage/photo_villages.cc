#include "services/gateway/storage/photo_villages.h"

#include <cppconn/connection.h>

#include "common/mysql/statement.h"
#include "common/mysql/transaction.h"

namespace jifen::gateway {

absl::Status MySqlPhotoVillages::Record(const std::string& photo_ref, int64_t village_id,
                                        const std::string& uploaded_by, int64_t at_ms) {
  return mysql::RunWithConnection(*pool_, [&](sql::Connection& connection) {
    mysql::Statement(connection,
                     "INSERT IGNORE INTO photo_villages (photo_ref, village_id, uploaded_by, "
                     "uploaded_at_ms) VALUES (?, ?, ?, ?)")
        .Bind(photo_ref)
        .Bind(village_id)
        .Bind(uploaded_by)
        .Bind(at_ms)
        .Update();
    return absl::OkStatus();
  });
}

absl::StatusOr<bool> MySqlPhotoVillages::UploadedIn(const std::string& photo_ref,
                                                    int64_t village_id) {
  bool found = false;
  absl::Status status = mysql::RunWithConnection(*pool_, [&](sql::Connection& connection) {
    auto rows = mysql::Statement(connection,
                                 "SELECT 1 FROM photo_villages WHERE photo_ref = ? AND village_id = ?")
                    .Bind(photo_ref)
                    .Bind(village_id)
                    .Query();
    found = rows->next();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return found;
}

}  // namespace jifen::gateway
