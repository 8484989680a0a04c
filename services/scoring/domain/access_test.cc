#include "services/scoring/domain/access.h"

#include "gtest/gtest.h"

namespace jifen::scoring {
namespace {

constexpr int64_t kVillage = 10;
constexpr int64_t kGrid = 1000;

HouseholdRecord Household(std::string grid_worker_user_id) {
  HouseholdRecord household;
  household.household_id = 5000;
  household.town_id = 1;
  household.village_id = kVillage;
  household.group_id = 100;
  household.grid_id = kGrid;
  household.grid_worker_user_id = std::move(grid_worker_user_id);
  return household;
}

auth::Caller GridWorker(std::string user_id) {
  auth::Caller caller;
  caller.user_id = std::move(user_id);
  caller.role = auth::Role::kGridWorker;
  caller.village_id = kVillage;
  caller.grid_id = kGrid;
  return caller;
}

// The token's grid claim outlives a replacement; the registry's naming does not.
TEST(AccessTest, AGridWorkerScoresAndReadsOnlyWhileTheRegistryNamesThem) {
  const auth::Caller worker = GridWorker("staff-7");
  EXPECT_TRUE(CheckCanInspect(worker, Household("staff-7"), {}).ok());
  EXPECT_TRUE(CheckCanReadHousehold(worker, Household("staff-7"), {}).ok());
  for (const char* named : {"staff-8", ""}) {
    EXPECT_TRUE(absl::IsPermissionDenied(CheckCanInspect(worker, Household(named), {})))
        << "grid names '" << named << "'";
    EXPECT_TRUE(absl::IsPermissionDenied(CheckCanReadHousehold(worker, Household(named), {})))
        << "grid names '" << named << "'";
  }
}

// Being named on one grid gives nothing on another: the token's claim must match as well.
TEST(AccessTest, TheRegistryAloneDoesNotMakeAGridWorker) {
  auth::Caller elsewhere = GridWorker("staff-7");
  elsewhere.grid_id = kGrid + 1;
  EXPECT_TRUE(absl::IsPermissionDenied(CheckCanInspect(elsewhere, Household("staff-7"), {})));
  auth::Caller gridless = GridWorker("staff-7");
  gridless.grid_id = 0;
  EXPECT_TRUE(absl::IsPermissionDenied(CheckCanInspect(gridless, Household("staff-7"), {})));
  auth::Caller village_admin = GridWorker("staff-7");
  village_admin.role = auth::Role::kVillageAdmin;
  EXPECT_TRUE(CheckCanInspect(village_admin, Household(""), {}).ok());
}

}  // namespace
}  // namespace jifen::scoring
