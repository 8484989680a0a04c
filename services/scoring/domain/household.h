// A household as the rest of scoring needs it: where it sits (village, group, grid) and who is
// responsible for it. Owned by the registry.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace jifen::scoring {

struct HouseholdRecord {
  int64_t household_id = 0;
  int64_t town_id = 0;
  int64_t village_id = 0;
  int64_t group_id = 0;
  int64_t grid_id = 0;  // 0 when not yet assigned to a grid
  // The worker the registry names for grid_id now ("" when none, or no grid): the one grid worker
  // who may score and read the household (access.h).
  std::string grid_worker_user_id;
  std::string house_number;
  std::string head_name;        // full name; mask before showing to roles without need
  bool registered = true;       // false: non-registered resident who opted in
  bool rents_out_rooms = false;
  std::string steward_user_id;  // household steward / responsible cadre ("1+N"), may be empty
};

// Read access to the registry for the other parts of scoring (assessment, ledger).
class HouseholdDirectory {
 public:
  virtual ~HouseholdDirectory() = default;
  // NOT_FOUND if no such household.
  virtual absl::StatusOr<HouseholdRecord> FindHousehold(int64_t household_id) = 0;
  // The villager groups an assessment team covers. NOT_FOUND if no such team.
  virtual absl::StatusOr<std::vector<int64_t>> TeamGroups(int64_t team_id) = 0;
  // The user ids of grid workers of the grid (usually one). Empty if none.
  virtual absl::StatusOr<std::string> GridWorker(int64_t grid_id) = 0;
  // Every household of a village (for settlement and evaluation rounds), ordered by id.
  virtual absl::StatusOr<std::vector<HouseholdRecord>> VillageHouseholds(int64_t village_id) = 0;
  // The town a village belongs to (for town officials' scope). NOT_FOUND if no such village.
  virtual absl::StatusOr<int64_t> TownOfVillage(int64_t village_id) = 0;
};

}  // namespace jifen::scoring
