// Prepared statements kept per pooled connection, so that a statement is prepared on the server
// once per connection instead of before every execution (a prepare and its close cost the server
// about as much as the execution itself; see docs/benchmarks.md).
//
// The pool attaches a cache to each connection it opens and detaches it before it closes the
// connection, so a statement never outlives the session it was prepared in: a connection broken by
// a server restart is discarded with its statements. Connections that are not from a pool
// (jifen-migrate, tests) have no cache and prepare every time.
//
// A cached statement is lent to one mysql::Statement at a time. Its result set keeps it lent until
// the result set is destroyed, because executing a prepared statement again discards the rows of
// its previous execution; meanwhile the same SQL on the same connection is prepared uncached.
#pragma once

#include <cppconn/connection.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <memory>

#include "absl/strings/string_view.h"

namespace jifen::mysql {

struct CachedStatementSlot {
  std::unique_ptr<sql::PreparedStatement> statement;
  bool lent = false;
};

// Returns the slot of a statement to the cache when the result set it produced is destroyed.
struct RowsDeleter {
  std::shared_ptr<CachedStatementSlot> slot;
  void operator()(sql::ResultSet* rows) const {
    delete rows;
    if (slot != nullptr) slot->lent = false;
  }
};

// The rows of a query; destroy them before the connection goes back to the pool.
using Rows = std::unique_ptr<sql::ResultSet, RowsDeleter>;

class StatementCache final {
 public:
  // A connection's statements are touched only by the thread that holds the connection.
  static void Attach(const sql::Connection& connection);
  // Deallocates the connection's statements on the server (when it still answers).
  static void Detach(const sql::Connection& connection);

  // The statement for `sql_text` on `connection`, marked lent, prepared on first use; nullptr when
  // the connection has no cache, the statement is lent already, or the cache is full.
  static std::shared_ptr<CachedStatementSlot> Lend(sql::Connection& connection,
                                                   absl::string_view sql_text);

  // Statements kept per connection at most; beyond that, statements are prepared every time (a
  // server allows max_prepared_stmt_count statements across all its sessions).
  static constexpr int kMaxStatementsPerConnection = 128;
};

}  // namespace jifen::mysql
