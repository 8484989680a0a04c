// Prepared statements kept per pooled connection. common/mysql's Statement prepares before every
// execution, which costs a round trip to the server each time; the order path runs about ten
// statements, so preparing them once per connection is most of the difference to raw connector
// use (see tools/bench/redemption).
//
// Lifetime. The pool may close a connection and open a new one at the same address without telling
// us. A statement of the closed connection then fails on execution with a connection error (its
// client handle was detached when the connection closed; nothing is sent), which the transaction
// helpers report as UNAVAILABLE and which makes the caller call Invalidate(): every statement is
// prepared again on its connection's next use. So the worst case after a server restart is one
// extra failed call, which callers see as UNAVAILABLE (retry) anyway.
#pragma once

#include <cppconn/connection.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace jifen::redemption {

// A cached statement with positional binding in call order (as mysql::Statement).
class CachedStatement final {
 public:
  explicit CachedStatement(sql::PreparedStatement& statement) : statement_(statement) {}
  CachedStatement& Bind(int64_t value) {
    statement_.setInt64(++index_, value);
    return *this;
  }
  CachedStatement& Bind(int value) { return Bind(static_cast<int64_t>(value)); }
  CachedStatement& Bind(bool value) {
    statement_.setBoolean(++index_, value);
    return *this;
  }
  CachedStatement& Bind(absl::string_view value) {
    statement_.setString(++index_, sql::SQLString(value.data(), value.size()));
    return *this;
  }
  CachedStatement& Bind(const std::string& value) { return Bind(absl::string_view(value)); }
  CachedStatement& Bind(const char* value) { return Bind(absl::string_view(value)); }
  int Update() { return statement_.executeUpdate(); }
  // The result must be destroyed before the same statement runs again.
  std::unique_ptr<sql::ResultSet> Query() {
    return std::unique_ptr<sql::ResultSet>(statement_.executeQuery());
  }

 private:
  sql::PreparedStatement& statement_;
  int index_ = 0;
};

class StatementCache final {
 private:
  struct PerConnection;

 public:
  // The statements of one connection for the duration of one transaction (or one autocommit use):
  // call Use() at the start of the body, while none of the connection's results are open.
  class Scope final {
   public:
    // The statement for `sql_text`, prepared on its first use on this connection.
    CachedStatement operator()(const std::string& sql_text);

   private:
    friend class StatementCache;
    Scope(sql::Connection& connection, PerConnection& entry)
        : connection_(connection), entry_(entry) {}
    sql::Connection& connection_;
    PerConnection& entry_;
  };

  // Only the thread that holds the connection may use the scope (as with the connection itself).
  Scope Use(sql::Connection& connection);
  // Every statement is prepared again at its connection's next Use().
  void Invalidate() { generation_.fetch_add(1); }

 private:
  struct PerConnection {
    uint64_t generation = 0;
    absl::flat_hash_map<std::string, std::unique_ptr<sql::PreparedStatement>> statements;
  };
  std::atomic<uint64_t> generation_{1};
  absl::Mutex mutex_;
  // An entry is touched only by the thread holding its connection; the mutex guards the map.
  absl::flat_hash_map<const sql::Connection*, std::unique_ptr<PerConnection>> connections_
      ABSL_GUARDED_BY(mutex_);
};

}  // namespace jifen::redemption
