// Opens one Connector/C++ connection with the session settings every Jifen connection relies on.
// Internal to jifen_mysql: callers borrow connections from ConnectionPool.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "common/mysql/connection_pool.h"

namespace sql {
class Connection;
}

namespace jifen::mysql {

// Connects to config.host:port as config.user, selects config.database (unless empty), and sets
// autocommit, utf8mb4, time zone +08:00 and REPEATABLE READ. UNAVAILABLE if the server can't be
// reached; other codes as StatusFromSqlException maps them (e.g. PERMISSION_DENIED).
absl::StatusOr<std::unique_ptr<sql::Connection>> OpenConnection(const MySqlConfig& config);

}  // namespace jifen::mysql
