// Object-level authorization of the registry RPCs, and how much personal data each caller sees.
//
//   district official     writes and reads everything (creates towns and villages)
//   district inspector    reads everything
//   town official         reads the villages of their town and their households
//   village admin         writes and reads their own village
//   grid worker           reads the households of their grid
//   assessor              reads the households of the groups their team covers
//   resident              reads their own household
//   service               reads everything (masked), writes nothing
//
// Full names and phone numbers are shown only to the household itself and its village admin;
// everyone else sees them masked ("张*华", "138****5678").
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/auth/caller.h"
#include "services/scoring/domain/household.h"
#include "services/scoring/domain/registry_model.h"

namespace jifen::scoring {

enum class PersonalDataView {
  kMasked,  // names "张*华", phones "138****5678"
  kFull,    // as registered; every such view is audited
};

// CreateTown, CreateVillage. PERMISSION_DENIED unless a district official.
absl::Status AuthorizeOrganisationWrite(const auth::Caller& caller);

// CreateGroup/Grid/Team/Household, AssignGridWorker, ImportRoster. PERMISSION_DENIED unless the
// village's admin or a district official.
absl::Status AuthorizeVillageWrite(const auth::Caller& caller, int64_t village_id);

// The service identity of the gateway, which owns the staff accounts.
inline constexpr char kAccountsServiceName[] = "gateway";

// AssignGridWorker of a grid of `village_id`: AuthorizeVillageWrite's callers, and the gateway's
// service identity. The gateway names a grid worker under the creating admin's token, but its
// operator tool (jifen-admin) has no person's token, only the gateway's own; the gateway holds the
// token signing key anyway, so this grants it nothing it could not already sign for. Other
// services still write nothing.
absl::Status AuthorizeGridWorkerAssignment(const auth::Caller& caller, int64_t village_id);

// GetGrid of a grid of `village`. District officials and inspectors and services read every grid,
// a town official the grids of their town, a village admin those of their village; everyone else
// (grid workers and assessors included: their token already names their scope) PERMISSION_DENIED.
absl::Status AuthorizeGridRead(const auth::Caller& caller, const VillageRecord& village);

// GetTeam of `team`, a team of `village`: GetGrid's readers, and an assessor of the team (their
// token names it); everyone else PERMISSION_DENIED.
absl::Status AuthorizeTeamRead(const auth::Caller& caller, const VillageRecord& village,
                               const TeamRecord& team);

// Reading `part` ("a grid", "the village", ...) of `village`: district officials and inspectors and
// services every village's, a town official their town's, a village admin their own village's;
// everyone else PERMISSION_DENIED naming `part`. GetGrid and ListVillages of one village.
absl::Status AuthorizeVillagePartRead(const auth::Caller& caller, const VillageRecord& village,
                                      absl::string_view part);

// True when reading households needs the caller's assessment team (assessors).
bool NeedsTeam(const auth::Caller& caller);
// True when listing households needs the grid the caller's token claims (grid workers).
bool NeedsGrid(const auth::Caller& caller);

// GetHousehold. `team` is the caller's team (required for assessors, ignored otherwise).
// PERMISSION_DENIED unless the caller's scope covers the household; otherwise the view allowed.
absl::StatusOr<PersonalDataView> AuthorizeHouseholdRead(const auth::Caller& caller,
                                                        const HouseholdRecord& household,
                                                        const TeamRecord* team);

// ListHouseholds of `village` with the request's filters: the query to run (restricted to what the
// caller may see) and the view. `team` is the caller's team (required for assessors), `grid` the
// grid their token claims (required for grid workers, who list it only while it names them its
// worker); each is ignored otherwise. PERMISSION_DENIED when the caller may not list this village
// or asks for a group or grid outside their scope; residents may never list.
struct HouseholdListScope {
  HouseholdQuery query;
  PersonalDataView view = PersonalDataView::kMasked;
};
absl::StatusOr<HouseholdListScope> AuthorizeHouseholdList(const auth::Caller& caller,
                                                          const VillageRecord& village,
                                                          int64_t group_id, int64_t grid_id,
                                                          const TeamRecord* team,
                                                          const GridRecord* grid);

// ListVillages(town_id): the query to run. District roles and services: any town (0 = all); a
// town official: their own town (0 means theirs); a village admin or a resident: their own
// village. Everyone
// else, or another town, PERMISSION_DENIED.
absl::StatusOr<VillageQuery> AuthorizeVillageList(const auth::Caller& caller, int64_t town_id);

}  // namespace jifen::scoring
