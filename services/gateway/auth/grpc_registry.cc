#include "services/gateway/auth/grpc_registry.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/grpc/client.h"
#include "common/grpc/status_conversion.h"
#include "common/status/status_macros.h"

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

RegisteredTeam RegisteredTeamOf(const scoring::v1::AssessmentTeam& team) {
  return {team.team_id(), team.village_id()};
}

scoring::v1::ListVillagesRequest VillageLookup(int64_t village_id, int64_t town_id) {
  scoring::v1::ListVillagesRequest request;
  request.set_village_id(village_id);
  request.set_town_id(town_id);
  return request;
}

absl::StatusOr<RegisteredVillage> ListedVillage(const scoring::v1::ListVillagesResponse& listing,
                                                int64_t village_id) {
  for (const scoring::v1::Village& village : listing.villages()) {
    if (village.village_id() == village_id) return RegisteredVillage{village_id, village.town_id()};
  }
  return absl::NotFoundError(absl::StrCat("village ", village_id, " not listed"));
}

absl::Status GrpcRegistry::FromScoring(const grpc::Status& status) const {
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
    return peer;  // about the grid, village, town or team: the shared steps word it
  }
  return absl::Status(peer.code(),
                      absl::StrCat("jifen-scoring at ", address_, ": ",
                                   absl::StatusCodeToString(peer.code()), ": ", peer.message()));
}

GrpcRegistry::GrpcRegistry(const std::string& address, std::string service_token,
                                   absl::Duration timeout)
    : address_(address),
      stub_(scoring::v1::RegistryService::NewStub(grpc_util::NewChannel(address, 4 << 20))),
      service_token_(std::move(service_token)),
      timeout_(timeout) {}

absl::StatusOr<RegisteredGrid> GrpcRegistry::GetGrid(int64_t grid_id) {
  scoring::v1::GetGridRequest request;
  request.set_grid_id(grid_id);
  scoring::v1::Grid grid;
  RETURN_IF_ERROR(Call(&Stub::GetGrid, request, &grid));
  return RegisteredGridOf(grid);
}

absl::StatusOr<RegisteredGrid> GrpcRegistry::AssignWorker(
    int64_t grid_id, const std::string& worker_user_id, const std::string& current_worker_user_id) {
  scoring::v1::Grid grid;
  RETURN_IF_ERROR(Call(&Stub::AssignGridWorker,
                       CheckedAssignment(grid_id, worker_user_id, current_worker_user_id), &grid));
  return RegisteredGridOf(grid);
}

absl::StatusOr<RegisteredVillage> GrpcRegistry::GetVillage(int64_t village_id) {
  scoring::v1::ListVillagesResponse listing;
  RETURN_IF_ERROR(Call(&Stub::ListVillages, VillageLookup(village_id, 0), &listing));
  return ListedVillage(listing, village_id);
}

absl::Status GrpcRegistry::CheckTown(int64_t town_id) {
  scoring::v1::ListVillagesResponse listing;
  return Call(&Stub::ListVillages, VillageLookup(0, town_id), &listing);
}

absl::StatusOr<RegisteredTeam> GrpcRegistry::GetTeam(int64_t team_id) {
  scoring::v1::GetTeamRequest request;
  request.set_team_id(team_id);
  scoring::v1::AssessmentTeam team;
  RETURN_IF_ERROR(Call(&Stub::GetTeam, request, &team));
  return RegisteredTeamOf(team);
}

}  // namespace jifen::gateway
