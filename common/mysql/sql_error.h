// sql::SQLException to absl::Status, by MySQL error code.
#pragma once

#include "absl/status/status.h"

namespace sql {
class SQLException;
}

namespace jifen::mysql {

// 1062 duplicate key -> ALREADY_EXISTS; 1213 deadlock, 1205 lock wait timeout -> ABORTED;
// 2002/2003/2006/2013/2055, 1053 shutdown, 1927 connection killed, and code-less Connector errors
// whose text says the connection is gone -> UNAVAILABLE;
// 1142/1143/1044/1045 denied -> PERMISSION_DENIED (a bug in grants, not the caller's fault:
// logged); 3819 / 4025 CHECK constraint -> FAILED_PRECONDITION; everything else -> INTERNAL. The
// message keeps the server's text for logs; handlers never send INTERNAL text to clients.
absl::Status StatusFromSqlException(const sql::SQLException& e);

// True when the error means the connection is unusable and must be discarded.
bool IsConnectionError(int mysql_error_code);

}  // namespace jifen::mysql
