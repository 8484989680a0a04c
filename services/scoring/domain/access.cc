#include "services/scoring/domain/access.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace jifen::scoring {
namespace {

using auth::Role;

bool Covers(const std::vector<int64_t>& groups, int64_t group_id) {
  return std::find(groups.begin(), groups.end(), group_id) != groups.end();
}

absl::Status Denied(const auth::Caller& caller, absl::string_view what) {
  return absl::PermissionDeniedError(absl::StrCat(auth::RoleName(caller.role), " may not ", what));
}

// The token's grid claim lives as long as the token; the registry's naming changes the moment an
// admin replaces the worker. Both must agree, so a replaced worker loses the grid at once.
bool IsGridWorkerOf(const auth::Caller& caller, const HouseholdRecord& household) {
  return caller.village_id == household.village_id && caller.grid_id != 0 &&
         caller.grid_id == household.grid_id && !household.grid_worker_user_id.empty() &&
         household.grid_worker_user_id == caller.user_id;
}

}  // namespace

absl::Status CheckCanReadHousehold(const auth::Caller& caller, const HouseholdRecord& household,
                                   const std::vector<int64_t>& caller_team_groups) {
  if (caller.IsService() || caller.IsDistrict()) return absl::OkStatus();
  switch (caller.role) {
    case Role::kResident:
      if (caller.household_id == household.household_id) return absl::OkStatus();
      break;
    case Role::kGridWorker:
      if (IsGridWorkerOf(caller, household)) return absl::OkStatus();
      break;
    case Role::kAssessor:
      if (caller.village_id == household.village_id &&
          Covers(caller_team_groups, household.group_id)) {
        return absl::OkStatus();
      }
      break;
    case Role::kVillageAdmin:
      if (caller.village_id == household.village_id) return absl::OkStatus();
      break;
    case Role::kTownOfficial:
      if (caller.town_id != 0 && caller.town_id == household.town_id) return absl::OkStatus();
      break;
    default:
      break;
  }
  return Denied(caller, "see this household");
}

absl::Status CheckCanInspect(const auth::Caller& caller, const HouseholdRecord& household,
                             const std::vector<int64_t>& caller_team_groups) {
  switch (caller.role) {
    case Role::kGridWorker:
      if (IsGridWorkerOf(caller, household)) return absl::OkStatus();
      return Denied(caller, "score a household outside the grid the registry names them for");
    case Role::kAssessor:
      if (caller.village_id == household.village_id &&
          Covers(caller_team_groups, household.group_id)) {
        return absl::OkStatus();
      }
      return Denied(caller, "score a household outside their team's groups");
    case Role::kVillageAdmin:
      if (caller.village_id == household.village_id) return absl::OkStatus();
      return Denied(caller, "score a household of another village");
    default:
      return Denied(caller, "submit inspections");
  }
}

absl::Status CheckVillageStaff(const auth::Caller& caller, int64_t village_id) {
  if (caller.IsService() || caller.IsDistrict()) return absl::OkStatus();
  if (caller.role != Role::kResident && caller.role != Role::kTownOfficial &&
      caller.village_id == village_id) {
    return absl::OkStatus();
  }
  return Denied(caller, "act on this village");
}

absl::Status CheckVillageAdmin(const auth::Caller& caller, int64_t village_id) {
  if (caller.role == Role::kVillageAdmin && caller.village_id == village_id) {
    return absl::OkStatus();
  }
  return Denied(caller, "administer this village");
}

absl::Status CheckCanReadVillage(const auth::Caller& caller, int64_t village_id,
                                 int64_t village_town_id) {
  if (caller.IsService() || caller.IsDistrict()) return absl::OkStatus();
  if (caller.role == Role::kTownOfficial) {
    if (caller.town_id != 0 && caller.town_id == village_town_id) return absl::OkStatus();
    return Denied(caller, "read a village of another town");
  }
  if (caller.village_id == village_id) return absl::OkStatus();
  return Denied(caller, "read another village");
}

absl::Status CheckService(const auth::Caller& caller) {
  if (caller.IsService()) return absl::OkStatus();
  return Denied(caller, "call this internal method");
}

}  // namespace jifen::scoring
