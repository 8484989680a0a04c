#include "services/scoring/domain/registry_access.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jifen::scoring {
namespace {

using auth::Caller;
using auth::Role;
using ::testing::ElementsAre;

constexpr int64_t kTown = 1;
constexpr int64_t kVillage = 10;
constexpr int64_t kGroup = 100;
constexpr int64_t kGrid = 1000;
constexpr int64_t kHousehold = 5000;
constexpr int64_t kTeam = 70;

HouseholdRecord Household() {
  HouseholdRecord household;
  household.household_id = kHousehold;
  household.town_id = kTown;
  household.village_id = kVillage;
  household.group_id = kGroup;
  household.grid_id = kGrid;
  household.grid_worker_user_id = "u1";  // As(kGridWorker)
  return household;
}

VillageRecord Village() { return {kVillage, kTown, "革新村"}; }

GridRecord Grid(std::string worker_user_id = "u1") {
  return {kGrid, kVillage, "东片", std::move(worker_user_id)};
}

TeamRecord Team(std::vector<int64_t> groups = {kGroup}) {
  return {kTeam, kVillage, "第一片区", std::move(groups)};
}

Caller As(Role role) {
  Caller caller;
  caller.user_id = "u1";
  caller.role = role;
  switch (role) {
    case Role::kResident:
      caller.village_id = kVillage;
      caller.household_id = kHousehold;
      break;
    case Role::kGridWorker:
      caller.village_id = kVillage;
      caller.grid_id = kGrid;
      break;
    case Role::kAssessor:
      caller.village_id = kVillage;
      caller.team_id = kTeam;
      break;
    case Role::kVillageAdmin:
      caller.village_id = kVillage;
      break;
    case Role::kTownOfficial:
      caller.town_id = kTown;
      break;
    default:
      break;
  }
  return caller;
}

bool Denied(const absl::Status& status) { return absl::IsPermissionDenied(status); }

TEST(RegistryAccessTest, OnlyDistrictOfficialsCreateTownsAndVillages) {
  EXPECT_TRUE(AuthorizeOrganisationWrite(As(Role::kDistrictOfficial)).ok());
  for (Role role : {Role::kDistrictInspector, Role::kTownOfficial, Role::kVillageAdmin,
                    Role::kService, Role::kResident}) {
    EXPECT_TRUE(Denied(AuthorizeOrganisationWrite(As(role)))) << auth::RoleName(role);
  }
}

TEST(RegistryAccessTest, VillageWritesBelongToItsAdmin) {
  EXPECT_TRUE(AuthorizeVillageWrite(As(Role::kVillageAdmin), kVillage).ok());
  EXPECT_TRUE(Denied(AuthorizeVillageWrite(As(Role::kVillageAdmin), kVillage + 1)));
  EXPECT_TRUE(AuthorizeVillageWrite(As(Role::kDistrictOfficial), kVillage + 1).ok());
  for (Role role : {Role::kDistrictInspector, Role::kTownOfficial, Role::kGridWorker,
                    Role::kAssessor, Role::kService, Role::kResident}) {
    EXPECT_TRUE(Denied(AuthorizeVillageWrite(As(role), kVillage))) << auth::RoleName(role);
  }
  Caller unscoped = As(Role::kVillageAdmin);
  unscoped.village_id = 0;
  EXPECT_TRUE(Denied(AuthorizeVillageWrite(unscoped, 0)));
}

// The gateway's own identity names grid workers (jifen-admin creating one has no person's
// token); no other service writes the registry.
TEST(RegistryAccessTest, GridWorkersAreNamedByVillageWritersAndTheGatewayOnly) {
  EXPECT_TRUE(AuthorizeGridWorkerAssignment(As(Role::kVillageAdmin), kVillage).ok());
  EXPECT_TRUE(Denied(AuthorizeGridWorkerAssignment(As(Role::kVillageAdmin), kVillage + 1)));
  EXPECT_TRUE(AuthorizeGridWorkerAssignment(As(Role::kDistrictOfficial), kVillage + 1).ok());
  Caller gateway = As(Role::kService);
  gateway.user_id = "gateway";
  EXPECT_TRUE(AuthorizeGridWorkerAssignment(gateway, kVillage).ok());
  for (const char* other : {"redemption", "publicity", "audit", "scoring", "Gateway", ""}) {
    Caller service = As(Role::kService);
    service.user_id = other;
    EXPECT_TRUE(Denied(AuthorizeGridWorkerAssignment(service, kVillage))) << other;
  }
  // Only a service token makes the gateway: a person named "gateway" is judged by their role.
  for (Role role : {Role::kDistrictInspector, Role::kTownOfficial, Role::kGridWorker,
                    Role::kAssessor, Role::kResident}) {
    Caller person = As(role);
    person.user_id = "gateway";
    EXPECT_TRUE(Denied(AuthorizeGridWorkerAssignment(person, kVillage))) << auth::RoleName(role);
  }
}

TEST(RegistryAccessTest, GridReadsByScope) {
  for (Role role : {Role::kDistrictOfficial, Role::kDistrictInspector, Role::kService,
                    Role::kTownOfficial, Role::kVillageAdmin}) {
    EXPECT_TRUE(AuthorizeGridRead(As(role), Village()).ok()) << auth::RoleName(role);
  }
  const VillageRecord elsewhere{kVillage + 1, kTown + 1, "永丰村"};
  EXPECT_TRUE(Denied(AuthorizeGridRead(As(Role::kVillageAdmin), elsewhere)));
  EXPECT_TRUE(Denied(AuthorizeGridRead(As(Role::kTownOfficial), elsewhere)));
  // A village of the same town is the town official's, not the village admin's.
  const VillageRecord neighbour{kVillage + 1, kTown, "永丰村"};
  EXPECT_TRUE(AuthorizeGridRead(As(Role::kTownOfficial), neighbour).ok());
  EXPECT_TRUE(Denied(AuthorizeGridRead(As(Role::kVillageAdmin), neighbour)));
  for (Role role : {Role::kGridWorker, Role::kAssessor, Role::kResident}) {
    EXPECT_TRUE(Denied(AuthorizeGridRead(As(role), Village()))) << auth::RoleName(role);
  }
}

TEST(RegistryAccessTest, TeamReadsByScopeAndByTheTeamsOwnAssessors) {
  const TeamRecord team = Team();
  for (Role role : {Role::kDistrictOfficial, Role::kDistrictInspector, Role::kService,
                    Role::kTownOfficial, Role::kVillageAdmin, Role::kAssessor}) {
    EXPECT_TRUE(AuthorizeTeamRead(As(role), Village(), team).ok()) << auth::RoleName(role);
  }
  TeamRecord another_team = team;
  another_team.team_id = team.team_id + 1;
  EXPECT_TRUE(Denied(AuthorizeTeamRead(As(Role::kAssessor), Village(), another_team)));
  const VillageRecord elsewhere{kVillage + 1, kTown + 1, "永丰村"};
  EXPECT_TRUE(Denied(AuthorizeTeamRead(As(Role::kVillageAdmin), elsewhere, team)));
  EXPECT_TRUE(Denied(AuthorizeTeamRead(As(Role::kTownOfficial), elsewhere, team)));
  for (Role role : {Role::kGridWorker, Role::kResident}) {
    EXPECT_TRUE(Denied(AuthorizeTeamRead(As(role), Village(), team))) << auth::RoleName(role);
  }
}

TEST(RegistryAccessTest, HouseholdReadViews) {
  const TeamRecord team = Team();
  const auto view = [&](const Caller& caller) {
    return AuthorizeHouseholdRead(caller, Household(), &team);
  };
  EXPECT_EQ(*view(As(Role::kResident)), PersonalDataView::kFull);
  EXPECT_EQ(*view(As(Role::kVillageAdmin)), PersonalDataView::kFull);
  for (Role role : {Role::kGridWorker, Role::kAssessor, Role::kTownOfficial,
                    Role::kDistrictOfficial, Role::kDistrictInspector, Role::kService}) {
    absl::StatusOr<PersonalDataView> result = view(As(role));
    ASSERT_TRUE(result.ok()) << auth::RoleName(role) << " " << result.status();
    EXPECT_EQ(*result, PersonalDataView::kMasked) << auth::RoleName(role);
  }
}

TEST(RegistryAccessTest, HouseholdReadScopes) {
  const TeamRecord team = Team();
  HouseholdRecord other = Household();
  other.household_id += 1;
  other.grid_id += 1;
  other.group_id += 1;
  EXPECT_TRUE(Denied(AuthorizeHouseholdRead(As(Role::kResident), other, nullptr).status()));
  EXPECT_TRUE(Denied(AuthorizeHouseholdRead(As(Role::kGridWorker), other, nullptr).status()));
  EXPECT_TRUE(Denied(AuthorizeHouseholdRead(As(Role::kAssessor), other, &team).status()));
  EXPECT_TRUE(AuthorizeHouseholdRead(As(Role::kVillageAdmin), other, nullptr).ok());

  HouseholdRecord elsewhere = Household();
  elsewhere.village_id += 1;
  elsewhere.town_id += 1;
  EXPECT_TRUE(Denied(AuthorizeHouseholdRead(As(Role::kVillageAdmin), elsewhere, nullptr).status()));
  EXPECT_TRUE(Denied(AuthorizeHouseholdRead(As(Role::kTownOfficial), elsewhere, nullptr).status()));
  EXPECT_TRUE(AuthorizeHouseholdRead(As(Role::kDistrictInspector), elsewhere, nullptr).ok());
}

TEST(RegistryAccessTest, AssessorNeedsTheirOwnTeam) {
  EXPECT_TRUE(NeedsTeam(As(Role::kAssessor)));
  EXPECT_FALSE(NeedsTeam(As(Role::kGridWorker)));
  // No team, or a team that is not the caller's or not of their village: nothing is visible.
  EXPECT_TRUE(Denied(AuthorizeHouseholdRead(As(Role::kAssessor), Household(), nullptr).status()));
  TeamRecord someone_elses = Team();
  someone_elses.team_id += 1;
  EXPECT_TRUE(
      Denied(AuthorizeHouseholdRead(As(Role::kAssessor), Household(), &someone_elses).status()));
  TeamRecord other_village = Team();
  other_village.village_id += 1;
  EXPECT_TRUE(
      Denied(AuthorizeHouseholdRead(As(Role::kAssessor), Household(), &other_village).status()));
}

TEST(RegistryAccessTest, GridWorkerListIsPinnedToTheirGrid) {
  const GridRecord grid = Grid();
  absl::StatusOr<HouseholdListScope> scope =
      AuthorizeHouseholdList(As(Role::kGridWorker), Village(), 0, 0, nullptr, &grid);
  ASSERT_TRUE(scope.ok()) << scope.status();
  EXPECT_EQ(scope->query.grid_id, kGrid);
  EXPECT_EQ(scope->view, PersonalDataView::kMasked);
  EXPECT_TRUE(Denied(
      AuthorizeHouseholdList(As(Role::kGridWorker), Village(), 0, kGrid + 1, nullptr, &grid)
          .status()));
  Caller gridless = As(Role::kGridWorker);
  gridless.grid_id = 0;
  EXPECT_TRUE(Denied(AuthorizeHouseholdList(gridless, Village(), 0, 0, nullptr, &grid).status()));
  // The grid must be there (a missing one is null) and be the one the token claims.
  EXPECT_TRUE(Denied(
      AuthorizeHouseholdList(As(Role::kGridWorker), Village(), 0, 0, nullptr, nullptr).status()));
  GridRecord another = Grid();
  another.grid_id += 1;
  EXPECT_TRUE(Denied(
      AuthorizeHouseholdList(As(Role::kGridWorker), Village(), 0, 0, nullptr, &another).status()));
}

// A grid worker's token keeps claiming the grid after an admin named someone else its worker:
// the registry decides, so the replaced worker reads nothing more of it.
TEST(RegistryAccessTest, AReplacedGridWorkerNoLongerReadsTheGrid) {
  const GridRecord replaced = Grid("u2");
  EXPECT_TRUE(Denied(
      AuthorizeHouseholdList(As(Role::kGridWorker), Village(), 0, 0, nullptr, &replaced)
          .status()));
  const GridRecord without_worker = Grid("");
  EXPECT_TRUE(Denied(
      AuthorizeHouseholdList(As(Role::kGridWorker), Village(), 0, 0, nullptr, &without_worker)
          .status()));
  HouseholdRecord household = Household();
  household.grid_worker_user_id = "u2";
  EXPECT_TRUE(Denied(AuthorizeHouseholdRead(As(Role::kGridWorker), household, nullptr).status()));
  household.grid_worker_user_id = "";
  EXPECT_TRUE(Denied(AuthorizeHouseholdRead(As(Role::kGridWorker), household, nullptr).status()));
  EXPECT_TRUE(AuthorizeHouseholdRead(As(Role::kGridWorker), Household(), nullptr).ok());
}

TEST(RegistryAccessTest, AssessorListIsPinnedToTheirGroups) {
  const TeamRecord team = Team({kGroup, kGroup + 2});
  absl::StatusOr<HouseholdListScope> scope =
      AuthorizeHouseholdList(As(Role::kAssessor), Village(), 0, 0, &team, nullptr);
  ASSERT_TRUE(scope.ok()) << scope.status();
  ASSERT_TRUE(scope->query.only_groups.has_value());
  EXPECT_THAT(*scope->query.only_groups, ElementsAre(kGroup, kGroup + 2));
  EXPECT_TRUE(AuthorizeHouseholdList(As(Role::kAssessor), Village(), kGroup + 2, 0, &team, nullptr).ok());
  EXPECT_TRUE(Denied(
      AuthorizeHouseholdList(As(Role::kAssessor), Village(), kGroup + 1, 0, &team, nullptr).status()));
  EXPECT_TRUE(
      Denied(AuthorizeHouseholdList(As(Role::kAssessor), Village(), 0, 0, nullptr, nullptr).status()));
}

TEST(RegistryAccessTest, ListScopesByRole) {
  VillageRecord other_town = Village();
  other_town.village_id += 1;
  other_town.town_id += 1;
  absl::StatusOr<HouseholdListScope> admin =
      AuthorizeHouseholdList(As(Role::kVillageAdmin), Village(), kGroup, 0, nullptr, nullptr);
  ASSERT_TRUE(admin.ok());
  EXPECT_EQ(admin->view, PersonalDataView::kFull);
  EXPECT_EQ(admin->query.group_id, kGroup);
  EXPECT_TRUE(
      Denied(AuthorizeHouseholdList(As(Role::kVillageAdmin), other_town, 0, 0, nullptr, nullptr).status()));
  EXPECT_TRUE(AuthorizeHouseholdList(As(Role::kTownOfficial), Village(), 0, 0, nullptr, nullptr).ok());
  EXPECT_TRUE(
      Denied(AuthorizeHouseholdList(As(Role::kTownOfficial), other_town, 0, 0, nullptr, nullptr).status()));
  EXPECT_TRUE(AuthorizeHouseholdList(As(Role::kDistrictInspector), other_town, 0, 0, nullptr, nullptr).ok());
  EXPECT_TRUE(
      Denied(AuthorizeHouseholdList(As(Role::kResident), Village(), 0, 0, nullptr, nullptr).status()));
}

TEST(RegistryAccessTest, VillageListScopes) {
  absl::StatusOr<VillageQuery> district = AuthorizeVillageList(As(Role::kDistrictOfficial), 0);
  ASSERT_TRUE(district.ok());
  EXPECT_EQ(district->town_id, 0);
  EXPECT_EQ(district->village_id, 0);
  absl::StatusOr<VillageQuery> town = AuthorizeVillageList(As(Role::kTownOfficial), 0);
  ASSERT_TRUE(town.ok());
  EXPECT_EQ(town->town_id, kTown);
  EXPECT_TRUE(Denied(AuthorizeVillageList(As(Role::kTownOfficial), kTown + 1).status()));
  absl::StatusOr<VillageQuery> admin = AuthorizeVillageList(As(Role::kVillageAdmin), 0);
  ASSERT_TRUE(admin.ok());
  EXPECT_EQ(admin->village_id, kVillage);
  absl::StatusOr<VillageQuery> resident = AuthorizeVillageList(As(Role::kResident), 0);
  ASSERT_TRUE(resident.ok());
  EXPECT_EQ(resident->village_id, kVillage);
  EXPECT_TRUE(Denied(AuthorizeVillageList(As(Role::kGridWorker), 0).status()));
}

}  // namespace
}  // namespace jifen::scoring
