// Prepared statements are kept per pooled connection (statement_cache.h): what callers rely on is
// that results stay right however statements are reused, nested or failed, and that the server
// prepares each statement once per connection.
#include "common/mysql/statement_cache.h"

#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>

#include <memory>
#include <string>

#include "common/mysql/connect.h"
#include "common/mysql/statement.h"
#include "common/mysql/transaction.h"
#include "gtest/gtest.h"
#include "tests/support/testenv.h"

namespace jifen::mysql {
namespace {

MySqlConfig TestConfig(const std::string& database) {
  const testing::MySqlServer& server = testing::TestMySql();
  MySqlConfig config;
  config.host = server.host;
  config.port = server.port;
  config.user = server.user;
  config.password = server.password;
  config.database = database;
  config.pool_size = 1;  // every call gets the same connection
  return config;
}

// Statements this session has prepared so far.
int64_t PreparedBySession(sql::Connection& connection) {
  std::unique_ptr<sql::Statement> statement(connection.createStatement());
  std::unique_ptr<sql::ResultSet> row(
      statement->executeQuery("SHOW SESSION STATUS LIKE 'Com_stmt_prepare'"));
  row->next();
  return row->getInt64(2);
}

constexpr char kNameOf[] = "SELECT name FROM people WHERE id = ?";

std::string NameOf(sql::Connection& connection, int64_t id) {
  auto rows = Statement(connection, kNameOf).Bind(id).Query();
  return rows->next() ? GetString(*rows, "name") : "";
}

class StatementCacheTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    database_ = new std::string(testing::CreateFreshDatabase("statement_cache"));
    ConnectionPool pool(TestConfig(*database_));
    ASSERT_TRUE(RunWithConnection(pool, [](sql::Connection& connection) {
                  std::unique_ptr<sql::Statement> ddl(connection.createStatement());
                  ddl->execute("CREATE TABLE people (id BIGINT PRIMARY KEY, name VARCHAR(20))");
                  ddl->execute("INSERT INTO people VALUES (1, 'one'), (2, 'two'), (3, 'three')");
                  return absl::OkStatus();
                }).ok());
  }
  static std::string* database_;
};
std::string* StatementCacheTest::database_ = nullptr;

TEST_F(StatementCacheTest, PooledConnectionPreparesAStatementOnceAndBindsAfresh) {
  ConnectionPool pool(TestConfig(*database_));
  const absl::Status status = RunWithConnection(pool, [](sql::Connection& connection) {
    const int64_t before = PreparedBySession(connection);
    EXPECT_EQ(NameOf(connection, 1), "one");
    EXPECT_EQ(NameOf(connection, 2), "two");
    EXPECT_EQ(NameOf(connection, 4), "");
    EXPECT_EQ(PreparedBySession(connection) - before, 1);
    return absl::OkStatus();
  });
  ASSERT_TRUE(status.ok()) << status;
  // Across borrowings of the same connection too.
  ASSERT_TRUE(RunWithConnection(pool, [](sql::Connection& connection) {
                const int64_t before = PreparedBySession(connection);
                EXPECT_EQ(NameOf(connection, 3), "three");
                EXPECT_EQ(PreparedBySession(connection), before);
                return absl::OkStatus();
              }).ok());
}

TEST_F(StatementCacheTest, SameStatementNestedInsideItsOpenRowsGivesBothResults) {
  ConnectionPool pool(TestConfig(*database_));
  ASSERT_TRUE(RunWithConnection(pool, [](sql::Connection& connection) {
                auto outer = Statement(connection, kNameOf).Bind(1).Query();
                // The outer rows are still open: the inner run must not disturb them.
                EXPECT_EQ(NameOf(connection, 2), "two");
                EXPECT_TRUE(outer->next());
                EXPECT_EQ(GetString(*outer, "name"), "one");
                return absl::OkStatus();
              }).ok());
}

TEST_F(StatementCacheTest, StatementThatFailedRunsAgain) {
  ConnectionPool pool(TestConfig(*database_));
  constexpr char kInsert[] = "INSERT INTO people (id, name) VALUES (?, ?)";
  const absl::Status duplicate = RunInTransaction(pool, [&](sql::Connection& connection) {
    Statement(connection, kInsert).Bind(1).Bind("again").Update();
    return absl::OkStatus();
  });
  EXPECT_EQ(duplicate.code(), absl::StatusCode::kAlreadyExists) << duplicate;
  ASSERT_TRUE(RunInTransaction(pool, [&](sql::Connection& connection) {
                EXPECT_EQ(Statement(connection, kInsert).Bind(10).Bind("ten").Update(), 1);
                return absl::OkStatus();
              }).ok());
  ASSERT_TRUE(RunWithConnection(pool, [](sql::Connection& connection) {
                EXPECT_EQ(NameOf(connection, 10), "ten");
                return absl::OkStatus();
              }).ok());
}

TEST_F(StatementCacheTest, ConnectionOutsideAPoolPreparesEveryTime) {
  absl::StatusOr<std::unique_ptr<sql::Connection>> connection =
      OpenConnection(TestConfig(*database_));
  ASSERT_TRUE(connection.ok()) << connection.status();
  const int64_t before = PreparedBySession(**connection);
  EXPECT_EQ(NameOf(**connection, 1), "one");
  EXPECT_EQ(NameOf(**connection, 2), "two");
  EXPECT_EQ(PreparedBySession(**connection) - before, 2);
}

}  // namespace
}  // namespace jifen::mysql
