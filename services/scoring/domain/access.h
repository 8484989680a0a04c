// Object-level authorization: who may read or score which household.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "common/auth/caller.h"
#include "services/scoring/domain/household.h"

namespace jifen::scoring {

// A grid worker's authority over a household needs both their token's grid claim and the
// registry: the household's grid must name them (HouseholdRecord::grid_worker_user_id) as its
// worker now.
//
// PERMISSION_DENIED unless the caller may see this household's points and history: the household
// itself; staff whose village, grid or team covers it; town officials of its town; district roles
// and services.
absl::Status CheckCanReadHousehold(const auth::Caller& caller, const HouseholdRecord& household,
                                   const std::vector<int64_t>& caller_team_groups);

// PERMISSION_DENIED unless the caller may submit an inspection of this household: a grid worker of
// its grid, an assessor whose team covers its group, or its village admin.
absl::Status CheckCanInspect(const auth::Caller& caller, const HouseholdRecord& household,
                             const std::vector<int64_t>& caller_team_groups);

// PERMISSION_DENIED unless the caller acts for the whole village (its admin) or is a service or
// district role. Used for village-wide reads and admin actions.
absl::Status CheckVillageStaff(const auth::Caller& caller, int64_t village_id);
absl::Status CheckVillageAdmin(const auth::Caller& caller, int64_t village_id);
// Town officials read the villages of their town.
absl::Status CheckCanReadVillage(const auth::Caller& caller, int64_t village_id,
                                 int64_t village_town_id);
absl::Status CheckService(const auth::Caller& caller);

}  // namespace jifen::scoring
