#include "services/scoring/domain/registry_filters.h"

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"

namespace jifen::scoring {
namespace {

// True when `record` (a FindGroup / FindGrid answer) exists and belongs to `village_id`; false
// when it does not exist or belongs elsewhere.
template <typename Record>
absl::StatusOr<bool> OfVillage(const absl::StatusOr<Record>& record, int64_t village_id) {
  if (absl::IsNotFound(record.status())) return false;
  if (!record.ok()) return record.status();
  return record->village_id == village_id;
}

}  // namespace

absl::Status CheckHouseholdFilters(RegistryRepository& registry, int64_t village_id,
                                   int64_t group_id, int64_t grid_id) {
  if (group_id != 0) {
    ASSIGN_OR_RETURN(const bool of_village, OfVillage(registry.FindGroup(group_id), village_id));
    if (!of_village) {
      return absl::InvalidArgumentError(absl::StrCat("GROUP_NOT_IN_VILLAGE: group_id: group ",
                                                     group_id, " is not a group of village ",
                                                     village_id));
    }
  }
  if (grid_id != 0) {
    ASSIGN_OR_RETURN(const bool of_village, OfVillage(registry.FindGrid(grid_id), village_id));
    if (!of_village) {
      return absl::InvalidArgumentError(absl::StrCat("GRID_NOT_IN_VILLAGE: grid_id: grid ", grid_id,
                                                     " is not a grid of village ", village_id));
    }
  }
  return absl::OkStatus();
}

}  // namespace jifen::scoring
