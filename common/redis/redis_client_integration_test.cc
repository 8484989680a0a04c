// Against the fixture's real redis-server: commands, pipelining, scripts and error replies. Every
// test works under its own FreshRedisPrefix().
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/redis/redis_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/testenv.h"

namespace jifen::redis {
namespace {

using ::testing::HasSubstr;

class RedisClientIntegrationTest : public ::testing::Test {
 protected:
  std::string Key(const std::string& name) const { return prefix_ + name; }

  const std::string prefix_ = jifen::testing::FreshRedisPrefix();
  RedisClient client_{jifen::testing::TestRedisConfig()};
};

TEST_F(RedisClientIntegrationTest, BasicCommands) {
  ASSERT_TRUE(client_.Ping().ok());

  absl::StatusOr<Reply> reply = client_.Command({"SET", Key("greeting"), "你好 \"world\"\r\n"});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->type, Reply::Type::kStatus);
  EXPECT_EQ(reply->str, "OK");

  reply = client_.Command({"GET", Key("greeting")});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->type, Reply::Type::kString);
  EXPECT_EQ(reply->str, "你好 \"world\"\r\n");

  const std::string binary("a\0b", 3);
  ASSERT_TRUE(client_.Command({"SET", Key("bin"), binary}).ok());
  reply = client_.Command({"GET", Key("bin")});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->str, binary);

  reply = client_.Command({"GET", Key("missing")});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_TRUE(reply->is_nil());

  reply = client_.Command({"INCRBY", Key("counter"), "41"});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->type, Reply::Type::kInteger);
  EXPECT_EQ(reply->integer, 41);

  ASSERT_TRUE(client_.Command({"ZADD", Key("board"), "10", "h1", "30", "h2", "20", "h3"}).ok());
  reply = client_.Command({"ZREVRANGE", Key("board"), "0", "-1", "WITHSCORES"});
  ASSERT_TRUE(reply.ok()) << reply.status();
  ASSERT_EQ(reply->type, Reply::Type::kArray);
  ASSERT_EQ(reply->elements.size(), 6u);
  EXPECT_EQ(reply->elements[0].str, "h2");
  EXPECT_EQ(reply->elements[1].str, "30");
  EXPECT_EQ(reply->elements[4].str, "h1");

  reply = client_.Command({"DEL", Key("greeting"), Key("bin"), Key("counter"), Key("board")});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->integer, 4);
}

TEST_F(RedisClientIntegrationTest, PipelineReturnsRepliesInOrder) {
  constexpr int kCommands = 1000;
  std::vector<std::vector<std::string>> commands;
  commands.reserve(kCommands);
  for (int i = 0; i < kCommands; ++i) {
    commands.push_back({"RPUSH", Key("list"), absl::StrCat("item-", i)});
  }
  absl::StatusOr<std::vector<Reply>> replies = client_.Pipeline(commands);
  ASSERT_TRUE(replies.ok()) << replies.status();
  ASSERT_EQ(replies->size(), static_cast<size_t>(kCommands));
  for (int i = 0; i < kCommands; ++i) {
    ASSERT_EQ((*replies)[i].type, Reply::Type::kInteger) << i;
    EXPECT_EQ((*replies)[i].integer, i + 1) << i;
  }

  // Reading back in one pipeline as well: every GET-like reply lines up with its command.
  commands.clear();
  for (int i = 0; i < kCommands; ++i)
    commands.push_back({"LINDEX", Key("list"), std::to_string(i)});
  replies = client_.Pipeline(commands);
  ASSERT_TRUE(replies.ok()) << replies.status();
  ASSERT_EQ(replies->size(), static_cast<size_t>(kCommands));
  for (int i = 0; i < kCommands; ++i) EXPECT_EQ((*replies)[i].str, absl::StrCat("item-", i));
}

TEST_F(RedisClientIntegrationTest, PipelineErrorFailsCallButKeepsConnectionInStep) {
  ASSERT_TRUE(client_.Command({"SET", Key("text"), "not a number"}).ok());
  const absl::StatusOr<std::vector<Reply>> replies = client_.Pipeline({
      {"SET", Key("a"), "1"},
      {"INCR", Key("text")},
      {"SET", Key("b"), "2"},
  });
  EXPECT_EQ(replies.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(replies.status().message(), HasSubstr("not an integer"));

  // The other commands ran, and the next call reads its own reply, not a leftover one.
  absl::StatusOr<Reply> reply = client_.Command({"GET", Key("b")});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->str, "2");
  reply = client_.Command({"GET", Key("a")});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->str, "1");
}

// Reads, computes in Lua and writes back: lost updates would show if it were not atomic.
constexpr char kAddScript[] = R"lua(
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local next_value = current + tonumber(ARGV[1])
redis.call('SET', KEYS[1], tostring(next_value))
redis.call('ZADD', KEYS[2], next_value, ARGV[2])
return next_value
)lua";

TEST_F(RedisClientIntegrationTest, EvalIsAtomicAcrossClients) {
  constexpr int kThreads = 4;
  constexpr int kAddsPerThread = 250;
  RedisConfig config = jifen::testing::TestRedisConfig();
  config.pool_size = kThreads;
  RedisPool pool(config);
  const std::vector<std::string> keys = {Key("{v1}:balance"), Key("{v1}:board")};

  std::vector<std::thread> threads;
  std::vector<absl::Status> failures(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      RedisClient& client = pool.Get();
      for (int i = 0; i < kAddsPerThread; ++i) {
        const absl::StatusOr<Reply> reply = client.Eval(kAddScript, keys, {"2", "h1"});
        if (!reply.ok()) {
          failures[t] = reply.status();
          return;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const absl::Status& failure : failures) EXPECT_TRUE(failure.ok()) << failure;

  absl::StatusOr<Reply> reply = client_.Command({"GET", keys[0]});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->str, std::to_string(2 * kThreads * kAddsPerThread));
  reply = client_.Command({"ZSCORE", keys[1], "h1"});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->str, std::to_string(2 * kThreads * kAddsPerThread));

  // The script's return value comes back as an integer.
  reply = client_.Eval(kAddScript, keys, {"-1", "h1"});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->type, Reply::Type::kInteger);
  EXPECT_EQ(reply->integer, 2 * kThreads * kAddsPerThread - 1);
}

TEST_F(RedisClientIntegrationTest, EvalReloadsAfterScriptFlush) {
  const std::string script = "return redis.call('INCR', KEYS[1])";
  absl::StatusOr<Reply> reply = client_.Eval(script, {Key("n")}, {});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->integer, 1);

  // What a restart or failover does to the server's script cache.
  ASSERT_TRUE(client_.Command({"SCRIPT", "FLUSH"}).ok());
  reply = client_.Eval(script, {Key("n")}, {});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->integer, 2);  // ran exactly once more
}

TEST_F(RedisClientIntegrationTest, ErrorRepliesAreMapped) {
  ASSERT_TRUE(client_.Command({"SET", Key("text"), "abc"}).ok());
  absl::StatusOr<Reply> reply = client_.Command({"INCR", Key("text")});
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(reply.status().message(), HasSubstr("ERR value is not an integer"));

  reply = client_.Command({"LPUSH", Key("text"), "x"});
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(reply.status().message(), HasSubstr("WRONGTYPE"));

  reply = client_.Command({"NOSUCHCOMMAND"});
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kFailedPrecondition);

  reply = client_.Command({"EVALSHA", std::string(40, 'f'), "0"});
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(reply.status().message(), HasSubstr("NOSCRIPT"));

  reply = client_.Eval("return redis.error_reply('INSUFFICIENT points')", {}, {});
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(reply.status().message(), HasSubstr("INSUFFICIENT points"));

  reply = client_.Eval("this is not lua", {}, {});
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kFailedPrecondition);

  // MULTI/EXEC with a failing command inside: the error is nested in EXEC's array.
  const absl::StatusOr<std::vector<Reply>> replies =
      client_.Pipeline({{"MULTI"}, {"SET", Key("t1"), "1"}, {"INCR", Key("text")}, {"EXEC"}});
  EXPECT_EQ(replies.status().code(), absl::StatusCode::kFailedPrecondition);

  // None of that broke the connection.
  EXPECT_TRUE(client_.Ping().ok());
}

TEST_F(RedisClientIntegrationTest, TimeoutDropsConnectionAndNextCallGetsItsOwnReply) {
  RedisConfig config = jifen::testing::TestRedisConfig();
  config.command_timeout = absl::Milliseconds(200);
  RedisClient client(config);
  ASSERT_TRUE(client.Command({"SET", Key("x"), "1"}).ok());

  // The server holds the reply for 10 s; the client gives up after 200 ms.
  const absl::Status status = client.Command({"BLPOP", Key("empty"), "10"}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;

  // A fresh connection: the late BLPOP reply can never be read as this GET's.
  const absl::StatusOr<Reply> reply = client.Command({"GET", Key("x")});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->str, "1");
}

TEST_F(RedisClientIntegrationTest, ConnectionClosedByServerIsReplacedBeforeSending) {
  const absl::StatusOr<Reply> id = client_.Command({"CLIENT", "ID"});
  ASSERT_TRUE(id.ok()) << id.status();
  RedisClient admin(jifen::testing::TestRedisConfig());
  const absl::StatusOr<Reply> killed =
      admin.Command({"CLIENT", "KILL", "ID", std::to_string(id->integer)});
  ASSERT_TRUE(killed.ok()) << killed.status();
  ASSERT_EQ(killed->integer, 1);

  // As after a server restart or an idle timeout: the very next call succeeds.
  EXPECT_TRUE(client_.Ping().ok());
}

}  // namespace
}  // namespace jifen::redis
