#include "common/redis/redis_client.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <climits>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/log/log.h"
#include "common/redis/hiredis_reply.h"
#include "common/status/status_macros.h"

namespace jifen::redis {
namespace {

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

// Pointers into a command's arguments in the form hiredis wants; valid while `args` lives.
struct ArgvView {
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
};

absl::StatusOr<ArgvView> MakeArgv(const std::vector<std::string>& args) {
  if (args.empty()) return absl::InvalidArgumentError("redis command is empty");
  if (args.size() > static_cast<size_t>(INT_MAX)) {
    return absl::InvalidArgumentError("redis command has too many arguments");
  }
  ArgvView view;
  view.argv.reserve(args.size());
  view.lengths.reserve(args.size());
  for (const std::string& arg : args) {
    view.argv.push_back(arg.data());
    view.lengths.push_back(arg.size());
  }
  return view;
}

// Prefixes the command name so that logs say which command failed; keeps the code.
absl::Status Annotate(const absl::Status& status, std::string_view context) {
  return absl::Status(status.code(), absl::StrCat(absl::string_view(context.data(), context.size()),
                                                  ": ", status.message()));
}

// True unless the peer has closed the connection (or reset it) while it sat idle, e.g. because
// the server restarted. Peeking costs one non-blocking syscall and sends nothing, so a command is
// never written to a connection that is known to be dead and then left in doubt.
bool PeerStillConnected(int fd) {
  char byte;
  const ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) return false;  // orderly close
  // Unsolicited bytes between commands would desynchronise replies; start afresh.
  if (n > 0) return false;
  return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

}  // namespace

struct RedisClient::State {
  explicit State(RedisConfig config_in) : config(std::move(config_in)) {}

  ~State() {
    absl::MutexLock lock(&mu);
    if (ctx != nullptr) redisFree(ctx);
  }

  // Opens a connection if there is none (or the idle one was closed by the server).
  absl::Status EnsureConnected() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (ctx != nullptr && !PeerStillConnected(ctx->fd)) {
      jifen::log::Info("redis connection closed by the server; reconnecting", LogFields());
      redisFree(ctx);
      ctx = nullptr;
    }
    if (ctx != nullptr) return absl::OkStatus();

    redisContext* fresh = config.connect_timeout > absl::ZeroDuration()
                              ? redisConnectWithTimeout(config.host.c_str(), config.port,
                                                        absl::ToTimeval(config.connect_timeout))
                              : redisConnect(config.host.c_str(), config.port);
    if (fresh == nullptr) return absl::ResourceExhaustedError("redis: cannot allocate a context");
    if (fresh->err == 0 && config.command_timeout > absl::ZeroDuration()) {
      redisSetTimeout(fresh, absl::ToTimeval(config.command_timeout));
    }
    if (fresh->err == 0) redisEnableKeepAlive(fresh);
    if (fresh->err != 0) {
      const absl::Status status = absl::UnavailableError(
          absl::StrCat("redis ", Address(), ": cannot connect: ", fresh->errstr));
      redisFree(fresh);
      return status;
    }
    ctx = fresh;
    if (lost_connection) {
      lost_connection = false;
      jifen::log::Info("redis connection re-established", LogFields());
    }
    return absl::OkStatus();
  }

  // Frees the context after an error on it; the next call reconnects. Returns the error.
  absl::Status DropConnection() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    const int err = ctx->err;
    std::string text = ctx->errstr;
    if (err == REDIS_ERR_IO && (text == strerror(EAGAIN) || text == strerror(EWOULDBLOCK))) {
      text = absl::StrCat("no reply within ", absl::FormatDuration(config.command_timeout));
    }
    redisFree(ctx);
    ctx = nullptr;
    lost_connection = true;
    const std::string message = absl::StrCat("redis ", Address(), ": ", text);
    jifen::log::Warning("redis connection dropped", LogFields(message));
    // A protocol error means we (or the server) misread the stream: not something a retry fixes.
    return err == REDIS_ERR_PROTOCOL ? absl::InternalError(message)
                                     : absl::UnavailableError(message);
  }

  absl::StatusOr<Reply> CommandLocked(const std::vector<std::string>& args)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    ASSIGN_OR_RETURN(ArgvView view, MakeArgv(args));
    RETURN_IF_ERROR(EnsureConnected());
    void* raw = redisCommandArgv(ctx, static_cast<int>(view.argv.size()), view.argv.data(),
                                 view.lengths.data());
    if (raw == nullptr) return DropConnection();
    const ReplyPtr reply(static_cast<redisReply*>(raw));
    absl::StatusOr<Reply> converted = internal::ConvertReply(*reply);
    if (!converted.ok()) return Annotate(converted.status(), args.front());
    return converted;
  }

  absl::StatusOr<std::vector<Reply>> PipelineLocked(
      const std::vector<std::vector<std::string>>& commands) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    std::vector<ArgvView> views;
    views.reserve(commands.size());
    for (const std::vector<std::string>& command : commands) {
      ASSIGN_OR_RETURN(ArgvView view, MakeArgv(command));
      views.push_back(std::move(view));
    }
    std::vector<Reply> replies;
    if (commands.empty()) return replies;
    RETURN_IF_ERROR(EnsureConnected());
    for (ArgvView& view : views) {
      if (redisAppendCommandArgv(ctx, static_cast<int>(view.argv.size()), view.argv.data(),
                                 view.lengths.data()) != REDIS_OK) {
        return DropConnection();
      }
    }
    // Every reply is read, even after an error reply, so the connection stays in step.
    replies.reserve(commands.size());
    absl::Status first_error;
    for (size_t i = 0; i < commands.size(); ++i) {
      void* raw = nullptr;
      if (redisGetReply(ctx, &raw) != REDIS_OK || raw == nullptr) return DropConnection();
      const ReplyPtr reply(static_cast<redisReply*>(raw));
      absl::StatusOr<Reply> converted = internal::ConvertReply(*reply);
      if (converted.ok()) {
        replies.push_back(*std::move(converted));
      } else if (first_error.ok()) {
        first_error = Annotate(converted.status(), absl::StrCat("pipeline command ", i, " (",
                                                                commands[i].front(), ")"));
      }
    }
    if (!first_error.ok()) return first_error;
    return replies;
  }

  // The SHA1 under which the server knows `script`, loading it if this client has not yet.
  absl::StatusOr<std::string> ScriptSha(const std::string& script)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (auto it = script_shas.find(script); it != script_shas.end()) return it->second;
    ASSIGN_OR_RETURN(Reply reply, CommandLocked({"SCRIPT", "LOAD", script}));
    if (reply.type != Reply::Type::kString || reply.str.size() != 40) {
      return absl::InternalError("redis SCRIPT LOAD: reply is not a SHA1");
    }
    script_shas.emplace(script, reply.str);
    return std::move(reply.str);
  }

  std::string Address() const { return absl::StrCat(config.host, ":", config.port); }

  jifen::log::Fields LogFields(std::string error = "") const {
    jifen::log::Fields fields = {{"redis", Address()}};
    if (!error.empty()) fields.emplace_back("error", std::move(error));
    return fields;
  }

  const RedisConfig config;
  absl::Mutex mu;
  redisContext* ctx ABSL_GUARDED_BY(mu) = nullptr;
  bool lost_connection ABSL_GUARDED_BY(mu) = false;  // for logging the recovery once
  // Script text -> SHA1. SHAs stay valid across servers; only the server's cache is lost.
  absl::flat_hash_map<std::string, std::string> script_shas ABSL_GUARDED_BY(mu);
};

RedisClient::RedisClient(RedisConfig config) : state_(std::make_unique<State>(std::move(config))) {}

RedisClient::~RedisClient() = default;

absl::StatusOr<Reply> RedisClient::Command(const std::vector<std::string>& argv) {
  absl::MutexLock lock(&state_->mu);
  return state_->CommandLocked(argv);
}

absl::StatusOr<std::vector<Reply>> RedisClient::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  absl::MutexLock lock(&state_->mu);
  return state_->PipelineLocked(commands);
}

absl::StatusOr<Reply> RedisClient::Eval(const std::string& script,
                                        const std::vector<std::string>& keys,
                                        const std::vector<std::string>& args) {
  absl::MutexLock lock(&state_->mu);
  ASSIGN_OR_RETURN(std::string sha, state_->ScriptSha(script));
  std::vector<std::string> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.push_back("EVALSHA");
  argv.push_back(std::move(sha));
  argv.push_back(std::to_string(keys.size()));
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());

  absl::StatusOr<Reply> reply = state_->CommandLocked(argv);
  if (reply.status().code() != absl::StatusCode::kNotFound) return reply;
  // NOSCRIPT: the server lost its script cache (restart, SCRIPT FLUSH, failover). Load the
  // script again and retry once; nothing ran, so the retry cannot apply anything twice.
  state_->script_shas.erase(script);
  ASSIGN_OR_RETURN(argv[1], state_->ScriptSha(script));
  return state_->CommandLocked(argv);
}

absl::Status RedisClient::Ping() {
  ASSIGN_OR_RETURN(const Reply reply, Command({"PING"}));
  if (reply.type != Reply::Type::kStatus || reply.str != "PONG") {
    return absl::InternalError(absl::StrCat("redis PING: unexpected reply \"", reply.str, "\""));
  }
  return absl::OkStatus();
}

RedisPool::RedisPool(RedisConfig config) {
  const int size = config.pool_size > 0 ? config.pool_size : 1;
  clients_.reserve(static_cast<size_t>(size));
  for (int i = 0; i < size; ++i) clients_.push_back(std::make_unique<RedisClient>(config));
}

RedisClient& RedisPool::Get() {
  return *clients_[next_.fetch_add(1, std::memory_order_relaxed) % clients_.size()];
}

}  // namespace jifen::redis
