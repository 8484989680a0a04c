// Integration tests of RunInTransaction / RunWithConnection against the fixture's MariaDB.
#include "common/mysql/transaction.h"

#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
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

void Execute(sql::Connection& connection, const std::string& text) {
  std::unique_ptr<sql::Statement> statement(connection.createStatement());
  statement->execute(text);
}

int64_t QueryInt(sql::Connection& connection, const std::string& query) {
  std::unique_ptr<sql::Statement> statement(connection.createStatement());
  std::unique_ptr<sql::ResultSet> row(statement->executeQuery(query));
  row->next();
  return row->getInt64(1);
}

void AddOne(sql::Connection& connection, int id) {
  std::unique_ptr<sql::PreparedStatement> update(
      connection.prepareStatement("UPDATE counters SET value = value + 1 WHERE id = ?"));
  update->setInt(1, id);
  update->executeUpdate();
}

// Lets n threads meet before going on.
class Barrier {
 public:
  explicit Barrier(int n) : n_(n) {}
  void ArriveAndWait() {
    absl::MutexLock lock(&mu_);
    ++arrived_;
    mu_.Await(absl::Condition(this, &Barrier::AllArrived));
  }

 private:
  bool AllArrived() const ABSL_SHARED_LOCKS_REQUIRED(mu_) { return arrived_ >= n_; }

  absl::Mutex mu_;
  const int n_;
  int arrived_ ABSL_GUARDED_BY(mu_) = 0;
};

class TransactionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    database_ = new std::string(testing::CreateFreshDatabase("transaction"));
  }
  void SetUp() override {
    pool_ = std::make_unique<ConnectionPool>(TestConfig(*database_, 4));
    ASSERT_TRUE(RunWithConnection(*pool_, [](sql::Connection& c) {
                  Execute(c, "DROP TABLE IF EXISTS counters");
                  Execute(c,
                          "CREATE TABLE counters (id INT PRIMARY KEY, value INT NOT NULL) "
                          "ENGINE=InnoDB");
                  Execute(c, "INSERT INTO counters VALUES (1, 0), (2, 0)");
                  return absl::OkStatus();
                }).ok());
  }
  int64_t Value(int id) {
    int64_t value = -1;
    EXPECT_TRUE(RunWithConnection(*pool_, [&](sql::Connection& c) {
                  std::unique_ptr<sql::PreparedStatement> select(
                      c.prepareStatement("SELECT value FROM counters WHERE id = ?"));
                  select->setInt(1, id);
                  std::unique_ptr<sql::ResultSet> row(select->executeQuery());
                  if (row->next()) value = row->getInt64(1);
                  return absl::OkStatus();
                }).ok());
    return value;
  }

  static std::string* database_;
  std::unique_ptr<ConnectionPool> pool_;
};
std::string* TransactionTest::database_ = nullptr;

TEST_F(TransactionTest, DeadlockVictimIsRetriedAndBothCommit) {
  Barrier both_hold_their_first_row(2);
  std::atomic<int> total_attempts{0};
  auto transfer = [&](int first, int second) {
    int attempts = 0;
    return RunInTransaction(*pool_, [&](sql::Connection& c) {
      ++attempts;
      ++total_attempts;
      AddOne(c, first);
      // Only the first attempts meet, so that each holds the row the other one wants next.
      if (attempts == 1) both_hold_their_first_row.ArriveAndWait();
      AddOne(c, second);
      return absl::OkStatus();
    });
  };
  absl::Status a_status;
  absl::Status b_status;
  std::thread a([&] { a_status = transfer(1, 2); });
  std::thread b([&] { b_status = transfer(2, 1); });
  a.join();
  b.join();
  EXPECT_TRUE(a_status.ok()) << a_status;
  EXPECT_TRUE(b_status.ok()) << b_status;
  EXPECT_EQ(total_attempts.load(), 3) << "exactly one deadlock victim, retried once";
  EXPECT_EQ(Value(1), 2);
  EXPECT_EQ(Value(2), 2);
}

TEST_F(TransactionTest, NonOkBodyRollsBackAndConnectionReturnsClean) {
  pool_ = std::make_unique<ConnectionPool>(TestConfig(*database_, 1));  // the same connection
  absl::Status status = RunInTransaction(*pool_, [](sql::Connection& c) {
    AddOne(c, 1);
    return absl::FailedPreconditionError("changed my mind");
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Value(1), 0);
  EXPECT_TRUE(RunWithConnection(*pool_, [](sql::Connection& c) {
                EXPECT_EQ(QueryInt(c, "SELECT @@in_transaction"), 0);
                EXPECT_EQ(QueryInt(c, "SELECT @@autocommit"), 1);
                return absl::OkStatus();
              }).ok());
}

TEST_F(TransactionTest, ThrownSqlExceptionIsMappedAndRolledBack) {
  absl::Status status = RunInTransaction(*pool_, [](sql::Connection& c) {
    AddOne(c, 1);
    Execute(c, "INSERT INTO counters VALUES (2, 5)");  // duplicate key
    return absl::OkStatus();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists) << status;
  EXPECT_EQ(Value(1), 0);
  EXPECT_EQ(Value(2), 0);
}

TEST_F(TransactionTest, AbortedIsRetriedUpToMaxAttempts) {
  int calls = 0;
  TransactionOptions options;
  options.max_attempts = 3;
  absl::Status status = RunInTransaction(
      *pool_,
      [&](sql::Connection& c) {
        ++calls;
        AddOne(c, 1);
        return absl::AbortedError("conflict");
      },
      options);
  EXPECT_EQ(status.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(Value(1), 0);
}

TEST_F(TransactionTest, CommitsAndOtherErrorsAreNotRetried) {
  int calls = 0;
  EXPECT_TRUE(RunInTransaction(*pool_, [&](sql::Connection& c) {
                ++calls;
                AddOne(c, 2);
                return absl::OkStatus();
              }).ok());
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(Value(2), 1);
  calls = 0;
  EXPECT_EQ(RunInTransaction(*pool_,
                             [&](sql::Connection& c) {
                               ++calls;
                               Execute(c, "SELECT * FROM no_such_table");
                               return absl::OkStatus();
                             })
                .code(),
            absl::StatusCode::kInternal);
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace jifen::mysql
