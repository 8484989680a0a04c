#include "common/mysql/sql_error.h"

#include <cppconn/exception.h>

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace jifen::mysql {
namespace {

// Connector/C++ raises some failures itself, with error code 0 and only a text. These are the texts
// it (or the client library under it) uses when the connection is gone.
bool LooksLikeLostConnection(const std::string& message) {
  const std::string lower = absl::AsciiStrToLower(message);
  for (absl::string_view text :
       {"connection has been closed", "server has gone away", "lost connection", "can't connect"}) {
    if (absl::StrContains(lower, text)) return true;
  }
  return false;
}

}  // namespace

bool IsConnectionError(int mysql_error_code) {
  switch (mysql_error_code) {
    case 1053:  // ER_SERVER_SHUTDOWN: the server is going down under us
    case 1927:  // ER_CONNECTION_KILLED (MariaDB): KILL CONNECTION or server shutdown
    case 2002:  // CR_CONNECTION_ERROR
    case 2003:  // CR_CONN_HOST_ERROR
    case 2006:  // CR_SERVER_GONE_ERROR
    case 2013:  // CR_SERVER_LOST
    case 2055:  // CR_SERVER_LOST_EXTENDED
      return true;
    default:
      return false;
  }
}

absl::Status StatusFromSqlException(const sql::SQLException& e) {
  const int code = e.getErrorCode();
  const std::string message =
      absl::StrCat("mysql error ", code, " (", e.getSQLState(), "): ", e.what());
  switch (code) {
    case 1062:  // ER_DUP_ENTRY
      return absl::AlreadyExistsError(message);
    case 1205:  // ER_LOCK_WAIT_TIMEOUT
    case 1213:  // ER_LOCK_DEADLOCK
      return absl::AbortedError(message);
    case 1044:  // ER_DBACCESS_DENIED_ERROR
    case 1045:  // ER_ACCESS_DENIED_ERROR
    case 1142:  // ER_TABLEACCESS_DENIED_ERROR
    case 1143:  // ER_COLUMNACCESS_DENIED_ERROR
      return absl::PermissionDeniedError(message);
    case 3819:  // ER_CHECK_CONSTRAINT_VIOLATED (MySQL)
    case 4025:  // ER_CONSTRAINT_FAILED (MariaDB)
      return absl::FailedPreconditionError(message);
    default:
      break;
  }
  if (IsConnectionError(code) || (code == 0 && LooksLikeLostConnection(e.what()))) {
    return absl::UnavailableError(message);
  }
  return absl::InternalError(message);
}

}  // namespace jifen::mysql
