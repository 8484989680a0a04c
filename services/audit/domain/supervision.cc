#include "services/audit/domain/supervision.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status/status_macros.h"
#include "common/text/text.h"
#include "services/audit/domain/checks.h"
#include "services/audit/domain/trail.h"

namespace jifen::audit {
namespace {

constexpr size_t kMaxCharsShort = 64;

// Lengths are limited in characters (as the columns are). Text that is required must say
// something: spaces alone, the full-width ones of a Chinese input method included, do not.
absl::Status CheckText(absl::string_view field, const std::string& value, size_t min, size_t max) {
  const int n = text::Utf8Length(value);
  if (n < 0 || static_cast<size_t>(n) < min || static_cast<size_t>(n) > max ||
      (min > 0 && text::IsBlank(value))) {
    return absl::InvalidArgumentError(absl::StrCat(field, " must have ", min, "..", max,
                                                   min > 0 ? " characters, not blank" : " characters"));
  }
  return absl::OkStatus();
}

absl::Status CheckDate(absl::string_view field, const std::string& date) {
  absl::Time ignored;
  absl::Status parsed = ParseDate(date, &ignored);
  if (!parsed.ok()) return absl::InvalidArgumentError(absl::StrCat(field, ": ", parsed.message()));
  return absl::OkStatus();
}

bool ValidArea(CheckArea area) { return area >= CheckArea::kScoring && area <= CheckArea::kLedger; }

absl::Status RequireRole(const auth::Caller& caller, auth::Role role) {
  if (caller.role != role) {
    return absl::PermissionDeniedError(absl::StrCat("only ", auth::RoleName(role)));
  }
  return absl::OkStatus();
}

}  // namespace

std::string PolicyModelName(ModelKind kind) {
  switch (kind) {
    case ModelKind::kHomeAutonomyFund:
      return "家园自治金";
    case ModelKind::kRedProperty:
      return "红色物业";
    case ModelKind::kVolunteerSelfGovernance:
      return "志愿者自治";
    case ModelKind::kYishoubanMiniProgram:
      return "\"一手办\"小程序";
    case ModelKind::kOnePlusNLink:
      return "1+N Link链家";
    case ModelKind::kRedPropertySteward:
      return "红色物业+户管家";
    default:
      return "";
  }
}

std::string StateText(const Finding& f) {
  return absl::StrCat("finding ", f.finding_id, " visit=", f.visit_id, " village=", f.village_id,
                      " area=", static_cast<int>(f.area),
                      " severity=", static_cast<int>(f.severity), " deadline=", f.deadline_date,
                      " status=", static_cast<int>(f.status), " rectified_on=", f.rectified_on,
                      " description=", f.description, " rectification=", f.rectification,
                      " review_note=", f.review_note);
}

std::string StateText(const Visit& v) {
  std::vector<std::string> checks;
  for (const Check& c : v.checks) {
    checks.push_back(absl::StrCat(static_cast<int>(c.area), ":", static_cast<int>(c.result)));
  }
  return absl::StrCat("visit ", v.visit_id, " village=", v.village_id, " date=", v.visit_date,
                      " inspector=", v.inspector_user_id, " status=", static_cast<int>(v.status),
                      " closed_on=", v.closed_on, " checks=", absl::StrJoin(checks, ","),
                      " summary=", v.summary);
}

void ComputeShare(TownCoverage& c) {
  c.share_permille = c.villages == 0 ? 0 : c.villages_with_model * 1000 / c.villages;
  // "At least 50%": compare exactly, not through the rounded-down per mille.
  c.meets_target = c.villages > 0 && c.villages_with_model * 2 >= c.villages;
}

void MarkOverdue(const std::string& today, Finding& finding) {
  finding.overdue = finding.status != FindingStatus::kClosed && finding.deadline_date < today;
}

absl::Status ValidateNewVisit(const Visit& visit, const std::string& today) {
  RETURN_IF_ERROR(CheckText("client_visit_id", visit.client_visit_id, 1, kMaxCharsShort));
  if (visit.village_id <= 0) return absl::InvalidArgumentError("village_id is required");
  RETURN_IF_ERROR(CheckDate("visit_date", visit.visit_date));
  if (visit.visit_date > today) return absl::InvalidArgumentError("visit_date is in the future");
  RETURN_IF_ERROR(CheckText("summary", visit.summary, 0, 2000));
  absl::flat_hash_set<int> areas;
  for (const Check& check : visit.checks) {
    if (!ValidArea(check.area)) return absl::InvalidArgumentError("check area is required");
    if (check.result != CheckResult::kPass && check.result != CheckResult::kFail) {
      return absl::InvalidArgumentError("check result is required");
    }
    if (!areas.insert(static_cast<int>(check.area)).second) {
      return absl::InvalidArgumentError("each check area at most once per visit");
    }
    RETURN_IF_ERROR(CheckText("check note", check.note, 0, 1000));
  }
  return absl::OkStatus();
}

absl::Status ValidateNewFinding(const Visit& visit, const Finding& finding) {
  if (visit.status != VisitStatus::kOpen) {
    return absl::FailedPreconditionError("the visit is closed");
  }
  if (!ValidArea(finding.area)) return absl::InvalidArgumentError("area is required");
  if (finding.severity < Severity::kMinor || finding.severity > Severity::kSerious) {
    return absl::InvalidArgumentError("severity is required");
  }
  RETURN_IF_ERROR(CheckText("description", finding.description, 1, 2000));
  RETURN_IF_ERROR(CheckDate("deadline_date", finding.deadline_date));
  if (finding.deadline_date < visit.visit_date) {
    return absl::InvalidArgumentError("deadline_date is before the visit");
  }
  return absl::OkStatus();
}

absl::Status RecordRectification(const std::string& text, const std::string& today,
                                 Finding& finding) {
  if (finding.status != FindingStatus::kOpen) {
    return absl::FailedPreconditionError("the finding is not open");
  }
  RETURN_IF_ERROR(CheckText("rectification", text, 1, 2000));
  finding.rectification = text;
  finding.rectified_on = today;
  finding.status = FindingStatus::kRectified;
  return absl::OkStatus();
}

absl::Status ReviewRectification(bool accept, const std::string& note, Finding& finding) {
  if (finding.status != FindingStatus::kRectified) {
    return absl::FailedPreconditionError("no rectification waits for review");
  }
  RETURN_IF_ERROR(CheckText("note", note, accept ? 0 : 1, 2000));
  finding.review_note = note;
  finding.status = accept ? FindingStatus::kClosed : FindingStatus::kOpen;
  return absl::OkStatus();
}

absl::Status CloseVisit(const std::string& today, Visit& visit) {
  if (visit.status == VisitStatus::kClosed) return absl::OkStatus();  // a retry
  const int64_t unresolved =
      std::count_if(visit.findings.begin(), visit.findings.end(),
                    [](const Finding& f) { return f.status != FindingStatus::kClosed; });
  if (unresolved > 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(unresolved, " finding(s) of the visit are not closed"));
  }
  visit.status = VisitStatus::kClosed;
  visit.closed_on = today;
  return absl::OkStatus();
}

absl::Status ValidateModel(GovernanceModel& model, const std::string& today) {
  if (model.village_id <= 0) return absl::InvalidArgumentError("village_id is required");
  if (model.kind < ModelKind::kHomeAutonomyFund || model.kind > ModelKind::kOwn) {
    return absl::InvalidArgumentError("kind is required");
  }
  if (model.kind == ModelKind::kOwn) {
    RETURN_IF_ERROR(CheckText("name", model.name, 1, 100));
  } else {
    model.name = PolicyModelName(model.kind);
  }
  RETURN_IF_ERROR(CheckDate("since_date", model.since_date));
  return absl::OkStatus();
}

absl::Status ValidateTownDocument(TownDocument& document, const std::string& today) {
  if (document.town_id <= 0) return absl::InvalidArgumentError("town_id is required");
  if (document.year < 2000 || document.year > 2100) {
    return absl::InvalidArgumentError("year must be between 2000 and 2100");
  }
  RETURN_IF_ERROR(CheckText("document_number", document.document_number, 1, 64));
  RETURN_IF_ERROR(CheckText("title", document.title, 1, 200));
  RETURN_IF_ERROR(CheckDate("issued_date", document.issued_date));
  if (document.issued_date.substr(0, 4) != absl::StrCat(document.year)) {
    return absl::InvalidArgumentError(
        absl::StrCat("issued_date ", document.issued_date, " is not in year ", document.year));
  }
  if (document.issued_date > today) {
    return absl::InvalidArgumentError("issued_date is in the future");
  }
  document.on_time = IssuedByDeadline(document);
  return absl::OkStatus();
}

bool IssuedByDeadline(const TownDocument& document) {
  return document.issued_date <= absl::StrCat(document.year, "-05-31");
}

std::string Supervision::Today() const { return DateOf(clock_()); }

absl::StatusOr<std::vector<int64_t>> Supervision::ScopeFor(const auth::Caller& caller,
                                                           int64_t village_id, int64_t town_id) {
  if (village_id != 0 || town_id == 0) return ReadableVillages(caller, village_id, directory_);
  if (town_id < 0) return absl::InvalidArgumentError("town_id must be >= 0");
  if (caller.role == auth::Role::kTownOfficial && caller.town_id != town_id) {
    return absl::PermissionDeniedError("town outside the caller's scope");
  }
  if (!caller.IsDistrict() && caller.role != auth::Role::kTownOfficial) {
    return ReadableVillages(caller, 0, directory_);  // village admins: their own village only
  }
  ASSIGN_OR_RETURN(std::vector<int64_t> villages, directory_.VillagesOf(town_id));
  if (villages.empty()) villages.push_back(-1);  // matches nothing
  return villages;
}

absl::StatusOr<VillageInfo> Supervision::RegisterVillage(const auth::Caller& caller,
                                                         const Actor& actor,
                                                         const VillageInfo& village) {
  if (!caller.IsService() && caller.role != auth::Role::kDistrictOfficial) {
    return absl::PermissionDeniedError("services and district officials register villages");
  }
  if (village.village_id <= 0 || village.town_id <= 0) {
    return absl::InvalidArgumentError("village_id and town_id are required");
  }
  RETURN_IF_ERROR(CheckText("name", village.name, 1, kMaxCharsShort));
  RETURN_IF_ERROR(repository_.UpsertVillage(village, actor));
  return village;
}

absl::StatusOr<Visit> Supervision::CreateVisit(const auth::Caller& caller, const Actor& actor,
                                               Visit visit) {
  RETURN_IF_ERROR(RequireRole(caller, auth::Role::kDistrictInspector));
  RETURN_IF_ERROR(ValidateNewVisit(visit, Today()));
  ASSIGN_OR_RETURN(std::optional<int64_t> town, directory_.TownOf(visit.village_id));
  if (!town.has_value()) {
    return absl::FailedPreconditionError("the village is not registered with the audit service");
  }
  visit.town_id = *town;
  visit.inspector_user_id = caller.user_id;
  visit.status = VisitStatus::kOpen;
  ASSIGN_OR_RETURN(Visit stored, repository_.InsertVisit(visit, actor));
  if (stored.village_id != visit.village_id || stored.visit_date != visit.visit_date) {
    return absl::AlreadyExistsError("client_visit_id was used for another visit");
  }
  return stored;
}

absl::StatusOr<Visit> Supervision::GetVisit(const auth::Caller& caller, int64_t visit_id) {
  ASSIGN_OR_RETURN(std::optional<Visit> visit, repository_.GetVisit(visit_id));
  if (!visit.has_value()) return absl::NotFoundError("no such visit");
  RETURN_IF_ERROR(CheckVillageAccess(caller, visit->village_id, directory_));
  const std::string today = Today();
  for (Finding& finding : visit->findings) MarkOverdue(today, finding);
  return *visit;
}

absl::StatusOr<std::vector<Visit>> Supervision::ListVisits(const auth::Caller& caller,
                                                           int64_t village_id, int64_t town_id,
                                                           VisitFilter filter) {
  ASSIGN_OR_RETURN(filter.village_ids, ScopeFor(caller, village_id, town_id));
  if (filter.limit < 0 || filter.limit > 200) {
    return absl::InvalidArgumentError("page_size must be 1..200");
  }
  if (filter.limit == 0) filter.limit = 50;
  return repository_.ListVisits(filter);
}

absl::StatusOr<Finding> Supervision::AddFinding(const auth::Caller& caller, const Actor& actor,
                                                Finding finding) {
  RETURN_IF_ERROR(RequireRole(caller, auth::Role::kDistrictInspector));
  finding.status = FindingStatus::kOpen;
  ASSIGN_OR_RETURN(Finding added,
                   repository_.InsertFinding(finding, actor, [&finding](const Visit& visit) {
                     return ValidateNewFinding(visit, finding);
                   }));
  // Answered as every read answers it: a deadline already past is overdue from the start.
  MarkOverdue(Today(), added);
  return added;
}

absl::StatusOr<Finding> Supervision::RecordRectification(const auth::Caller& caller,
                                                         const Actor& actor, int64_t finding_id,
                                                         const std::string& text) {
  RETURN_IF_ERROR(RequireRole(caller, auth::Role::kVillageAdmin));
  const std::string today = Today();
  ASSIGN_OR_RETURN(Finding finding,
                   repository_.UpdateFinding(finding_id, actor, "rectify", [&](Finding& f) {
                     if (f.village_id != caller.village_id) {
                       return absl::PermissionDeniedError("finding outside the caller's village");
                     }
                     return audit::RecordRectification(text, today, f);
                   }));
  MarkOverdue(today, finding);
  return finding;
}

absl::StatusOr<Finding> Supervision::ReviewRectification(const auth::Caller& caller,
                                                         const Actor& actor, int64_t finding_id,
                                                         bool accept, const std::string& note) {
  RETURN_IF_ERROR(RequireRole(caller, auth::Role::kDistrictInspector));
  ASSIGN_OR_RETURN(Finding finding,
                   repository_.UpdateFinding(
                       finding_id, actor, accept ? "accept_rectification" : "reject_rectification",
                       [&](Finding& f) { return audit::ReviewRectification(accept, note, f); }));
  MarkOverdue(Today(), finding);
  return finding;
}

absl::StatusOr<Visit> Supervision::CloseVisit(const auth::Caller& caller, const Actor& actor,
                                              int64_t visit_id) {
  RETURN_IF_ERROR(RequireRole(caller, auth::Role::kDistrictInspector));
  const std::string today = Today();
  return repository_.UpdateVisit(visit_id, actor, "close",
                                 [&](Visit& visit) { return audit::CloseVisit(today, visit); });
}

absl::StatusOr<std::vector<Finding>> Supervision::ListFindings(const auth::Caller& caller,
                                                               int64_t village_id, int64_t town_id,
                                                               FindingFilter filter,
                                                               bool overdue_only) {
  ASSIGN_OR_RETURN(filter.village_ids, ScopeFor(caller, village_id, town_id));
  if (filter.limit < 0 || filter.limit > 500) {
    return absl::InvalidArgumentError("page_size must be 1..500");
  }
  if (filter.limit == 0) filter.limit = 100;
  const std::string today = Today();
  if (overdue_only) filter.deadline_before = today;
  ASSIGN_OR_RETURN(std::vector<Finding> findings, repository_.ListFindings(filter));
  for (Finding& finding : findings) MarkOverdue(today, finding);
  return findings;
}

absl::StatusOr<Notice> Supervision::IssueNotice(const auth::Caller& caller, const Actor& actor,
                                                Notice notice) {
  RETURN_IF_ERROR(RequireRole(caller, auth::Role::kDistrictInspector));
  if (notice.town_id <= 0) return absl::InvalidArgumentError("town_id is required");
  RETURN_IF_ERROR(CheckText("title", notice.title, 1, 200));
  RETURN_IF_ERROR(CheckText("body", notice.body, 0, 10000));
  if (notice.finding_ids.empty() || notice.finding_ids.size() > 200) {
    return absl::InvalidArgumentError("a notice lists 1..200 findings");
  }
  absl::flat_hash_set<int64_t> unique(notice.finding_ids.begin(), notice.finding_ids.end());
  if (unique.size() != notice.finding_ids.size()) {
    return absl::InvalidArgumentError("a finding is listed twice");
  }
  for (int64_t finding_id : notice.finding_ids) {
    ASSIGN_OR_RETURN(std::optional<Finding> finding, repository_.GetFinding(finding_id));
    if (!finding.has_value()) {
      return absl::NotFoundError(absl::StrCat("no finding ", finding_id));
    }
    if (finding->town_id != notice.town_id) {
      return absl::InvalidArgumentError(
          absl::StrCat("finding ", finding_id, " is not in a village of that town"));
    }
    notice.findings.push_back(*finding);
  }
  notice.issued_by_user_id = caller.user_id;
  notice.issued_on = Today();
  ASSIGN_OR_RETURN(Notice issued, repository_.InsertNotice(notice, actor));
  for (Finding& finding : issued.findings) MarkOverdue(notice.issued_on, finding);
  return issued;
}

absl::StatusOr<std::vector<Notice>> Supervision::ListNotices(const auth::Caller& caller,
                                                             int64_t town_id) {
  if (caller.role == auth::Role::kTownOfficial) {
    if (town_id != 0 && town_id != caller.town_id) {
      return absl::PermissionDeniedError("town outside the caller's scope");
    }
    town_id = caller.town_id;
  } else if (!caller.IsDistrict()) {
    return absl::PermissionDeniedError("notices are for towns and the district");
  }
  ASSIGN_OR_RETURN(std::vector<Notice> notices, repository_.ListNotices(town_id));
  const std::string today = Today();
  for (Notice& notice : notices) {
    for (Finding& finding : notice.findings) MarkOverdue(today, finding);
  }
  return notices;
}

absl::StatusOr<GovernanceModel> Supervision::SetGovernanceModel(const auth::Caller& caller,
                                                                const Actor& actor,
                                                                GovernanceModel model) {
  if (caller.role != auth::Role::kVillageAdmin && caller.role != auth::Role::kTownOfficial) {
    return absl::PermissionDeniedError("village admins and town officials record models");
  }
  RETURN_IF_ERROR(ValidateModel(model, Today()));
  RETURN_IF_ERROR(CheckVillageAccess(caller, model.village_id, directory_));
  ASSIGN_OR_RETURN(std::optional<int64_t> town, directory_.TownOf(model.village_id));
  if (!town.has_value()) {
    return absl::FailedPreconditionError("the village is not registered with the audit service");
  }
  model.recorded_by_user_id = caller.user_id;
  return repository_.UpsertModel(model, actor);
}

absl::StatusOr<std::vector<GovernanceModel>> Supervision::ListGovernanceModels(
    const auth::Caller& caller, int64_t village_id) {
  RETURN_IF_ERROR(CheckVillageAccess(caller, village_id, directory_));
  return repository_.ListModels(village_id);
}

absl::StatusOr<std::vector<TownCoverage>> Supervision::GetModelCoverage(const auth::Caller& caller,
                                                                        std::string as_of_date,
                                                                        int64_t town_id) {
  if (caller.role == auth::Role::kTownOfficial) {
    if (town_id != 0 && town_id != caller.town_id) {
      return absl::PermissionDeniedError("town outside the caller's scope");
    }
    town_id = caller.town_id;
  } else if (!caller.IsDistrict()) {
    return absl::PermissionDeniedError("coverage is for towns and the district");
  }
  if (as_of_date.empty()) as_of_date = Today();
  RETURN_IF_ERROR(CheckDate("as_of_date", as_of_date));
  ASSIGN_OR_RETURN(std::vector<TownCoverage> towns, repository_.CountCoverage(as_of_date, town_id));
  int year = 0;
  if (!absl::SimpleAtoi(as_of_date.substr(0, 4), &year)) {
    return absl::InvalidArgumentError("as_of_date must be YYYY-MM-DD");
  }
  ASSIGN_OR_RETURN(std::vector<TownDocument> documents,
                   repository_.ListTownDocuments(town_id, year));
  for (TownCoverage& town : towns) {
    ComputeShare(town);
    for (const TownDocument& document : documents) {
      if (document.town_id != town.town_id) continue;
      ++town.documents;
      town.document_by_deadline = town.document_by_deadline || IssuedByDeadline(document);
    }
  }
  return towns;
}

absl::StatusOr<TownDocument> Supervision::RecordTownDocument(const auth::Caller& caller,
                                                             const Actor& actor,
                                                             TownDocument document) {
  if (caller.role == auth::Role::kTownOfficial) {
    if (document.town_id != caller.town_id) {
      return absl::PermissionDeniedError("a town official records their own town's documents");
    }
  } else if (caller.role != auth::Role::kDistrictOfficial) {
    return absl::PermissionDeniedError("town officials and district officials record documents");
  }
  RETURN_IF_ERROR(ValidateTownDocument(document, Today()));
  document.recorded_by_user_id = caller.user_id;
  return repository_.InsertTownDocument(document, actor);
}

absl::StatusOr<std::vector<TownDocument>> Supervision::ListTownDocuments(const auth::Caller& caller,
                                                                         int64_t town_id,
                                                                         int year) {
  if (caller.role == auth::Role::kTownOfficial) {
    if (town_id != 0 && town_id != caller.town_id) {
      return absl::PermissionDeniedError("town outside the caller's scope");
    }
    town_id = caller.town_id;
  } else if (!caller.IsDistrict()) {
    return absl::PermissionDeniedError("town documents are for towns and the district");
  }
  if (year < 2000 || year > 2100) {
    return absl::InvalidArgumentError("year must be between 2000 and 2100");
  }
  ASSIGN_OR_RETURN(std::vector<TownDocument> documents,
                   repository_.ListTownDocuments(town_id, year));
  for (TownDocument& document : documents) document.on_time = IssuedByDeadline(document);
  return documents;
}

absl::StatusOr<Dashboard> Supervision::GetDashboard(const auth::Caller& caller, int64_t town_id,
                                                    int64_t village_id) {
  ASSIGN_OR_RETURN(std::vector<int64_t> villages, ScopeFor(caller, village_id, town_id));
  ASSIGN_OR_RETURN(Dashboard dashboard, repository_.CountDashboard(villages, Today()));
  dashboard.model_share_permille =
      dashboard.villages == 0 ? 0 : dashboard.villages_with_model * 1000 / dashboard.villages;
  dashboard.computed_at_ms = absl::ToUnixMillis(clock_());
  return dashboard;
}

absl::StatusOr<std::vector<Flag>> Supervision::ListFlags(const auth::Caller& caller,
                                                         int64_t village_id, int64_t town_id,
                                                         bool include_reviewed, int limit) {
  if (!caller.IsDistrict() && caller.role != auth::Role::kTownOfficial) {
    return absl::PermissionDeniedError("flags are for towns and the district");
  }
  if (limit < 0 || limit > 500) return absl::InvalidArgumentError("page_size must be 1..500");
  ASSIGN_OR_RETURN(std::vector<int64_t> villages, ScopeFor(caller, village_id, town_id));
  return repository_.ListFlags(villages, include_reviewed, limit == 0 ? 100 : limit);
}

absl::StatusOr<Flag> Supervision::ReviewFlag(const auth::Caller& caller, const Actor& actor,
                                             int64_t flag_id, const std::string& note) {
  RETURN_IF_ERROR(RequireRole(caller, auth::Role::kDistrictInspector));
  RETURN_IF_ERROR(CheckText("note", note, 1, 1000));
  return repository_.UpdateFlag(flag_id, actor, [&note](Flag& flag) {
    if (flag.reviewed) return absl::OkStatus();  // a retry keeps the first review
    flag.reviewed = true;
    flag.review_note = note;
    return absl::OkStatus();
  });
}

absl::StatusOr<Supervision::ChecksOutcome> Supervision::RunChecks(const auth::Caller& caller,
                                                                  const Actor& actor,
                                                                  int64_t after_sequence) {
  if (caller.role != auth::Role::kDistrictInspector && !caller.IsService()) {
    return absl::PermissionDeniedError("only district inspectors run the checks");
  }
  if (after_sequence < 0) return absl::InvalidArgumentError("after_sequence must be >= 0");
  ASSIGN_OR_RETURN(CheckRun run, audit::RunChecks(trail_, hasher_, after_sequence));
  ChecksOutcome outcome;
  outcome.records_examined = run.records_examined;
  ASSIGN_OR_RETURN(outcome.flags_raised, repository_.InsertFlags(run.flags, actor));
  return outcome;
}

}  // namespace jifen::audit
