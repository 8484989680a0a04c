// SupervisionServiceImpl: the RPCs over other services' facts (visit checklist, dashboard refresh).
#include "absl/time/clock.h"
#include "common/status/status_macros.h"
#include "services/audit/handler/figures_proto.h"
#include "services/audit/handler/supervision_service.h"

namespace jifen::audit {

grpc::Status SupervisionServiceImpl::PrepareVisit(grpc::ServerContext* context,
                                                  const v1::PrepareVisitRequest* request,
                                                  v1::VisitChecklist* response) {
  return calls_.Serve(context, "PrepareVisit", [&](const auth::Caller& caller) -> absl::Status {
    ASSIGN_OR_RETURN(SupervisionFigures::Prepared prepared,
                     figures_.PrepareVisit(caller, ActorOf(caller), request->village_id(),
                                           request->year()));
    ChecklistToProto(prepared.checklist, response);
    response->set_flags_raised(prepared.flags_raised);
    response->set_computed_at_ms(absl::ToUnixMillis(clock_()));
    return absl::OkStatus();
  });
}

grpc::Status SupervisionServiceImpl::RefreshDashboard(grpc::ServerContext* context,
                                                      const v1::RefreshDashboardRequest* request,
                                                      v1::RefreshDashboardResponse* response) {
  return calls_.Serve(context, "RefreshDashboard", [&](const auth::Caller& caller) -> absl::Status {
    ASSIGN_OR_RETURN(RefreshOutcome outcome,
                     figures_.Refresh(caller, request->village_id(), request->year()));
    response->set_villages(outcome.villages);
    response->set_parts_unavailable(outcome.parts_unavailable);
    response->set_computed_at_ms(absl::ToUnixMillis(clock_()));
    return absl::OkStatus();
  });
}

}  // namespace jifen::audit
