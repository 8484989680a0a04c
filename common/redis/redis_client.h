// A Redis client over hiredis 0.14 (synchronous API) with reconnect and pipelining.
// Thread-safe: calls are serialised on one connection per client; use RedisPool for concurrency.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace jifen::redis {

struct RedisConfig {
  std::string host = "127.0.0.1";
  int port = 6379;
  absl::Duration connect_timeout = absl::Seconds(2);  // non-positive: the OS default
  absl::Duration command_timeout = absl::Seconds(2);  // per socket read/write; non-positive: none
  int pool_size = 4;                                  // RedisPool only; at least 1 is used
};

// A reply, deep-copied out of hiredis so it outlives the connection.
struct Reply {
  enum class Type { kNil, kString, kStatus, kInteger, kArray };
  Type type = Type::kNil;
  std::string str;              // kString, kStatus
  int64_t integer = 0;          // kInteger
  std::vector<Reply> elements;  // kArray
  bool is_nil() const { return type == Type::kNil; }
};

class RedisClient final {
 public:
  explicit RedisClient(RedisConfig config);
  ~RedisClient();

  // Sends one command (argv form: binary-safe, no quoting issues). An error reply from Redis
  // becomes FAILED_PRECONDITION (NOSCRIPT becomes NOT_FOUND; LOADING, BUSY, MASTERDOWN, TRYAGAIN
  // and CLUSTERDOWN, which the server recovers from, become UNAVAILABLE) with Redis's text, also
  // when the error is nested in an array reply (EXEC). An I/O error or a timeout becomes
  // UNAVAILABLE and the next call reconnects; a connection the server closed while idle (e.g. a
  // restart) is noticed before sending and replaced, so that call does not fail. An empty argv
  // is INVALID_ARGUMENT. Connections are opened lazily, on the first call.
  absl::StatusOr<Reply> Command(const std::vector<std::string>& argv);

  // Sends all commands in one round trip (pipelining) and returns their replies in order. If any
  // reply is an error the whole call returns that error (the other commands still ran).
  absl::StatusOr<std::vector<Reply>> Pipeline(
      const std::vector<std::vector<std::string>>& commands);

  // EVALSHA of `script` (loaded and cached on first use and after NOSCRIPT, e.g. after a restart).
  // Errors as for Command; a script that does not compile is FAILED_PRECONDITION.
  absl::StatusOr<Reply> Eval(const std::string& script, const std::vector<std::string>& keys,
                             const std::vector<std::string>& args);

  // OK if the server answers PONG.
  absl::Status Ping();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// A fixed set of RedisClients handed out round-robin, for many threads.
class RedisPool final {
 public:
  explicit RedisPool(RedisConfig config);
  RedisClient& Get();

 private:
  std::vector<std::unique_ptr<RedisClient>> clients_;
  std::atomic<uint64_t> next_{0};
};

}  // namespace jifen::redis
