#include "services/redemption/handler/scoring_wallet_client.h"

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/grpc/client.h"
#include "common/grpc/status_conversion.h"

namespace jifen::redemption {
namespace {

constexpr absl::Duration kTokenRefresh = absl::Seconds(30);

}  // namespace

ScoringWalletClient::ScoringWalletClient(
    std::unique_ptr<scoring::v1::LedgerService::StubInterface> stub, std::string service_token_file,
    absl::Duration timeout)
    : stub_(std::move(stub)), token_file_(std::move(service_token_file)), timeout_(timeout) {}

absl::Status ScoringWalletClient::LoadToken() {
  std::ifstream in(token_file_);
  std::stringstream text;
  text << in.rdbuf();
  const std::string token(absl::StripAsciiWhitespace(text.str()));
  if (!in.good() && !in.eof()) {
    return absl::FailedPreconditionError(absl::StrCat("cannot read ", token_file_));
  }
  if (token.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("no token in ", token_file_));
  }
  absl::MutexLock lock(&mutex_);
  token_ = token;
  token_read_at_ = absl::Now();
  return absl::OkStatus();
}

absl::StatusOr<std::string> ScoringWalletClient::Token() {
  {
    absl::MutexLock lock(&mutex_);
    if (absl::Now() - token_read_at_ < kTokenRefresh) return token_;
  }
  const absl::Status loaded = LoadToken();
  absl::MutexLock lock(&mutex_);
  // A token file that vanished keeps the last good token in use.
  if (!loaded.ok() && token_.empty()) return absl::UnavailableError(loaded.message());
  return token_;
}

absl::StatusOr<DebitResult> ScoringWalletClient::Debit(int64_t household_id, int64_t points,
                                                       const std::string& order_id,
                                                       const std::string& reason,
                                                       const std::string& request_id) {
  absl::StatusOr<std::string> token = Token();
  if (!token.ok()) return token.status();
  scoring::v1::DebitRequest request;
  request.set_household_id(household_id);
  request.set_points(points);
  request.set_order_id(order_id);
  request.set_reason(reason);
  scoring::v1::DebitResponse response;
  auto context = grpc_util::NewClientContext(timeout_, *token, request_id);
  const grpc::Status status = stub_->Debit(context.get(), request, &response);
  if (!status.ok()) return grpc_util::FromGrpcStatus(status);
  return DebitResult{response.balance_points(), response.entry().sequence()};
}

absl::Status ScoringWalletClient::Refund(const std::string& order_id, const std::string& reason,
                                         const std::string& request_id) {
  absl::StatusOr<std::string> token = Token();
  if (!token.ok()) return token.status();
  scoring::v1::RefundRequest request;
  request.set_order_id(order_id);
  request.set_reason(reason);
  scoring::v1::RefundResponse response;
  auto context = grpc_util::NewClientContext(timeout_, *token, request_id);
  return grpc_util::FromGrpcStatus(stub_->Refund(context.get(), request, &response));
}

}  // namespace jifen::redemption
