#include "services/gateway/storage/throttle.h"

#include "absl/strings/str_cat.h"

namespace jifen::gateway {

// Every key is touched by single-key commands only, so the keys may live on different Redis
// Cluster shards. One pipeline, one round trip: SET NX PX opens a window, INCR counts in it,
// PTTL tells how long it has left.
absl::StatusOr<ThrottleDecision> RedisThrottle::Check(const std::vector<RateLimit>& limits,
                                                      absl::string_view token_id) {
  std::vector<std::vector<std::string>> commands;
  std::vector<std::string> keys;
  for (const RateLimit& limit : limits) {
    const std::string key = absl::StrCat(prefix_, "rl:{", limit.key, "}");
    keys.push_back(key);
    commands.push_back(
        {"SET", key, "0", "PX", absl::StrCat(absl::ToInt64Milliseconds(limit.window)), "NX"});
    commands.push_back({"INCR", key});
    commands.push_back({"PTTL", key});
  }
  if (!token_id.empty()) {
    commands.push_back({"EXISTS", absl::StrCat(prefix_, "revoked:{", token_id, "}")});
  }
  if (commands.empty()) return ThrottleDecision{};
  absl::StatusOr<std::vector<redis::Reply>> replies = pool_->Get().Pipeline(commands);
  if (!replies.ok()) return replies.status();
  if (replies->size() != commands.size()) return absl::UnavailableError("short pipeline reply");
  ThrottleDecision decision;
  for (size_t i = 0; i < limits.size(); ++i) {
    const redis::Reply& count = (*replies)[3 * i + 1];
    const redis::Reply& pttl = (*replies)[3 * i + 2];
    if (count.type != redis::Reply::Type::kInteger || pttl.type != redis::Reply::Type::kInteger) {
      return absl::UnavailableError("unexpected reply type from the rate limiter");
    }
    if (pttl.integer == -1) {
      // The window expired between SET and INCR, leaving a counter without expiry: give it one.
      auto fixed = pool_->Get().Command(
          {"PEXPIRE", keys[i], absl::StrCat(absl::ToInt64Milliseconds(limits[i].window))});
      if (!fixed.ok()) return fixed.status();
    }
    if (count.integer > limits[i].max_requests) {
      decision.limited = true;
      const absl::Duration left = absl::Milliseconds(std::max<int64_t>(pttl.integer, 0));
      decision.retry_after = std::max(decision.retry_after, left);
    }
  }
  if (!token_id.empty()) {
    const redis::Reply& exists = replies->back();
    decision.token_revoked = exists.type == redis::Reply::Type::kInteger && exists.integer > 0;
  }
  return decision;
}

absl::Status RedisThrottle::RevokeToken(absl::string_view token_id, absl::Duration ttl) {
  if (token_id.empty()) return absl::OkStatus();
  const int64_t ms = std::max<int64_t>(absl::ToInt64Milliseconds(ttl), 1000);
  auto reply = pool_->Get().Command(
      {"SET", absl::StrCat(prefix_, "revoked:{", token_id, "}"), "1", "PX", absl::StrCat(ms)});
  return reply.status();
}

}  // namespace jifen::gateway
