// Village cursor values kept in memory while Redis promises to say when they change (Redis 6+
// client-side caching, RESP2 form): a tracker connection reads cursors with
// `CLIENT TRACKING on REDIRECT <id>`, so Redis remembers every key it read and, when one of them
// changes, publishes the key's name on `__redis__:invalidate` to the listener connection <id>.
// A cached cursor lets RedisBoardStore serve a cached page with no Redis round trip at all.
//
// Freshness: a change made through this process's own store is dropped from memory by the store
// itself (Forget) before its call returns, so this process reads its own writes. A change made
// by another client is seen once its invalidation message has arrived, normally well under a
// millisecond later; Sync() waits for every message Redis sent before it was called.
//
// Whenever tracking can't be vouched for (a connection lost or not yet made, Redis restarted, a
// heartbeat unanswered) everything kept is dropped and Value() answers nullopt, so callers read
// Redis themselves, until both connections are made again.
// Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/redis/redis_client.h"

struct redisContext;
struct redisReply;

namespace jifen::publicity {

struct CursorTrackerOptions {
  // Host, port and timeouts; pool_size is not used.
  redis::RedisConfig redis;
  // An idle listener connection is checked with PING this often; no answer by the next check
  // ends tracking until both connections are made again.
  absl::Duration heartbeat = absl::Seconds(1);
  // Between attempts to connect while Redis is unreachable, doubling up to 5 s.
  absl::Duration reconnect_delay = absl::Milliseconds(200);
  // CLIENT SETNAME of the two connections, with ":listener" and ":tracker" appended, so that
  // CLIENT LIST tells them apart.
  std::string client_name = "jifen-publicity-cursors";
};

class CursorTracker final {
 public:
  // Starts connecting in the background.
  explicit CursorTracker(CursorTrackerOptions options);
  ~CursorTracker();
  CursorTracker(const CursorTracker&) = delete;
  CursorTracker& operator=(const CursorTracker&) = delete;

  // The value of `key` ("" when it does not exist): from memory while Redis tracks it for us,
  // else read through the tracker connection (which makes Redis track it). nullopt while
  // tracking is not established or that read failed: the caller reads Redis itself.
  std::optional<std::string> Value(const std::string& key);

  // Drops `key` from memory (the caller has just changed it in Redis).
  void Forget(const std::string& key);
  // Drops every key (the caller has just deleted or rewritten cursors).
  void ForgetAll();

  // Waits until every invalidation Redis sent before this call has been applied:
  // OK, or UNAVAILABLE when tracking is not established or `timeout` passed.
  absl::Status Sync(absl::Duration timeout = absl::Seconds(5));

  // True once both connections are made and Redis tracks for us.
  bool tracking() const;
  // Answers Value() gave from memory, for tests and metrics.
  int64_t hits() const;
  // How many times tracking has been established (1 after the first connect).
  int64_t sessions() const;

 private:
  struct Slot {
    uint64_t read_token = 0;           // the tracked read this slot waits for
    std::optional<std::string> value;  // set once that read answered
  };

  void Listen();
  // Makes the listener and tracker connections; true when tracking is on.
  bool Connect(redisContext*& listener);
  // Reads what the listener connection has; false when the connection is gone.
  bool Receive(redisContext* listener);
  void ApplyMessage(const ::redisReply& reply);
  // Ends tracking: drops everything and closes the tracker connection.
  void Stop(redisContext*& listener);
  void Wake();
  // Waits `delay`, or less if woken.
  void Backoff(absl::Duration delay);

  const CursorTrackerOptions options_;
  int wake_fd_ = -1;  // eventfd: shutdown, a broken tracker connection, a Sync request

  mutable absl::Mutex mu_;
  bool tracking_ ABSL_GUARDED_BY(mu_) = false;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  bool tracker_broken_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<std::string, Slot> slots_ ABSL_GUARDED_BY(mu_);
  uint64_t next_token_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t syncs_asked_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t syncs_done_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t hits_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t sessions_ ABSL_GUARDED_BY(mu_) = 0;

  // Serialises reads on the tracker connection; held while it is replaced.
  absl::Mutex tracker_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  redisContext* tracker_ ABSL_GUARDED_BY(tracker_mu_) = nullptr;

  std::thread listener_thread_;
};

}  // namespace jifen::publicity
