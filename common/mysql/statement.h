// A prepared statement with positional binding in call order, so that SQL stays readable:
//
//   Statement(conn, "SELECT score FROM period_scores WHERE household_id = ? AND period = ?")
//       .Bind(household_id).Bind(period).Query();
//
// On a pooled connection the statement is prepared once and reused (common/mysql/statement_cache.h).
// Connector/C++ throws sql::SQLException; callers run inside RunInTransaction / RunWithConnection,
// which map it to a status.
#pragma once

#include <cppconn/connection.h>
#include <cppconn/datatype.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "common/mysql/statement_cache.h"

namespace jifen::mysql {

class Statement final {
 public:
  Statement(sql::Connection& connection, const char* sql)
      : slot_(StatementCache::Lend(connection, sql)) {
    if (slot_ != nullptr) {
      statement_ = slot_->statement.get();
    } else {
      owned_.reset(connection.prepareStatement(sql));
      statement_ = owned_.get();
    }
  }
  ~Statement() {
    if (slot_ != nullptr) slot_->lent = false;
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& Bind(int64_t value) {
    statement_->setInt64(++index_, value);
    return *this;
  }
  Statement& Bind(int value) { return Bind(static_cast<int64_t>(value)); }
  Statement& Bind(bool value) {
    statement_->setBoolean(++index_, value);
    return *this;
  }
  Statement& Bind(absl::string_view value) {
    statement_->setString(++index_, sql::SQLString(value.data(), value.size()));
    return *this;
  }
  Statement& Bind(const std::string& value) { return Bind(absl::string_view(value)); }
  Statement& Bind(const char* value) { return Bind(absl::string_view(value)); }
  // Binds NULL for 0 ids (optional references).
  Statement& BindIdOrNull(int64_t value) {
    if (value == 0) {
      statement_->setNull(++index_, sql::DataType::BIGINT);
      return *this;
    }
    return Bind(value);
  }
  Statement& BindBlob(const std::string& bytes) { return Bind(absl::string_view(bytes)); }

  // Rows affected.
  int Update() { return statement_->executeUpdate(); }
  // The statement stays lent to the rows until they are destroyed.
  Rows Query() {
    sql::ResultSet* rows = statement_->executeQuery();
    return Rows(rows, RowsDeleter{std::move(slot_)});
  }

 private:
  std::shared_ptr<CachedStatementSlot> slot_;  // null when not cached
  std::unique_ptr<sql::PreparedStatement> owned_;
  sql::PreparedStatement* statement_ = nullptr;
  int index_ = 0;
};

inline std::string GetString(sql::ResultSet& rows, const char* column) {
  return rows.getString(column).asStdString();
}

// The id the last INSERT on this connection generated.
inline int64_t LastInsertId(sql::Connection& connection) {
  Statement statement(connection, "SELECT LAST_INSERT_ID()");
  auto rows = statement.Query();
  return rows->next() ? rows->getInt64(1) : 0;
}

}  // namespace jifen::mysql
