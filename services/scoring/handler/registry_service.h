// The registry over gRPC (proto/jifen/scoring/v1/registry.proto): decode, authorize
// (domain/registry_access.h), call the repository, mask what the caller may not see, encode.
#pragma once

#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "common/grpc/call.h"
#include "jifen/scoring/v1/registry.grpc.pb.h"
#include "services/scoring/domain/personal_data_views.h"
#include "services/scoring/domain/registry_model.h"
#include "services/scoring/handler/scoring_context.h"

namespace jifen::scoring {

class RegistryServiceImpl final : public jifen::scoring::v1::RegistryService::Service {
 public:
  // Uses context.calls, context.pool and context.phone_key; the context's objects must outlive
  // the service. A phone key that is not 32 bytes makes every call fail: check init_status().
  explicit RegistryServiceImpl(const ScoringContext& context);
  // For tests: a repository and a log of full personal data views of the test's choosing (e.g.
  // fakes).
  RegistryServiceImpl(const grpc_util::CallHandler* calls,
                      std::unique_ptr<RegistryRepository> repository,
                      std::unique_ptr<PersonalDataViewLog> views);

  // OK when the service can serve; main.cc should refuse to start otherwise.
  const absl::Status& init_status() const { return init_status_; }

  grpc::Status CreateTown(grpc::ServerContext* context, const v1::CreateTownRequest* request,
                          v1::Town* response) override;
  grpc::Status CreateVillage(grpc::ServerContext* context, const v1::CreateVillageRequest* request,
                             v1::Village* response) override;
  grpc::Status CreateGroup(grpc::ServerContext* context, const v1::CreateGroupRequest* request,
                           v1::Group* response) override;
  grpc::Status CreateGrid(grpc::ServerContext* context, const v1::CreateGridRequest* request,
                          v1::Grid* response) override;
  grpc::Status GetGrid(grpc::ServerContext* context, const v1::GetGridRequest* request,
                       v1::Grid* response) override;
  grpc::Status AssignGridWorker(grpc::ServerContext* context,
                                const v1::AssignGridWorkerRequest* request,
                                v1::Grid* response) override;
  grpc::Status CreateTeam(grpc::ServerContext* context, const v1::CreateTeamRequest* request,
                          v1::AssessmentTeam* response) override;
  grpc::Status GetTeam(grpc::ServerContext* context, const v1::GetTeamRequest* request,
                       v1::AssessmentTeam* response) override;
  grpc::Status CreateHousehold(grpc::ServerContext* context,
                               const v1::CreateHouseholdRequest* request,
                               v1::HouseholdDetail* response) override;
  grpc::Status GetHousehold(grpc::ServerContext* context, const v1::GetHouseholdRequest* request,
                            v1::HouseholdDetail* response) override;
  grpc::Status ListHouseholds(grpc::ServerContext* context,
                              const v1::ListHouseholdsRequest* request,
                              v1::ListHouseholdsResponse* response) override;
  grpc::Status ListVillages(grpc::ServerContext* context, const v1::ListVillagesRequest* request,
                            v1::ListVillagesResponse* response) override;
  grpc::Status ImportRoster(grpc::ServerContext* context, const v1::ImportRosterRequest* request,
                            v1::ImportRosterResponse* response) override;

 private:
  grpc::Status Serve(grpc::ServerContext* context, absl::string_view method,
                     const std::function<absl::Status(const auth::Caller&)>& body);
  // The caller's assessment team when reading households needs it (assessors), else null. A team
  // that does not exist leaves `team` null, so the assessor sees nothing.
  absl::Status LoadTeam(const auth::Caller& caller, std::unique_ptr<TeamRecord>& team);
  // The grid the caller's token claims when listing households needs it (grid workers), else
  // null. A grid that does not exist leaves `grid` null, so the grid worker sees nothing.
  absl::Status LoadGrid(const auth::Caller& caller, std::unique_ptr<GridRecord>& grid);

  const grpc_util::CallHandler* calls_;
  std::unique_ptr<RegistryRepository> repository_;
  std::unique_ptr<PersonalDataViewLog> views_;
  absl::Status init_status_;
};

}  // namespace jifen::scoring
