// jifen.scoring.v1.AssessmentService.
#pragma once

#include "jifen/scoring/v1/assessment.grpc.pb.h"
#include "services/scoring/handler/scoring_context.h"
#include "services/scoring/storage/mysql_declarations.h"
#include "services/scoring/storage/mysql_evaluations.h"
#include "services/scoring/storage/mysql_inspections.h"

namespace jifen::scoring {

// SubmitInspection is served through gRPC's callback API: the inspection waits in the group
// commit queue (storage/inspection_queue.h) without holding a handler thread, and the writer that
// commits its batch answers the call.
class AssessmentServiceImpl final
    : public v1::AssessmentService::WithCallbackMethod_SubmitInspection<
          v1::AssessmentService::Service> {
 public:
  AssessmentServiceImpl(const ScoringContext& context, MySqlInspections& inspections,
                        MySqlDeclarations& declarations, MySqlEvaluations& evaluations)
      : context_(context),
        inspections_(inspections),
        declarations_(declarations),
        evaluations_(evaluations) {}

  grpc::ServerUnaryReactor* SubmitInspection(grpc::CallbackServerContext* context,
                                             const v1::SubmitInspectionRequest* request,
                                             v1::SubmitInspectionResponse* response) override;
  grpc::Status SubmitDeclaration(grpc::ServerContext* context,
                                 const v1::SubmitDeclarationRequest* request,
                                 v1::Declaration* response) override;
  grpc::Status ReviewDeclaration(grpc::ServerContext* context,
                                 const v1::ReviewDeclarationRequest* request,
                                 v1::Declaration* response) override;
  grpc::Status ListDeclarations(grpc::ServerContext* context,
                                const v1::ListDeclarationsRequest* request,
                                v1::ListDeclarationsResponse* response) override;
  grpc::Status OpenRound(grpc::ServerContext* context, const v1::OpenRoundRequest* request,
                         v1::EvaluationRound* response) override;
  grpc::Status SubmitRatings(grpc::ServerContext* context, const v1::SubmitRatingsRequest* request,
                             v1::SubmitRatingsResponse* response) override;
  grpc::Status CloseRound(grpc::ServerContext* context, const v1::CloseRoundRequest* request,
                          v1::EvaluationRound* response) override;
  grpc::Status ListRounds(grpc::ServerContext* context, const v1::ListRoundsRequest* request,
                          v1::ListRoundsResponse* response) override;
  grpc::Status GetRound(grpc::ServerContext* context, const v1::GetRoundRequest* request,
                        v1::EvaluationRound* response) override;

 private:
  const ScoringContext& context_;
  MySqlInspections& inspections_;
  MySqlDeclarations& declarations_;
  MySqlEvaluations& evaluations_;
};

}  // namespace jifen::scoring
