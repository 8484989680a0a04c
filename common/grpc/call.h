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

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/auth/caller.h"
#include "common/auth/token.h"

namespace jifen::grpc_util {

inline constexpr char kAuthorizationHeader[] = "authorization";  // "Bearer <token>"
inline constexpr char kRequestIdHeader[] = "x-request-id";

// The request id of a call: the client's x-request-id if it sent a sane one, else a new one.
std::string RequestIdOf(const grpc::ServerContextBase& context);

class CallHandler final {
 public:
  // `service` names the service in logs and metrics ("scoring"); the verifier must outlive this.
  CallHandler(std::string service, const auth::TokenVerifier* verifier)
      : service_(std::move(service)), verifier_(verifier) {}

  // UNAUTHENTICATED without a valid token; otherwise the body's status. Internal errors are logged
  // in full and returned as "internal error (request <id>)".
  grpc::Status Serve(grpc::ServerContextBase* context, absl::string_view method,
                     const std::function<absl::Status(const auth::Caller&)>& body) const;

  // The verified caller of a call, for handlers that need it outside Serve.
  absl::StatusOr<auth::Caller> Authenticate(const grpc::ServerContextBase& context) const;

 private:
  std::string service_;
  const auth::TokenVerifier* verifier_;
};

}  // namespace jifen::grpc_util
