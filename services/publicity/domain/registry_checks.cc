#include "services/publicity/domain/registry_checks.h"

#include "absl/strings/str_cat.h"

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

}  // namespace jifen::publicity
