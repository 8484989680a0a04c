// The one place where absl::Status meets grpc::Status.
#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace jifen::grpc_util {

// Same code and message, except that INTERNAL, UNKNOWN and DATA_LOSS become a plain "internal
// error" naming the request id: their text may hold SQL or host names, which stay in our logs.
// Other messages are cut to 1 KiB (at a UTF-8 character boundary, "..." appended): a longer one,
// e.g. echoing a huge request value, would exceed the client's metadata limit and arrive as
// RESOURCE_EXHAUSTED instead of the real code.
grpc::Status ToGrpcStatus(const absl::Status& status, absl::string_view request_id = "");

// For clients: the peer's status as an absl::Status (same code and message).
absl::Status FromGrpcStatus(const grpc::Status& status);

// True for codes whose message must not reach a client.
bool IsInternalCode(absl::StatusCode code);

}  // namespace jifen::grpc_util
