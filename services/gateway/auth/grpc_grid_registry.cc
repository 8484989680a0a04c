#include "services/gateway/auth/grpc_grid_registry.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/grpc/client.h"
#include "common/grpc/status_conversion.h"

namespace jifen::gateway {

RegisteredGrid RegisteredGridOf(const scoring::v1::Grid& grid) {
  return {grid.grid_id(), grid.village_id(), grid.worker_user_id()};
}

scoring::v1::AssignGridWorkerRequest CheckedAssignment(int64_t grid_id,
                                                       const std::string& worker_user_id,
                                                       const std::string& current_worker_user_id) {
  scoring::v1::AssignGridWorkerRequest request;
  request.set_grid_id(grid_id);
  request.set_worker_user_id(worker_user_id);
  request.set_check_current_worker(true);
  request.set_current_worker_user_id(current_worker_user_id);
  return request;
}

absl::Status GrpcGridRegistry::FromScoring(const grpc::Status& status) const {
  // A refusal of the token is the operator's to fix (another service's token, an expired one),
  // not a grid out of scope, which is what the shared steps would take PERMISSION_DENIED for.
  if (status.error_code() == grpc::StatusCode::PERMISSION_DENIED ||
      status.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
    return absl::UnauthenticatedError(
        absl::StrCat("jifen-scoring at ", address_,
                     " refused the --service_token_file token (it must be the "
                     "gateway's own: role service, subject gateway, not expired): ",
                     status.error_message()));
  }
  const absl::Status peer = grpc_util::FromGrpcStatus(status);
  if (peer.code() == absl::StatusCode::kNotFound ||
      peer.code() == absl::StatusCode::kFailedPrecondition ||
      peer.code() == absl::StatusCode::kInvalidArgument) {
    return peer;  // about the grid: the shared steps word it
  }
  return absl::Status(peer.code(),
                      absl::StrCat("jifen-scoring at ", address_, ": ",
                                   absl::StatusCodeToString(peer.code()), ": ", peer.message()));
}

GrpcGridRegistry::GrpcGridRegistry(const std::string& address, std::string service_token,
                                   absl::Duration timeout)
    : address_(address),
      stub_(scoring::v1::RegistryService::NewStub(grpc_util::NewChannel(address, 4 << 20))),
      service_token_(std::move(service_token)),
      timeout_(timeout) {}

absl::StatusOr<RegisteredGrid> GrpcGridRegistry::GetGrid(int64_t grid_id) {
  scoring::v1::GetGridRequest request;
  request.set_grid_id(grid_id);
  scoring::v1::Grid grid;
  const grpc::Status status =
      stub_->GetGrid(grpc_util::NewClientContext(timeout_, service_token_).get(), request, &grid);
  if (!status.ok()) return FromScoring(status);
  return RegisteredGridOf(grid);
}

absl::StatusOr<RegisteredGrid> GrpcGridRegistry::AssignWorker(
    int64_t grid_id, const std::string& worker_user_id, const std::string& current_worker_user_id) {
  const scoring::v1::AssignGridWorkerRequest request =
      CheckedAssignment(grid_id, worker_user_id, current_worker_user_id);
  scoring::v1::Grid grid;
  const grpc::Status status = stub_->AssignGridWorker(
      grpc_util::NewClientContext(timeout_, service_token_).get(), request, &grid);
  if (!status.ok()) return FromScoring(status);
  return RegisteredGridOf(grid);
}

}  // namespace jifen::gateway
