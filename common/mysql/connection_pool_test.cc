// Integration tests of ConnectionPool against the fixture's MariaDB, including a kill -9 and
// restart of the server (so this binary is RUN_SERIAL).
#include "common/mysql/connection_pool.h"

#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/mysql/statement.h"
#include "common/mysql/transaction.h"
#include "gtest/gtest.h"
#include "tests/support/testenv.h"

namespace jifen::mysql {
namespace {

MySqlConfig TestConfig(const std::string& database, int pool_size) {
  const testing::MySqlServer& server = testing::TestMySql();
  MySqlConfig config;
  config.host = server.host;
  config.port = server.port;
  config.user = server.user;
  config.password = server.password;
  config.database = database;
  config.pool_size = pool_size;
  return config;
}

std::string QueryString(sql::Connection& connection, const std::string& query) {
  std::unique_ptr<sql::Statement> statement(connection.createStatement());
  std::unique_ptr<sql::ResultSet> row(statement->executeQuery(query));
  row->next();
  return row->getString(1);
}

// Through a cached prepared statement, so that a restart also proves the statements of dead
// connections are not reused.
absl::Status SelectOne(ConnectionPool& pool) {
  return RunWithConnection(pool, [](sql::Connection& connection) {
    auto row = Statement(connection, "SELECT ? + 0").Bind(1).Query();
    return row->next() && row->getInt64(1) == 1 ? absl::OkStatus()
                                                : absl::InternalError("SELECT 1 != 1");
  });
}

// A loopback port with nothing listening: bound by us, then closed.
int ClosedPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

class ConnectionPoolTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    database_ = new std::string(testing::CreateFreshDatabase("pool"));
  }
  static std::string* database_;
};
std::string* ConnectionPoolTest::database_ = nullptr;

TEST_F(ConnectionPoolTest, SessionHasTheContractedSettings) {
  ConnectionPool pool(TestConfig(*database_, 2));
  absl::Status status = RunWithConnection(pool, [](sql::Connection& connection) {
    EXPECT_EQ(QueryString(connection, "SELECT @@session.time_zone"), "+08:00");
    EXPECT_EQ(QueryString(connection, "SELECT @@character_set_connection"), "utf8mb4");
    EXPECT_EQ(QueryString(connection, "SELECT @@character_set_client"), "utf8mb4");
    EXPECT_EQ(QueryString(connection, "SELECT @@autocommit"), "1");
    EXPECT_EQ(QueryString(connection, "SELECT @@tx_isolation"), "REPEATABLE-READ");
    EXPECT_EQ(QueryString(connection, "SELECT DATABASE()"), *database_);
    return absl::OkStatus();
  });
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_TRUE(pool.Ping().ok());
}

TEST_F(ConnectionPoolTest, IsBoundedAndTimesOutWhenAllConnectionsAreBusy) {
  MySqlConfig config = TestConfig(*database_, 1);
  config.acquire_timeout = absl::Milliseconds(100);
  ConnectionPool pool(config);
  absl::StatusOr<PooledConnection> held = pool.Acquire();
  ASSERT_TRUE(held.ok()) << held.status();
  absl::StatusOr<PooledConnection> second = pool.Acquire();
  EXPECT_EQ(second.status().code(), absl::StatusCode::kDeadlineExceeded);
  { PooledConnection release = *std::move(held); }
  EXPECT_TRUE(pool.Acquire().ok());
}

TEST_F(ConnectionPoolTest, WaiterGetsAConnectionWhenOneIsReturned) {
  MySqlConfig config = TestConfig(*database_, 1);
  config.acquire_timeout = absl::Seconds(30);
  ConnectionPool pool(config);
  absl::StatusOr<PooledConnection> held = pool.Acquire();
  ASSERT_TRUE(held.ok()) << held.status();
  absl::Status waiter_status;
  std::thread waiter([&] { waiter_status = SelectOne(pool); });
  { PooledConnection release = *std::move(held); }
  waiter.join();
  EXPECT_TRUE(waiter_status.ok()) << waiter_status;
}

TEST_F(ConnectionPoolTest, UnreachableServerIsUnavailable) {
  MySqlConfig config = TestConfig(*database_, 1);
  config.port = ClosedPort();
  ConnectionPool pool(config);
  EXPECT_EQ(pool.Acquire().status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(pool.Ping().code(), absl::StatusCode::kUnavailable);
  // The failed attempt must not have used up the only slot.
  EXPECT_EQ(pool.Acquire().status().code(), absl::StatusCode::kUnavailable);
}

// Makes the pool hold `n` idle connections, all of which a server restart will break.
void FillPool(ConnectionPool& pool, int n) {
  std::vector<PooledConnection> all;
  for (int i = 0; i < n; ++i) {
    absl::StatusOr<PooledConnection> connection = pool.Acquire();
    ASSERT_TRUE(connection.ok()) << connection.status();
    all.push_back(*std::move(connection));
  }
}

void ExpectHealthy(ConnectionPool& pool, int pool_size) {
  for (int i = 0; i < 2 * pool_size; ++i) EXPECT_TRUE(SelectOne(pool).ok());
  EXPECT_TRUE(pool.Ping().ok());
  EXPECT_TRUE(RunInTransaction(pool, [](sql::Connection& connection) {
                return QueryString(connection, "SELECT @@in_transaction") == "1"
                           ? absl::OkStatus()
                           : absl::InternalError("not in a transaction");
              }).ok());
}

TEST_F(ConnectionPoolTest, RecoversAfterTheServerIsKilledAndRestarted) {
  constexpr int kPoolSize = 3;
  ConnectionPool pool(TestConfig(*database_, kPoolSize));
  FillPool(pool, kPoolSize);
  ExpectHealthy(pool, kPoolSize);  // leaves prepared statements on the connections

  testing::KillAndRestartMySql();

  // The same pool object: the first call may meet a dead connection (UNAVAILABLE, which discards
  // it and makes the pool check the others), and the next one must succeed.
  const absl::Status first = SelectOne(pool);
  if (!first.ok()) {
    EXPECT_EQ(first.code(), absl::StatusCode::kUnavailable) << first;
  }
  const absl::Status second = SelectOne(pool);
  EXPECT_TRUE(second.ok()) << second << " (first call: " << first << ")";
  ExpectHealthy(pool, kPoolSize);
}

TEST_F(ConnectionPoolTest, ConnectionHeldAcrossARestartFailsAndIsReplaced) {
  constexpr int kPoolSize = 3;
  ConnectionPool pool(TestConfig(*database_, kPoolSize));
  FillPool(pool, kPoolSize);
  absl::StatusOr<PooledConnection> held = pool.Acquire();
  ASSERT_TRUE(held.ok()) << held.status();

  testing::KillAndRestartMySql();

  absl::Status held_status;
  try {
    QueryString(held->get(), "SELECT 1");
  } catch (const sql::SQLException& e) {
    held_status = held->HandleError(e);
  }
  EXPECT_EQ(held_status.code(), absl::StatusCode::kUnavailable) << held_status;
  { PooledConnection release = *std::move(held); }

  // The broken one is gone and the idle ones are checked before use: no further call fails.
  const absl::Status next = SelectOne(pool);
  EXPECT_TRUE(next.ok()) << next;
  ExpectHealthy(pool, kPoolSize);
}

}  // namespace
}  // namespace jifen::mysql
