// The group and grid filters of ListHouseholds. A filter naming a group or grid of another village
// (or none at all) would match no household, and an empty list reads as "no households here":
// such a filter is refused instead, naming the field, so the caller learns the filter is wrong.
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "services/scoring/domain/registry_model.h"

namespace jifen::scoring {

// OK when each non-zero filter names a group / grid of `village_id` (0 means no filter). Otherwise
// INVALID_ARGUMENT "GROUP_NOT_IN_VILLAGE: group_id: ..." or "GRID_NOT_IN_VILLAGE: grid_id: ...";
// an unknown id and another village's answer alike, so the refusal says nothing of other
// villages. Errors reading the registry (UNAVAILABLE, ...) are returned as they are.
absl::Status CheckHouseholdFilters(RegistryRepository& registry, int64_t village_id,
                                   int64_t group_id, int64_t grid_id);

}  // namespace jifen::scoring
