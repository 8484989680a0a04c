#include "common/grpc/call.h"

#include <openssl/rand.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/grpc/status_conversion.h"
#include "common/log/log.h"
#include "common/metrics/metrics.h"

namespace jifen::grpc_util {
namespace {

absl::string_view MetadataValue(const grpc::ServerContextBase& context,
                                absl::string_view key) {
  const auto& metadata = context.client_metadata();
  const auto it = metadata.find(grpc::string_ref(key.data(), key.size()));
  if (it == metadata.end()) return {};
  return absl::string_view(it->second.data(), it->second.size());
}

bool IsSaneRequestId(absl::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

std::string NewRequestId() {
  unsigned char bytes[8];
  RAND_bytes(bytes, sizeof(bytes));
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

}  // namespace

std::string RequestIdOf(const grpc::ServerContextBase& context) {
  const absl::string_view given = MetadataValue(context, kRequestIdHeader);
  return IsSaneRequestId(given) ? std::string(given) : NewRequestId();
}

std::string BearerTokenOf(const grpc::ServerContextBase& context) {
  absl::string_view header = MetadataValue(context, kAuthorizationHeader);
  // "Bearer" 1*SP token; the scheme is case-insensitive (RFC 9110 11.6.2), as at the gateway.
  if (header.size() < 7 || !absl::EqualsIgnoreCase(header.substr(0, 6), "Bearer") ||
      header[6] != ' ') {
    return {};
  }
  header.remove_prefix(7);
  return std::string(absl::StripLeadingAsciiWhitespace(header));
}

absl::StatusOr<auth::Caller> CallHandler::Authenticate(
    const grpc::ServerContextBase& context) const {
  const std::string token = BearerTokenOf(context);
  if (token.empty()) return absl::UnauthenticatedError("missing bearer token");
  return verifier_->Verify(token, absl::Now());
}

grpc::Status CallHandler::Serve(
    grpc::ServerContextBase* context, absl::string_view method,
    const std::function<absl::Status(const auth::Caller&)>& body) const {
  const absl::Time started = absl::Now();
  const std::string request_id = RequestIdOf(*context);
  context->AddInitialMetadata(kRequestIdHeader, request_id);

  std::string caller_name = "-";
  absl::Status status;
  absl::StatusOr<auth::Caller> caller = Authenticate(*context);
  if (!caller.ok()) {
    status = caller.status();
  } else {
    caller_name = absl::StrCat(auth::RoleName(caller->role), ":", caller->user_id);
    caller->request_id = request_id;
    status = body(*caller);
  }
  return Complete(method, started, request_id, caller_name, status);
}

void CallHandler::ServeLater(
    grpc::CallbackServerContext* context, grpc::ServerUnaryReactor* reactor,
    absl::string_view method,
    const std::function<void(const auth::Caller&, Finish finish)>& start) const {
  const absl::Time started = absl::Now();
  std::string request_id = RequestIdOf(*context);
  context->AddInitialMetadata(kRequestIdHeader, request_id);
  absl::StatusOr<auth::Caller> caller = Authenticate(*context);
  if (!caller.ok()) {
    reactor->Finish(Complete(method, started, request_id, "-", caller.status()));
    return;
  }
  std::string caller_name = absl::StrCat(auth::RoleName(caller->role), ":", caller->user_id);
  caller->request_id = request_id;
  start(*caller, [this, reactor, method = std::string(method), started,
                  request_id = std::move(request_id),
                  caller_name = std::move(caller_name)](absl::Status status) {
    reactor->Finish(Complete(method, started, request_id, caller_name, status));
  });
}

grpc::Status CallHandler::Complete(absl::string_view method, absl::Time started,
                                   const std::string& request_id,
                                   const std::string& caller_name,
                                   const absl::Status& status) const {
  const double seconds = absl::ToDoubleSeconds(absl::Now() - started);
  const std::string full_method = absl::StrCat(service_, "/", method);
  const std::string code = absl::StatusCodeToString(status.code());
  metrics::GlobalRpcMetrics().Record(full_method, code, seconds);
  log::Fields fields = {{"request_id", request_id},
                        {"caller", caller_name},
                        {"method", full_method},
                        {"code", code},
                        {"latency_ms", absl::StrCat(seconds * 1000.0)}};
  if (IsInternalCode(status.code())) {
    fields.emplace_back("error", std::string(status.message()));
    log::Error("rpc failed", fields);
  } else {
    if (!status.ok()) fields.emplace_back("error", std::string(status.message()));
    log::Info("rpc", fields);
  }
  return ToGrpcStatus(status, request_id);
}

}  // namespace jifen::grpc_util
