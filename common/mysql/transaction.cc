#include "common/mysql/transaction.h"

#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/statement.h>

#include <algorithm>
#include <memory>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/mysql/connection_pool.h"

namespace jifen::mysql {
namespace {

// What one attempt ended with, and whether running it again cannot repeat a side effect.
struct Attempt {
  absl::Status status;
  bool retry_safe = false;  // failed before the body ran, on a stale connection
};

void Execute(sql::Connection& connection, const char* statement_text) {
  std::unique_ptr<sql::Statement> statement(connection.createStatement());
  statement->execute(statement_text);
}

// A body that caught the exception itself returns UNAVAILABLE without us seeing the exception; the
// connection is then as suspect as if we had seen it.
void NoteBodyStatus(PooledConnection& connection, const absl::Status& status) {
  if (absl::IsUnavailable(status)) connection.MarkBroken();
}

// A transaction must never go back to the pool open: if ROLLBACK itself fails, the connection goes.
void RollBack(PooledConnection& connection) {
  try {
    Execute(connection.get(), "ROLLBACK");
  } catch (const sql::SQLException&) {
    connection.MarkBroken();
  }
}

// Any exception other than sql::SQLException (bad_alloc, a bug in the body) leaves the transaction
// in an unknown state; discard the connection on the way out so the server rolls it back.
class BrokenUnlessDismissed final {
 public:
  explicit BrokenUnlessDismissed(PooledConnection& connection) : connection_(connection) {}
  ~BrokenUnlessDismissed() {
    if (!dismissed_) connection_.MarkBroken();
  }
  void Dismiss() { dismissed_ = true; }

 private:
  PooledConnection& connection_;
  bool dismissed_ = false;
};

Attempt RunOnce(ConnectionPool& pool, const std::function<absl::Status(sql::Connection&)>& body) {
  absl::StatusOr<PooledConnection> acquired = pool.Acquire();
  if (!acquired.ok()) return {acquired.status()};
  PooledConnection& connection = *acquired;
  BrokenUnlessDismissed guard(connection);
  try {
    Execute(connection.get(), "START TRANSACTION");
  } catch (const sql::SQLException& e) {
    guard.Dismiss();
    absl::Status status = connection.HandleError(e);
    return {status, absl::IsUnavailable(status)};
  }
  absl::Status status;
  try {
    status = body(connection.get());
    NoteBodyStatus(connection, status);
  } catch (const sql::SQLException& e) {
    status = connection.HandleError(e);
  }
  if (status.ok()) {
    try {
      Execute(connection.get(), "COMMIT");
      guard.Dismiss();
      return {absl::OkStatus()};
    } catch (const sql::SQLException& e) {
      // A lost connection during COMMIT leaves the outcome unknown: UNAVAILABLE, never retried
      // here.
      status = connection.HandleError(e);
    }
  }
  RollBack(connection);
  guard.Dismiss();
  return {status};
}

// Jittered exponential backoff so that two deadlock victims do not collide again in lock step.
absl::Duration Backoff(int attempt) {
  thread_local std::minstd_rand random(std::random_device{}());
  const int64_t cap_ms = std::min<int64_t>(200, int64_t{5} << std::min(attempt, 6));
  std::uniform_int_distribution<int64_t> jitter(cap_ms / 2, cap_ms);
  return absl::Milliseconds(jitter(random));
}

}  // namespace

absl::Status RunInTransaction(ConnectionPool& pool,
                              const std::function<absl::Status(sql::Connection&)>& body,
                              TransactionOptions options) {
  const int max_attempts = std::max(1, options.max_attempts);
  absl::Status last;
  for (int attempt = 1; attempt <= max_attempts; ++attempt) {
    Attempt result = RunOnce(pool, body);
    if (result.status.ok()) return result.status;
    last = std::move(result.status);
    if (!absl::IsAborted(last) && !result.retry_safe) return last;
    if (attempt < max_attempts) absl::SleepFor(Backoff(attempt));
  }
  return absl::Status(last.code(),
                      absl::StrCat("gave up after ", max_attempts, " attempts: ", last.message()));
}

absl::Status RunWithConnection(ConnectionPool& pool,
                               const std::function<absl::Status(sql::Connection&)>& body) {
  absl::StatusOr<PooledConnection> acquired = pool.Acquire();
  if (!acquired.ok()) return acquired.status();
  PooledConnection& connection = *acquired;
  BrokenUnlessDismissed guard(connection);
  absl::Status status;
  try {
    status = body(connection.get());
    NoteBodyStatus(connection, status);
  } catch (const sql::SQLException& e) {
    status = connection.HandleError(e);
  }
  guard.Dismiss();
  return status;
}

}  // namespace jifen::mysql
