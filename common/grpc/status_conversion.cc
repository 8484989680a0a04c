#include "common/grpc/status_conversion.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/text/text.h"

namespace jifen::grpc_util {

namespace {

// gRPC carries the message in a trailer, and a client refuses trailers over its metadata limit
// (8 KiB by default) with RESOURCE_EXHAUSTED in place of the real status: a service that echoes a
// 100 KB value back ("date \"...\" is not a date") would turn a 400 into "too many requests".
constexpr size_t kMaxMessageBytes = 1024;

std::string CappedMessage(absl::string_view message) {
  if (message.size() <= kMaxMessageBytes) return std::string(message);
  return absl::StrCat(text::Utf8Prefix(message, kMaxMessageBytes), "...");
}

}  // namespace

bool IsInternalCode(absl::StatusCode code) {
  return code == absl::StatusCode::kInternal || code == absl::StatusCode::kUnknown ||
         code == absl::StatusCode::kDataLoss;
}

grpc::Status ToGrpcStatus(const absl::Status& status, absl::string_view request_id) {
  if (status.ok()) return grpc::Status::OK;
  // absl::StatusCode and grpc::StatusCode share their numbering (both follow google.rpc.Code).
  const auto code = static_cast<grpc::StatusCode>(static_cast<int>(status.code()));
  if (IsInternalCode(status.code())) {
    return grpc::Status(code, request_id.empty()
                                  ? std::string("internal error")
                                  : absl::StrCat("internal error (request ", request_id, ")"));
  }
  return grpc::Status(code, CappedMessage(status.message()));
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(static_cast<int>(status.error_code())),
                      status.error_message());
}

}  // namespace jifen::grpc_util
