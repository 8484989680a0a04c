#include "services/audit/handler/supervision_service.h"

#include <string>
#include <utility>
#include <vector>

#include "common/status/status_macros.h"
#include "services/audit/handler/figures_proto.h"

namespace jifen::audit {
namespace {

void ToProto(const Finding& f, v1::Finding* out) {
  out->set_finding_id(f.finding_id);
  out->set_visit_id(f.visit_id);
  out->set_village_id(f.village_id);
  out->set_area(static_cast<v1::CheckArea>(f.area));
  out->set_severity(static_cast<v1::Severity>(f.severity));
  out->set_description(f.description);
  out->set_deadline_date(f.deadline_date);
  out->set_status(static_cast<v1::FindingStatus>(f.status));
  out->set_rectification(f.rectification);
  out->set_rectified_on(f.rectified_on);
  out->set_review_note(f.review_note);
  out->set_overdue(f.overdue);
}

void ToProto(const Visit& v, v1::Visit* out) {
  out->set_visit_id(v.visit_id);
  out->set_village_id(v.village_id);
  out->set_town_id(v.town_id);
  out->set_inspector_user_id(v.inspector_user_id);
  out->set_visit_date(v.visit_date);
  for (const Check& c : v.checks) {
    v1::Check* check = out->add_checks();
    check->set_area(static_cast<v1::CheckArea>(c.area));
    check->set_result(static_cast<v1::CheckResult>(c.result));
    check->set_note(c.note);
  }
  out->set_summary(v.summary);
  out->set_status(static_cast<v1::VisitStatus>(v.status));
  for (const Finding& f : v.findings) ToProto(f, out->add_findings());
  out->set_closed_on(v.closed_on);
}

void ToProto(const Notice& n, v1::Notice* out) {
  out->set_notice_id(n.notice_id);
  out->set_town_id(n.town_id);
  out->set_title(n.title);
  out->set_body(n.body);
  for (const Finding& f : n.findings) ToProto(f, out->add_findings());
  out->set_issued_by_user_id(n.issued_by_user_id);
  out->set_issued_on(n.issued_on);
}

void ToProto(const TownDocument& document, v1::TownDocument* out) {
  out->set_town_id(document.town_id);
  out->set_year(document.year);
  out->set_document_number(document.document_number);
  out->set_title(document.title);
  out->set_issued_date(document.issued_date);
  out->set_recorded_by_user_id(document.recorded_by_user_id);
  out->set_on_time(document.on_time);
}

void ToProto(const GovernanceModel& m, v1::GovernanceModel* out) {
  out->set_village_id(m.village_id);
  out->set_kind(static_cast<v1::ModelKind>(m.kind));
  out->set_name(m.name);
  out->set_since_date(m.since_date);
  out->set_recorded_by_user_id(m.recorded_by_user_id);
}

void ToProto(const Flag& flag, v1::Flag* out) {
  out->set_flag_id(flag.flag_id);
  out->set_village_id(flag.draft.village_id);
  out->set_rule(flag.draft.rule);
  out->set_subject(flag.draft.subject);
  out->set_summary(flag.draft.summary);
  for (const std::string& evidence : flag.draft.evidence) out->add_evidence(evidence);
  out->set_raised_at_ms(flag.raised_at_ms);
  out->set_reviewed(flag.reviewed);
  out->set_review_note(flag.review_note);
}

}  // namespace

Actor SupervisionServiceImpl::ActorOf(const auth::Caller& caller) const {
  Actor actor;
  actor.user_id = caller.user_id;
  actor.role = std::string(auth::RoleName(caller.role));
  actor.request_id = caller.request_id;  // the id the call's log line has, made up if none came
  actor.now_ms = absl::ToUnixMillis(clock_());
  return actor;
}

grpc::Status SupervisionServiceImpl::RegisterVillage(grpc::ServerContext* context,
                                                     const v1::RegisterVillageRequest* request,
                                                     v1::VillageInfo* response) {
  return calls_.Serve(context, "RegisterVillage", [&](const auth::Caller& caller) -> absl::Status {
    VillageInfo village{request->village().village_id(), request->village().town_id(),
                        request->village().name()};
    ASSIGN_OR_RETURN(VillageInfo stored,
                     supervision_.RegisterVillage(caller, ActorOf(caller), village));
    response->set_village_id(stored.village_id);
    response->set_town_id(stored.town_id);
    response->set_name(stored.name);
    return absl::OkStatus();
  });
}

grpc::Status SupervisionServiceImpl::CreateVisit(grpc::ServerContext* context,
                                                 const v1::CreateVisitRequest* request,
                                                 v1::Visit* response) {
  return calls_.Serve(context, "CreateVisit", [&](const auth::Caller& caller) -> absl::Status {
    Visit visit;
    visit.client_visit_id = request->client_visit_id();
    visit.village_id = request->village_id();
    visit.visit_date = request->visit_date();
    visit.summary = request->summary();
    for (const v1::Check& c : request->checks()) {
      visit.checks.push_back(
          {static_cast<CheckArea>(c.area()), static_cast<CheckResult>(c.result()), c.note()});
    }
    ASSIGN_OR_RETURN(Visit stored,
                     supervision_.CreateVisit(caller, ActorOf(caller), visit));
    ToProto(stored, response);
    return absl::OkStatus();
  });
}

grpc::Status SupervisionServiceImpl::GetVisit(grpc::ServerContext* context,
                                              const v1::GetVisitRequest* request,
                                              v1::Visit* response) {
  return calls_.Serve(context, "GetVisit", [&](const auth::Caller& caller) -> absl::Status {
    ASSIGN_OR_RETURN(Visit visit, supervision_.GetVisit(caller, request->visit_id()));
    ToProto(visit, response);
    return absl::OkStatus();
  });
}

grpc::Status SupervisionServiceImpl::ListVisits(grpc::ServerContext* context,
                                                const v1::ListVisitsRequest* request,
                                                v1::ListVisitsResponse* response) {
  return calls_.Serve(context, "ListVisits", [&](const auth::Caller& caller) -> absl::Status {
    VisitFilter filter;
    filter.status = static_cast<VisitStatus>(request->status());
    filter.before_visit_id = request->before_visit_id();
    filter.limit = request->page_size();
    ASSIGN_OR_RETURN(
        std::vector<Visit> visits,
        supervision_.ListVisits(caller, request->village_id(), request->town_id(), filter));
    for (const Visit& visit : visits) ToProto(visit, response->add_visits());
    const int limit = request->page_size() == 0 ? 50 : request->page_size();
    if (static_cast<int>(visits.size()) == limit) {
      response->set_next_before_visit_id(visits.back().visit_id);
    }
    return absl::OkStatus();
  });
}

grpc::Status SupervisionServiceImpl::AddFinding(grpc::ServerContext* context,
                                                const v1::AddFindingRequest* request,
                                                v1::Finding* response) {
  return calls_.Serve(context, "AddFinding", [&](const auth::Caller& caller) -> absl::Status {
    Finding finding;
    finding.visit_id = request->visit_id();
    finding.area = static_cast<CheckArea>(request->area());
    finding.severity = static_cast<Severity>(request->severity());
    finding.description = request->description();
    finding.deadline_date = request->deadline_date();
    ASSIGN_OR_RETURN(Finding stored,
                     supervision_.AddFinding(caller, ActorOf(caller), finding));
    ToProto(stored, response);
    return absl::OkStatus();
  });
}

grpc::Status SupervisionServiceImpl::RecordRectification(
    grpc::ServerContext* context, const v1::RecordRectificationRequest* request,
    v1::Finding* response) {
  return calls_.Serve(
      context, "RecordRectification", [&](const auth::Caller& caller) -> absl::Status {
        ASSIGN_OR_RETURN(Finding stored, supervision_.RecordRectification(
                                             caller, ActorOf(caller),
                                             request->finding_id(), request->rectification()));
        ToProto(stored, response);
        return absl::OkStatus();
      });
}

grpc::Status SupervisionServiceImpl::ReviewRectification(
    grpc::ServerContext* context, const v1::ReviewRectificationRequest* request,
    v1::Finding* response) {
  return calls_.Serve(
      context, "ReviewRectification", [&](const auth::Caller& caller) -> absl::Status {
        ASSIGN_OR_RETURN(Finding stored,
                         supervision_.ReviewRectification(caller, ActorOf(caller),
                                                          request->finding_id(), request->accept(),
                                                          request->note()));
        ToProto(stored, response);
        return absl::OkStatus();
      });
}

grpc::Status SupervisionServiceImpl::CloseVisit(grpc::ServerContext* context,
                                                const v1::CloseVisitRequest* request,
                                                v1::Visit* response) {
  return calls_.Serve(context, "CloseVisit", [&](const auth::Caller& caller) -> absl::Status {
    ASSIGN_OR_RETURN(Visit visit, supervision_.CloseVisit(caller, ActorOf(caller),
                                                          request->visit_id()));
    ToProto(visit, response);
    return absl::OkStatus();
  });
}

grpc::Status SupervisionServiceImpl::ListFindings(grpc::ServerContext* context,
                                                  const v1::ListFindingsRequest* request,
                                                  v1::ListFindingsResponse* response) {
  return calls_.Serve(context, "ListFindings", [&](const auth::Caller& caller) -> absl::Status {
    FindingFilter filter;
    filter.status = static_cast<FindingStatus>(request->status());
    filter.limit = request->page_size();
    ASSIGN_OR_RETURN(std::vector<Finding> findings,
                     supervision_.ListFindings(caller, request->village_id(), request->town_id(),
                                               filter, request->overdue_only()));
    for (const Finding& finding : findings) ToProto(finding, response->add_findings());
    return absl::OkStatus();
  });
}

grpc::Status SupervisionServiceImpl::IssueNotice(grpc::ServerContext* context,
                                                 const v1::IssueNoticeRequest* request,
                                                 v1::Notice* response) {
  return calls_.Serve(context, "IssueNotice", [&](const auth::Caller& caller) -> absl::Status {
    Notice notice;
    notice.town_id = request->town_id();
    notice.title = request->title();
    notice.body = request->body();
    notice.finding_ids.assign(request->finding_ids().begin(), request->finding_ids().end());
    ASSIGN_OR_RETURN(Notice stored,
                     supervision_.IssueNotice(caller, ActorOf(caller), notice));
    ToProto(stored, response);
    return absl::OkStatus();
  });
}

grpc::Status SupervisionServiceImpl::ListNotices(grpc::ServerContext* context,
                                                 const v1::ListNoticesRequest* request,
                                                 v1::ListNoticesResponse* response) {
  return calls_.Serve(context, "ListNotices", [&](const auth::Caller& caller) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<Notice> notices,
                     supervision_.ListNotices(caller, request->town_id()));
    for (const Notice& notice : notices) ToProto(notice, response->add_notices());
    return absl::OkStatus();
  });
}

grpc::Status SupervisionServiceImpl::SetGovernanceModel(
    grpc::ServerContext* context, const v1::SetGovernanceModelRequest* request,
    v1::GovernanceModel* response) {
  return calls_.Serve(
      context, "SetGovernanceModel", [&](const auth::Caller& caller) -> absl::Status {
        GovernanceModel model;
        model.village_id = request->model().village_id();
        model.kind = static_cast<ModelKind>(request->model().kind());
        model.name = request->model().name();
        model.since_date = request->model().since_date();
        ASSIGN_OR_RETURN(GovernanceModel stored,
                         supervision_.SetGovernanceModel(caller, ActorOf(caller), model));
        ToProto(stored, response);
        return absl::OkStatus();
      });
}

grpc::Status SupervisionServiceImpl::ListGovernanceModels(
    grpc::ServerContext* context, const v1::ListGovernanceModelsRequest* request,
    v1::ListGovernanceModelsResponse* response) {
  return calls_.Serve(
      context, "ListGovernanceModels", [&](const auth::Caller& caller) -> absl::Status {
        ASSIGN_OR_RETURN(std::vector<GovernanceModel> models,
                         supervision_.ListGovernanceModels(caller, request->village_id()));
        for (const GovernanceModel& model : models) ToProto(model, response->add_models());
        return absl::OkStatus();
      });
}

grpc::Status SupervisionServiceImpl::GetModelCoverage(grpc::ServerContext* context,
                                                      const v1::GetModelCoverageRequest* request,
                                                      v1::GetModelCoverageResponse* response) {
  return calls_.Serve(context, "GetModelCoverage", [&](const auth::Caller& caller) -> absl::Status {
    ASSIGN_OR_RETURN(
        std::vector<TownCoverage> towns,
        supervision_.GetModelCoverage(caller, request->as_of_date(), request->town_id()));
    for (const TownCoverage& town : towns) {
      v1::TownCoverage* out = response->add_towns();
      out->set_town_id(town.town_id);
      out->set_villages(town.villages);
      out->set_villages_with_model(town.villages_with_model);
      out->set_share_permille(town.share_permille);
      out->set_meets_target(town.meets_target);
      out->set_documents(town.documents);
      out->set_document_by_deadline(town.document_by_deadline);
    }
    return absl::OkStatus();
  });
}

grpc::Status SupervisionServiceImpl::RecordTownDocument(
    grpc::ServerContext* context, const v1::RecordTownDocumentRequest* request,
    v1::TownDocument* response) {
  return calls_.Serve(
      context, "RecordTownDocument", [&](const auth::Caller& caller) -> absl::Status {
        const v1::TownDocument& in = request->document();
        TownDocument document;
        document.town_id = in.town_id();
        document.year = in.year();
        document.document_number = in.document_number();
        document.title = in.title();
        document.issued_date = in.issued_date();
        ASSIGN_OR_RETURN(
            const TownDocument stored,
            supervision_.RecordTownDocument(caller, ActorOf(caller), document));
        ToProto(stored, response);
        return absl::OkStatus();
      });
}

grpc::Status SupervisionServiceImpl::ListTownDocuments(grpc::ServerContext* context,
                                                       const v1::ListTownDocumentsRequest* request,
                                                       v1::ListTownDocumentsResponse* response) {
  return calls_.Serve(
      context, "ListTownDocuments", [&](const auth::Caller& caller) -> absl::Status {
        ASSIGN_OR_RETURN(
            const std::vector<TownDocument> documents,
            supervision_.ListTownDocuments(caller, request->town_id(), request->year()));
        for (const TownDocument& document : documents) {
          ToProto(document, response->add_documents());
        }
        return absl::OkStatus();
      });
}

grpc::Status SupervisionServiceImpl::ListFlags(grpc::ServerContext* context,
                                               const v1::ListFlagsRequest* request,
                                               v1::ListFlagsResponse* response) {
  return calls_.Serve(context, "ListFlags", [&](const auth::Caller& caller) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<Flag> flags,
                     supervision_.ListFlags(caller, request->village_id(), request->town_id(),
                                            request->include_reviewed(), request->page_size()));
    for (const Flag& flag : flags) ToProto(flag, response->add_flags());
    return absl::OkStatus();
  });
}

grpc::Status SupervisionServiceImpl::ReviewFlag(grpc::ServerContext* context,
                                                const v1::ReviewFlagRequest* request,
                                                v1::Flag* response) {
  return calls_.Serve(context, "ReviewFlag", [&](const auth::Caller& caller) -> absl::Status {
    ASSIGN_OR_RETURN(Flag flag, supervision_.ReviewFlag(caller, ActorOf(caller),
                                                        request->flag_id(), request->note()));
    ToProto(flag, response);
    return absl::OkStatus();
  });
}

grpc::Status SupervisionServiceImpl::RunChecks(grpc::ServerContext* context,
                                               const v1::RunChecksRequest* request,
                                               v1::RunChecksResponse* response) {
  return calls_.Serve(context, "RunChecks", [&](const auth::Caller& caller) -> absl::Status {
    ASSIGN_OR_RETURN(
        Supervision::ChecksOutcome outcome,
        supervision_.RunChecks(caller, ActorOf(caller), request->after_sequence()));
    response->set_records_examined(outcome.records_examined);
    response->set_flags_raised(outcome.flags_raised);
    return absl::OkStatus();
  });
}

grpc::Status SupervisionServiceImpl::GetDashboard(grpc::ServerContext* context,
                                                  const v1::GetDashboardRequest* request,
                                                  v1::Dashboard* response) {
  return calls_.Serve(context, "GetDashboard", [&](const auth::Caller& caller) -> absl::Status {
    ASSIGN_OR_RETURN(Dashboard dashboard,
                     supervision_.GetDashboard(caller, request->town_id(), request->village_id()));
    response->set_villages(dashboard.villages);
    response->set_visits(dashboard.visits);
    response->set_open_findings(dashboard.open_findings);
    response->set_overdue_findings(dashboard.overdue_findings);
    response->set_open_flags(dashboard.open_flags);
    response->set_audit_records(dashboard.audit_records);
    response->set_villages_with_model(dashboard.villages_with_model);
    response->set_model_share_permille(dashboard.model_share_permille);
    response->set_computed_at_ms(dashboard.computed_at_ms);
    ASSIGN_OR_RETURN(
        DashboardFigures figures,
        figures_.Figures(caller, request->town_id(), request->village_id(), request->year()));
    FiguresToProto(figures, response);
    return absl::OkStatus();
  });
}

}  // namespace jifen::audit
