#include "services/gateway/http/scope.h"

#include <gtest/gtest.h>

#include "jifen/scoring/v1/ledger.pb.h"
#include "jifen/scoring/v1/registry.pb.h"

namespace jifen::gateway {
namespace {

namespace v1 = scoring::v1;

auth::Caller Resident() {
  auth::Caller c;
  c.role = auth::Role::kResident;
  c.village_id = 11;
  c.household_id = 501;
  return c;
}

TEST(ScopeTest, ResidentOnlyTheirHousehold) {
  v1::GetWalletRequest own;
  own.set_household_id(501);
  EXPECT_TRUE(CheckScope(Resident(), own).ok());
  v1::GetWalletRequest other;
  other.set_household_id(502);
  EXPECT_EQ(CheckScope(Resident(), other).code(), absl::StatusCode::kPermissionDenied);
}

TEST(ScopeTest, VillageBoundRolesOnlyTheirVillageAlsoInNestedMessages) {
  auth::Caller admin;
  admin.role = auth::Role::kVillageAdmin;
  admin.village_id = 11;
  v1::CreateHouseholdRequest request;
  request.mutable_household()->set_village_id(12);
  EXPECT_EQ(CheckScope(admin, request).code(), absl::StatusCode::kPermissionDenied);
  request.mutable_household()->set_village_id(11);
  EXPECT_TRUE(CheckScope(admin, request).ok());
  v1::GetVillageTotalsRequest totals;
  totals.set_village_id(12);
  EXPECT_EQ(CheckScope(admin, totals).code(), absl::StatusCode::kPermissionDenied);
}

TEST(ScopeTest, TownAndDistrict) {
  auth::Caller town;
  town.role = auth::Role::kTownOfficial;
  town.town_id = 2;
  v1::ListVillagesRequest request;
  request.set_town_id(3);
  EXPECT_EQ(CheckScope(town, request).code(), absl::StatusCode::kPermissionDenied);
  request.set_town_id(0);
  EXPECT_TRUE(CheckScope(town, request).ok());
  auth::Caller district;
  district.role = auth::Role::kDistrictOfficial;
  request.set_town_id(3);
  EXPECT_TRUE(CheckScope(district, request).ok());
}

}  // namespace
}  // namespace jifen::gateway
