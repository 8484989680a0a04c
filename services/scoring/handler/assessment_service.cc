#include "services/scoring/handler/assessment_service.h"

#include "common/status/status_macros.h"

namespace jifen::scoring {

grpc::ServerUnaryReactor* AssessmentServiceImpl::SubmitInspection(
    grpc::CallbackServerContext* context, const v1::SubmitInspectionRequest* request,
    v1::SubmitInspectionResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  context_.calls->ServeLater(
      context, reactor, "SubmitInspection",
      [this, request, response](const auth::Caller& caller,
                                grpc_util::CallHandler::Finish finish) {
        inspections_.Submit(caller, *request,
                            [response, finish = std::move(finish)](InspectionOutcome outcome) {
                              if (outcome.ok()) *response = *std::move(outcome);
                              finish(outcome.status());
                            });
      });
  return reactor;
}

grpc::Status AssessmentServiceImpl::SubmitDeclaration(grpc::ServerContext* context,
                                                      const v1::SubmitDeclarationRequest* request,
                                                      v1::Declaration* response) {
  return context_.calls->Serve(context, "SubmitDeclaration", [&](const auth::Caller& caller) {
    ASSIGN_OR_RETURN(*response, declarations_.Submit(caller, *request));
    return absl::OkStatus();
  });
}

grpc::Status AssessmentServiceImpl::ReviewDeclaration(grpc::ServerContext* context,
                                                      const v1::ReviewDeclarationRequest* request,
                                                      v1::Declaration* response) {
  return context_.calls->Serve(context, "ReviewDeclaration", [&](const auth::Caller& caller) {
    ASSIGN_OR_RETURN(*response, declarations_.Review(caller, *request));
    return absl::OkStatus();
  });
}

grpc::Status AssessmentServiceImpl::ListDeclarations(grpc::ServerContext* context,
                                                     const v1::ListDeclarationsRequest* request,
                                                     v1::ListDeclarationsResponse* response) {
  return context_.calls->Serve(context, "ListDeclarations", [&](const auth::Caller& caller) {
    ASSIGN_OR_RETURN(*response, declarations_.List(caller, *request));
    return absl::OkStatus();
  });
}

grpc::Status AssessmentServiceImpl::OpenRound(grpc::ServerContext* context,
                                              const v1::OpenRoundRequest* request,
                                              v1::EvaluationRound* response) {
  return context_.calls->Serve(context, "OpenRound", [&](const auth::Caller& caller) {
    ASSIGN_OR_RETURN(*response, evaluations_.Open(caller, request->round()));
    return absl::OkStatus();
  });
}

grpc::Status AssessmentServiceImpl::SubmitRatings(grpc::ServerContext* context,
                                                  const v1::SubmitRatingsRequest* request,
                                                  v1::SubmitRatingsResponse* /*response*/) {
  return context_.calls->Serve(context, "SubmitRatings", [&](const auth::Caller& caller) {
    return evaluations_.SubmitRatings(caller, *request);
  });
}

grpc::Status AssessmentServiceImpl::CloseRound(grpc::ServerContext* context,
                                               const v1::CloseRoundRequest* request,
                                               v1::EvaluationRound* response) {
  return context_.calls->Serve(context, "CloseRound", [&](const auth::Caller& caller) {
    ASSIGN_OR_RETURN(*response, evaluations_.Close(caller, *request));
    return absl::OkStatus();
  });
}

grpc::Status AssessmentServiceImpl::ListRounds(grpc::ServerContext* context,
                                               const v1::ListRoundsRequest* request,
                                               v1::ListRoundsResponse* response) {
  return context_.calls->Serve(context, "ListRounds", [&](const auth::Caller& caller) {
    ASSIGN_OR_RETURN(*response, evaluations_.List(caller, *request));
    return absl::OkStatus();
  });
}

grpc::Status AssessmentServiceImpl::GetRound(grpc::ServerContext* context,
                                             const v1::GetRoundRequest* request,
                                             v1::EvaluationRound* response) {
  return context_.calls->Serve(context, "GetRound", [&](const auth::Caller& caller) {
    ASSIGN_OR_RETURN(*response, evaluations_.Get(caller, *request));
    return absl::OkStatus();
  });
}

}  // namespace jifen::scoring
