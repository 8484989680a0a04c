#include "common/grpc/callback_poller_heartbeat.h"

#include <grpcpp/client_context.h>
#include <grpcpp/impl/codegen/client_unary_call.h>
#include <grpcpp/impl/rpc_method.h>
#include <grpcpp/server.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/channel_arguments.h>

#include <memory>

namespace jifen::grpc_util {

CallbackPollerHeartbeat::CallbackPollerHeartbeat(grpc::Server& server, absl::Duration interval) {
  std::shared_ptr<grpc::Channel> channel = server.InProcessChannel(grpc::ChannelArguments());
  thread_ = std::thread([this, channel, interval] {
    // Generated stubs make this same call; a HealthCheckRequest without a service name is empty.
    const grpc::internal::RpcMethod check("/grpc.health.v1.Health/Check",
                                          grpc::internal::RpcMethod::NORMAL_RPC);
    while (!stop_.WaitForNotificationWithTimeout(interval)) {
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
      grpc::Slice empty("");
      grpc::ByteBuffer request(&empty, 1);
      grpc::ByteBuffer response;
      if (grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
              channel.get(), check, &context, request, &response)
              .ok()) {
        ++beats_;
      }
    }
  });
}

CallbackPollerHeartbeat::~CallbackPollerHeartbeat() {
  stop_.Notify();
  thread_.join();
}

}  // namespace jifen::grpc_util
