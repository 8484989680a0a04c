// jifen-echo-server: the chassis (flags, tokens, CallHandler, ServerRunner) around the tiny
// jifen.testing.v1.EchoService, so that graceful stop and auth are tested on a real process
// without a database.
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/auth/token.h"
#include "common/config/config.h"
#include "common/config/service_flags.h"
#include "common/grpc/call.h"
#include "common/grpc/server_runner.h"
#include "common/log/log.h"
#include "jifen/testing/v1/echo.grpc.pb.h"

namespace {

using namespace jifen;  // NOLINT

class EchoService final : public testing::v1::EchoService::Service {
 public:
  explicit EchoService(const grpc_util::CallHandler& calls) : calls_(calls) {}

  grpc::Status Echo(grpc::ServerContext* context, const testing::v1::EchoRequest* request,
                    testing::v1::EchoResponse* response) override {
    return calls_.Serve(context, "Echo", [&](const auth::Caller& caller) {
      if (request->delay_ms() < 0 || request->delay_ms() > 60'000) {
        return absl::InvalidArgumentError("delay_ms must be 0..60000");
      }
      absl::SleepFor(absl::Milliseconds(request->delay_ms()));
      response->set_text(request->text());
      response->set_caller_user_id(caller.user_id);
      response->set_caller_role(std::string(auth::RoleName(caller.role)));
      return absl::OkStatus();
    });
  }

 private:
  const grpc_util::CallHandler& calls_;
};

}  // namespace

int main(int argc, char** argv) {
  grpc_util::BlockTerminationSignals();
  config::ParseFlagsAndEnvironment(argc, argv, "jifen-echo-server: the chassis around Echo");
  const config::ServiceFlags flags = config::ReadServiceFlags();
  config::Validator validator;
  validator.RequireHostPort("listen", flags.listen);
  validator.RequireReadableFile("token_public_key", flags.token_public_key);
  validator.ExitIfInvalid();
  log::SetServiceName("echo");
  auto verifier = auth::TokenVerifier::FromPublicKeyFile(flags.token_public_key, {});
  if (!verifier.ok()) {
    validator.Add(verifier.status());
    validator.ExitIfInvalid();
  }
  grpc_util::CallHandler calls("echo", verifier->get());
  EchoService service(calls);
  grpc_util::ServerOptions options;
  options.service_name = "echo";
  options.listen_address = flags.listen;
  options.drain_timeout = flags.drain_timeout;
  options.handler_threads = flags.handler_threads;
  options.idle_handler_threads = flags.idle_handler_threads;
  grpc_util::ServerRunner runner(options);
  runner.AddService(&service, "jifen.testing.v1.EchoService");
  if (!runner.Start().ok() || !grpc_util::WritePortFile(flags.port_file, runner.port()).ok()) {
    return 1;
  }
  grpc_util::WaitForTerminationSignal();
  runner.Shutdown();
  return 0;
}
