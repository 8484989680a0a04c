// Outgoing calls. Every call carries a deadline, the caller's identity and the request id: the only
// way to build a ClientContext in our code is through NewClientContext, which demands a deadline.
#pragma once

#include <memory>
#include <string>

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace jifen::grpc_util {

// An insecure (loopback / private network) channel with our message-size limit and keepalive.
std::shared_ptr<grpc::Channel> NewChannel(const std::string& target, int max_message_bytes);

// `bearer_token` is the token to present (the service's own identity, or a user's token passed
// through); `request_id` may be empty.
std::unique_ptr<grpc::ClientContext> NewClientContext(absl::Duration timeout,
                                                      absl::string_view bearer_token,
                                                      absl::string_view request_id = "");

}  // namespace jifen::grpc_util
