// jifen.scoring.v1.AssessmentService.
#pragma once

#include "jifen/scoring/v1/assessment.grpc.pb.h"
#include "services/scoring/handler/scoring_context.h"
#include "services/scoring/storage/mysql_inspections.h"

namespace jifen::scoring {

class AssessmentServiceImpl final : public v1::AssessmentService::Service {
 public:
  AssessmentServiceImpl(const ScoringContext& context, MySqlInspections& inspections)
      : context_(context), inspections_(inspections) {}

  grpc::Status SubmitInspection(grpc::ServerContext* context,
                                const v1::SubmitInspectionRequest* request,
                                v1::SubmitInspectionResponse* response) override;

 private:
  const ScoringContext& context_;
  MySqlInspections& inspections_;
};

}  // namespace jifen::scoring
