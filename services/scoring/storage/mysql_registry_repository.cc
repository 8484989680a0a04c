#include "services/scoring/storage/mysql_registry_repository.h"

#include <cppconn/connection.h>
#include <cppconn/datatype.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/mysql/transaction.h"
#include "common/status/status_macros.h"
#include "services/scoring/storage/audit_outbox.h"
#include "services/scoring/storage/mysql_registry_rows.h"

namespace jifen::scoring {
namespace {

using registry_sql::Prepare;
using Statement = std::unique_ptr<sql::PreparedStatement>;
using Rows = std::unique_ptr<sql::ResultSet>;

// A duplicate key can only come from a race the parent lock did not cover (towns have no parent);
// the server's text names the key, so it is replaced by the caller's own words.
absl::Status Reword(const absl::Status& status, absl::string_view already_exists) {
  if (absl::IsAlreadyExists(status)) return absl::AlreadyExistsError(already_exists);
  return status;
}

bool Exists(sql::Connection& c, const std::string& query, int64_t id, const std::string& text) {
  Statement statement = Prepare(c, query);
  statement->setInt64(1, id);
  statement->setString(2, text);
  Rows rows(statement->executeQuery());
  return rows->next();
}

// Locks the village row for the rest of the transaction. NOT_FOUND if there is no such village.
absl::StatusOr<VillageRecord> LockVillage(sql::Connection& c, int64_t village_id) {
  Statement statement =
      Prepare(c, "SELECT town_id, name FROM villages WHERE village_id = ? FOR UPDATE");
  statement->setInt64(1, village_id);
  Rows rows(statement->executeQuery());
  if (!rows->next()) return absl::NotFoundError(absl::StrCat("village ", village_id, " not found"));
  return VillageRecord{village_id, rows->getInt64(1), rows->getString(2).asStdString()};
}

bool VillageHas(sql::Connection& c, const char* table, const char* id_column, int64_t village_id,
                int64_t id) {
  Statement statement = Prepare(
      c, absl::StrCat("SELECT 1 FROM ", table, " WHERE village_id = ? AND ", id_column, " = ?"));
  statement->setInt64(1, village_id);
  statement->setInt64(2, id);
  Rows rows(statement->executeQuery());
  return rows->next();
}

// "?, ?, ?" for n parameters.
std::string Placeholders(size_t n) {
  std::string text;
  for (size_t i = 0; i < n; ++i) absl::StrAppend(&text, i == 0 ? "?" : ", ?");
  return text;
}

constexpr int kDuplicateKey = 1062;  // ER_DUP_ENTRY

// Runs a prepared INSERT; false when it would break a unique key. InnoDB undoes just that
// statement, so the transaction goes on. Any other error is thrown on.
bool InsertUnlessDuplicate(sql::PreparedStatement& insert) {
  try {
    insert.executeUpdate();
    return true;
  } catch (const sql::SQLException& e) {
    if (e.getErrorCode() != kDuplicateKey) throw;
    return false;
  }
}

Statement PrepareHouseholdInsert(sql::Connection& c, int64_t village_id,
                                 const HouseholdRecord& record, const std::string& consent_date) {
  Statement statement = Prepare(
      c,
      "INSERT INTO households (village_id, group_id, grid_id, house_number, head_name, kind, "
      "consent_date, rents_out_rooms, steward_user_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  statement->setInt64(1, village_id);
  statement->setInt64(2, record.group_id);
  statement->setInt64(3, record.grid_id);
  statement->setString(4, record.house_number);
  statement->setString(5, record.head_name);
  statement->setInt(
      6, record.registered ? registry_sql::kKindRegistered : registry_sql::kKindNonRegistered);
  if (consent_date.empty()) {
    statement->setNull(7, sql::DataType::DATE);
  } else {
    statement->setString(7, consent_date);
  }
  statement->setBoolean(8, record.rents_out_rooms);
  statement->setString(9, record.steward_user_id);
  return statement;
}

int64_t InsertHousehold(sql::Connection& c, int64_t village_id, const HouseholdRecord& record,
                        const std::string& consent_date) {
  PrepareHouseholdInsert(c, village_id, record, consent_date)->executeUpdate();
  return registry_sql::LastInsertId(c);
}

// The new household's id; nullopt when the group has the house number already.
std::optional<int64_t> InsertHouseholdUnlessDuplicate(sql::Connection& c, int64_t village_id,
                                                      const HouseholdRecord& record,
                                                      const std::string& consent_date) {
  Statement insert = PrepareHouseholdInsert(c, village_id, record, consent_date);
  if (!InsertUnlessDuplicate(*insert)) return std::nullopt;
  return registry_sql::LastInsertId(c);
}

// The audit record of a registry change. Ids, place names and counts only: people's names and
// phones stay out of the audit trail, which other services read.
absl::Status Audit(sql::Connection& c, const RegistryActor& actor, int64_t village_id,
                   const char* action, const char* object_type, int64_t object_id,
                   const std::string& after, const std::string& before = "") {
  AuditFacts facts;
  facts.village_id = village_id;
  facts.actor_user_id = actor.user_id;
  facts.actor_role = actor.role;
  facts.action = action;
  facts.object_type = object_type;
  facts.object_id = absl::StrCat(object_id);
  if (!before.empty()) facts.before = AuditState(before);
  facts.after = AuditState(after);
  return RecordAudit(c, facts, AuditOrigin{actor.request_id});
}

std::string HouseholdSummary(const HouseholdRecord& record, size_t members) {
  return absl::StrCat("group_id=", record.group_id, " grid_id=", record.grid_id,
                      " house_number=", record.house_number,
                      " kind=", record.registered ? "registered" : "non_registered",
                      " rents_out_rooms=", record.rents_out_rooms ? "true" : "false",
                      " steward_user_id=", record.steward_user_id, " members=", members);
}

}  // namespace

MySqlRegistryRepository::MySqlRegistryRepository(mysql::ConnectionPool& pool,
                                                 std::unique_ptr<PhoneCipher> cipher)
    : pool_(pool), cipher_(std::move(cipher)) {}

absl::StatusOr<TownRecord> MySqlRegistryRepository::CreateTown(const RegistryActor& actor,
                                                               const std::string& name) {
  TownRecord town{0, name};
  const std::string duplicate = absl::StrCat("a town named \"", name, "\" exists");
  absl::Status status = mysql::RunInTransaction(pool_, [&](sql::Connection& c) -> absl::Status {
    Statement check = Prepare(c, "SELECT 1 FROM towns WHERE name = ? FOR UPDATE");
    check->setString(1, name);
    if (Rows(check->executeQuery())->next()) return absl::AlreadyExistsError(duplicate);
    Statement insert = Prepare(c, "INSERT INTO towns (name) VALUES (?)");
    insert->setString(1, name);
    insert->executeUpdate();
    town.town_id = registry_sql::LastInsertId(c);
    return Audit(c, actor, 0, "create_town", "town", town.town_id, absl::StrCat("name=", name));
  });
  RETURN_IF_ERROR(Reword(status, duplicate));
  return town;
}

absl::StatusOr<VillageRecord> MySqlRegistryRepository::CreateVillage(const RegistryActor& actor,
                                                                     int64_t town_id,
                                                                     const std::string& name) {
  VillageRecord village{0, town_id, name};
  const std::string duplicate =
      absl::StrCat("town ", town_id, " has a village named \"", name, "\"");
  absl::Status status = mysql::RunInTransaction(pool_, [&](sql::Connection& c) -> absl::Status {
    Statement lock = Prepare(c, "SELECT 1 FROM towns WHERE town_id = ? FOR UPDATE");
    lock->setInt64(1, town_id);
    if (!Rows(lock->executeQuery())->next()) {
      return absl::NotFoundError(absl::StrCat("town ", town_id, " not found"));
    }
    if (Exists(c, "SELECT 1 FROM villages WHERE town_id = ? AND name = ?", town_id, name)) {
      return absl::AlreadyExistsError(duplicate);
    }
    Statement insert = Prepare(c, "INSERT INTO villages (town_id, name) VALUES (?, ?)");
    insert->setInt64(1, town_id);
    insert->setString(2, name);
    insert->executeUpdate();
    village.village_id = registry_sql::LastInsertId(c);
    // The village's hash chain starts with it: writers then only ever lock an existing head row
    // (creating it on a first entry made concurrent first writers of two villages deadlock on
    // the gap between their ids).
    Statement head = Prepare(c,
                             "INSERT INTO ledger_heads (village_id, head_sequence, head_hash, "
                             "entries) VALUES (?, 0, '', 0)");
    head->setInt64(1, village.village_id);
    head->executeUpdate();
    return Audit(c, actor, village.village_id, "create_village", "village", village.village_id,
                 absl::StrCat("town_id=", town_id, " name=", name));
  });
  RETURN_IF_ERROR(Reword(status, duplicate));
  return village;
}

absl::StatusOr<VillageRecord> MySqlRegistryRepository::FindVillage(int64_t village_id) {
  VillageRecord village;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& c) -> absl::Status {
    Statement statement = Prepare(c, "SELECT town_id, name FROM villages WHERE village_id = ?");
    statement->setInt64(1, village_id);
    Rows rows(statement->executeQuery());
    if (!rows->next()) {
      return absl::NotFoundError(absl::StrCat("village ", village_id, " not found"));
    }
    village = {village_id, rows->getInt64(1), rows->getString(2).asStdString()};
    return absl::OkStatus();
  }));
  return village;
}

absl::StatusOr<GroupRecord> MySqlRegistryRepository::CreateGroup(const RegistryActor& actor,
                                                                 int64_t village_id,
                                                                 const std::string& name) {
  GroupRecord group{0, village_id, name};
  const std::string duplicate = absl::StrCat("the village has a group named \"", name, "\"");
  absl::Status status = mysql::RunInTransaction(pool_, [&](sql::Connection& c) -> absl::Status {
    RETURN_IF_ERROR(LockVillage(c, village_id));
    if (Exists(c, "SELECT 1 FROM villager_groups WHERE village_id = ? AND name = ?", village_id,
               name)) {
      return absl::AlreadyExistsError(duplicate);
    }
    Statement insert = Prepare(c, "INSERT INTO villager_groups (village_id, name) VALUES (?, ?)");
    insert->setInt64(1, village_id);
    insert->setString(2, name);
    insert->executeUpdate();
    group.group_id = registry_sql::LastInsertId(c);
    return Audit(c, actor, village_id, "create_group", "group", group.group_id,
                 absl::StrCat("name=", name));
  });
  RETURN_IF_ERROR(Reword(status, duplicate));
  return group;
}

absl::StatusOr<GridRecord> MySqlRegistryRepository::CreateGrid(const RegistryActor& actor,
                                                               const GridRecord& grid) {
  GridRecord created = grid;
  const std::string duplicate = absl::StrCat("the village has a grid named \"", grid.name, "\"");
  absl::Status status = mysql::RunInTransaction(pool_, [&](sql::Connection& c) -> absl::Status {
    RETURN_IF_ERROR(LockVillage(c, grid.village_id));
    if (Exists(c, "SELECT 1 FROM grids WHERE village_id = ? AND name = ?", grid.village_id,
               grid.name)) {
      return absl::AlreadyExistsError(duplicate);
    }
    Statement insert =
        Prepare(c, "INSERT INTO grids (village_id, name, worker_user_id) VALUES (?, ?, ?)");
    insert->setInt64(1, grid.village_id);
    insert->setString(2, grid.name);
    insert->setString(3, grid.worker_user_id);
    insert->executeUpdate();
    created.grid_id = registry_sql::LastInsertId(c);
    return Audit(c, actor, grid.village_id, "create_grid", "grid", created.grid_id,
                 absl::StrCat("name=", grid.name, " worker_user_id=", grid.worker_user_id));
  });
  RETURN_IF_ERROR(Reword(status, duplicate));
  return created;
}

absl::StatusOr<TeamRecord> MySqlRegistryRepository::CreateTeam(const RegistryActor& actor,
                                                               const TeamRecord& team) {
  TeamRecord created = team;
  std::sort(created.group_ids.begin(), created.group_ids.end());
  created.group_ids.erase(std::unique(created.group_ids.begin(), created.group_ids.end()),
                          created.group_ids.end());
  const std::string duplicate = absl::StrCat("the village has a team named \"", team.name, "\"");
  absl::Status status = mysql::RunInTransaction(pool_, [&](sql::Connection& c) -> absl::Status {
    RETURN_IF_ERROR(LockVillage(c, team.village_id));
    if (Exists(c, "SELECT 1 FROM assessment_teams WHERE village_id = ? AND name = ?",
               team.village_id, team.name)) {
      return absl::AlreadyExistsError(duplicate);
    }
    for (int64_t group_id : created.group_ids) {
      if (!VillageHas(c, "villager_groups", "group_id", team.village_id, group_id)) {
        return absl::InvalidArgumentError(absl::StrCat("GROUP_NOT_IN_VILLAGE: group_ids: group ",
                                                       group_id, " is not a group of village ",
                                                       team.village_id));
      }
    }
    Statement insert = Prepare(c, "INSERT INTO assessment_teams (village_id, name) VALUES (?, ?)");
    insert->setInt64(1, team.village_id);
    insert->setString(2, team.name);
    insert->executeUpdate();
    created.team_id = registry_sql::LastInsertId(c);
    Statement cover =
        Prepare(c, "INSERT INTO team_groups (village_id, team_id, group_id) VALUES (?, ?, ?)");
    for (int64_t group_id : created.group_ids) {
      cover->setInt64(1, team.village_id);
      cover->setInt64(2, created.team_id);
      cover->setInt64(3, group_id);
      cover->executeUpdate();
    }
    return Audit(
        c, actor, team.village_id, "create_team", "assessment_team", created.team_id,
        absl::StrCat("name=", team.name, " group_ids=", absl::StrJoin(created.group_ids, ",")));
  });
  RETURN_IF_ERROR(Reword(status, duplicate));
  return created;
}

absl::StatusOr<TeamRecord> MySqlRegistryRepository::FindTeam(int64_t team_id) {
  TeamRecord team;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& c) -> absl::Status {
    Statement find = Prepare(c, "SELECT village_id, name FROM assessment_teams WHERE team_id = ?");
    find->setInt64(1, team_id);
    Rows rows(find->executeQuery());
    if (!rows->next()) return absl::NotFoundError(absl::StrCat("team ", team_id, " not found"));
    team = {team_id, rows->getInt64(1), rows->getString(2).asStdString(), {}};
    Statement groups = Prepare(
        c,
        "SELECT group_id FROM team_groups WHERE village_id = ? AND team_id = ? ORDER BY group_id");
    groups->setInt64(1, team.village_id);
    groups->setInt64(2, team_id);
    Rows group_rows(groups->executeQuery());
    while (group_rows->next()) team.group_ids.push_back(group_rows->getInt64(1));
    return absl::OkStatus();
  }));
  return team;
}

absl::StatusOr<GridRecord> MySqlRegistryRepository::FindGrid(int64_t grid_id) {
  GridRecord grid;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& c) -> absl::Status {
    Statement find =
        Prepare(c, "SELECT village_id, name, worker_user_id FROM grids WHERE grid_id = ?");
    find->setInt64(1, grid_id);
    Rows rows(find->executeQuery());
    if (!rows->next()) return absl::NotFoundError(absl::StrCat("grid ", grid_id, " not found"));
    grid = {grid_id, rows->getInt64(1), rows->getString(2).asStdString(),
            rows->getString(3).asStdString()};
    return absl::OkStatus();
  }));
  return grid;
}

absl::StatusOr<GroupRecord> MySqlRegistryRepository::FindGroup(int64_t group_id) {
  GroupRecord group;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& c) -> absl::Status {
    Statement find = Prepare(c, "SELECT village_id, name FROM villager_groups WHERE group_id = ?");
    find->setInt64(1, group_id);
    Rows rows(find->executeQuery());
    if (!rows->next()) return absl::NotFoundError(absl::StrCat("group ", group_id, " not found"));
    group = {group_id, rows->getInt64(1), rows->getString(2).asStdString()};
    return absl::OkStatus();
  }));
  return group;
}

absl::StatusOr<GridRecord> MySqlRegistryRepository::AssignGridWorker(
    const RegistryActor& actor, int64_t village_id, int64_t grid_id,
    const std::string& worker_user_id, const std::optional<std::string>& current_worker_user_id) {
  GridRecord grid;
  RETURN_IF_ERROR(mysql::RunInTransaction(pool_, [&](sql::Connection& c) -> absl::Status {
    // Locking the village row, as every registry write does, keeps the change in line with the
    // village's other writes.
    RETURN_IF_ERROR(LockVillage(c, village_id));
    Statement read = Prepare(c,
                             "SELECT village_id, name, worker_user_id FROM grids "
                             "WHERE grid_id = ? AND village_id = ? FOR UPDATE");
    read->setInt64(1, grid_id);
    read->setInt64(2, village_id);
    Rows rows(read->executeQuery());
    if (!rows->next()) return absl::NotFoundError(absl::StrCat("grid ", grid_id, " not found"));
    grid = {grid_id, rows->getInt64(1), rows->getString(2).asStdString(),
            rows->getString(3).asStdString()};
    if (grid.worker_user_id == worker_user_id) return absl::OkStatus();
    // Checked under the row lock, so no other assignment can come between the check and the write.
    if (current_worker_user_id.has_value() && grid.worker_user_id != *current_worker_user_id) {
      return absl::FailedPreconditionError(
          absl::StrCat("GRID_WORKER_CHANGED: grid ", grid_id, " names \"", grid.worker_user_id,
                       "\" as its worker, not \"", *current_worker_user_id, "\""));
    }
    const std::string before = absl::StrCat("worker_user_id=", grid.worker_user_id);
    Statement update = Prepare(c, "UPDATE grids SET worker_user_id = ? WHERE grid_id = ?");
    update->setString(1, worker_user_id);
    update->setInt64(2, grid_id);
    update->executeUpdate();
    grid.worker_user_id = worker_user_id;
    return Audit(c, actor, grid.village_id, "assign_grid_worker", "grid", grid_id,
                 absl::StrCat("worker_user_id=", worker_user_id), before);
  }));
  return grid;
}

absl::StatusOr<HouseholdWithMembers> MySqlRegistryRepository::CreateHousehold(
    const RegistryActor& actor, const HouseholdWithMembers& household) {
  HouseholdWithMembers created = household;
  HouseholdRecord& record = created.household.record;
  const std::string duplicate = absl::StrCat(
      "group ", record.group_id, " already has house number \"", record.house_number, "\"");
  absl::Status status = mysql::RunInTransaction(pool_, [&](sql::Connection& c) -> absl::Status {
    ASSIGN_OR_RETURN(const VillageRecord village, LockVillage(c, record.village_id));
    record.town_id = village.town_id;
    if (!VillageHas(c, "villager_groups", "group_id", record.village_id, record.group_id)) {
      return absl::InvalidArgumentError(
          absl::StrCat("GROUP_NOT_IN_VILLAGE: household.group_id: group ", record.group_id,
                       " is not a group of village ", record.village_id));
    }
    if (record.grid_id != 0 &&
        !VillageHas(c, "grids", "grid_id", record.village_id, record.grid_id)) {
      return absl::InvalidArgumentError(
          absl::StrCat("GRID_NOT_IN_VILLAGE: household.grid_id: grid ", record.grid_id,
                       " is not a grid of village ", record.village_id));
    }
    Statement address = Prepare(
        c, "SELECT 1 FROM households WHERE village_id = ? AND group_id = ? AND house_number = ?");
    address->setInt64(1, record.village_id);
    address->setInt64(2, record.group_id);
    address->setString(3, record.house_number);
    if (Rows(address->executeQuery())->next()) return absl::AlreadyExistsError(duplicate);
    record.household_id =
        InsertHousehold(c, record.village_id, record, created.household.consent_date);
    Statement insert = Prepare(c,
                               "INSERT INTO members (village_id, household_id, name, "
                               "phone_cipher, is_head, staff_user_id) VALUES (?, ?, ?, ?, ?, ?)");
    for (size_t i = 0; i < created.members.size(); ++i) {
      MemberRecord& member = created.members[i];
      insert->setInt64(1, record.village_id);
      insert->setInt64(2, record.household_id);
      insert->setString(3, member.name);
      if (member.phone.empty()) {
        insert->setNull(4, sql::DataType::VARBINARY);
      } else {
        insert->setString(4, cipher_->Seal(member.phone));
      }
      insert->setBoolean(5, member.is_head);
      if (member.staff_user_id.empty()) {
        insert->setNull(6, sql::DataType::VARCHAR);
      } else {
        insert->setString(6, member.staff_user_id);
      }
      // CleanHouseholdDraft compares names as the database does for ASCII; it knows more pairs.
      if (!InsertUnlessDuplicate(*insert)) {
        return absl::InvalidArgumentError(
            absl::StrCat("members[", i, "].name: 成员“", member.name,
                         "”与同户另一成员被系统视为同名（如全角与半角、大小写不同）"));
      }
      member.member_id = registry_sql::LastInsertId(c);
      member.household_id = record.household_id;
    }
    return Audit(c, actor, record.village_id, "create_household", "household", record.household_id,
                 HouseholdSummary(record, created.members.size()));
  });
  RETURN_IF_ERROR(Reword(status, duplicate));
  return created;
}

absl::StatusOr<HouseholdWithMembers> MySqlRegistryRepository::GetHousehold(int64_t household_id) {
  HouseholdWithMembers found;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& c) -> absl::Status {
    Statement household =
        Prepare(c, absl::StrCat("SELECT ", registry_sql::kHouseholdColumns,
                                registry_sql::kHouseholdFrom, registry_sql::kHouseholdJoins, "WHERE h.household_id = ?"));
    household->setInt64(1, household_id);
    Rows rows(household->executeQuery());
    if (!rows->next()) {
      return absl::NotFoundError(absl::StrCat("household ", household_id, " not found"));
    }
    found.household = registry_sql::ReadHousehold(*rows);
    Statement members = Prepare(c,
                                "SELECT member_id, name, phone_cipher, is_head, "
                                "COALESCE(staff_user_id, '') FROM members "
                                "WHERE village_id = ? AND household_id = ? ORDER BY member_id");
    members->setInt64(1, found.household.record.village_id);
    members->setInt64(2, household_id);
    Rows member_rows(members->executeQuery());
    while (member_rows->next()) {
      MemberRecord member;
      member.member_id = member_rows->getInt64(1);
      member.household_id = household_id;
      member.name = member_rows->getString(2).asStdString();
      if (!member_rows->isNull(3)) {
        ASSIGN_OR_RETURN(member.phone, cipher_->Open(member_rows->getString(3).asStdString()));
      }
      member.is_head = member_rows->getBoolean(4);
      member.staff_user_id = member_rows->getString(5).asStdString();
      found.members.push_back(std::move(member));
    }
    return absl::OkStatus();
  }));
  return found;
}

absl::StatusOr<HouseholdPage> MySqlRegistryRepository::ListHouseholds(const HouseholdQuery& query) {
  HouseholdPage page;
  if (query.only_groups.has_value() && query.only_groups->empty()) return page;
  std::string text =
      absl::StrCat("SELECT ", registry_sql::kHouseholdColumns, registry_sql::kHouseholdFrom, registry_sql::kHouseholdJoins,
                   "WHERE h.village_id = ? AND h.household_id > ?");
  if (query.group_id != 0) absl::StrAppend(&text, " AND h.group_id = ?");
  if (query.grid_id != 0) absl::StrAppend(&text, " AND h.grid_id = ?");
  if (query.only_groups.has_value()) {
    absl::StrAppend(&text, " AND h.group_id IN (", Placeholders(query.only_groups->size()), ")");
  }
  absl::StrAppend(&text, " ORDER BY h.household_id LIMIT ?");
  const int page_size = std::max(1, query.page_size);
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& c) -> absl::Status {
    Statement statement = Prepare(c, text);
    unsigned int index = 1;
    statement->setInt64(index++, query.village_id);
    statement->setInt64(index++, query.after_household_id);
    if (query.group_id != 0) statement->setInt64(index++, query.group_id);
    if (query.grid_id != 0) statement->setInt64(index++, query.grid_id);
    if (query.only_groups.has_value()) {
      for (int64_t group_id : *query.only_groups) statement->setInt64(index++, group_id);
    }
    statement->setInt(index++, page_size + 1);  // one more tells whether a next page exists
    Rows rows(statement->executeQuery());
    while (rows->next()) page.households.push_back(registry_sql::ReadHousehold(*rows));
    return absl::OkStatus();
  }));
  if (page.households.size() > static_cast<size_t>(page_size)) {
    page.households.pop_back();
    page.last_household_id = page.households.back().record.household_id;
  }
  return page;
}

absl::StatusOr<VillageListing> MySqlRegistryRepository::ListVillages(const VillageQuery& query) {
  VillageListing listing;
  RETURN_IF_ERROR(mysql::RunWithConnection(pool_, [&](sql::Connection& c) -> absl::Status {
    // The villages first; towns and groups follow from them.
    std::string villages_sql = "SELECT village_id, town_id, name FROM villages";
    int64_t parameter = 0;
    if (query.village_id != 0) {
      villages_sql += " WHERE village_id = ?";
      parameter = query.village_id;
    } else if (query.town_id != 0) {
      villages_sql += " WHERE town_id = ?";
      parameter = query.town_id;
    }
    Statement villages = Prepare(c, villages_sql + " ORDER BY village_id");
    if (parameter != 0) villages->setInt64(1, parameter);
    Rows village_rows(villages->executeQuery());
    while (village_rows->next()) {
      listing.villages.push_back({village_rows->getInt64(1), village_rows->getInt64(2),
                                  village_rows->getString(3).asStdString()});
    }
    if (query.village_id != 0 && listing.villages.empty()) {
      return absl::NotFoundError(absl::StrCat("village ", query.village_id, " not found"));
    }

    std::string towns_sql = "SELECT town_id, name FROM towns";
    int64_t town_id = query.town_id;
    if (query.village_id != 0) town_id = listing.villages.front().town_id;
    if (town_id != 0) towns_sql += " WHERE town_id = ?";
    Statement towns = Prepare(c, towns_sql + " ORDER BY town_id");
    if (town_id != 0) towns->setInt64(1, town_id);
    Rows town_rows(towns->executeQuery());
    while (town_rows->next()) {
      listing.towns.push_back({town_rows->getInt64(1), town_rows->getString(2).asStdString()});
    }
    if (town_id != 0 && listing.towns.empty()) {
      return absl::NotFoundError(absl::StrCat("town ", town_id, " not found"));
    }

    // Groups, grids and teams of the listed villages: each table has village_id, filtered alike.
    const auto of_listed_villages = [&](const std::string& select, const char* alias) {
      std::string text = select;
      if (query.village_id != 0) {
        absl::StrAppend(&text, " WHERE ", alias, ".village_id = ?");
      } else if (query.town_id != 0) {
        absl::StrAppend(&text, " JOIN villages v ON v.village_id = ", alias,
                        ".village_id WHERE v.town_id = ?");
      }
      return text;
    };
    // Calls `read_row` for each row (the statement must outlive its rows).
    const auto for_each_row = [&](const std::string& text,
                                  const std::function<void(sql::ResultSet&)>& read_row) {
      Statement statement = Prepare(c, text);
      if (parameter != 0) statement->setInt64(1, parameter);
      Rows rows(statement->executeQuery());
      while (rows->next()) read_row(*rows);
    };
    for_each_row(of_listed_villages("SELECT g.group_id, g.village_id, g.name FROM villager_groups g",
                                    "g") + " ORDER BY g.group_id",
                 [&](sql::ResultSet& row) {
                   listing.groups.push_back(
                       {row.getInt64(1), row.getInt64(2), row.getString(3).asStdString()});
                 });
    for_each_row(of_listed_villages(
                     "SELECT r.grid_id, r.village_id, r.name, r.worker_user_id FROM grids r", "r") +
                     " ORDER BY r.grid_id",
                 [&](sql::ResultSet& row) {
                   listing.grids.push_back({row.getInt64(1), row.getInt64(2),
                                            row.getString(3).asStdString(),
                                            row.getString(4).asStdString()});
                 });
    std::map<int64_t, size_t> team_index;  // team_id -> its place in listing.teams
    for_each_row(of_listed_villages(
                     "SELECT t.team_id, t.village_id, t.name FROM assessment_teams t", "t") +
                     " ORDER BY t.team_id",
                 [&](sql::ResultSet& row) {
                   team_index[row.getInt64(1)] = listing.teams.size();
                   listing.teams.push_back(
                       {row.getInt64(1), row.getInt64(2), row.getString(3).asStdString(), {}});
                 });
    for_each_row(of_listed_villages("SELECT m.team_id, m.group_id FROM team_groups m", "m") +
                     " ORDER BY m.team_id, m.group_id",
                 [&](sql::ResultSet& row) {
                   auto team = team_index.find(row.getInt64(1));
                   if (team != team_index.end()) {
                     listing.teams[team->second].group_ids.push_back(row.getInt64(2));
                   }
                 });
    return absl::OkStatus();
  }));
  return listing;
}

absl::StatusOr<RosterImportResult> MySqlRegistryRepository::ImportRoster(const RegistryActor& actor,
                                                                         int64_t village_id,
                                                                         const RosterPlan& plan,
                                                                         bool dry_run) {
  RosterImportResult result;
  // Set when the body undoes its own writes on purpose (a dry run, or conflicts found).
  bool rehearsed = false;
  absl::Status status = mysql::RunInTransaction(pool_, [&](sql::Connection& c) -> absl::Status {
    result = RosterImportResult{};  // a retried attempt starts over
    rehearsed = false;
    RETURN_IF_ERROR(LockVillage(c, village_id));

    // A household refused is refused on every row of it (each member's), so that no row of it
    // reads as imported.
    std::set<const RosterHousehold*> refused;
    const auto refuse = [&](const RosterHousehold& household, const std::string& reason) {
      refused.insert(&household);
      if (household.members.empty()) result.conflicts.push_back({household.first_line, reason});
      for (const RosterMember& member : household.members) {
        result.conflicts.push_back({member.line, reason});
      }
    };

    // Groups and grids are looked up by the database's own comparison of names (case and
    // trailing spaces aside), the one its unique keys use and CreateGroup / CreateGrid check:
    // "QA-A-G" in a file is the village's group "qa-a-g". Keyed by the file's spelling; 0: none.
    std::map<std::string, int64_t> group_ids;
    std::vector<std::string> new_groups;  // in order of first appearance
    std::map<std::string, int64_t> grid_ids;
    Statement find_group =
        Prepare(c, "SELECT group_id FROM villager_groups WHERE village_id = ? AND name = ?");
    Statement find_grid = Prepare(c, "SELECT grid_id FROM grids WHERE village_id = ? AND name = ?");
    const auto find = [&](Statement& statement, const std::string& name) -> int64_t {
      statement->setInt64(1, village_id);
      statement->setString(2, name);
      Rows rows(statement->executeQuery());
      return rows->next() ? rows->getInt64(1) : 0;
    };
    for (const RosterHousehold& household : plan.households) {
      if (group_ids.count(household.group_name) == 0) {
        const int64_t id = find(find_group, household.group_name);
        group_ids[household.group_name] = id;
        if (id == 0) new_groups.push_back(household.group_name);
      }
      if (!household.grid_name.empty() && grid_ids.count(household.grid_name) == 0) {
        grid_ids[household.grid_name] = find(find_grid, household.grid_name);
      }
    }

    // What is registered already, before writing anything.
    Statement address = Prepare(
        c, "SELECT 1 FROM households WHERE village_id = ? AND group_id = ? AND house_number = ?");
    for (const RosterHousehold& household : plan.households) {
      if (!household.grid_name.empty() && grid_ids.at(household.grid_name) == 0) {
        refuse(household, absl::StrCat("网格“", household.grid_name, "”不存在，请先创建网格"));
      }
      const int64_t group_id = group_ids.at(household.group_name);
      if (group_id == 0) continue;
      address->setInt64(1, village_id);
      address->setInt64(2, group_id);
      address->setString(3, household.house_number);
      if (Rows(address->executeQuery())->next()) {
        refuse(household,
               absl::StrCat(household.group_name, household.house_number, "已登记，不能重复导入"));
      }
    }
    result.groups_created = static_cast<int>(new_groups.size());
    result.households_created = static_cast<int>(plan.households.size());
    for (const RosterHousehold& household : plan.households) {
      result.members_created += static_cast<int>(household.members.size());
    }

    // The writes, also for a dry run and with households refused, and then undone: the database's
    // unique keys compare names in more ways than ParseRoster knows (full-width letters, accents),
    // and each row they refuse is reported here, the same in a dry run as in the import, rather
    // than failing the whole import at its end.
    const bool rehearsal = dry_run || !result.conflicts.empty();
    Statement insert_group =
        Prepare(c, "INSERT INTO villager_groups (village_id, name) VALUES (?, ?)");
    for (const std::string& name : new_groups) {
      insert_group->setInt64(1, village_id);
      insert_group->setString(2, name);
      if (InsertUnlessDuplicate(*insert_group)) {
        group_ids[name] = registry_sql::LastInsertId(c);
        continue;
      }
      for (const RosterHousehold& household : plan.households) {
        if (household.group_name != name) continue;
        refuse(household, absl::StrCat("村民小组“", name,
                                       "”与本文件中另一小组名被系统视为同一名称（如全角与半角、"
                                       "大小写不同），请统一写法"));
      }
    }
    Statement insert_member = Prepare(c,
                                      "INSERT INTO members (village_id, household_id, name, "
                                      "phone_cipher, is_head, staff_user_id) "
                                      "VALUES (?, ?, ?, ?, ?, ?)");
    for (const RosterHousehold& household : plan.households) {
      // ParseRoster has refused these rows already (a non-registered household without its
      // consent date); the table's CHECK would fail the whole import.
      if (refused.count(&household) > 0 || group_ids.at(household.group_name) == 0 ||
          (!household.registered && household.consent_date.empty())) {
        continue;
      }
      HouseholdRecord record;
      record.group_id = group_ids.at(household.group_name);
      record.grid_id = household.grid_name.empty() ? 0 : grid_ids.at(household.grid_name);
      record.house_number = household.house_number;
      record.head_name = household.head_name;
      record.registered = household.registered;
      record.rents_out_rooms = household.rents_out_rooms;
      record.steward_user_id = household.steward_user_id;
      const std::optional<int64_t> household_id =
          InsertHouseholdUnlessDuplicate(c, village_id, record, household.consent_date);
      if (!household_id.has_value()) {
        refuse(household,
               absl::StrCat("门牌号“", household.house_number, "”与本文件中", household.group_name,
                            "的另一门牌号被系统视为同一门牌号（如全角与半角、大小写"
                            "不同），请统一写法"));
        continue;
      }
      for (const RosterMember& member : household.members) {
        insert_member->setInt64(1, village_id);
        insert_member->setInt64(2, *household_id);
        insert_member->setString(3, member.name);
        if (member.phone.empty()) {
          insert_member->setNull(4, sql::DataType::VARBINARY);
        } else {
          insert_member->setString(4, cipher_->Seal(member.phone));
        }
        insert_member->setBoolean(5, member.is_head);
        if (member.staff_user_id.empty()) {
          insert_member->setNull(6, sql::DataType::VARCHAR);
        } else {
          insert_member->setString(6, member.staff_user_id);
        }
        if (!InsertUnlessDuplicate(*insert_member)) {
          result.conflicts.push_back(
              {member.line, absl::StrCat("成员“", member.name,
                                         "”与同户另一成员被系统视为同名（如全角与半角、大小写"
                                         "不同），请核对")});
        }
      }
      if (!rehearsal) {
        record.household_id = *household_id;
        RETURN_IF_ERROR(Audit(c, actor, village_id, "create_household", "household", *household_id,
                              HouseholdSummary(record, household.members.size())));
      }
    }
    if (rehearsal || !result.conflicts.empty()) {
      rehearsed = true;
      return absl::CancelledError("roster import rehearsed; its writes are undone");
    }
    result.applied = true;
    return Audit(c, actor, village_id, "import_roster", "village", village_id,
                 absl::StrCat("households=", result.households_created, " members=",
                              result.members_created, " groups_created=", result.groups_created));
  });
  if (rehearsed && absl::IsCancelled(status)) status = absl::OkStatus();
  // Each insert above reports its own duplicate keys by line. Should another one still surprise
  // the import, it must not read as ALREADY_EXISTS ("the same request again, other content"):
  // nothing was written, and a dry run shows the rows.
  if (absl::IsAlreadyExists(status)) {
    return absl::FailedPreconditionError(
        "ROSTER_CONFLICT: a record of the roster collides with one already registered; nothing "
        "was imported");
  }
  RETURN_IF_ERROR(status);
  return result;
}

}  // namespace jifen::scoring
