#include "common/mysql/sql_error.h"

#include <cppconn/exception.h>

#include "gtest/gtest.h"

namespace jifen::mysql {
namespace {

absl::StatusCode CodeFor(int mysql_error, const char* sql_state = "HY000") {
  return StatusFromSqlException(sql::SQLException("server text", sql_state, mysql_error)).code();
}

TEST(StatusFromSqlExceptionTest, MapsByErrorCode) {
  EXPECT_EQ(CodeFor(1062, "23000"), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(CodeFor(1213, "40001"), absl::StatusCode::kAborted);
  EXPECT_EQ(CodeFor(1205), absl::StatusCode::kAborted);
  for (int code : {2002, 2003, 2006, 2013, 2055, 1927, 1053}) {
    EXPECT_EQ(CodeFor(code), absl::StatusCode::kUnavailable) << code;
  }
  for (int code : {1044, 1045, 1142, 1143}) {
    EXPECT_EQ(CodeFor(code, "42000"), absl::StatusCode::kPermissionDenied) << code;
  }
  EXPECT_EQ(CodeFor(4025, "23000"), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CodeFor(3819), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CodeFor(1064, "42000"), absl::StatusCode::kInternal);  // syntax error: our bug
  EXPECT_EQ(CodeFor(1146, "42S02"), absl::StatusCode::kInternal);  // missing table
}

TEST(StatusFromSqlExceptionTest, CodelessConnectorErrorsAboutTheConnectionAreUnavailable) {
  EXPECT_EQ(StatusFromSqlException(sql::SQLException("Connection has been closed")).code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(StatusFromSqlException(sql::SQLException("Invalid argument value")).code(),
            absl::StatusCode::kInternal);
}

TEST(StatusFromSqlExceptionTest, KeepsServerTextAndCode) {
  absl::Status status =
      StatusFromSqlException(sql::SQLException("Duplicate entry '7'", "23000", 1062));
  EXPECT_NE(status.message().find("Duplicate entry '7'"), absl::string_view::npos);
  EXPECT_NE(status.message().find("1062"), absl::string_view::npos);
}

TEST(IsConnectionErrorTest, OnlyConnectionCodes) {
  EXPECT_TRUE(IsConnectionError(2006));
  EXPECT_TRUE(IsConnectionError(2013));
  EXPECT_FALSE(IsConnectionError(1213));
  EXPECT_FALSE(IsConnectionError(0));
}

}  // namespace
}  // namespace jifen::mysql
