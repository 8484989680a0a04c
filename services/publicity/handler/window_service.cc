#include "services/publicity/handler/window_service.h"

#include "common/status/status_macros.h"

namespace jifen::publicity {
namespace {

int64_t MillisOrZero(absl::Time time) {
  return time == absl::InfinitePast() ? 0 : absl::ToUnixMillis(time);
}

void ToProto(const WindowRecord& window, absl::Time now, v1::PublicityWindow* out) {
  out->set_village_id(window.village_id);
  out->set_period(window.period);
  out->set_starts_at_ms(absl::ToUnixMillis(window.starts_at));
  out->set_ends_at_ms(absl::ToUnixMillis(window.ends_at));
  switch (StateAt(window, now)) {
    case WindowState::kOpen:
      out->set_state(v1::WINDOW_STATE_OPEN);
      break;
    case WindowState::kClosed:
      out->set_state(v1::WINDOW_STATE_CLOSED);
      break;
    case WindowState::kSettling:
      out->set_state(v1::WINDOW_STATE_SETTLING);
      break;
    case WindowState::kSettled:
      out->set_state(v1::WINDOW_STATE_SETTLED);
      break;
  }
  out->set_opened_by_user_id(window.opened_by_user_id);
  out->set_pending_objections(window.pending_objections);
  out->set_settled_at_ms(MillisOrZero(window.settled_at));
  out->set_households_credited(window.households_credited);
  out->set_settlement_waiting_for(window.settlement_waiting_for);
  out->set_points_credited(window.points_credited);
}

void ToProto(const ObjectionRecord& objection, v1::Objection* out) {
  out->set_objection_id(objection.objection_id);
  out->set_village_id(objection.village_id);
  out->set_period(objection.period);
  out->set_household_id(objection.household_id);
  out->set_entry_sequence(objection.entry_sequence);
  out->set_reason(objection.reason);
  out->set_filed_by_user_id(objection.filed_by_user_id);
  out->set_filed_at_ms(absl::ToUnixMillis(objection.filed_at));
  switch (objection.status) {
    case ObjectionStatus::kPending:
      out->set_status(v1::OBJECTION_STATUS_PENDING);
      break;
    case ObjectionStatus::kUpholding:
      out->set_status(v1::OBJECTION_STATUS_UPHOLDING);
      break;
    case ObjectionStatus::kUpheld:
      out->set_status(v1::OBJECTION_STATUS_UPHELD);
      break;
    case ObjectionStatus::kRejected:
      out->set_status(v1::OBJECTION_STATUS_REJECTED);
      break;
  }
  out->set_resolution_reason(objection.resolution_reason);
  out->set_resolved_by_user_id(objection.resolved_by_user_id);
  out->set_resolved_at_ms(MillisOrZero(objection.resolved_at));
  out->set_correction_sequence(objection.correction_sequence);
}

}  // namespace

WindowServiceImpl::WindowServiceImpl(const grpc_util::CallHandler& calls, PublicityWindows& windows,
                                     PublicityWindows::Clock clock)
    : calls_(calls), windows_(windows), clock_(std::move(clock)) {}

grpc::Status WindowServiceImpl::OpenWindow(grpc::ServerContext* context,
                                           const v1::OpenWindowRequest* request,
                                           v1::PublicityWindow* response) {
  return calls_.Serve(context, "OpenWindow", [&](const auth::Caller& caller) -> absl::Status {
    ASSIGN_OR_RETURN(WindowRecord window,
                     windows_.OpenWindow(caller, request->village_id(), request->period(),
                                         absl::FromUnixMillis(request->starts_at_ms()),
                                         absl::FromUnixMillis(request->ends_at_ms())));
    ToProto(window, clock_(), response);
    return absl::OkStatus();
  });
}

grpc::Status WindowServiceImpl::GetWindow(grpc::ServerContext* context,
                                          const v1::GetWindowRequest* request,
                                          v1::PublicityWindow* response) {
  return calls_.Serve(context, "GetWindow", [&](const auth::Caller& caller) -> absl::Status {
    ASSIGN_OR_RETURN(WindowRecord window,
                     windows_.GetWindow(caller, request->village_id(), request->period()));
    ToProto(window, clock_(), response);
    return absl::OkStatus();
  });
}

grpc::Status WindowServiceImpl::FileObjection(grpc::ServerContext* context,
                                              const v1::FileObjectionRequest* request,
                                              v1::Objection* response) {
  return calls_.Serve(context, "FileObjection", [&](const auth::Caller& caller) -> absl::Status {
    ASSIGN_OR_RETURN(ObjectionRecord objection,
                     windows_.FileObjection(caller, request->entry_sequence(), request->reason()));
    ToProto(objection, response);
    return absl::OkStatus();
  });
}

grpc::Status WindowServiceImpl::ResolveObjection(grpc::ServerContext* context,
                                                 const v1::ResolveObjectionRequest* request,
                                                 v1::Objection* response) {
  return calls_.Serve(context, "ResolveObjection", [&](const auth::Caller& caller) -> absl::Status {
    ASSIGN_OR_RETURN(ObjectionRecord objection,
                     windows_.ResolveObjection(caller, request->objection_id(), request->uphold(),
                                               request->reason()));
    ToProto(objection, response);
    return absl::OkStatus();
  });
}

grpc::Status WindowServiceImpl::ListObjections(grpc::ServerContext* context,
                                               const v1::ListObjectionsRequest* request,
                                               v1::ListObjectionsResponse* response) {
  return calls_.Serve(context, "ListObjections", [&](const auth::Caller& caller) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<ObjectionRecord> objections,
                     windows_.ListObjections(caller, request->village_id(), request->period(),
                                             request->household_id()));
    for (const ObjectionRecord& objection : objections) {
      ToProto(objection, response->add_objections());
    }
    return absl::OkStatus();
  });
}

}  // namespace jifen::publicity
