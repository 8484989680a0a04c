// Proves the test harness itself: the fixture's MariaDB and Redis answer, a fresh database and key
// prefix are isolated, and a committed row survives kill -9 of mariadbd (durable settings).
// Kills the shared servers, so CMake marks this test RUN_SERIAL.
#include <hiredis/hiredis.h>
#include <mysql_driver.h>
#include <cppconn/connection.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "tests/support/testenv.h"

namespace jifen::testing {
namespace {

std::unique_ptr<sql::Connection> Connect(const std::string& database) {
  const MySqlServer& server = TestMySql();
  std::unique_ptr<sql::Connection> connection(sql::mysql::get_mysql_driver_instance()->connect(
      "tcp://" + server.host + ":" + std::to_string(server.port), server.user, server.password));
  if (!database.empty()) connection->setSchema(database);
  return connection;
}

struct RedisDeleter {
  void operator()(redisContext* context) const { redisFree(context); }
};
using RedisContextPtr = std::unique_ptr<redisContext, RedisDeleter>;
struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

RedisContextPtr ConnectRedis() {
  const RedisServer& server = TestRedis();
  RedisContextPtr context(redisConnect(server.host.c_str(), server.port));
  return context;
}

TEST(TestEnvTest, MySqlHasTheSettingsServicesRelyOn) {
  std::unique_ptr<sql::Connection> connection = Connect("");
  std::unique_ptr<sql::Statement> statement(connection->createStatement());
  std::unique_ptr<sql::ResultSet> row(statement->executeQuery(
      "SELECT @@time_zone, @@character_set_server, @@innodb_flush_log_at_trx_commit, "
      "@@bind_address"));
  ASSERT_TRUE(row->next());
  EXPECT_EQ(row->getString(1), "+08:00");
  EXPECT_EQ(row->getString(2), "utf8mb4");
  EXPECT_EQ(row->getInt(3), 1);
  EXPECT_EQ(row->getString(4), "127.0.0.1");
}

TEST(TestEnvTest, FreshDatabaseIsEmptyAndNamedAfterTheSuite) {
  const std::string name = CreateFreshDatabase("TestEnv_Fresh");
  EXPECT_EQ(name, "t_" + std::to_string(getpid()) + "_testenv_fresh");
  std::unique_ptr<sql::Connection> connection = Connect(name);
  std::unique_ptr<sql::Statement> statement(connection->createStatement());
  statement->execute("CREATE TABLE leftover (id BIGINT PRIMARY KEY)");

  // Creating it again drops what the first one held.
  EXPECT_EQ(CreateFreshDatabase("TestEnv_Fresh"), name);
  std::unique_ptr<sql::PreparedStatement> tables(connection->prepareStatement(
      "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = ?"));
  tables->setString(1, name);
  std::unique_ptr<sql::ResultSet> count(tables->executeQuery());
  ASSERT_TRUE(count->next());
  EXPECT_EQ(count->getInt(1), 0);
}

TEST(TestEnvTest, RedisAnswersUnderAFreshPrefix) {
  const std::string prefix = FreshRedisPrefix();
  EXPECT_EQ(prefix, "t" + std::to_string(getpid()) +
                        ":TestEnvTest.RedisAnswersUnderAFreshPrefix:");
  RedisContextPtr redis = ConnectRedis();
  ASSERT_NE(redis, nullptr);
  ASSERT_EQ(redis->err, 0) << redis->errstr;
  const std::string key = prefix + "greeting";
  ReplyPtr set(static_cast<redisReply*>(redisCommand(redis.get(), "SET %b %b", key.data(),
                                                     key.size(), "hello", size_t{5})));
  ASSERT_NE(set, nullptr) << redis->errstr;
  ASSERT_EQ(set->type, REDIS_REPLY_STATUS);
  ReplyPtr get(static_cast<redisReply*>(redisCommand(redis.get(), "GET %b", key.data(),
                                                     key.size())));
  ASSERT_NE(get, nullptr) << redis->errstr;
  ASSERT_EQ(get->type, REDIS_REPLY_STRING);
  EXPECT_EQ(std::string(get->str, get->len), "hello");
  ReplyPtr del(static_cast<redisReply*>(redisCommand(redis.get(), "DEL %b", key.data(),
                                                     key.size())));
  ASSERT_NE(del, nullptr);
}

TEST(TestEnvTest, CommittedRowSurvivesKillOfMySql) {
  const std::string database = CreateFreshDatabase("TestEnv_Crash");
  {
    std::unique_ptr<sql::Connection> connection = Connect(database);
    std::unique_ptr<sql::Statement> statement(connection->createStatement());
    statement->execute(
        "CREATE TABLE entries (id BIGINT PRIMARY KEY, amount BIGINT NOT NULL) ENGINE=InnoDB");
    connection->setAutoCommit(false);
    std::unique_ptr<sql::PreparedStatement> insert(
        connection->prepareStatement("INSERT INTO entries (id, amount) VALUES (?, ?)"));
    insert->setInt64(1, 1);
    insert->setInt64(2, 42);
    insert->executeUpdate();
    connection->commit();
    // An uncommitted row must not come back.
    insert->setInt64(1, 2);
    insert->setInt64(2, 7);
    insert->executeUpdate();
    KillAndRestartMySql();
  }

  std::unique_ptr<sql::Connection> connection = Connect(database);
  std::unique_ptr<sql::Statement> statement(connection->createStatement());
  std::unique_ptr<sql::ResultSet> rows(
      statement->executeQuery("SELECT id, amount FROM entries ORDER BY id"));
  ASSERT_TRUE(rows->next());
  EXPECT_EQ(rows->getInt64(1), 1);
  EXPECT_EQ(rows->getInt64(2), 42);
  EXPECT_FALSE(rows->next());
}

TEST(TestEnvTest, RedisComesBackAfterKill) {
  KillAndRestartRedis();
  RedisContextPtr redis = ConnectRedis();
  ASSERT_NE(redis, nullptr);
  ASSERT_EQ(redis->err, 0) << redis->errstr;
  ReplyPtr pong(static_cast<redisReply*>(redisCommand(redis.get(), "PING")));
  ASSERT_NE(pong, nullptr) << redis->errstr;
  EXPECT_EQ(std::string(pong->str, pong->len), "PONG");
}

}  // namespace
}  // namespace jifen::testing
