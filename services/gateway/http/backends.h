// The gateway's gRPC side: one channel per backend service, reused by every request, and blocking
// unary calls with opaque (already serialized) messages. Server-streaming calls go over the same
// channels (stream_proxy.h).
#pragma once

#include <grpcpp/channel.h>

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace jifen::gateway {

struct OutgoingCall {
  std::string grpc_method;  // "/jifen.scoring.v1.LedgerService/GetWallet"
  std::string request_bytes;
  std::string bearer_token;  // the user's token, passed through so the service checks it again
  std::string request_id;
  absl::Duration timeout = absl::Seconds(5);
};

class Backends final {
 public:
  // `addresses`: backend name ("scoring") -> "host:port". Channels connect lazily.
  Backends(const std::map<std::string, std::string>& addresses, int max_message_bytes);

  bool Has(absl::string_view backend) const;

  // The response bytes, or the service's status (code and message as sent). UNAVAILABLE with
  // "SERVICE_NOT_CONFIGURED:" when no address was configured for the backend.
  absl::StatusOr<std::string> Call(absl::string_view backend, const OutgoingCall& call) const;

  // The backend's channel, shared by every call to it; nullptr when no address was configured.
  std::shared_ptr<grpc::Channel> Channel(absl::string_view backend) const;

 private:
  struct Backend {
    std::shared_ptr<grpc::Channel> channel;
  };
  std::map<std::string, Backend, std::less<>> backends_;
};

}  // namespace jifen::gateway
