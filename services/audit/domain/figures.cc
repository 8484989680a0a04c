#include "services/audit/domain/figures.h"

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"

namespace jifen::audit {

void ComputeParticipation(DashboardFigures& figures) {
  const int64_t today = figures.households_registered + figures.households_opted_in;
  for (QuarterFigures& q : figures.quarters) {
    // The quarter's own households where the figures know them (not those registered later).
    const int64_t households = q.households_in_registry >= 0 ? q.households_in_registry : today;
    q.participation_permille = households == 0 ? 0 : q.households_scored * 1000 / households;
  }
}

int SupervisionFigures::CurrentYear() const {
  return absl::ToCivilYear(clock_(), ShanghaiTime()).year();
}

absl::StatusOr<int> SupervisionFigures::YearOrCurrent(int year) const {
  if (year == 0) return CurrentYear();
  if (year < 2000 || year > 2100) {
    return absl::InvalidArgumentError("year must be between 2000 and 2100 (0: this year)");
  }
  return year;
}

absl::StatusOr<SupervisionFigures::Prepared> SupervisionFigures::PrepareVisit(
    const auth::Caller& caller, const Actor& actor, int64_t village_id, int year) {
  if (!caller.IsDistrict() && caller.role != auth::Role::kTownOfficial) {
    return absl::PermissionDeniedError("visits are prepared by towns and the district");
  }
  if (village_id <= 0) return absl::InvalidArgumentError("village_id is required");
  if (year == 0) return absl::InvalidArgumentError("year is required");
  ASSIGN_OR_RETURN(year, YearOrCurrent(year));
  RETURN_IF_ERROR(CheckVillageAccess(caller, village_id, directory_));
  ASSIGN_OR_RETURN(std::optional<int64_t> town, directory_.TownOf(village_id));
  if (!town.has_value()) {
    return absl::NotFoundError(
        absl::StrCat("village ", village_id,
                     " is not in the audit directory; scoring registers villages when "
                     "it creates them (or a district official calls RegisterVillage)"));
  }
  // A service that fails or hangs (up to its deadline) makes only its own checks unknown.
  const AllFacts facts = facts_.All(village_id, year);
  Prepared prepared;
  prepared.checklist = BuildChecklist(village_id, year, supervision_.Today(), facts.scoring,
                                      facts.publicity, facts.redemption);
  if (caller.role == auth::Role::kDistrictInspector) {
    const std::vector<FlagDraft> flags = FlagsFor(prepared.checklist);
    if (!flags.empty()) {
      ASSIGN_OR_RETURN(prepared.flags_raised, repository_.InsertFlags(flags, actor));
    }
  }
  return prepared;
}

absl::StatusOr<RefreshOutcome> SupervisionFigures::Refresh(const auth::Caller& caller,
                                                           int64_t village_id, int year,
                                                           const std::function<bool()>& stop) {
  if (!caller.IsDistrict() && !caller.IsService()) {
    return absl::PermissionDeniedError("district roles refresh the dashboard");
  }
  if (village_id < 0) return absl::InvalidArgumentError("village_id must be >= 0");
  ASSIGN_OR_RETURN(year, YearOrCurrent(year));
  std::vector<int64_t> villages;
  if (village_id != 0) {
    ASSIGN_OR_RETURN(std::optional<int64_t> town, directory_.TownOf(village_id));
    if (!town.has_value()) {
      return absl::NotFoundError(absl::StrCat("village ", village_id, " is not in the directory"));
    }
    villages.push_back(village_id);
  } else {
    ASSIGN_OR_RETURN(villages, figures_.DirectoryVillages());
  }
  RefreshOutcome outcome;
  for (int64_t village : villages) {
    if (stop && stop()) break;
    // A part whose service failed keeps its previous figures (and their older timestamp).
    const AllFacts facts = facts_.All(village, year);
    const int64_t now_ms = absl::ToUnixMillis(clock_());
    if (facts.scoring.ok()) {
      RETURN_IF_ERROR(figures_.StoreScoring(village, year, *facts.scoring, now_ms));
    } else {
      ++outcome.parts_unavailable;
    }
    if (facts.publicity.ok()) {
      RETURN_IF_ERROR(figures_.StorePublicity(village, year, *facts.publicity, now_ms));
    } else {
      ++outcome.parts_unavailable;
    }
    if (facts.redemption.ok()) {
      RETURN_IF_ERROR(figures_.StoreRedemption(village, year, *facts.redemption, now_ms));
    } else {
      ++outcome.parts_unavailable;
    }
    ++outcome.villages;
  }
  return outcome;
}

absl::StatusOr<DashboardFigures> SupervisionFigures::Figures(const auth::Caller& caller,
                                                             int64_t town_id, int64_t village_id,
                                                             int year) {
  ASSIGN_OR_RETURN(year, YearOrCurrent(year));
  ASSIGN_OR_RETURN(std::vector<int64_t> villages,
                   supervision_.ScopeFor(caller, village_id, town_id));
  ASSIGN_OR_RETURN(DashboardFigures figures, figures_.Sum(villages, year));
  figures.year = year;
  ComputeParticipation(figures);
  return figures;
}

}  // namespace jifen::audit
