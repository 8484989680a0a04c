#include "common/grpc/client.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/grpc/call.h"

namespace jifen::grpc_util {

std::shared_ptr<grpc::Channel> NewChannel(const std::string& target, int max_message_bytes) {
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(max_message_bytes);
  arguments.SetMaxSendMessageSize(max_message_bytes);
  arguments.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30'000);
  arguments.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10'000);
  // Separate channels to the same target must not share one TCP connection: a benchmark or a
  // service with several channels wants them independent.
  arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  // After a peer's outage gRPC waits ever longer between reconnects (up to 120 s by default), so a
  // restarted service stayed unreachable to its callers (503s at the gateway, an outbox not
  // delivered) for up to two minutes after it was back. Capped at 5 s, as the relays' own retry.
  arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 5'000);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), arguments);
}

std::unique_ptr<grpc::ClientContext> NewClientContext(absl::Duration timeout,
                                                      absl::string_view bearer_token,
                                                      absl::string_view request_id) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  if (!bearer_token.empty()) {
    context->AddMetadata(kAuthorizationHeader, absl::StrCat("Bearer ", bearer_token));
  }
  if (!request_id.empty()) context->AddMetadata(kRequestIdHeader, std::string(request_id));
  return context;
}

}  // namespace jifen::grpc_util
