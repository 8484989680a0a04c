// The heartbeat's call must reach the server's health service (a wrong method name or request
// would leave the callback pollers without events, and the stall back).
#include "common/grpc/callback_poller_heartbeat.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <memory>

#include "gtest/gtest.h"

namespace jifen::grpc_util {
namespace {

TEST(CallbackPollerHeartbeatTest, ChecksTheServersHealthEveryInterval) {
  grpc::EnableDefaultHealthCheckService(true);
  // A synchronous service, as every service of ours has; gRPC won't start without one.
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  {
    CallbackPollerHeartbeat heartbeat(*server, absl::Milliseconds(5));
    for (int i = 0; i < 400 && heartbeat.beats() < 5; ++i) absl::SleepFor(absl::Milliseconds(5));
    EXPECT_GE(heartbeat.beats(), 5) << "the health checks did not succeed";
  }
  server->Shutdown();
}

}  // namespace
}  // namespace jifen::grpc_util
