// jifen.audit.v1.SupervisionService: decode, call the Supervision rules, encode.
#pragma once

#include <grpcpp/grpcpp.h>

#include "common/grpc/call.h"
#include "jifen/audit/v1/supervision.grpc.pb.h"
#include "services/audit/domain/figures.h"
#include "services/audit/domain/supervision.h"

namespace jifen::audit {

class SupervisionServiceImpl final : public jifen::audit::v1::SupervisionService::Service {
 public:
  SupervisionServiceImpl(const auth::TokenVerifier* tokens, Supervision& supervision,
                         SupervisionFigures& figures, std::function<absl::Time()> clock)
      : calls_("audit", tokens),
        supervision_(supervision),
        figures_(figures),
        clock_(std::move(clock)) {}

  grpc::Status RegisterVillage(grpc::ServerContext* context,
                               const v1::RegisterVillageRequest* request,
                               v1::VillageInfo* response) override;
  grpc::Status CreateVisit(grpc::ServerContext* context, const v1::CreateVisitRequest* request,
                           v1::Visit* response) override;
  grpc::Status GetVisit(grpc::ServerContext* context, const v1::GetVisitRequest* request,
                        v1::Visit* response) override;
  grpc::Status ListVisits(grpc::ServerContext* context, const v1::ListVisitsRequest* request,
                          v1::ListVisitsResponse* response) override;
  grpc::Status AddFinding(grpc::ServerContext* context, const v1::AddFindingRequest* request,
                          v1::Finding* response) override;
  grpc::Status RecordRectification(grpc::ServerContext* context,
                                   const v1::RecordRectificationRequest* request,
                                   v1::Finding* response) override;
  grpc::Status ReviewRectification(grpc::ServerContext* context,
                                   const v1::ReviewRectificationRequest* request,
                                   v1::Finding* response) override;
  grpc::Status CloseVisit(grpc::ServerContext* context, const v1::CloseVisitRequest* request,
                          v1::Visit* response) override;
  grpc::Status ListFindings(grpc::ServerContext* context, const v1::ListFindingsRequest* request,
                            v1::ListFindingsResponse* response) override;
  grpc::Status IssueNotice(grpc::ServerContext* context, const v1::IssueNoticeRequest* request,
                           v1::Notice* response) override;
  grpc::Status ListNotices(grpc::ServerContext* context, const v1::ListNoticesRequest* request,
                           v1::ListNoticesResponse* response) override;
  grpc::Status SetGovernanceModel(grpc::ServerContext* context,
                                  const v1::SetGovernanceModelRequest* request,
                                  v1::GovernanceModel* response) override;
  grpc::Status ListGovernanceModels(grpc::ServerContext* context,
                                    const v1::ListGovernanceModelsRequest* request,
                                    v1::ListGovernanceModelsResponse* response) override;
  grpc::Status GetModelCoverage(grpc::ServerContext* context,
                                const v1::GetModelCoverageRequest* request,
                                v1::GetModelCoverageResponse* response) override;
  grpc::Status RecordTownDocument(grpc::ServerContext* context,
                                  const v1::RecordTownDocumentRequest* request,
                                  v1::TownDocument* response) override;
  grpc::Status ListTownDocuments(grpc::ServerContext* context,
                                 const v1::ListTownDocumentsRequest* request,
                                 v1::ListTownDocumentsResponse* response) override;
  grpc::Status ListFlags(grpc::ServerContext* context, const v1::ListFlagsRequest* request,
                         v1::ListFlagsResponse* response) override;
  grpc::Status ReviewFlag(grpc::ServerContext* context, const v1::ReviewFlagRequest* request,
                          v1::Flag* response) override;
  grpc::Status RunChecks(grpc::ServerContext* context, const v1::RunChecksRequest* request,
                         v1::RunChecksResponse* response) override;
  // PrepareVisit and RefreshDashboard live in supervision_figures_service.cc.
  grpc::Status PrepareVisit(grpc::ServerContext* context, const v1::PrepareVisitRequest* request,
                            v1::VisitChecklist* response) override;
  grpc::Status RefreshDashboard(grpc::ServerContext* context,
                                const v1::RefreshDashboardRequest* request,
                                v1::RefreshDashboardResponse* response) override;
  grpc::Status GetDashboard(grpc::ServerContext* context, const v1::GetDashboardRequest* request,
                            v1::Dashboard* response) override;

 private:
  Actor ActorOf(const auth::Caller& caller) const;

  grpc_util::CallHandler calls_;
  Supervision& supervision_;
  SupervisionFigures& figures_;
  std::function<absl::Time()> clock_;
};

}  // namespace jifen::audit
