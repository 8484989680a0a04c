// RegistryRepository on the scoring schema's registry tables (migrations/0001_registry.sql).
//
// Every write locks its village row (or town row) first, so a village's registry changes one at a
// time and the existence checks done before an INSERT stay true until COMMIT. Phone numbers are
// sealed with PhoneCipher before they reach the database. Every write appends its audit record to
// the outbox (storage/audit_outbox.h) in its own transaction; the records carry ids, names of
// places and counts, never a person's name or phone.
#pragma once

#include <memory>

#include "common/mysql/connection_pool.h"
#include "services/scoring/domain/registry_model.h"
#include "services/scoring/storage/mysql_registry_phone_cipher.h"

namespace jifen::scoring {

class MySqlRegistryRepository final : public RegistryRepository {
 public:
  // The pool must outlive the repository.
  MySqlRegistryRepository(mysql::ConnectionPool& pool, std::unique_ptr<PhoneCipher> cipher);

  absl::StatusOr<TownRecord> CreateTown(const RegistryActor& actor,
                                        const std::string& name) override;
  absl::StatusOr<VillageRecord> CreateVillage(const RegistryActor& actor, int64_t town_id,
                                              const std::string& name) override;
  absl::StatusOr<VillageRecord> FindVillage(int64_t village_id) override;
  absl::StatusOr<GroupRecord> CreateGroup(const RegistryActor& actor, int64_t village_id,
                                          const std::string& name) override;
  absl::StatusOr<GridRecord> CreateGrid(const RegistryActor& actor,
                                        const GridRecord& grid) override;
  absl::StatusOr<TeamRecord> CreateTeam(const RegistryActor& actor,
                                        const TeamRecord& team) override;
  absl::StatusOr<TeamRecord> FindTeam(int64_t team_id) override;
  absl::StatusOr<GridRecord> FindGrid(int64_t grid_id) override;
  absl::StatusOr<GroupRecord> FindGroup(int64_t group_id) override;
  absl::StatusOr<GridRecord> AssignGridWorker(
      const RegistryActor& actor, int64_t village_id, int64_t grid_id,
      const std::string& worker_user_id,
      const std::optional<std::string>& current_worker_user_id) override;
  absl::StatusOr<HouseholdWithMembers> CreateHousehold(
      const RegistryActor& actor, const HouseholdWithMembers& household) override;
  absl::StatusOr<HouseholdWithMembers> GetHousehold(int64_t household_id) override;
  absl::StatusOr<HouseholdPage> ListHouseholds(const HouseholdQuery& query) override;
  absl::StatusOr<VillageListing> ListVillages(const VillageQuery& query) override;
  absl::StatusOr<RosterImportResult> ImportRoster(const RegistryActor& actor, int64_t village_id,
                                                  const RosterPlan& plan, bool dry_run) override;

 private:
  mysql::ConnectionPool& pool_;
  std::unique_ptr<PhoneCipher> cipher_;
};

}  // namespace jifen::scoring
