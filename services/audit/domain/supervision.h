// Supervision rules: district visits with checks and findings, rectification and review, notices
// to towns, governance models and their coverage per town, dashboard figures. Plain C++/Abseil;
// enum values equal those of proto/jifen/audit/v1/supervision.proto.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/auth/caller.h"
#include "services/audit/domain/anomaly.h"
#include "services/audit/domain/chain.h"
#include "services/audit/domain/scope.h"
#include "services/audit/domain/trail.h"

namespace jifen::audit {

enum class CheckArea {
  kUnspecified = 0,
  kScoring = 1,
  kPublicity = 2,
  kRedemption = 3,
  kLedger = 4
};
enum class CheckResult { kUnspecified = 0, kPass = 1, kFail = 2 };
enum class Severity { kUnspecified = 0, kMinor = 1, kMajor = 2, kSerious = 3 };
enum class FindingStatus { kUnspecified = 0, kOpen = 1, kRectified = 2, kClosed = 3 };
enum class VisitStatus { kUnspecified = 0, kOpen = 1, kClosed = 2 };
enum class ModelKind {
  kUnspecified = 0,
  kHomeAutonomyFund = 1,
  kRedProperty = 2,
  kVolunteerSelfGovernance = 3,
  kYishoubanMiniProgram = 4,
  kOnePlusNLink = 5,
  kRedPropertySteward = 6,
  kOwn = 7,
};

// The policy's name of a named model ("家园自治金", ...); "" for kOwn/kUnspecified.
std::string PolicyModelName(ModelKind kind);

struct VillageInfo {
  int64_t village_id = 0;
  int64_t town_id = 0;
  std::string name;
};

struct Check {
  CheckArea area = CheckArea::kUnspecified;
  CheckResult result = CheckResult::kUnspecified;
  std::string note;
};

struct Finding {
  int64_t finding_id = 0;
  int64_t visit_id = 0;
  int64_t village_id = 0;
  int64_t town_id = 0;
  CheckArea area = CheckArea::kUnspecified;
  Severity severity = Severity::kUnspecified;
  std::string description;
  std::string deadline_date;
  FindingStatus status = FindingStatus::kOpen;
  std::string rectification;
  std::string rectified_on;
  std::string review_note;
  bool overdue = false;  // computed on read
};

struct Visit {
  int64_t visit_id = 0;
  std::string client_visit_id;
  int64_t village_id = 0;
  int64_t town_id = 0;
  std::string inspector_user_id;
  std::string visit_date;
  std::vector<Check> checks;
  std::string summary;
  VisitStatus status = VisitStatus::kOpen;
  std::vector<Finding> findings;  // filled by GetVisit
  std::string closed_on;
};

struct Notice {
  int64_t notice_id = 0;
  int64_t town_id = 0;
  std::string title;
  std::string body;
  std::vector<int64_t> finding_ids;
  std::vector<Finding> findings;  // filled on read
  std::string issued_by_user_id;
  std::string issued_on;
};

struct GovernanceModel {
  int64_t village_id = 0;
  ModelKind kind = ModelKind::kUnspecified;
  std::string name;
  std::string since_date;
  std::string recorded_by_user_id;
};

struct TownCoverage {
  int64_t town_id = 0;
  int64_t villages = 0;
  int64_t villages_with_model = 0;
  int64_t share_permille = 0;
  bool meets_target = false;
  int64_t documents = 0;              // the town's documents for the year of the coverage date
  bool document_by_deadline = false;  // one of them issued on or before May 31
};

// A town's document implementing the points system for a year; the policy wants it by May 31.
struct TownDocument {
  int64_t town_id = 0;
  int year = 0;
  std::string document_number;
  std::string title;
  std::string issued_date;  // YYYY-MM-DD
  std::string recorded_by_user_id;
  bool on_time = false;  // derived: issued_date <= year-05-31
};

struct Dashboard {
  int64_t villages = 0;
  int64_t visits = 0;
  int64_t open_findings = 0;
  int64_t overdue_findings = 0;
  int64_t open_flags = 0;
  int64_t audit_records = 0;
  int64_t villages_with_model = 0;
  int64_t model_share_permille = 0;
  int64_t computed_at_ms = 0;
};

struct Flag {
  int64_t flag_id = 0;
  FlagDraft draft;
  int64_t raised_at_ms = 0;
  bool reviewed = false;
  std::string review_note;
};

// Who made a change, for the audit record written with it.
struct Actor {
  std::string user_id;
  std::string role;
  std::string request_id;
  int64_t now_ms = 0;
};

// One change's audit facts; the repository chains it in the change's transaction.
struct ChangeNote {
  int64_t village_id = 0;
  std::string action;
  std::string object_type;
  std::string object_id;
  std::string before;  // state text; the repository stores it, or its SHA-256 when long
  std::string after;
};

// A state's text for the trail (stable field order).
std::string StateText(const Finding& finding);
std::string StateText(const Visit& visit);

struct VisitFilter {
  std::vector<int64_t> village_ids;  // empty: all
  VisitStatus status = VisitStatus::kUnspecified;
  int64_t before_visit_id = 0;
  int limit = 50;
};

struct FindingFilter {
  std::vector<int64_t> village_ids;  // empty: all
  FindingStatus status = FindingStatus::kUnspecified;
  std::string deadline_before;  // "" or a date: deadline < this (overdue filter), status != closed
  int limit = 100;
};

class SupervisionRepository {
 public:
  virtual ~SupervisionRepository() = default;
  virtual absl::Status UpsertVillage(const VillageInfo& village, const Actor& actor) = 0;
  // Inserts the visit and its checks; if client_visit_id exists, returns the stored visit instead.
  virtual absl::StatusOr<Visit> InsertVisit(const Visit& visit, const Actor& actor) = 0;
  // With checks and findings. nullopt if unknown.
  virtual absl::StatusOr<std::optional<Visit>> GetVisit(int64_t visit_id) = 0;
  virtual absl::StatusOr<std::vector<Visit>> ListVisits(const VisitFilter& filter) = 0;
  // Locks the visit, calls `allow` with it (rules decide), inserts the finding.
  virtual absl::StatusOr<Finding> InsertFinding(
      const Finding& finding, const Actor& actor,
      const std::function<absl::Status(const Visit&)>& allow) = 0;
  // Locks the finding, lets `mutate` change it (or refuse), writes it back with its audit record.
  virtual absl::StatusOr<Finding> UpdateFinding(
      int64_t finding_id, const Actor& actor, const std::string& action,
      const std::function<absl::Status(Finding&)>& mutate) = 0;
  // Locks the visit (loaded with its findings), lets `mutate` change status/closed_on.
  virtual absl::StatusOr<Visit> UpdateVisit(int64_t visit_id, const Actor& actor,
                                            const std::string& action,
                                            const std::function<absl::Status(Visit&)>& mutate) = 0;
  virtual absl::StatusOr<std::optional<Finding>> GetFinding(int64_t finding_id) = 0;
  virtual absl::StatusOr<std::vector<Finding>> ListFindings(const FindingFilter& filter) = 0;
  virtual absl::StatusOr<Notice> InsertNotice(const Notice& notice, const Actor& actor) = 0;
  // Newest first; town 0: all.
  virtual absl::StatusOr<std::vector<Notice>> ListNotices(int64_t town_id) = 0;
  virtual absl::StatusOr<GovernanceModel> UpsertModel(const GovernanceModel& model,
                                                      const Actor& actor) = 0;
  virtual absl::StatusOr<std::vector<GovernanceModel>> ListModels(int64_t village_id) = 0;
  // ALREADY_EXISTS when (town, year, number) holds other content; the same content is a no-op.
  virtual absl::StatusOr<TownDocument> InsertTownDocument(const TownDocument& document,
                                                          const Actor& actor) = 0;
  // By town, then issued_date; town 0: every town.
  virtual absl::StatusOr<std::vector<TownDocument>> ListTownDocuments(int64_t town_id,
                                                                      int year) = 0;
  // Per town: registered villages, and those with a model since <= as_of_date. Town 0: all.
  virtual absl::StatusOr<std::vector<TownCoverage>> CountCoverage(const std::string& as_of_date,
                                                                  int64_t town_id) = 0;
  // Stores the flags not raised before (same rule, village and subject); returns how many.
  virtual absl::StatusOr<int64_t> InsertFlags(const std::vector<FlagDraft>& flags,
                                              const Actor& actor) = 0;
  // Locks the flag, lets `mutate` change reviewed/review_note, writes it back with its record.
  virtual absl::StatusOr<Flag> UpdateFlag(int64_t flag_id, const Actor& actor,
                                          const std::function<absl::Status(Flag&)>& mutate) = 0;
  // Newest first.
  virtual absl::StatusOr<std::vector<Flag>> ListFlags(const std::vector<int64_t>& village_ids,
                                                      bool include_reviewed, int limit) = 0;
  // Figures over the villages given (empty: the district). `today` decides overdue.
  virtual absl::StatusOr<Dashboard> CountDashboard(const std::vector<int64_t>& village_ids,
                                                   const std::string& today) = 0;
};

// Fills share_permille and meets_target (>= 500 per mille: at least half the villages).
void ComputeShare(TownCoverage& coverage);
// Sets `overdue` (not closed and the deadline before `today`).
void MarkOverdue(const std::string& today, Finding& finding);

// The rules of the finding life cycle (pure; used by Supervision and tested directly).
absl::Status RecordRectification(const std::string& text, const std::string& today,
                                 Finding& finding);
absl::Status ReviewRectification(bool accept, const std::string& note, Finding& finding);
absl::Status CloseVisit(const std::string& today, Visit& visit);
absl::Status ValidateNewFinding(const Visit& visit, const Finding& finding);
absl::Status ValidateNewVisit(const Visit& visit, const std::string& today);
absl::Status ValidateModel(GovernanceModel& model, const std::string& today);
// Checks the fields and sets on_time.
absl::Status ValidateTownDocument(TownDocument& document, const std::string& today);
// The policy's deadline: issued on or before May 31 of the document's year.
bool IssuedByDeadline(const TownDocument& document);

class Supervision final {
 public:
  // `trail` and `hasher` serve the automatic checks. All must outlive this.
  Supervision(SupervisionRepository& repository, VillageDirectory& directory,
              TrailRepository& trail, const Hasher& hasher, std::function<absl::Time()> clock)
      : repository_(repository),
        directory_(directory),
        trail_(trail),
        hasher_(hasher),
        clock_(std::move(clock)) {}

  absl::StatusOr<VillageInfo> RegisterVillage(const auth::Caller& caller, const Actor& actor,
                                              const VillageInfo& village);
  absl::StatusOr<Visit> CreateVisit(const auth::Caller& caller, const Actor& actor, Visit visit);
  absl::StatusOr<Visit> GetVisit(const auth::Caller& caller, int64_t visit_id);
  absl::StatusOr<std::vector<Visit>> ListVisits(const auth::Caller& caller, int64_t village_id,
                                                int64_t town_id, VisitFilter filter);
  absl::StatusOr<Finding> AddFinding(const auth::Caller& caller, const Actor& actor,
                                     Finding finding);
  absl::StatusOr<Finding> RecordRectification(const auth::Caller& caller, const Actor& actor,
                                              int64_t finding_id, const std::string& text);
  absl::StatusOr<Finding> ReviewRectification(const auth::Caller& caller, const Actor& actor,
                                              int64_t finding_id, bool accept,
                                              const std::string& note);
  absl::StatusOr<Visit> CloseVisit(const auth::Caller& caller, const Actor& actor,
                                   int64_t visit_id);
  absl::StatusOr<std::vector<Finding>> ListFindings(const auth::Caller& caller, int64_t village_id,
                                                    int64_t town_id, FindingFilter filter,
                                                    bool overdue_only);
  absl::StatusOr<Notice> IssueNotice(const auth::Caller& caller, const Actor& actor, Notice notice);
  absl::StatusOr<std::vector<Notice>> ListNotices(const auth::Caller& caller, int64_t town_id);
  absl::StatusOr<GovernanceModel> SetGovernanceModel(const auth::Caller& caller, const Actor& actor,
                                                     GovernanceModel model);
  absl::StatusOr<std::vector<GovernanceModel>> ListGovernanceModels(const auth::Caller& caller,
                                                                    int64_t village_id);
  absl::StatusOr<std::vector<TownCoverage>> GetModelCoverage(const auth::Caller& caller,
                                                             std::string as_of_date,
                                                             int64_t town_id);
  absl::StatusOr<TownDocument> RecordTownDocument(const auth::Caller& caller, const Actor& actor,
                                                  TownDocument document);
  absl::StatusOr<std::vector<TownDocument>> ListTownDocuments(const auth::Caller& caller,
                                                              int64_t town_id, int year);
  absl::StatusOr<Dashboard> GetDashboard(const auth::Caller& caller, int64_t town_id,
                                         int64_t village_id);
  absl::StatusOr<std::vector<Flag>> ListFlags(const auth::Caller& caller, int64_t village_id,
                                              int64_t town_id, bool include_reviewed, int limit);
  absl::StatusOr<Flag> ReviewFlag(const auth::Caller& caller, const Actor& actor, int64_t flag_id,
                                  const std::string& note);
  struct ChecksOutcome {
    int64_t records_examined = 0;
    int64_t flags_raised = 0;
  };
  // District inspectors, or the service's own background job (a caller with role service).
  absl::StatusOr<ChecksOutcome> RunChecks(const auth::Caller& caller, const Actor& actor,
                                          int64_t after_sequence);

  std::string Today() const;

  // The villages a read covers when filtering by village and/or town (empty: every village).
  absl::StatusOr<std::vector<int64_t>> ScopeFor(const auth::Caller& caller, int64_t village_id,
                                                int64_t town_id);

 private:
  SupervisionRepository& repository_;
  VillageDirectory& directory_;
  TrailRepository& trail_;
  const Hasher& hasher_;
  std::function<absl::Time()> clock_;
};

}  // namespace jifen::audit
