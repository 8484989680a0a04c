#include "services/publicity/storage/cursor_tracker.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/log/log.h"

namespace jifen::publicity {
namespace {

constexpr char kInvalidationChannel[] = "__redis__:invalidate";
// Attempts to connect slow down to this while Redis stays unreachable (or refuses tracking).
constexpr absl::Duration kLongestReconnectDelay = absl::Seconds(5);

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

timeval TimevalOf(absl::Duration duration) {
  const int64_t micros = std::max<int64_t>(1, absl::ToInt64Microseconds(duration));
  return timeval{static_cast<time_t>(micros / 1000000), static_cast<suseconds_t>(micros % 1000000)};
}

redisContext* ConnectTo(const redis::RedisConfig& config) {
  redisContext* context =
      redisConnectWithTimeout(config.host.c_str(), config.port, TimevalOf(config.connect_timeout));
  if (context == nullptr) return nullptr;
  if (context->err != 0 ||
      redisSetTimeout(context, TimevalOf(config.command_timeout)) != REDIS_OK) {
    redisFree(context);
    return nullptr;
  }
  return context;
}

ReplyPtr Command(redisContext* context, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const std::string& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  return ReplyPtr(static_cast<redisReply*>(
      redisCommandArgv(context, static_cast<int>(argv.size()), argv.data(), lengths.data())));
}

// Sends what hiredis has buffered for the connection; false when the connection is gone.
bool Flush(redisContext* context) {
  int done = 0;
  while (done == 0) {
    if (redisBufferWrite(context, &done) != REDIS_OK) return false;
  }
  return true;
}

bool IsString(const redisReply& reply, const char* text) {
  return (reply.type == REDIS_REPLY_STRING || reply.type == REDIS_REPLY_STATUS) &&
         std::string_view(reply.str, reply.len) == text;
}

}  // namespace

CursorTracker::CursorTracker(CursorTrackerOptions options)
    : options_(std::move(options)), wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  listener_thread_ = std::thread([this] { Listen(); });
}

CursorTracker::~CursorTracker() {
  {
    absl::MutexLock lock(&mu_);
    shutting_down_ = true;
  }
  Wake();
  listener_thread_.join();
  if (wake_fd_ >= 0) close(wake_fd_);
}

std::optional<std::string> CursorTracker::Value(const std::string& key) {
  {
    absl::MutexLock lock(&mu_);
    if (!tracking_) return std::nullopt;
    const auto slot = slots_.find(key);
    if (slot != slots_.end() && slot->second.value.has_value()) {
      ++hits_;
      return slot->second.value;
    }
  }
  // Concurrent misses of one key queue here, and all but the first then find its answer.
  absl::MutexLock tracker_lock(&tracker_mu_);
  uint64_t token = 0;
  {
    absl::MutexLock lock(&mu_);
    if (!tracking_ || tracker_broken_ || tracker_ == nullptr) return std::nullopt;
    Slot& slot = slots_[key];
    if (slot.value.has_value()) {
      ++hits_;
      return slot.value;
    }
    // An invalidation of `key` that arrives before the answer erases this slot, and the answer,
    // which may predate the change, is then not kept.
    token = ++next_token_;
    slot = Slot{token, std::nullopt};
  }
  const ReplyPtr reply = Command(tracker_, {"GET", key});
  if (reply == nullptr) {
    {
      absl::MutexLock lock(&mu_);
      tracker_broken_ = true;
      tracking_ = false;
      slots_.clear();
    }
    Wake();
    return std::nullopt;
  }
  std::string value;
  if (reply->type == REDIS_REPLY_STRING) {
    value.assign(reply->str, reply->len);
  } else if (reply->type != REDIS_REPLY_NIL) {
    return std::nullopt;  // e.g. WRONGTYPE: the caller's own read reports it
  }
  absl::MutexLock lock(&mu_);
  const auto slot = slots_.find(key);
  if (tracking_ && slot != slots_.end() && slot->second.read_token == token) {
    slot->second.value = value;
  }
  return value;
}

void CursorTracker::Forget(const std::string& key) {
  absl::MutexLock lock(&mu_);
  slots_.erase(key);
}

void CursorTracker::ForgetAll() {
  absl::MutexLock lock(&mu_);
  slots_.clear();
}

absl::Status CursorTracker::Sync(absl::Duration timeout) {
  uint64_t ticket = 0;
  {
    absl::MutexLock lock(&mu_);
    if (!tracking_) return absl::UnavailableError("redis: cursor tracking is not established");
    ticket = ++syncs_asked_;
  }
  Wake();
  absl::MutexLock lock(&mu_);
  const auto answered_or_ended = [this, ticket]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return syncs_done_ >= ticket || !tracking_ || shutting_down_;
  };
  mu_.AwaitWithTimeout(absl::Condition(&answered_or_ended), timeout);
  if (syncs_done_ >= ticket) return absl::OkStatus();
  return absl::UnavailableError("redis: cursor tracking ended before the sync was answered");
}

bool CursorTracker::tracking() const {
  absl::MutexLock lock(&mu_);
  return tracking_;
}

int64_t CursorTracker::hits() const {
  absl::MutexLock lock(&mu_);
  return hits_;
}

int64_t CursorTracker::sessions() const {
  absl::MutexLock lock(&mu_);
  return sessions_;
}

void CursorTracker::Wake() {
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t written = write(wake_fd_, &one, sizeof(one));
}

void CursorTracker::Backoff(absl::Duration delay) {
  pollfd wake{wake_fd_, POLLIN, 0};
  poll(&wake, 1, static_cast<int>(absl::ToInt64Milliseconds(delay)));
}

bool CursorTracker::Connect(redisContext*& listener) {
  listener = ConnectTo(options_.redis);
  if (listener == nullptr) return false;
  const ReplyPtr listener_named =
      Command(listener, {"CLIENT", "SETNAME", absl::StrCat(options_.client_name, ":listener")});
  if (listener_named == nullptr || listener_named->type == REDIS_REPLY_ERROR) return false;
  const ReplyPtr id = Command(listener, {"CLIENT", "ID"});
  if (id == nullptr || id->type != REDIS_REPLY_INTEGER) return false;
  const ReplyPtr subscribed = Command(listener, {"SUBSCRIBE", kInvalidationChannel});
  if (subscribed == nullptr || subscribed->type != REDIS_REPLY_ARRAY) return false;

  redisContext* tracker = ConnectTo(options_.redis);
  if (tracker == nullptr) return false;
  const ReplyPtr tracker_named =
      Command(tracker, {"CLIENT", "SETNAME", absl::StrCat(options_.client_name, ":tracker")});
  if (tracker_named == nullptr || tracker_named->type == REDIS_REPLY_ERROR) {
    redisFree(tracker);
    return false;
  }
  const ReplyPtr on =
      Command(tracker, {"CLIENT", "TRACKING", "on", "REDIRECT", absl::StrCat(id->integer)});
  if (on == nullptr || !IsString(*on, "OK")) {
    if (on != nullptr && on->type == REDIS_REPLY_ERROR) {
      log::Warning("redis refused CLIENT TRACKING; board pages are checked with a GET",
                   {{"error", std::string(on->str, on->len)}});
    }
    redisFree(tracker);
    return false;
  }
  absl::MutexLock tracker_lock(&tracker_mu_);
  tracker_ = tracker;
  absl::MutexLock lock(&mu_);
  slots_.clear();
  tracker_broken_ = false;
  tracking_ = true;
  ++sessions_;
  return true;
}

void CursorTracker::Stop(redisContext*& listener) {
  {
    // First, so that nothing is served from memory from here on.
    absl::MutexLock lock(&mu_);
    tracking_ = false;
    slots_.clear();
  }
  {
    absl::MutexLock tracker_lock(&tracker_mu_);
    if (tracker_ != nullptr) redisFree(tracker_);
    tracker_ = nullptr;
  }
  if (listener != nullptr) redisFree(listener);
  listener = nullptr;
}

void CursorTracker::ApplyMessage(const redisReply& reply) {
  if (reply.type != REDIS_REPLY_ARRAY || reply.elements < 2) return;
  const redisReply& kind = *reply.element[0];
  if (IsString(kind, "pong")) {
    // A Sync's PING carries its ticket; the heartbeat's carries nothing.
    uint64_t ticket = 0;
    const redisReply& text = *reply.element[1];
    if (text.type == REDIS_REPLY_STRING &&
        absl::SimpleAtoi(absl::string_view(text.str, text.len), &ticket)) {
      absl::MutexLock lock(&mu_);
      syncs_done_ = std::max(syncs_done_, ticket);
    }
    return;
  }
  if (!IsString(kind, "message") || reply.elements != 3) return;
  const redisReply& keys = *reply.element[2];
  absl::MutexLock lock(&mu_);
  if (keys.type == REDIS_REPLY_ARRAY) {
    for (size_t i = 0; i < keys.elements; ++i) {
      const redisReply& key = *keys.element[i];
      if (key.type == REDIS_REPLY_STRING) slots_.erase(std::string(key.str, key.len));
    }
  } else {
    slots_.clear();  // FLUSHALL / FLUSHDB: every key
  }
}

bool CursorTracker::Receive(redisContext* listener) {
  if (redisBufferRead(listener) != REDIS_OK) return false;
  void* raw = nullptr;
  while (true) {
    if (redisGetReplyFromReader(listener, &raw) != REDIS_OK) return false;
    if (raw == nullptr) return true;
    const ReplyPtr reply(static_cast<redisReply*>(raw));
    ApplyMessage(*reply);
  }
}

void CursorTracker::Listen() {
  redisContext* listener = nullptr;
  absl::Duration delay = options_.reconnect_delay;
  const int heartbeat_ms =
      static_cast<int>(std::max<int64_t>(1, absl::ToInt64Milliseconds(options_.heartbeat)));
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (shutting_down_) break;
    }
    if (!Connect(listener)) {
      Stop(listener);
      Backoff(delay);
      delay = std::min(delay * 2, kLongestReconnectDelay);
      continue;
    }
    delay = options_.reconnect_delay;
    int tracker_fd = -1;
    uint64_t syncs_sent = 0;
    {
      absl::MutexLock tracker_lock(&tracker_mu_);
      tracker_fd = tracker_->fd;
      absl::MutexLock lock(&mu_);
      syncs_sent = syncs_asked_;  // earlier ones were answered UNAVAILABLE
    }
    bool ping_unanswered = false;
    while (true) {
      uint64_t syncs_asked = 0;
      {
        absl::MutexLock lock(&mu_);
        if (shutting_down_ || tracker_broken_) break;
        syncs_asked = syncs_asked_;
      }
      if (syncs_asked > syncs_sent) {
        // Replies on one connection come in order: the pong follows every invalidation Redis
        // wrote to this connection before it read the PING.
        redisAppendCommand(listener, "PING %llu", static_cast<unsigned long long>(syncs_asked));
        if (!Flush(listener)) break;
        syncs_sent = syncs_asked;
      }
      // The tracker connection is only watched for its end (the peer closing it): its replies
      // belong to Value().
      pollfd fds[3] = {
          {listener->fd, POLLIN, 0}, {wake_fd_, POLLIN, 0}, {tracker_fd, POLLRDHUP, 0}};
      const int ready = poll(fds, 3, heartbeat_ms);
      if (ready < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (ready == 0) {
        if (ping_unanswered) {
          log::Warning("redis: no answer to the cursor tracker's heartbeat; reconnecting");
          break;
        }
        redisAppendCommand(listener, "PING");
        if (!Flush(listener)) break;
        ping_unanswered = true;
        continue;
      }
      if ((fds[1].revents & POLLIN) != 0) {
        uint64_t count = 0;
        [[maybe_unused]] const ssize_t read_bytes = read(wake_fd_, &count, sizeof(count));
      }
      if ((fds[2].revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0) break;
      if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        if (!Receive(listener)) break;
        ping_unanswered = false;
      }
    }
    Stop(listener);
  }
  Stop(listener);
}

}  // namespace jifen::publicity
