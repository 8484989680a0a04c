#include "services/scoring/domain/registry_access.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "services/scoring/domain/access.h"

namespace jifen::scoring {
namespace {

using auth::Role;

absl::Status Denied(const auth::Caller& caller, absl::string_view what) {
  return absl::PermissionDeniedError(absl::StrCat(auth::RoleName(caller.role), " may not ", what));
}

// An assessor's team must be theirs and of their village; otherwise the token and the registry
// disagree and the assessor sees nothing.
bool TeamBelongsToCaller(const auth::Caller& caller, const TeamRecord* team) {
  return team != nullptr && caller.team_id != 0 && team->team_id == caller.team_id &&
         team->village_id == caller.village_id;
}

// A grid worker's grid must be the one their token claims, of their village, and name them its
// worker now; a replaced worker's token still claims the grid until it expires.
bool GridNamesCaller(const auth::Caller& caller, const GridRecord* grid) {
  return grid != nullptr && caller.grid_id != 0 && grid->grid_id == caller.grid_id &&
         grid->village_id == caller.village_id && !grid->worker_user_id.empty() &&
         grid->worker_user_id == caller.user_id;
}

bool Covers(const std::vector<int64_t>& groups, int64_t group_id) {
  return std::find(groups.begin(), groups.end(), group_id) != groups.end();
}

}  // namespace

absl::Status AuthorizeOrganisationWrite(const auth::Caller& caller) {
  if (caller.role == Role::kDistrictOfficial) return absl::OkStatus();
  return Denied(caller, "create towns or villages");
}

absl::Status AuthorizeVillageWrite(const auth::Caller& caller, int64_t village_id) {
  if (caller.role == Role::kDistrictOfficial) return absl::OkStatus();
  if (caller.role == Role::kVillageAdmin && caller.village_id != 0 &&
      caller.village_id == village_id) {
    return absl::OkStatus();
  }
  return Denied(caller, "change the registry of this village");
}

absl::Status AuthorizeGridWorkerAssignment(const auth::Caller& caller, int64_t village_id) {
  if (caller.IsService() && caller.user_id == kAccountsServiceName) return absl::OkStatus();
  if (caller.IsService()) return Denied(caller, "name grid workers");
  return AuthorizeVillageWrite(caller, village_id);
}

absl::Status AuthorizeVillagePartRead(const auth::Caller& caller, const VillageRecord& village,
                                      absl::string_view part) {
  switch (caller.role) {
    case Role::kDistrictOfficial:
    case Role::kDistrictInspector:
    case Role::kService:
      return absl::OkStatus();
    case Role::kTownOfficial:
      if (caller.town_id != 0 && caller.town_id == village.town_id) return absl::OkStatus();
      return Denied(caller, absl::StrCat("read ", part, " of another town"));
    case Role::kVillageAdmin:
      if (caller.village_id != 0 && caller.village_id == village.village_id) {
        return absl::OkStatus();
      }
      return Denied(caller, absl::StrCat("read ", part, " of another village"));
    default:
      break;
  }
  return Denied(caller, absl::StrCat("read ", part));
}

absl::Status AuthorizeGridRead(const auth::Caller& caller, const VillageRecord& village) {
  return AuthorizeVillagePartRead(caller, village, "a grid");
}

absl::Status AuthorizeTeamRead(const auth::Caller& caller, const VillageRecord& village,
                               const TeamRecord& team) {
  if (caller.role == Role::kAssessor) {
    if (TeamBelongsToCaller(caller, &team)) return absl::OkStatus();
    return Denied(caller, "read another team");
  }
  return AuthorizeVillagePartRead(caller, village, "a team");
}

bool NeedsTeam(const auth::Caller& caller) { return caller.role == Role::kAssessor; }

bool NeedsGrid(const auth::Caller& caller) { return caller.role == Role::kGridWorker; }

absl::StatusOr<PersonalDataView> AuthorizeHouseholdRead(const auth::Caller& caller,
                                                        const HouseholdRecord& household,
                                                        const TeamRecord* team) {
  std::vector<int64_t> team_groups;
  if (caller.role == Role::kAssessor && TeamBelongsToCaller(caller, team)) {
    team_groups = team->group_ids;
  }
  // One rule for "who may see this household" across scoring (domain/access.h).
  if (absl::Status status = CheckCanReadHousehold(caller, household, team_groups); !status.ok()) {
    return status;
  }
  const bool own_household = caller.role == Role::kResident && caller.household_id != 0 &&
                             caller.household_id == household.household_id;
  const bool own_village = caller.role == Role::kVillageAdmin && caller.village_id != 0 &&
                           caller.village_id == household.village_id;
  return own_household || own_village ? PersonalDataView::kFull : PersonalDataView::kMasked;
}

absl::StatusOr<HouseholdListScope> AuthorizeHouseholdList(const auth::Caller& caller,
                                                          const VillageRecord& village,
                                                          int64_t group_id, int64_t grid_id,
                                                          const TeamRecord* team,
                                                          const GridRecord* grid) {
  HouseholdListScope scope;
  scope.query.village_id = village.village_id;
  scope.query.group_id = group_id;
  scope.query.grid_id = grid_id;
  const bool same_village = caller.village_id != 0 && caller.village_id == village.village_id;
  switch (caller.role) {
    case Role::kDistrictOfficial:
    case Role::kDistrictInspector:
    case Role::kService:
      return scope;
    case Role::kTownOfficial:
      if (caller.town_id != 0 && caller.town_id == village.town_id) return scope;
      return Denied(caller, "list households of a village of another town");
    case Role::kVillageAdmin:
      if (!same_village) return Denied(caller, "list households of another village");
      scope.view = PersonalDataView::kFull;
      return scope;
    case Role::kGridWorker:
      if (!same_village || !GridNamesCaller(caller, grid)) {
        return Denied(caller, "list households of a grid that does not name them its worker");
      }
      if (grid_id != 0 && grid_id != caller.grid_id) {
        return Denied(caller, "list households of another grid");
      }
      scope.query.grid_id = caller.grid_id;
      return scope;
    case Role::kAssessor:
      if (!same_village || !TeamBelongsToCaller(caller, team)) {
        return Denied(caller, "list households outside their team's groups");
      }
      if (group_id != 0 && !Covers(team->group_ids, group_id)) {
        return Denied(caller, "list households of a group their team does not cover");
      }
      scope.query.only_groups = team->group_ids;
      return scope;
    case Role::kResident:
      break;
  }
  return Denied(caller, "list households");
}

absl::StatusOr<VillageQuery> AuthorizeVillageList(const auth::Caller& caller, int64_t town_id) {
  VillageQuery query;
  switch (caller.role) {
    case Role::kDistrictOfficial:
    case Role::kDistrictInspector:
    case Role::kService:
      query.town_id = town_id;
      return query;
    case Role::kTownOfficial:
      if (caller.town_id == 0 || (town_id != 0 && town_id != caller.town_id)) {
        return Denied(caller, "list the villages of another town");
      }
      query.town_id = caller.town_id;
      return query;
    case Role::kVillageAdmin:
    case Role::kResident:
      // A resident reads their own village's groups (the names the boards and the group
      // mutual evaluation speak of): nothing there is personal.
      if (caller.village_id == 0) return Denied(caller, "list villages without a village");
      // town_id is not checked against the caller's village: the answer is their village anyway.
      query.village_id = caller.village_id;
      return query;
    default:
      break;
  }
  return Denied(caller, "list villages");
}

}  // namespace jifen::scoring
