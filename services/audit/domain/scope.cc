#include "services/audit/domain/scope.h"

#include "common/status/status_macros.h"

namespace jifen::audit {

absl::StatusOr<std::vector<int64_t>> ReadableVillages(const auth::Caller& caller,
                                                      int64_t village_id,
                                                      VillageDirectory& directory) {
  if (village_id < 0) return absl::InvalidArgumentError("village_id must be >= 0");
  switch (caller.role) {
    case auth::Role::kDistrictOfficial:
    case auth::Role::kDistrictInspector:
      if (village_id == 0) return std::vector<int64_t>{};
      return std::vector<int64_t>{village_id};
    case auth::Role::kTownOfficial: {
      if (caller.town_id <= 0) return absl::PermissionDeniedError("no town in the caller's scope");
      if (village_id == 0) {
        ASSIGN_OR_RETURN(std::vector<int64_t> villages, directory.VillagesOf(caller.town_id));
        if (villages.empty()) villages.push_back(-1);  // matches nothing, never "everything"
        return villages;
      }
      ASSIGN_OR_RETURN(std::optional<int64_t> town, directory.TownOf(village_id));
      if (!town.has_value() || *town != caller.town_id) {
        return absl::PermissionDeniedError("village outside the caller's town");
      }
      return std::vector<int64_t>{village_id};
    }
    case auth::Role::kVillageAdmin:
      if (caller.village_id <= 0 || (village_id != 0 && village_id != caller.village_id)) {
        return absl::PermissionDeniedError("village outside the caller's scope");
      }
      return std::vector<int64_t>{caller.village_id};
    default:
      return absl::PermissionDeniedError("role may not read supervision data");
  }
}

absl::Status CheckVillageAccess(const auth::Caller& caller, int64_t village_id,
                                VillageDirectory& directory) {
  if (village_id <= 0) return absl::InvalidArgumentError("village_id is required");
  return ReadableVillages(caller, village_id, directory).status();
}

}  // namespace jifen::audit
