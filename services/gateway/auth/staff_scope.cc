#include "services/gateway/auth/staff_scope.h"

#include "absl/strings/str_cat.h"

namespace jifen::gateway {
namespace {

// Scoring answers NOT_FOUND for an unknown id and PERMISSION_DENIED for one the creator may not
// see; to the creator both mean the id is not one they can name.
bool NotTheCreators(const absl::Status& status) {
  return absl::IsNotFound(status) || absl::IsPermissionDenied(status);
}

}  // namespace

bool NamesRegistryScope(const NewStaff& account) {
  return account.town_id > 0 || account.village_id > 0 || account.team_id > 0;
}

absl::Status CheckStaffScope(ScopeRegistry& registry, NewStaff& account) {
  if (account.team_id > 0) {
    absl::StatusOr<RegisteredTeam> team = registry.GetTeam(account.team_id);
    if (NotTheCreators(team.status()) ||
        (team.ok() && account.village_id > 0 && team->village_id != account.village_id)) {
      return absl::InvalidArgumentError(
          absl::StrCat("TEAM_NOT_IN_VILLAGE: team_id: team ", account.team_id,
                       " is not an assessment team of village ", account.village_id));
    }
    if (!team.ok()) return team.status();
    if (account.village_id == 0) account.village_id = team->village_id;
  }
  if (account.village_id > 0) {
    absl::StatusOr<RegisteredVillage> village = registry.GetVillage(account.village_id);
    if (NotTheCreators(village.status())) {
      return absl::InvalidArgumentError(
          absl::StrCat("VILLAGE_NOT_FOUND: village_id: no village ", account.village_id));
    }
    if (!village.ok()) return village.status();
    if (account.town_id > 0 && village->town_id != account.town_id) {
      return absl::InvalidArgumentError(
          absl::StrCat("VILLAGE_NOT_IN_TOWN: village_id: village ", account.village_id,
                       " is not of town ", account.town_id));
    }
    account.town_id = village->town_id;
    return absl::OkStatus();
  }
  if (account.town_id > 0) {
    absl::Status town = registry.CheckTown(account.town_id);
    if (NotTheCreators(town)) {
      return absl::InvalidArgumentError(
          absl::StrCat("TOWN_NOT_FOUND: town_id: no town ", account.town_id));
    }
    return town;
  }
  return absl::OkStatus();
}

}  // namespace jifen::gateway
