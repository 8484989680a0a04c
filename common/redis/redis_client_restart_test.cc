// Kills and restarts the fixture's redis-server under a live client (RUN_SERIAL in CMake: it
// disturbs every other test using that server).
#include <string>

#include "absl/strings/str_cat.h"
#include "common/redis/redis_client.h"
#include "gtest/gtest.h"
#include "tests/support/testenv.h"

namespace jifen::redis {
namespace {

// A caller that retries UNAVAILABLE must get through within this many calls after a restart.
constexpr int kMaxCallsToRecover = 2;

// Calls `call` until it succeeds or kMaxCallsToRecover calls have failed; returns the calls made
// (kMaxCallsToRecover + 1 if it never succeeded) and leaves the last result in `last`.
template <typename Call, typename Result>
int CallsUntilOk(Call call, Result& last) {
  for (int calls = 1; calls <= kMaxCallsToRecover; ++calls) {
    last = call();
    if (last.ok()) return calls;
    EXPECT_EQ(last.status().code(), absl::StatusCode::kUnavailable) << last.status();
  }
  return kMaxCallsToRecover + 1;
}

constexpr char kScript[] = "redis.call('SET', KEYS[1], ARGV[1]) return redis.call('GET', KEYS[1])";

TEST(RedisClientRestartTest, SameClientRecoversAndReloadsScripts) {
  const std::string prefix = jifen::testing::FreshRedisPrefix();
  RedisClient client(jifen::testing::TestRedisConfig());
  ASSERT_TRUE(client.Ping().ok());
  absl::StatusOr<Reply> reply = client.Eval(kScript, {prefix + "k"}, {"before"});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->str, "before");

  jifen::testing::KillAndRestartRedis();

  // The pooled connection is dead and the server's script cache is empty; the same client must
  // notice both.
  reply = absl::InternalError("not called");
  const int calls =
      CallsUntilOk([&] { return client.Eval(kScript, {prefix + "k"}, {"after"}); }, reply);
  EXPECT_LE(calls, kMaxCallsToRecover) << reply.status();
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->str, "after");
  EXPECT_TRUE(client.Ping().ok());
}

TEST(RedisClientRestartTest, PipelineAndCommandRecover) {
  const std::string prefix = jifen::testing::FreshRedisPrefix();
  RedisClient client(jifen::testing::TestRedisConfig());
  ASSERT_TRUE(client.Command({"SET", prefix + "a", "1"}).ok());

  jifen::testing::KillAndRestartRedis();

  absl::StatusOr<std::vector<Reply>> replies = absl::InternalError("not called");
  const int calls = CallsUntilOk(
      [&] {
        return client.Pipeline({{"SET", prefix + "b", "2"}, {"GET", prefix + "b"}});
      },
      replies);
  EXPECT_LE(calls, kMaxCallsToRecover) << replies.status();
  ASSERT_TRUE(replies.ok()) << replies.status();
  ASSERT_EQ(replies->size(), 2u);
  EXPECT_EQ((*replies)[1].str, "2");
}

}  // namespace
}  // namespace jifen::redis
