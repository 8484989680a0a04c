#include "common/mysql/connection_pool.h"

#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/mysql/connect.h"
#include "common/mysql/sql_error.h"
#include "common/mysql/statement_cache.h"

namespace jifen::mysql {
namespace {

// A connection returned this recently is handed out without a round trip: if it died meanwhile, the
// borrower's statement fails, marks it broken, and only that call sees the error.
constexpr absl::Duration kTrustIdleFor = absl::Seconds(1);

// isValid() pings the server; a dead socket makes it return false (or throw, on some paths).
bool IsAlive(sql::Connection& connection) {
  try {
    return connection.isValid();
  } catch (const sql::SQLException&) {
    return false;
  }
}

// Closing a dead connection may fail while sending COM_QUIT; nothing useful can be done about it.
void Close(std::unique_ptr<sql::Connection> connection) {
  if (connection == nullptr) return;
  StatementCache::Detach(*connection);
  try {
    connection.reset();
  } catch (const sql::SQLException&) {
  }
}

}  // namespace

struct ConnectionPool::State {
  struct Idle {
    std::unique_ptr<sql::Connection> connection;
    absl::Time since;
  };

  absl::Mutex mu;
  absl::CondVar changed;  // signalled whenever a connection is returned or a slot is freed
  std::vector<Idle> idle ABSL_GUARDED_BY(mu);  // most recently returned last
  int open ABSL_GUARDED_BY(mu) = 0;            // idle + lent out + being opened
  // When a connection broke, the server may have restarted under all of them: connections that
  // were idle before then are pinged before reuse, so one failed call is all that callers see.
  absl::Time suspect_before ABSL_GUARDED_BY(mu) = absl::InfinitePast();
};

PooledConnection::PooledConnection(ConnectionPool* pool,
                                   std::unique_ptr<sql::Connection> connection)
    : pool_(pool), connection_(std::move(connection)) {}

PooledConnection::PooledConnection(PooledConnection&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      connection_(std::move(other.connection_)),
      broken_(other.broken_) {}

PooledConnection& PooledConnection::operator=(PooledConnection&& other) noexcept {
  if (this != &other) {
    if (pool_ != nullptr && connection_ != nullptr) pool_->Release(std::move(connection_), broken_);
    pool_ = std::exchange(other.pool_, nullptr);
    connection_ = std::move(other.connection_);
    broken_ = other.broken_;
  }
  return *this;
}

PooledConnection::~PooledConnection() {
  if (pool_ != nullptr && connection_ != nullptr) pool_->Release(std::move(connection_), broken_);
}

absl::Status PooledConnection::HandleError(const sql::SQLException& e) {
  absl::Status status = StatusFromSqlException(e);
  if (absl::IsUnavailable(status)) {
    MarkBroken();
  } else if (e.getErrorCode() == 0 && !IsAlive(*connection_)) {
    // Connector's own errors carry no code; only the connection can tell whether it is the cause.
    MarkBroken();
    return absl::UnavailableError(absl::StrCat("connection lost: ", status.message()));
  }
  return status;
}

ConnectionPool::ConnectionPool(MySqlConfig config)
    : config_(std::move(config)), state_(std::make_unique<State>()) {
  config_.pool_size = std::max(1, config_.pool_size);
}

ConnectionPool::~ConnectionPool() {
  std::vector<State::Idle> idle;
  {
    absl::MutexLock lock(&state_->mu);
    idle.swap(state_->idle);
  }
  for (State::Idle& entry : idle) Close(std::move(entry.connection));
}

absl::StatusOr<PooledConnection> ConnectionPool::Acquire() {
  const absl::Time deadline = absl::Now() + config_.acquire_timeout;
  while (true) {
    State::Idle candidate;
    bool suspect = false;
    {
      absl::MutexLock lock(&state_->mu);
      while (state_->idle.empty() && state_->open >= config_.pool_size) {
        if (state_->changed.WaitWithDeadline(&state_->mu, deadline) && state_->idle.empty() &&
            state_->open >= config_.pool_size) {
          return absl::DeadlineExceededError(
              absl::StrCat("all ", config_.pool_size, " connections to ", config_.database,
                           " stayed busy for ", absl::FormatDuration(config_.acquire_timeout)));
        }
      }
      if (!state_->idle.empty()) {
        candidate = std::move(state_->idle.back());
        state_->idle.pop_back();
        suspect = candidate.since <= state_->suspect_before;
      } else {
        ++state_->open;  // reserve the slot before connecting without the lock
      }
    }
    if (candidate.connection == nullptr) {
      absl::StatusOr<std::unique_ptr<sql::Connection>> opened = OpenConnection(config_);
      if (!opened.ok()) {
        Release(nullptr, /*broken=*/true);
        return opened.status();
      }
      StatementCache::Attach(**opened);
      return PooledConnection(this, std::move(*opened));
    }
    const bool trusted = !suspect && absl::Now() - candidate.since <= kTrustIdleFor;
    if (trusted || IsAlive(*candidate.connection)) {
      return PooledConnection(this, std::move(candidate.connection));
    }
    // Stale (server restarted, or wait_timeout closed it): drop it and take or open another.
    Release(std::move(candidate.connection), /*broken=*/true);
  }
}

void ConnectionPool::Release(std::unique_ptr<sql::Connection> connection, bool broken) {
  if (broken) {
    Close(std::move(connection));
    absl::MutexLock lock(&state_->mu);
    --state_->open;
    state_->suspect_before = absl::Now();
    state_->changed.Signal();
    return;
  }
  absl::MutexLock lock(&state_->mu);
  state_->idle.push_back({std::move(connection), absl::Now()});
  state_->changed.Signal();
}

absl::Status ConnectionPool::Ping() {
  absl::StatusOr<PooledConnection> connection = Acquire();
  if (!connection.ok()) return connection.status();
  try {
    std::unique_ptr<sql::Statement> statement((*connection)->createStatement());
    std::unique_ptr<sql::ResultSet> result(statement->executeQuery("SELECT 1"));
    return absl::OkStatus();
  } catch (const sql::SQLException& e) {
    return connection->HandleError(e);
  }
}

}  // namespace jifen::mysql
