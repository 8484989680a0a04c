// Scoring's registry for jifen-admin (grid workers, staff scopes): RegistryService over gRPC under the gateway's own service
// token (role service, subject gateway), the identity scoring lets name grid workers besides the
// village's admin and district officials (services/scoring/domain/registry_access.h). The CLI
// runs on the gateway's host with the gateway's database account, and acts as the gateway here too.
#pragma once

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "common/grpc/client.h"
#include "jifen/scoring/v1/registry.grpc.pb.h"
#include "services/gateway/auth/grid_workers.h"
#include "services/gateway/auth/staff_scope.h"

namespace jifen::gateway {

// The grid as the shared steps (grid_workers.h) read it.
RegisteredGrid RegisteredGridOf(const scoring::v1::Grid& grid);

// The team as the staff scope check (staff_scope.h) reads it.
RegisteredTeam RegisteredTeamOf(const scoring::v1::AssessmentTeam& team);

// ListVillages of one village (village_id) or one town (town_id), the lookups behind
// ScopeRegistry::GetVillage and CheckTown; and the village it found, NOT_FOUND when none.
scoring::v1::ListVillagesRequest VillageLookup(int64_t village_id, int64_t town_id);
absl::StatusOr<RegisteredVillage> ListedVillage(const scoring::v1::ListVillagesResponse& listing,
                                                int64_t village_id);

// AssignGridWorker naming `worker_user_id` only while the grid names `current_worker_user_id`, as
// GridRegistry::AssignWorker promises; the gateway's own registry client sends the same request.
scoring::v1::AssignGridWorkerRequest CheckedAssignment(int64_t grid_id,
                                                       const std::string& worker_user_id,
                                                       const std::string& current_worker_user_id);


class GrpcRegistry final : public GridRegistry, public ScopeRegistry {
 public:
  // `address` is jifen-scoring's host:port; `service_token` the gateway's token itself.
  GrpcRegistry(const std::string& address, std::string service_token,
                   absl::Duration timeout = absl::Seconds(10));

  absl::StatusOr<RegisteredGrid> GetGrid(int64_t grid_id) override;
  absl::StatusOr<RegisteredGrid> AssignWorker(
      int64_t grid_id, const std::string& worker_user_id,
      const std::string& current_worker_user_id) override;
  absl::StatusOr<RegisteredVillage> GetVillage(int64_t village_id) override;
  absl::Status CheckTown(int64_t town_id) override;
  absl::StatusOr<RegisteredTeam> GetTeam(int64_t team_id) override;

 private:
  using Stub = scoring::v1::RegistryService::Stub;
  // `method` of the registry under the service token, with FromScoring's status.
  template <typename Request, typename Response>
  absl::Status Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                    const Request& request, Response* response) {
    const grpc::Status status = (stub_.get()->*method)(
        grpc_util::NewClientContext(timeout_, service_token_).get(), request, response);
    return status.ok() ? absl::OkStatus() : FromScoring(status);
  }
  // Scoring's status as the shared steps (gateway/auth/grid_workers.h) and the operator need it.
  absl::Status FromScoring(const grpc::Status& status) const;

  std::string address_;
  std::unique_ptr<scoring::v1::RegistryService::Stub> stub_;
  std::string service_token_;
  absl::Duration timeout_;
};

}  // namespace jifen::gateway
