// The registry's data as the domain sees it, and the repository that stores it.
//
// Phone numbers are plain text here (normalised 11-digit mainland mobiles, or empty); the storage
// encrypts them at rest. Names are full names; masking for display is the handler's job, decided
// by registry_access.h and done by registry_privacy.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/scoring/domain/household.h"

namespace jifen::scoring {

struct TownRecord {
  int64_t town_id = 0;
  std::string name;
};

struct VillageRecord {
  int64_t village_id = 0;
  int64_t town_id = 0;
  std::string name;
};

struct GroupRecord {
  int64_t group_id = 0;
  int64_t village_id = 0;
  std::string name;
};

struct GridRecord {
  int64_t grid_id = 0;
  int64_t village_id = 0;
  std::string name;
  std::string worker_user_id;  // empty while no grid worker is assigned
};

struct TeamRecord {
  int64_t team_id = 0;
  int64_t village_id = 0;
  std::string name;
  std::vector<int64_t> group_ids;  // ascending
};

struct MemberRecord {
  int64_t member_id = 0;
  int64_t household_id = 0;
  std::string name;
  std::string phone;  // normalised "13812345678", or empty when unknown
  bool is_head = false;
  std::string staff_user_id;  // the villager's staff account, or empty
};

// A household with the registry-only fields that HouseholdRecord leaves out.
struct RegistryHousehold {
  HouseholdRecord record;
  std::string consent_date;  // "YYYY-MM-DD"; empty only for registered households without one
};

struct HouseholdWithMembers {
  RegistryHousehold household;
  std::vector<MemberRecord> members;  // by member_id
};

// Which households ListHouseholds returns. Filters at 0 / empty are off.
struct HouseholdQuery {
  int64_t village_id = 0;
  int64_t group_id = 0;
  int64_t grid_id = 0;
  // When set, only households of these groups (an assessor's team); an empty set matches nothing.
  std::optional<std::vector<int64_t>> only_groups;
  int64_t after_household_id = 0;  // keyset paging: households with a larger id
  int page_size = 100;
};

struct HouseholdPage {
  std::vector<RegistryHousehold> households;  // by household_id
  int64_t last_household_id = 0;              // 0 when this is the last page
};

// Which part of the organisation ListVillages returns: 0 means "any".
struct VillageQuery {
  int64_t town_id = 0;
  int64_t village_id = 0;
};

struct VillageListing {
  std::vector<TownRecord> towns;        // towns of the listed villages (all towns for "any")
  std::vector<VillageRecord> villages;  // by village_id
  std::vector<GroupRecord> groups;      // groups of the listed villages, by group_id
  std::vector<GridRecord> grids;        // grids of the listed villages, by grid_id
  std::vector<TeamRecord> teams;        // teams of the listed villages with their groups, by team_id
};

// A roster ready to write, built by ParseRoster (registry_roster.h) from a CSV file.
struct RosterMember {
  int line = 0;  // the member's line in the file
  std::string name;
  std::string phone;  // normalised or empty
  bool is_head = false;
  std::string staff_user_id;  // the villager's staff account, or empty
};

struct RosterHousehold {
  int first_line = 0;  // the line of the household's first row
  std::string group_name;
  std::string grid_name;  // empty: no grid
  std::string house_number;
  std::string head_name;
  bool registered = true;
  std::string consent_date;  // "YYYY-MM-DD" or empty
  bool rents_out_rooms = false;
  std::string steward_user_id;
  std::vector<RosterMember> members;
};

struct RosterPlan {
  std::vector<RosterHousehold> households;  // in order of first appearance
};

// A row refused by the storage because of what is already registered (e.g. the house exists).
struct RosterConflict {
  int line = 0;
  std::string error;  // Chinese, for the village admin
};

struct RosterImportResult {
  bool applied = false;  // false for dry runs and whenever a conflict was found
  std::vector<RosterConflict> conflicts;
  int households_created = 0;  // what was (or, for a dry run, would have been) created
  int members_created = 0;
  int groups_created = 0;
};

// Who makes a change: written with it to the audit trail.
struct RegistryActor {
  std::string user_id;
  std::string role;          // auth::RoleName
  std::string request_id{};  // the request that makes the change (or shows the data)
};

// Storage of the registry. Every write also appends its audit record (who, what, ids and a summary
// without personal data) to the outbox in the same transaction. Implementations:
// MySqlRegistryRepository; tests may fake it. Every method returns UNAVAILABLE / ABORTED when the
// database is unreachable or a transaction keeps losing to others, INTERNAL for anything
// unexpected.
class RegistryRepository {
 public:
  virtual ~RegistryRepository() = default;

  // ALREADY_EXISTS if a town has that name.
  virtual absl::StatusOr<TownRecord> CreateTown(const RegistryActor& actor,
                                                const std::string& name) = 0;
  // NOT_FOUND if no such town; ALREADY_EXISTS if the town has a village of that name.
  virtual absl::StatusOr<VillageRecord> CreateVillage(const RegistryActor& actor, int64_t town_id,
                                                      const std::string& name) = 0;
  // NOT_FOUND if no such village.
  virtual absl::StatusOr<VillageRecord> FindVillage(int64_t village_id) = 0;
  // NOT_FOUND if no such village; ALREADY_EXISTS if the village has a group of that name.
  virtual absl::StatusOr<GroupRecord> CreateGroup(const RegistryActor& actor, int64_t village_id,
                                                  const std::string& name) = 0;
  // Same for grids (grid.grid_id is ignored).
  virtual absl::StatusOr<GridRecord> CreateGrid(const RegistryActor& actor,
                                                const GridRecord& grid) = 0;
  // Same for teams; INVALID_ARGUMENT if a group is not one of the village's.
  virtual absl::StatusOr<TeamRecord> CreateTeam(const RegistryActor& actor,
                                                const TeamRecord& team) = 0;
  // NOT_FOUND if no such team.
  virtual absl::StatusOr<TeamRecord> FindTeam(int64_t team_id) = 0;
  // NOT_FOUND if no such grid.
  virtual absl::StatusOr<GridRecord> FindGrid(int64_t grid_id) = 0;
  // NOT_FOUND if no such group.
  virtual absl::StatusOr<GroupRecord> FindGroup(int64_t group_id) = 0;
  // Sets the grid's worker (empty: none) and returns the grid as it now is; its audit record has
  // the worker before and after. Setting the worker the grid already has writes nothing, so a
  // retried call is not a second change on the audit trail. `village_id` is the grid's (as
  // FindGrid gave it: grids never move); NOT_FOUND if the village has no such grid. With
  // `current_worker_user_id` the grid changes only while it names that worker, else
  // FAILED_PRECONDITION GRID_WORKER_CHANGED (a grid that already names `worker_user_id` is
  // returned unchanged either way).
  virtual absl::StatusOr<GridRecord> AssignGridWorker(
      const RegistryActor& actor, int64_t village_id, int64_t grid_id,
      const std::string& worker_user_id,
      const std::optional<std::string>& current_worker_user_id) = 0;
  // Ids of the household and its members are ignored and assigned. NOT_FOUND if the village does
  // not exist; INVALID_ARGUMENT if the group or grid is not the village's; ALREADY_EXISTS if the
  // group already has that house number.
  virtual absl::StatusOr<HouseholdWithMembers> CreateHousehold(
      const RegistryActor& actor, const HouseholdWithMembers& household) = 0;
  // NOT_FOUND if no such household. The record's town_id is filled in.
  virtual absl::StatusOr<HouseholdWithMembers> GetHousehold(int64_t household_id) = 0;
  virtual absl::StatusOr<HouseholdPage> ListHouseholds(const HouseholdQuery& query) = 0;
  virtual absl::StatusOr<VillageListing> ListVillages(const VillageQuery& query) = 0;
  // Writes the whole plan in one transaction, creating missing groups, or nothing at all: when a
  // row conflicts with the registry (house already registered, unknown grid) or the database's
  // unique keys refuse it (names it takes for one: "Ａ1" and "ａ1"), the result lists the
  // conflicts by line and applied is false. Groups and grids are matched by name as the database
  // compares names ("QA-A-G" is the group "qa-a-g"). A dry run checks and counts the same way, by
  // the same writes, and undoes them. NOT_FOUND if the village does not exist.
  virtual absl::StatusOr<RosterImportResult> ImportRoster(const RegistryActor& actor,
                                                          int64_t village_id,
                                                          const RosterPlan& plan, bool dry_run) = 0;
};

}  // namespace jifen::scoring
