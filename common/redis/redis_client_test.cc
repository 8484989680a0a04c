// Unit tests that need no Redis server: reply conversion (fed through hiredis's own parser) and
// the client's behaviour when nothing answers.
#include "common/redis/redis_client.h"

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/redis/hiredis_reply.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jifen::redis {
namespace {

using ::testing::HasSubstr;

// Parses RESP bytes with hiredis's reader and converts the one reply they hold.
absl::StatusOr<Reply> Parse(const std::string& resp) {
  std::unique_ptr<redisReader, void (*)(redisReader*)> reader(redisReaderCreate(), redisReaderFree);
  EXPECT_EQ(redisReaderFeed(reader.get(), resp.data(), resp.size()), REDIS_OK);
  void* raw = nullptr;
  EXPECT_EQ(redisReaderGetReply(reader.get(), &raw), REDIS_OK);
  EXPECT_NE(raw, nullptr);
  if (raw == nullptr) return absl::InternalError("incomplete RESP in test");
  std::unique_ptr<redisReply, void (*)(void*)> reply(static_cast<redisReply*>(raw),
                                                     freeReplyObject);
  return internal::ConvertReply(*reply);
}

TEST(ConvertReplyTest, ScalarTypes) {
  absl::StatusOr<Reply> reply = Parse("$5\r\nhello\r\n");
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->type, Reply::Type::kString);
  EXPECT_EQ(reply->str, "hello");

  reply = Parse("+OK\r\n");
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->type, Reply::Type::kStatus);
  EXPECT_EQ(reply->str, "OK");

  reply = Parse(":-9223372036854775808\r\n");
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->type, Reply::Type::kInteger);
  EXPECT_EQ(reply->integer, INT64_MIN);

  reply = Parse("$-1\r\n");
  ASSERT_TRUE(reply.ok());
  EXPECT_TRUE(reply->is_nil());
}

TEST(ConvertReplyTest, BinaryStringsAreCopiedWhole) {
  const absl::StatusOr<Reply> reply = Parse(std::string("$5\r\na\0b\r\n\r\n", 12));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->str, std::string("a\0b\r\n", 5));
}

TEST(ConvertReplyTest, NestedArrays) {
  const absl::StatusOr<Reply> reply = Parse("*3\r\n$3\r\nfoo\r\n*2\r\n:1\r\n$-1\r\n*0\r\n");
  ASSERT_TRUE(reply.ok()) << reply.status();
  ASSERT_EQ(reply->type, Reply::Type::kArray);
  ASSERT_EQ(reply->elements.size(), 3u);
  EXPECT_EQ(reply->elements[0].str, "foo");
  ASSERT_EQ(reply->elements[1].elements.size(), 2u);
  EXPECT_EQ(reply->elements[1].elements[0].integer, 1);
  EXPECT_TRUE(reply->elements[1].elements[1].is_nil());
  EXPECT_EQ(reply->elements[2].type, Reply::Type::kArray);
  EXPECT_TRUE(reply->elements[2].elements.empty());
}

TEST(ConvertReplyTest, ErrorsMapByWhatTheCallerShouldDo) {
  absl::StatusOr<Reply> reply = Parse("-ERR unknown command 'FOO'\r\n");
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(reply.status().message(), HasSubstr("ERR unknown command 'FOO'"));

  reply = Parse("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kFailedPrecondition);

  reply = Parse("-NOSCRIPT No matching script. Please use EVAL.\r\n");
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kNotFound);

  reply = Parse("-LOADING Redis is loading the dataset in memory\r\n");
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnavailable);

  // BUSYKEY is not BUSY.
  reply = Parse("-BUSYKEY Target key name already exists.\r\n");
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kFailedPrecondition);

  // An error inside EXEC's array fails the whole reply.
  reply = Parse("*2\r\n+OK\r\n-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(reply.status().message(), HasSubstr("not an integer"));
}

// A loopback socket bound to a kernel-chosen port. Without listen() connections to it are refused;
// with listen() the kernel accepts them but nobody ever answers.
class LoopbackSocket {
 public:
  explicit LoopbackSocket(bool listening) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    if (listening) {
      EXPECT_EQ(::listen(fd_, 8), 0);
    }
    socklen_t length = sizeof(address);
    EXPECT_EQ(::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length), 0);
    port_ = ntohs(address.sin_port);
  }
  ~LoopbackSocket() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_;
  int port_ = 0;
};

TEST(RedisClientTest, NothingListeningIsUnavailable) {
  LoopbackSocket socket(/*listening=*/false);
  RedisConfig config;
  config.port = socket.port();
  RedisClient client(config);
  EXPECT_EQ(client.Ping().code(), absl::StatusCode::kUnavailable);
  // And again: a failed connect leaves the client ready to try anew.
  const absl::Status again = client.Command({"GET", "k"}).status();
  EXPECT_EQ(again.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(again.message(), HasSubstr("cannot connect"));
}

TEST(RedisClientTest, SilentServerTimesOutAsUnavailable) {
  LoopbackSocket socket(/*listening=*/true);
  RedisConfig config;
  config.port = socket.port();
  config.command_timeout = absl::Milliseconds(200);
  RedisClient client(config);
  const absl::Time start = absl::Now();
  const absl::Status status = client.Ping();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), HasSubstr("no reply within"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST(RedisClientTest, EmptyCommandIsInvalidArgument) {
  RedisClient client(RedisConfig{});  // never connects: the argument is checked first
  EXPECT_EQ(client.Command({}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client.Pipeline({{"PING"}, {}}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(RedisClientTest, EmptyPipelineNeedsNoServer) {
  LoopbackSocket socket(/*listening=*/false);
  RedisConfig config;
  config.port = socket.port();
  RedisClient client(config);
  const absl::StatusOr<std::vector<Reply>> replies = client.Pipeline({});
  ASSERT_TRUE(replies.ok()) << replies.status();
  EXPECT_TRUE(replies->empty());
}

TEST(RedisPoolTest, HandsOutClientsRoundRobin) {
  RedisConfig config;
  config.pool_size = 2;
  RedisPool pool(config);
  RedisClient* first = &pool.Get();
  RedisClient* second = &pool.Get();
  EXPECT_NE(first, second);
  EXPECT_EQ(&pool.Get(), first);
}

}  // namespace
}  // namespace jifen::redis
