// Per-request checks kept in Redis: fixed-window rate limits per caller and per client address,
// and the list of access tokens revoked by logout before they expire.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/redis/redis_client.h"

namespace jifen::gateway {

struct RateLimit {
  std::string key;           // e.g. "ip:1.2.3.4", "user:staff-7", "login:1.2.3.4"
  int64_t max_requests = 0;  // per window
  absl::Duration window = absl::Minutes(1);
};

struct ThrottleDecision {
  bool limited = false;
  absl::Duration retry_after;  // when limited: until the fullest window ends
  bool token_revoked = false;
};

class Throttle {
 public:
  virtual ~Throttle() = default;
  // Counts this request against every limit and checks `token_id` (if non-empty) against the
  // revocation list. UNAVAILABLE when the store can't be reached (the caller decides to fail open).
  virtual absl::StatusOr<ThrottleDecision> Check(const std::vector<RateLimit>& limits,
                                                 absl::string_view token_id) = 0;
  // Revokes an access token until `ttl` passes (its remaining lifetime).
  virtual absl::Status RevokeToken(absl::string_view token_id, absl::Duration ttl) = 0;
};

class RedisThrottle final : public Throttle {
 public:
  // `prefix` starts every key (tests give each test its own).
  RedisThrottle(redis::RedisPool* pool, std::string prefix)
      : pool_(pool), prefix_(std::move(prefix)) {}
  absl::StatusOr<ThrottleDecision> Check(const std::vector<RateLimit>& limits,
                                         absl::string_view token_id) override;
  absl::Status RevokeToken(absl::string_view token_id, absl::Duration ttl) override;

 private:
  redis::RedisPool* pool_;
  std::string prefix_;
};

}  // namespace jifen::gateway
