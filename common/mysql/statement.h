// A prepared statement with positional binding in call order, so that SQL stays readable:
//
//   Statement(conn, "SELECT score FROM period_scores WHERE household_id = ? AND period = ?")
//       .Bind(household_id).Bind(period).Query();
//
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

namespace jifen::mysql {

class Statement final {
 public:
  Statement(sql::Connection& connection, const char* sql)
      : statement_(connection.prepareStatement(sql)) {}

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
  std::unique_ptr<sql::ResultSet> Query() {
    return std::unique_ptr<sql::ResultSet>(statement_->executeQuery());
  }

 private:
  std::unique_ptr<sql::PreparedStatement> statement_;
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
