// What every RPC handler does around its body: authenticate the token, read the request id, run
// the body, log one line, record metrics, and convert the status. Handlers stay thin:
//
//   grpc::Status Get(grpc::ServerContext* context, const Req* req, Resp* resp) override {
//     return calls_.Serve(context, "Get", [&](const auth::Caller& caller) {
//       return domain_.Get(caller, *req, resp);
//     });
//   }
//
// A callback-API method (grpc::CallbackServerContext) passes its context the same way and hands
// the returned status to its reactor's Finish().
#pragma once

#include <functional>
#include <string>

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/auth/caller.h"
#include "common/auth/token.h"

namespace jifen::grpc_util {

inline constexpr char kAuthorizationHeader[] = "authorization";  // "Bearer <token>"
inline constexpr char kRequestIdHeader[] = "x-request-id";
// Initial metadata of a server-streaming call that has accepted its request (AcceptStream).
inline constexpr char kStreamAcceptedHeader[] = "x-stream-accepted";

// For a server-streaming method: the request is accepted (caller, access and arguments checked),
// said at once with the initial metadata, before any message. The gateway holds its HTTP answer
// until then and answers a refusal (the call's status instead) as an ordinary JSON error; the
// initial metadata alone can't tell, since every call carries x-request-id in it. Call it once,
// before the first Write, from the handler's body.
template <class Writer>
void AcceptStream(grpc::ServerContextBase* context, Writer* writer) {
  context->AddInitialMetadata(kStreamAcceptedHeader, "1");
  writer->SendInitialMetadata();
}

// The request id of a call: the client's x-request-id if it sent a sane one, else a new one.
std::string RequestIdOf(const grpc::ServerContextBase& context);

// The bearer token the call carried, without "Bearer " (empty without one), for a service that
// asks another on its caller's behalf: the other then applies the caller's own rights (and audits
// the caller) rather than the asking service's. Verified only where Serve or Authenticate ran.
std::string BearerTokenOf(const grpc::ServerContextBase& context);

class CallHandler final {
 public:
  // `service` names the service in logs and metrics ("scoring"); the verifier must outlive this.
  CallHandler(std::string service, const auth::TokenVerifier* verifier)
      : service_(std::move(service)), verifier_(verifier) {}

  // UNAUTHENTICATED without a valid token; otherwise the body's status. The body's caller carries
  // the call's request id (Caller::request_id). Internal errors are logged in full and returned as
  // "internal error (request <id>)".
  grpc::Status Serve(grpc::ServerContextBase* context, absl::string_view method,
                     const std::function<absl::Status(const auth::Caller&)>& body) const;

  // The same for a callback-API method whose outcome is known later, on any thread: `start` runs
  // now with the verified caller (with its request id) and must arrange for `finish` to be called
  // exactly once; then the line is logged, metrics recorded and the status handed to `reactor`. A
  // handler waiting for a queue (group commit) so holds no thread while it waits.
  using Finish = std::function<void(absl::Status)>;
  void ServeLater(grpc::CallbackServerContext* context, grpc::ServerUnaryReactor* reactor,
                  absl::string_view method,
                  const std::function<void(const auth::Caller&, Finish finish)>& start) const;

  // The verified caller of a call, for handlers that need it outside Serve.
  absl::StatusOr<auth::Caller> Authenticate(const grpc::ServerContextBase& context) const;

 private:
  // Metrics and the log line of a finished call; the status as the client gets it.
  grpc::Status Complete(absl::string_view method, absl::Time started,
                        const std::string& request_id, const std::string& caller_name,
                        const absl::Status& status) const;

  std::string service_;
  const auth::TokenVerifier* verifier_;
};

}  // namespace jifen::grpc_util
