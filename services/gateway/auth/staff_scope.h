// The places a new staff account names (its town, village and assessment team) must exist in
// scoring's registry and agree with each other. An account naming a village or team that is not
// there signs in and then can do nothing, and nobody learns why until the person tries; so the
// gateway (POST /v1/auth/staff, under the creator's token) and jifen-admin (under the gateway's
// service token) check them before the account is stored, as grid workers' grids are checked
// (grid_workers.h).
//
// Errors (INVALID_ARGUMENT with a leading code and the field, shared by the HTTP answer and
// jifen-admin's message):
//   TOWN_NOT_FOUND (town_id)            unknown town, or one out of the creator's scope
//   VILLAGE_NOT_FOUND (village_id)      unknown village, or one out of the creator's scope
//   VILLAGE_NOT_IN_TOWN (village_id)    the village is of another town than town_id
//   TEAM_NOT_IN_VILLAGE (team_id)       unknown team, another village's, or out of scope
// Other statuses of scoring's (UNAVAILABLE, ...) are returned as they are.
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/gateway/auth/staff_accounts.h"

namespace jifen::gateway {

struct RegisteredVillage {
  int64_t village_id = 0;
  int64_t town_id = 0;
};

struct RegisteredTeam {
  int64_t team_id = 0;
  int64_t village_id = 0;
};

// Scoring's registry, as far as staff scopes go. Statuses are scoring's own (NOT_FOUND,
// PERMISSION_DENIED, UNAVAILABLE, ...).
class ScopeRegistry {
 public:
  virtual ~ScopeRegistry() = default;
  virtual absl::StatusOr<RegisteredVillage> GetVillage(int64_t village_id) = 0;
  // OK when the town exists.
  virtual absl::Status CheckTown(int64_t town_id) = 0;
  virtual absl::StatusOr<RegisteredTeam> GetTeam(int64_t team_id) = 0;
};

// Checks the town, village and team `account` names (0: none named; ids are not checked for the
// role, StaffAccounts::Create does that). A village's town is filled in when town_id is 0, so that
// the account's token claims the town its village is in.
absl::Status CheckStaffScope(ScopeRegistry& registry, NewStaff& account);

// True when `account` names a town, village or team, which CheckStaffScope would look up.
bool NamesRegistryScope(const NewStaff& account);

}  // namespace jifen::gateway
