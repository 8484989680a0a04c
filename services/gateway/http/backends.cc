#include "services/gateway/http/backends.h"

#include <grpcpp/support/byte_buffer.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/grpc/client.h"
#include "common/grpc/status_conversion.h"

namespace jifen::gateway {

Backends::Backends(const std::map<std::string, std::string>& addresses, int max_message_bytes) {
  for (const auto& [name, address] : addresses) {
    if (address.empty()) continue;
    Backend backend;
    backend.channel = grpc_util::NewChannel(address, max_message_bytes);
    backend.stub = std::make_unique<grpc::GenericStub>(backend.channel);
    backends_.emplace(name, std::move(backend));
  }
}

bool Backends::Has(absl::string_view backend) const {
  return backends_.find(backend) != backends_.end();
}

absl::StatusOr<std::string> Backends::Call(absl::string_view backend,
                                           const OutgoingCall& call) const {
  const auto it = backends_.find(backend);
  if (it == backends_.end()) {
    return absl::UnavailableError(
        absl::StrCat("SERVICE_NOT_CONFIGURED: no address for backend ", backend));
  }
  std::unique_ptr<grpc::ClientContext> context =
      grpc_util::NewClientContext(call.timeout, call.bearer_token, call.request_id);
  grpc::Slice slice(call.request_bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  grpc::Status status;
  absl::Notification done;
  // The generic stub offers unary calls on the callback API only; the HTTP worker thread waits.
  it->second.stub->UnaryCall(context.get(), call.grpc_method, grpc::StubOptions(), &request,
                             &response, [&](grpc::Status s) {
                               status = std::move(s);
                               done.Notify();
                             });
  done.WaitForNotification();
  if (!status.ok()) return grpc_util::FromGrpcStatus(status);
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return absl::InternalError("unreadable response buffer");
  std::string bytes;
  bytes.reserve(response.Length());
  for (const grpc::Slice& s : slices) {
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return bytes;
}

}  // namespace jifen::gateway
