#include "services/scoring/handler/assessment_service.h"

#include "common/status/status_macros.h"

namespace jifen::scoring {

grpc::Status AssessmentServiceImpl::SubmitInspection(grpc::ServerContext* context,
                                                     const v1::SubmitInspectionRequest* request,
                                                     v1::SubmitInspectionResponse* response) {
  return context_.calls->Serve(context, "SubmitInspection", [&](const auth::Caller& caller) {
    ASSIGN_OR_RETURN(*response, inspections_.Submit(caller, *request));
    return absl::OkStatus();
  });
}

}  // namespace jifen::scoring
