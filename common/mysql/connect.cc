#include "common/mysql/connect.h"

#include <cppconn/connection.h>
#include <cppconn/driver.h>
#include <cppconn/exception.h>
#include <cppconn/statement.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/mysql/sql_error.h"

namespace jifen::mysql {
namespace {

// get_driver_instance() initialises the client library on first use and is not safe to race;
// a function-local static makes the first call happen once.
sql::Driver& Driver() {
  static sql::Driver* const driver = get_driver_instance();
  return *driver;
}

// The client library takes whole seconds; round up so a sub-second setting does not become 0
// (which means "no timeout").
int WholeSeconds(absl::Duration d) {
  return static_cast<int>(
      std::max<int64_t>(1, absl::ToInt64Seconds(absl::Ceil(d, absl::Seconds(1)))));
}

void SetUpSession(sql::Connection& connection) {
  // Connector/C++ already defaults to these two; setting them explicitly documents the contract
  // that RunInTransaction and the outbox rely on.
  connection.setAutoCommit(true);
  connection.setTransactionIsolation(sql::TRANSACTION_REPEATABLE_READ);
  std::unique_ptr<sql::Statement> statement(connection.createStatement());
  statement->execute("SET NAMES utf8mb4");
  // Periods (days, months) are Asia/Shanghai; a fixed offset works without the server's time zone
  // tables, and China has no daylight saving time.
  statement->execute("SET time_zone = '+08:00'");
}

}  // namespace

absl::StatusOr<std::unique_ptr<sql::Connection>> OpenConnection(const MySqlConfig& config) {
  sql::ConnectOptionsMap options;
  options["hostName"] = sql::SQLString(absl::StrCat("tcp://", config.host, ":", config.port));
  options["userName"] = sql::SQLString(config.user);
  options["password"] = sql::SQLString(config.password);
  if (!config.database.empty()) options["schema"] = sql::SQLString(config.database);
  options["OPT_CONNECT_TIMEOUT"] = WholeSeconds(config.connect_timeout);
  options["OPT_READ_TIMEOUT"] = WholeSeconds(config.io_timeout);
  options["OPT_WRITE_TIMEOUT"] = WholeSeconds(config.io_timeout);
  // A silent client-side reconnect would lose session settings and any open transaction without
  // telling us; the pool replaces broken connections itself instead.
  options["OPT_RECONNECT"] = false;
  std::unique_ptr<sql::Connection> connection;
  try {
    connection.reset(Driver().connect(options));
    SetUpSession(*connection);
  } catch (const sql::SQLException& e) {
    absl::Status status = StatusFromSqlException(e);
    // A failed connect carries its code (2002/2003, 1045, 1049) but the server may also vanish
    // between the handshake and the session settings; either way there is no usable connection.
    return absl::Status(status.code(), absl::StrCat("connecting to ", config.host, ":", config.port,
                                                    ": ", status.message()));
  }
  return connection;
}

}  // namespace jifen::mysql
