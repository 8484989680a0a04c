// Transactions with bounded retry of deadlocks and lock-wait timeouts.
#pragma once

#include <functional>

#include "absl/status/status.h"
#include "common/mysql/connection_pool.h"

namespace sql {
class Connection;
}

namespace jifen::mysql {

struct TransactionOptions {
  int max_attempts = 5;  // attempts in all when the body or commit returns ABORTED
};

// Runs `body` inside BEGIN ... COMMIT on a pooled connection. The body returns a status: OK
// commits; anything else rolls back and is returned. sql::SQLException thrown by the body (or by
// COMMIT) is caught and mapped by StatusFromSqlException; ABORTED (deadlock 1213, lock wait 1205)
// is retried up to max_attempts with a short jittered backoff, the body running again from the
// start, so it must not keep side effects outside the transaction. Connection errors mark the
// connection broken, and so does a body returning UNAVAILABLE (a body that catches exceptions
// itself should map them with PooledConnection::HandleError or StatusFromSqlException). A
// connection found dead at START TRANSACTION, before the body ran, also counts as a retryable
// attempt; a connection lost during COMMIT is UNAVAILABLE and not retried (the outcome is unknown).
absl::Status RunInTransaction(ConnectionPool& pool,
                              const std::function<absl::Status(sql::Connection&)>& body,
                              TransactionOptions options = {});

// The same without a transaction (autocommit), for reads and single statements; exceptions mapped.
absl::Status RunWithConnection(ConnectionPool& pool,
                               const std::function<absl::Status(sql::Connection&)>& body);

}  // namespace jifen::mysql
