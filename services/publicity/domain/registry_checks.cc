#include "services/publicity/domain/registry_checks.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"

namespace jifen::publicity {

absl::Status CheckGroupOfVillage(VillageDirectory& villages, int64_t village_id, int64_t group_id,
                                 absl::string_view field) {
  const absl::StatusOr<int64_t> village = villages.VillageOfGroup(group_id);
  if (village.ok() && *village == village_id) return absl::OkStatus();
  if (!village.ok() && !absl::IsNotFound(village.status())) return village.status();
  return absl::InvalidArgumentError(absl::StrCat("GROUP_NOT_IN_VILLAGE: ", field, ": group ",
                                                 group_id, " is not a group of village ",
                                                 village_id));
}

absl::Status CheckStandingSubject(HouseholdDirectory& households, const BoardKey& key,
                                  int64_t household_id) {
  ASSIGN_OR_RETURN(const std::optional<HouseholdPlace> place, households.Place(household_id));
  if (!place.has_value() || place->village_id != key.village_id) {
    return absl::InvalidArgumentError(
        absl::StrCat("HOUSEHOLD_NOT_IN_VILLAGE: household_id: household ", household_id,
                     " is not a household of village ", key.village_id));
  }
  if (key.scope == BoardScope::kGroup && place->group_id != key.group_id) {
    // Not which group it is in: the group of a household off the boards is shown nowhere public.
    return absl::InvalidArgumentError(
        absl::StrCat("HOUSEHOLD_NOT_IN_GROUP: board.group_id: household ", household_id,
                     " is not in group ", key.group_id));
  }
  return absl::OkStatus();
}

}  // namespace jifen::publicity
