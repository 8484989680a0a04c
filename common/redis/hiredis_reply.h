// Conversion of hiredis replies into jifen::redis::Reply / absl::Status. Internal to
// common/redis; exposed so that it can be unit-tested without a server.
#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/redis/redis_client.h"

struct redisReply;

namespace jifen::redis::internal {

// The status for a Redis error reply `text` (e.g. "ERR unknown command ..."):
//   NOSCRIPT                                         -> NOT_FOUND
//   LOADING, BUSY, MASTERDOWN, TRYAGAIN, CLUSTERDOWN -> UNAVAILABLE (the server will recover)
//   anything else                                    -> FAILED_PRECONDITION
// The message carries Redis's text.
absl::Status ErrorReplyStatus(std::string_view text);

// Deep-copies `reply`. An error reply, at the top or nested in an array (EXEC, script tables),
// becomes ErrorReplyStatus; an unknown reply type becomes INTERNAL.
absl::StatusOr<Reply> ConvertReply(const redisReply& reply);

}  // namespace jifen::redis::internal
