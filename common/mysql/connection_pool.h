// A bounded pool of MySQL Connector/C++ 1.1 connections to one schema.
//
// One connection is used by one thread at a time (Connector/C++ connections are not thread-safe).
// Connections broken by a server restart are detected and replaced, so callers see at most the
// failing call return UNAVAILABLE and the next call succeed once the server is back.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace sql {
class Connection;
class SQLException;
}  // namespace sql

namespace jifen::mysql {

struct MySqlConfig {
  std::string host = "127.0.0.1";
  int port = 3306;
  std::string user;
  std::string password;
  std::string database;
  int pool_size = 8;                                  // connections at most
  absl::Duration acquire_timeout = absl::Seconds(5);  // waiting for a free connection
  absl::Duration connect_timeout = absl::Seconds(3);
  // Client read/write timeout per network operation: a statement running longer than this fails
  // with UNAVAILABLE. Raise it for long DDL (jifen-migrate does).
  absl::Duration io_timeout = absl::Seconds(30);
};

class ConnectionPool;

// A connection borrowed from the pool; returned on destruction. If the borrower saw a connection
// error it calls MarkBroken() and the pool discards the connection instead of reusing it.
class PooledConnection final {
 public:
  PooledConnection(PooledConnection&&) noexcept;
  PooledConnection& operator=(PooledConnection&&) noexcept;
  ~PooledConnection();

  sql::Connection& get() { return *connection_; }
  sql::Connection* operator->() { return connection_.get(); }
  void MarkBroken() { broken_ = true; }

  // Maps `e` with StatusFromSqlException and marks the connection broken when the error means it is
  // unusable (connection error codes, or a code-less Connector error on a connection that no longer
  // answers, which is then reported as UNAVAILABLE). For code that catches exceptions itself.
  absl::Status HandleError(const sql::SQLException& e);

 private:
  friend class ConnectionPool;
  PooledConnection(ConnectionPool* pool, std::unique_ptr<sql::Connection> connection);
  ConnectionPool* pool_;
  std::unique_ptr<sql::Connection> connection_;
  bool broken_ = false;
};

class ConnectionPool final {
 public:
  // Does not connect; the first Acquire() does. Never fails. An empty config.database connects
  // without selecting one (jifen-migrate creates databases that way). Every PooledConnection must
  // be returned before the pool is destroyed.
  explicit ConnectionPool(MySqlConfig config);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Borrows a live connection (autocommit on, utf8mb4, time zone +08:00, REPEATABLE READ).
  // UNAVAILABLE if the server can't be reached; DEADLINE_EXCEEDED if all connections stay busy
  // past acquire_timeout. An idle connection is pinged before it is handed out only if it was idle
  // for more than a second or was returned before some connection broke (the server may have
  // restarted under all of them); otherwise a dead one is caught by the borrower's MarkBroken().
  absl::StatusOr<PooledConnection> Acquire();

  // Runs `SELECT 1` on a pooled connection: OK while the server answers. Used by health checks.
  absl::Status Ping();

  const MySqlConfig& config() const { return config_; }

 private:
  friend class PooledConnection;
  void Release(std::unique_ptr<sql::Connection> connection, bool broken);
  struct State;
  MySqlConfig config_;
  std::unique_ptr<State> state_;
};

}  // namespace jifen::mysql
