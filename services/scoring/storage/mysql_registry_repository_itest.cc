// Integration tests of the registry against the fixture's MariaDB: the repository and household
// directory on a fresh database migrated with every scoring migration, connected as the service's
// own (granted, not all-powerful) account; and RegistryServiceImpl over real gRPC with signed
// tokens.
#include <cppconn/connection.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/auth/test_keys.h"
#include "common/auth/token.h"
#include "common/grpc/call.h"
#include "common/migrate/migrator.h"
#include "common/mysql/transaction.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jifen/audit/v1/audit.pb.h"
#include "jifen/scoring/v1/registry.grpc.pb.h"
#include "services/scoring/handler/registry_service.h"
#include "services/scoring/handler/scoring_context.h"
#include "services/scoring/storage/mysql_registry_household_directory.h"
#include "services/scoring/storage/mysql_registry_phone_cipher.h"
#include "services/scoring/storage/mysql_registry_repository.h"
#include "tests/support/testenv.h"

namespace jifen::scoring {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr char kServiceUser[] = "jifen_registry_itest";
constexpr char kServicePassword[] = "registry-itest-password";
const std::string kPhoneKey(32, 'k');
const RegistryActor kActor{"admin-1", "village_admin"};

mysql::MySqlConfig ConfigFor(const std::string& database, bool as_service) {
  const testing::MySqlServer& server = testing::TestMySql();
  mysql::MySqlConfig config;
  config.host = server.host;
  config.port = server.port;
  config.user = as_service ? kServiceUser : server.user;
  config.password = as_service ? kServicePassword : server.password;
  config.database = database;
  config.pool_size = 8;
  return config;
}

void Execute(mysql::ConnectionPool& pool, const std::string& statement_text) {
  absl::Status status = mysql::RunWithConnection(pool, [&](sql::Connection& c) {
    std::unique_ptr<sql::Statement> statement(c.createStatement());
    statement->execute(statement_text);
    return absl::OkStatus();
  });
  ASSERT_TRUE(status.ok()) << status << " in " << statement_text;
}

int64_t Count(mysql::ConnectionPool& pool, const std::string& table) {
  int64_t count = -1;
  absl::Status status = mysql::RunWithConnection(pool, [&](sql::Connection& c) {
    std::unique_ptr<sql::Statement> statement(c.createStatement());
    std::unique_ptr<sql::ResultSet> rows(
        statement->executeQuery(absl::StrCat("SELECT COUNT(*) FROM ", table)));
    rows->next();
    count = rows->getInt64(1);
    return absl::OkStatus();
  });
  EXPECT_TRUE(status.ok()) << status;
  return count;
}

std::unique_ptr<MySqlRegistryRepository> NewRepository(mysql::ConnectionPool& pool) {
  absl::StatusOr<std::unique_ptr<PhoneCipher>> cipher = PhoneCipher::Create(kPhoneKey);
  EXPECT_TRUE(cipher.ok()) << cipher.status();
  return std::make_unique<MySqlRegistryRepository>(pool, *std::move(cipher));
}

// One database for the suite, migrated with every scoring migration by the admin account; the
// code under test connects as the service account, so missing GRANTs fail the tests.
class RegistryDatabase : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    database_ = new std::string(testing::CreateFreshDatabase("registry"));
    admin_ = new mysql::ConnectionPool(ConfigFor(*database_, /*as_service=*/false));
    for (const char* host : {"127.0.0.1", "localhost"}) {
      Execute(*admin_, absl::StrCat("CREATE USER IF NOT EXISTS '", kServiceUser, "'@'", host,
                                    "' IDENTIFIED BY '", kServicePassword, "'"));
    }
    absl::StatusOr<migrate::MigrationResult> migrated =
        migrate::ApplyMigrations(*admin_, testing::SourcePath("services/scoring/migrations"),
                                 {{"SERVICE_USER", kServiceUser}});
    ASSERT_TRUE(migrated.ok()) << migrated.status();
    ASSERT_FALSE(migrated->applied.empty());
    EXPECT_EQ(migrated->applied.front(), "0001_registry.sql");
    service_ = new mysql::ConnectionPool(ConfigFor(*database_, /*as_service=*/true));
  }
  static void TearDownTestSuite() {
    delete service_;
    delete admin_;
    delete database_;
  }

  void SetUp() override { repository_ = NewRepository(*service_); }

  // A town and village with two groups and a grid, with names unique to the test.
  struct Village {
    int64_t town_id = 0;
    int64_t village_id = 0;
    int64_t group1 = 0;
    int64_t group2 = 0;
    int64_t grid = 0;
  };
  Village MakeVillage() {
    const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    Village made;
    absl::StatusOr<TownRecord> town = repository_->CreateTown(kActor, absl::StrCat(test, "镇"));
    EXPECT_TRUE(town.ok()) << town.status();
    made.town_id = town->town_id;
    absl::StatusOr<VillageRecord> village =
        repository_->CreateVillage(kActor, made.town_id, "革新村");
    EXPECT_TRUE(village.ok()) << village.status();
    made.village_id = village->village_id;
    made.group1 = repository_->CreateGroup(kActor, made.village_id, "第1组")->group_id;
    made.group2 = repository_->CreateGroup(kActor, made.village_id, "第2组")->group_id;
    made.grid = repository_->CreateGrid(kActor, {0, made.village_id, "北片", "gw-1"})->grid_id;
    return made;
  }

  static HouseholdWithMembers NewHousehold(const Village& village, int64_t group_id,
                                           const std::string& house_number, int64_t grid_id) {
    HouseholdWithMembers household;
    HouseholdRecord& record = household.household.record;
    record.village_id = village.village_id;
    record.group_id = group_id;
    record.grid_id = grid_id;
    record.house_number = house_number;
    record.head_name = "张建华";
    record.steward_user_id = "cadre-1";
    household.members = {{0, 0, "张建华", "13812345678", true, ""},
                         {0, 0, "李梅", "", false, "grid-7"}};
    return household;
  }

  static std::string* database_;
  static mysql::ConnectionPool* admin_;
  static mysql::ConnectionPool* service_;
  std::unique_ptr<MySqlRegistryRepository> repository_;
};

std::string* RegistryDatabase::database_ = nullptr;
mysql::ConnectionPool* RegistryDatabase::admin_ = nullptr;
mysql::ConnectionPool* RegistryDatabase::service_ = nullptr;

TEST_F(RegistryDatabase, OrganisationIsCreatedAndListed) {
  const Village village = MakeVillage();
  EXPECT_EQ(repository_->CreateTown(kActor, "OrganisationIsCreatedAndListed镇").status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(repository_->CreateVillage(kActor, village.town_id, "革新村").status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(repository_->CreateVillage(kActor, 999999, "芦胜村").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(repository_->CreateGroup(kActor, village.village_id, "第1组").status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(repository_->CreateGroup(kActor, 999999, "第1组").status().code(),
            absl::StatusCode::kNotFound);

  absl::StatusOr<TeamRecord> team = repository_->CreateTeam(
      kActor, {0, village.village_id, "一片", {village.group2, village.group1}});
  ASSERT_TRUE(team.ok()) << team.status();
  absl::StatusOr<TeamRecord> found = repository_->FindTeam(team->team_id);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->village_id, village.village_id);
  EXPECT_THAT(found->group_ids, ElementsAre(village.group1, village.group2));
  EXPECT_EQ(repository_->FindTeam(999999).status().code(), absl::StatusCode::kNotFound);

  // A team may only cover its own village's groups.
  const Village other = [&] {
    absl::StatusOr<VillageRecord> v = repository_->CreateVillage(kActor, village.town_id, "永联村");
    Village made;
    made.village_id = v->village_id;
    made.group1 = repository_->CreateGroup(kActor, v->village_id, "第1组")->group_id;
    return made;
  }();
  // A village's ledger chain starts with it: its head row exists before any entry.
  EXPECT_EQ(Count(*admin_, absl::StrCat("ledger_heads WHERE entries = 0 AND village_id = ",
                                        other.village_id)),
            1);
  EXPECT_EQ(repository_->CreateTeam(kActor, {0, village.village_id, "二片", {other.group1}})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);

  absl::StatusOr<VillageListing> by_town = repository_->ListVillages({village.town_id, 0});
  ASSERT_TRUE(by_town.ok()) << by_town.status();
  EXPECT_THAT(by_town->towns, SizeIs(1));
  EXPECT_THAT(by_town->villages, SizeIs(2));
  EXPECT_THAT(by_town->groups, SizeIs(3));
  absl::StatusOr<VillageListing> one = repository_->ListVillages({0, other.village_id});
  ASSERT_TRUE(one.ok()) << one.status();
  ASSERT_THAT(one->villages, SizeIs(1));
  EXPECT_EQ(one->villages[0].name, "永联村");
  EXPECT_THAT(one->groups, SizeIs(1));
  EXPECT_EQ(repository_->ListVillages({999999, 0}).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(RegistryDatabase, PhonesAreEncryptedAtRestWithFreshNonces) {
  const Village village = MakeVillage();
  HouseholdWithMembers household = NewHousehold(village, village.group1, "1号", village.grid);
  household.members[1].phone = "13812345678";  // the same number twice
  absl::StatusOr<HouseholdWithMembers> created = repository_->CreateHousehold(kActor, household);
  ASSERT_TRUE(created.ok()) << created.status();

  std::vector<std::string> stored;
  ASSERT_TRUE(mysql::RunWithConnection(*admin_, [&](sql::Connection& c) {
                std::unique_ptr<sql::PreparedStatement> select(c.prepareStatement(
                    "SELECT phone_cipher FROM members WHERE household_id = ? ORDER BY member_id"));
                select->setInt64(1, created->household.record.household_id);
                std::unique_ptr<sql::ResultSet> rows(select->executeQuery());
                while (rows->next()) stored.push_back(rows->getString(1).asStdString());
                return absl::OkStatus();
              }).ok());
  ASSERT_THAT(stored, SizeIs(2));
  EXPECT_EQ(stored[0].size(), 1u + 24 + 16 + 11);
  EXPECT_EQ(stored[0].find("13812345678"), std::string::npos);
  EXPECT_EQ(stored[0].find("5678"), std::string::npos);
  EXPECT_NE(stored[0], stored[1]);

  absl::StatusOr<HouseholdWithMembers> read =
      repository_->GetHousehold(created->household.record.household_id);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_THAT(read->members, SizeIs(2));
  EXPECT_EQ(read->members[0].phone, "13812345678");
  EXPECT_EQ(read->members[1].phone, "13812345678");
  EXPECT_TRUE(read->members[0].is_head);
  EXPECT_EQ(read->members[0].staff_user_id, "");
  EXPECT_EQ(read->members[1].staff_user_id, "grid-7");  // a villager who is also staff
  EXPECT_EQ(read->household.record.town_id, village.town_id);
  EXPECT_EQ(read->household.record.steward_user_id, "cadre-1");

  // The change is on the audit outbox, without the people's names or phones.
  std::vector<std::string> audit;
  ASSERT_TRUE(mysql::RunWithConnection(*admin_, [&](sql::Connection& c) {
                std::unique_ptr<sql::Statement> select(c.createStatement());
                std::unique_ptr<sql::ResultSet> rows(
                    select->executeQuery("SELECT payload FROM outbox WHERE topic = 'audit'"));
                while (rows->next()) audit.push_back(rows->getString(1).asStdString());
                return absl::OkStatus();
              }).ok());
  const std::string household_id = absl::StrCat(created->household.record.household_id);
  bool household_audited = false;
  for (const std::string& payload : audit) {
    EXPECT_EQ(payload.find("13812345678"), std::string::npos);
    EXPECT_EQ(payload.find("张建华"), std::string::npos);
    household_audited =
        household_audited || (payload.find("create_household") != std::string::npos &&
                              payload.find(household_id) != std::string::npos);
  }
  EXPECT_TRUE(household_audited);

  // Another key cannot open them; a tampered box is DATA_LOSS, not garbage.
  absl::StatusOr<std::unique_ptr<PhoneCipher>> other_key =
      PhoneCipher::Create(std::string(32, 'x'));
  ASSERT_TRUE(other_key.ok());
  MySqlRegistryRepository wrong_key(*service_, *std::move(other_key));
  EXPECT_EQ(wrong_key.GetHousehold(created->household.record.household_id).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(PhoneCipher::Create("short").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(RegistryDatabase, HouseholdRulesAreEnforced) {
  const Village village = MakeVillage();
  ASSERT_TRUE(
      repository_->CreateHousehold(kActor, NewHousehold(village, village.group1, "1号", 0)).ok());
  EXPECT_EQ(repository_->CreateHousehold(kActor, NewHousehold(village, village.group1, "1号", 0))
                .status()
                .code(),
            absl::StatusCode::kAlreadyExists);
  // The same house number in another group is another house.
  EXPECT_TRUE(
      repository_->CreateHousehold(kActor, NewHousehold(village, village.group2, "1号", 0)).ok());
  EXPECT_EQ(
      repository_->CreateHousehold(kActor, NewHousehold(village, 999999, "2号", 0)).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      repository_->CreateHousehold(kActor, NewHousehold(village, village.group1, "2号", 999999))
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
  // The schema itself refuses a non-registered household without consent (CHECK constraint).
  HouseholdWithMembers no_consent = NewHousehold(village, village.group1, "3号", 0);
  no_consent.household.record.registered = false;
  EXPECT_EQ(repository_->CreateHousehold(kActor, no_consent).status().code(),
            absl::StatusCode::kFailedPrecondition);
  no_consent.household.consent_date = "2024-05-01";
  absl::StatusOr<HouseholdWithMembers> consented = repository_->CreateHousehold(kActor, no_consent);
  ASSERT_TRUE(consented.ok()) << consented.status();
  EXPECT_EQ(
      repository_->GetHousehold(consented->household.record.household_id)->household.consent_date,
      "2024-05-01");
  EXPECT_EQ(repository_->GetHousehold(999999).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(RegistryDatabase, ListsPageAndFilter) {
  const Village village = MakeVillage();
  for (int i = 1; i <= 5; ++i) {
    const int64_t group = i % 2 ? village.group1 : village.group2;
    const int64_t grid = i <= 2 ? village.grid : 0;
    ASSERT_TRUE(
        repository_
            ->CreateHousehold(kActor, NewHousehold(village, group, absl::StrCat(i, "号"), grid))
            .ok());
  }
  HouseholdQuery query;
  query.village_id = village.village_id;
  query.page_size = 2;
  std::vector<std::string> seen;
  for (int page_count = 0; page_count < 10; ++page_count) {
    absl::StatusOr<HouseholdPage> page = repository_->ListHouseholds(query);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const RegistryHousehold& h : page->households) seen.push_back(h.record.house_number);
    if (page->last_household_id == 0) break;
    query.after_household_id = page->last_household_id;
  }
  EXPECT_THAT(seen, ElementsAre("1号", "2号", "3号", "4号", "5号"));

  HouseholdQuery by_grid;
  by_grid.village_id = village.village_id;
  by_grid.grid_id = village.grid;
  EXPECT_THAT(repository_->ListHouseholds(by_grid)->households, SizeIs(2));
  HouseholdQuery by_groups;
  by_groups.village_id = village.village_id;
  by_groups.only_groups = std::vector<int64_t>{village.group2};
  EXPECT_THAT(repository_->ListHouseholds(by_groups)->households, SizeIs(2));
  by_groups.only_groups = std::vector<int64_t>{};
  EXPECT_THAT(repository_->ListHouseholds(by_groups)->households, SizeIs(0));
}

TEST_F(RegistryDatabase, HouseholdDirectoryServesTheRestOfScoring) {
  const Village village = MakeVillage();
  absl::StatusOr<HouseholdWithMembers> created = repository_->CreateHousehold(
      kActor, NewHousehold(village, village.group1, "1号", village.grid));
  ASSERT_TRUE(created.ok());
  ASSERT_TRUE(
      repository_->CreateHousehold(kActor, NewHousehold(village, village.group2, "1号", 0)).ok());
  const int64_t team_id =
      repository_->CreateTeam(kActor, {0, village.village_id, "一片", {village.group2}})->team_id;

  MySqlHouseholdDirectory directory(*service_);
  absl::StatusOr<HouseholdRecord> found =
      directory.FindHousehold(created->household.record.household_id);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(found->town_id, village.town_id);
  EXPECT_EQ(found->village_id, village.village_id);
  EXPECT_EQ(found->grid_id, village.grid);
  EXPECT_EQ(found->grid_worker_user_id, "gw-1");
  EXPECT_EQ(found->head_name, "张建华");
  EXPECT_TRUE(found->registered);
  EXPECT_EQ(directory.FindHousehold(999999).status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(*directory.TeamGroups(team_id), ElementsAre(village.group2));
  EXPECT_EQ(directory.TeamGroups(999999).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(*directory.GridWorker(village.grid), "gw-1");
  EXPECT_EQ(directory.GridWorker(999999).status().code(), absl::StatusCode::kNotFound);
  absl::StatusOr<std::vector<HouseholdRecord>> all =
      directory.VillageHouseholds(village.village_id);
  ASSERT_TRUE(all.ok());
  ASSERT_THAT(*all, SizeIs(2));
  EXPECT_LT((*all)[0].household_id, (*all)[1].household_id);
  EXPECT_EQ((*all)[1].grid_worker_user_id, "");  // no grid
}

RosterPlan Plan(const std::vector<std::pair<std::string, std::string>>& houses,
                const std::string& grid = "") {
  RosterPlan plan;
  int line = 2;
  for (const auto& [group, house] : houses) {
    RosterHousehold household;
    household.first_line = line;
    household.group_name = group;
    household.house_number = house;
    household.head_name = "王芳";
    household.grid_name = grid;
    household.members = {{line, "王芳", "13912345678", true, ""}, {line + 1, "王小明", "", false, ""}};
    plan.households.push_back(household);
    line += 2;
  }
  return plan;
}

TEST_F(RegistryDatabase, RosterImportIsAllOrNothing) {
  const Village village = MakeVillage();
  const int64_t households_before = Count(*admin_, "households");
  const int64_t groups_before = Count(*admin_, "villager_groups");

  const RosterPlan plan = Plan({{"第1组", "8号"}, {"第9组", "1号"}, {"第9组", "2号"}}, "北片");
  absl::StatusOr<RosterImportResult> dry =
      repository_->ImportRoster(kActor, village.village_id, plan, true);
  ASSERT_TRUE(dry.ok()) << dry.status();
  EXPECT_FALSE(dry->applied);
  EXPECT_EQ(dry->households_created, 3);
  EXPECT_EQ(dry->members_created, 6);
  EXPECT_EQ(dry->groups_created, 1);
  EXPECT_EQ(Count(*admin_, "households"), households_before);
  EXPECT_EQ(Count(*admin_, "villager_groups"), groups_before);

  absl::StatusOr<RosterImportResult> applied =
      repository_->ImportRoster(kActor, village.village_id, plan, false);
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_TRUE(applied->applied);
  EXPECT_EQ(Count(*admin_, "households"), households_before + 3);
  EXPECT_EQ(Count(*admin_, "villager_groups"), groups_before + 1);

  // Importing again conflicts on every house, and a new house beside them is not written either.
  const RosterPlan again = Plan({{"第7组", "1号"}, {"第1组", "8号"}, {"第9组", "2号"}});
  absl::StatusOr<RosterImportResult> refused =
      repository_->ImportRoster(kActor, village.village_id, again, false);
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_FALSE(refused->applied);
  // Each of the two houses is refused on both of its member rows.
  ASSERT_THAT(refused->conflicts, SizeIs(4));
  EXPECT_EQ(refused->conflicts[0].line, 4);
  EXPECT_EQ(refused->conflicts[1].line, 5);
  for (const RosterConflict& conflict : refused->conflicts) {
    EXPECT_THAT(conflict.error, HasSubstr("已登记"));
  }
  EXPECT_EQ(Count(*admin_, "households"), households_before + 3);
  EXPECT_EQ(Count(*admin_, "villager_groups"), groups_before + 1);

  absl::StatusOr<RosterImportResult> no_grid = repository_->ImportRoster(
      kActor, village.village_id, Plan({{"第1组", "30号"}}, "南片"), false);
  ASSERT_TRUE(no_grid.ok());
  ASSERT_THAT(no_grid->conflicts, SizeIs(2));  // both member rows
  EXPECT_THAT(no_grid->conflicts[0].error, HasSubstr("网格“南片”不存在"));
  EXPECT_EQ(repository_->ImportRoster(kActor, 999999, plan, false).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(RegistryDatabase, ImportFailingHalfwayLeavesNothing) {
  const Village village = MakeVillage();
  const int64_t households = Count(*admin_, "households");
  const int64_t members = Count(*admin_, "members");
  const int64_t groups = Count(*admin_, "villager_groups");
  const int64_t outbox = Count(*admin_, "outbox");
  // The last household's member name is too long for its column: the server refuses it after a
  // new group and two households were inserted.
  RosterPlan plan = Plan({{"第20组", "1号"}, {"第20组", "2号"}, {"第21组", "1号"}});
  plan.households.back().members.back().name = std::string(100, 'x');
  EXPECT_FALSE(repository_->ImportRoster(kActor, village.village_id, plan, false).ok());
  EXPECT_EQ(Count(*admin_, "households"), households);
  EXPECT_EQ(Count(*admin_, "members"), members);
  EXPECT_EQ(Count(*admin_, "villager_groups"), groups);
  EXPECT_EQ(Count(*admin_, "outbox"), outbox);
}

TEST_F(RegistryDatabase, ConcurrentImportsOfOneRosterApplyOnce) {
  const Village village = MakeVillage();
  const int64_t before = Count(*admin_, "households");
  const RosterPlan plan = Plan({{"第5组", "1号"}, {"第5组", "2号"}, {"第6组", "1号"}});
  std::atomic<int> applied{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      absl::StatusOr<RosterImportResult> result =
          repository_->ImportRoster(kActor, village.village_id, plan, false);
      ASSERT_TRUE(result.ok()) << result.status();
      (result->applied ? applied : refused)++;
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(applied.load(), 1);
  EXPECT_EQ(refused.load(), 7);
  EXPECT_EQ(Count(*admin_, "households"), before + 3);
}

TEST_F(RegistryDatabase, LargeRosterImportsInOneTransaction) {
  const Village village = MakeVillage();
  const int64_t before = Count(*admin_, "members");
  RosterPlan plan;
  for (int h = 0; h < 2000; ++h) {
    RosterHousehold household;
    household.first_line = 2 + 3 * h;
    household.group_name = absl::StrCat("第", 10 + h / 200, "组");
    household.house_number = absl::StrCat(h, "号");
    household.head_name = "王芳";
    for (int m = 0; m < 3; ++m) {
      household.members.push_back(
          {household.first_line + m, absl::StrCat("成员", m), m == 0 ? "13912345678" : "", m == 0,
           ""});
    }
    plan.households.push_back(std::move(household));
  }
  const absl::Time start = absl::Now();
  absl::StatusOr<RosterImportResult> result =
      repository_->ImportRoster(kActor, village.village_id, plan, false);
  const absl::Duration took = absl::Now() - start;
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->applied);
  EXPECT_EQ(result->groups_created, 10);
  EXPECT_EQ(Count(*admin_, "members"), before + 6000);
  std::printf("imported 2000 households / 6000 members in %s\n",
              absl::FormatDuration(took).c_str());
}

// ---- RegistryServiceImpl over gRPC ----------------------------------------------------------

class RegistryServiceTest : public RegistryDatabase {
 protected:
  void SetUp() override {
    RegistryDatabase::SetUp();
    const auth::TestKeyPair keys = auth::GenerateTestKeyPair();
    verifier_ = *auth::TokenVerifier::FromPublicKeyPem(keys.public_key_pem, {});
    signer_ = *auth::TokenSigner::FromPrivateKeyPem(keys.private_key_pem, {});
    calls_ = std::make_unique<grpc_util::CallHandler>("scoring", verifier_.get());
    ScoringContext context;
    context.calls = calls_.get();
    context.pool = service_;
    context.phone_key = kPhoneKey;
    service_impl_ = std::make_unique<RegistryServiceImpl>(context);
    ASSERT_TRUE(service_impl_->init_status().ok()) << service_impl_->init_status();
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_impl_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = v1::RegistryService::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));

    village_ = MakeVillage();
    absl::StatusOr<HouseholdWithMembers> in_grid = repository_->CreateHousehold(
        kActor, NewHousehold(village_, village_.group1, "1号", village_.grid));
    ASSERT_TRUE(in_grid.ok()) << in_grid.status();
    in_grid_ = in_grid->household.record.household_id;
    absl::StatusOr<HouseholdWithMembers> outside =
        repository_->CreateHousehold(kActor, NewHousehold(village_, village_.group2, "2号", 0));
    ASSERT_TRUE(outside.ok());
    outside_grid_ = outside->household.record.household_id;
    team_ = repository_->CreateTeam(kActor, {0, village_.village_id, "一片", {village_.group2}})
                ->team_id;
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  }

  auth::Caller As(auth::Role role) const {
    auth::Caller caller;
    caller.user_id = absl::StrCat("user-", auth::RoleName(role));
    caller.role = role;
    switch (role) {
      case auth::Role::kResident:
        caller.village_id = village_.village_id;
        caller.household_id = in_grid_;
        break;
      case auth::Role::kGridWorker:
        caller.user_id = "gw-1";  // the worker MakeVillage's grid names
        caller.village_id = village_.village_id;
        caller.grid_id = village_.grid;
        break;
      case auth::Role::kAssessor:
        caller.village_id = village_.village_id;
        caller.team_id = team_;
        break;
      case auth::Role::kVillageAdmin:
        caller.village_id = village_.village_id;
        break;
      case auth::Role::kTownOfficial:
        caller.town_id = village_.town_id;
        break;
      default:
        break;
    }
    return caller;
  }

  std::unique_ptr<grpc::ClientContext> ContextFor(const auth::Caller& caller) const {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    absl::StatusOr<std::string> token = signer_->Sign(caller, absl::Now(), absl::Minutes(5));
    EXPECT_TRUE(token.ok()) << token.status();
    context->AddMetadata("authorization", absl::StrCat("Bearer ", *token));
    return context;
  }

  grpc::Status Get(const auth::Caller& caller, int64_t household_id, v1::HouseholdDetail* out) {
    v1::GetHouseholdRequest request;
    request.set_household_id(household_id);
    return stub_->GetHousehold(ContextFor(caller).get(), request, out);
  }

  grpc::Status Import(const auth::Caller& caller, const std::string& csv, bool dry_run,
                      v1::ImportRosterResponse* out) {
    v1::ImportRosterRequest request;
    request.set_village_id(village_.village_id);
    request.set_csv(csv);
    request.set_dry_run(dry_run);
    return stub_->ImportRoster(ContextFor(caller).get(), request, out);
  }

  std::unique_ptr<auth::TokenVerifier> verifier_;
  std::unique_ptr<auth::TokenSigner> signer_;
  std::unique_ptr<grpc_util::CallHandler> calls_;
  std::unique_ptr<RegistryServiceImpl> service_impl_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::RegistryService::Stub> stub_;
  Village village_;
  int64_t in_grid_ = 0;
  int64_t outside_grid_ = 0;
  int64_t team_ = 0;
};

TEST_F(RegistryServiceTest, FullDataOnlyForTheHouseholdAndItsVillageAdmin) {
  for (auth::Role role : {auth::Role::kResident, auth::Role::kVillageAdmin}) {
    v1::HouseholdDetail detail;
    grpc::Status status = Get(As(role), in_grid_, &detail);
    ASSERT_TRUE(status.ok()) << auth::RoleName(role) << ": " << status.error_message();
    EXPECT_EQ(detail.household().head_name(), "张建华");
    EXPECT_EQ(detail.members(0).phone(), "13812345678");
  }
  for (auth::Role role : {auth::Role::kGridWorker, auth::Role::kTownOfficial,
                          auth::Role::kDistrictOfficial, auth::Role::kDistrictInspector}) {
    v1::HouseholdDetail detail;
    grpc::Status status = Get(As(role), in_grid_, &detail);
    ASSERT_TRUE(status.ok()) << auth::RoleName(role) << ": " << status.error_message();
    EXPECT_EQ(detail.household().head_name(), "张*华") << auth::RoleName(role);
    ASSERT_EQ(detail.members_size(), 2);
    EXPECT_EQ(detail.members(0).name(), "张*华");
    EXPECT_EQ(detail.members(0).phone(), "138****5678");
    EXPECT_EQ(detail.members(1).name(), "李*");
    EXPECT_EQ(detail.members(1).phone(), "");
  }
}

TEST_F(RegistryServiceTest, ObjectScopesAreEnforced) {
  v1::HouseholdDetail detail;
  // A grid worker reads their grid only; an assessor their team's groups; a resident their home.
  EXPECT_EQ(Get(As(auth::Role::kGridWorker), outside_grid_, &detail).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Get(As(auth::Role::kAssessor), in_grid_, &detail).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(Get(As(auth::Role::kAssessor), outside_grid_, &detail).ok());
  EXPECT_EQ(Get(As(auth::Role::kResident), outside_grid_, &detail).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  auth::Caller other_town = As(auth::Role::kTownOfficial);
  other_town.town_id += 1000;
  EXPECT_EQ(Get(other_town, in_grid_, &detail).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  auth::Caller other_admin = As(auth::Role::kVillageAdmin);
  other_admin.village_id += 1000;
  EXPECT_EQ(Get(other_admin, in_grid_, &detail).error_code(), grpc::StatusCode::PERMISSION_DENIED);

  // Without a token nothing is served.
  grpc::ClientContext anonymous;
  v1::GetHouseholdRequest request;
  request.set_household_id(in_grid_);
  EXPECT_EQ(stub_->GetHousehold(&anonymous, request, &detail).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  // Listing is pinned to the caller's grid.
  v1::ListHouseholdsRequest list;
  list.set_village_id(village_.village_id);
  v1::ListHouseholdsResponse listed;
  ASSERT_TRUE(
      stub_->ListHouseholds(ContextFor(As(auth::Role::kGridWorker)).get(), list, &listed).ok());
  ASSERT_EQ(listed.households_size(), 1);
  EXPECT_EQ(listed.households(0).household_id(), in_grid_);
  EXPECT_EQ(listed.households(0).head_name(), "张*华");
  list.set_grid_id(village_.grid + 1);
  EXPECT_EQ(stub_->ListHouseholds(ContextFor(As(auth::Role::kGridWorker)).get(), list, &listed)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // Village writes belong to the village's admin.
  v1::CreateGroupRequest group;
  group.set_village_id(village_.village_id);
  group.set_name("第3组");
  v1::Group created;
  EXPECT_EQ(stub_->CreateGroup(ContextFor(other_admin).get(), group, &created).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub_->CreateGroup(ContextFor(As(auth::Role::kTownOfficial)).get(), group, &created)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(
      stub_->CreateGroup(ContextFor(As(auth::Role::kVillageAdmin)).get(), group, &created).ok());
  EXPECT_EQ(created.name(), "第3组");

  v1::CreateTownRequest town;
  town.set_name("新镇");
  v1::Town made_town;
  EXPECT_EQ(stub_->CreateTown(ContextFor(As(auth::Role::kVillageAdmin)).get(), town, &made_town)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

// A group or grid filter that is not the village's used to answer an empty list, as if the village
// had no households there; it is refused naming the field, alike for an unknown id and another
// village's.
TEST_F(RegistryServiceTest, AFilterOfAnotherVillageIsRefusedNotAnEmptyList) {
  absl::StatusOr<VillageRecord> neighbour =
      repository_->CreateVillage(kActor, village_.town_id, "永联村");
  ASSERT_TRUE(neighbour.ok()) << neighbour.status();
  const int64_t foreign_group =
      repository_->CreateGroup(kActor, neighbour->village_id, "第1组")->group_id;
  const int64_t foreign_grid =
      repository_->CreateGrid(kActor, {0, neighbour->village_id, "南片", ""})->grid_id;

  const auto list = [&](const auth::Caller& caller, int64_t group_id, int64_t grid_id,
                        v1::ListHouseholdsResponse* out) {
    v1::ListHouseholdsRequest request;
    request.set_village_id(village_.village_id);
    request.set_group_id(group_id);
    request.set_grid_id(grid_id);
    return stub_->ListHouseholds(ContextFor(caller).get(), request, out);
  };
  for (auth::Role role : {auth::Role::kVillageAdmin, auth::Role::kTownOfficial,
                          auth::Role::kDistrictOfficial, auth::Role::kDistrictInspector}) {
    const std::string who(auth::RoleName(role));
    v1::ListHouseholdsResponse listed;
    // The village's own group and grid still filter.
    grpc::Status status = list(As(role), village_.group2, 0, &listed);
    ASSERT_TRUE(status.ok()) << who << ": " << status.error_message();
    ASSERT_EQ(listed.households_size(), 1) << who;
    EXPECT_EQ(listed.households(0).household_id(), outside_grid_);
    status = list(As(role), 0, village_.grid, &listed);
    ASSERT_TRUE(status.ok()) << who << ": " << status.error_message();

    for (int64_t group : {foreign_group, int64_t{999999999}}) {
      status = list(As(role), group, 0, &listed);
      EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << who << " " << group;
      EXPECT_THAT(status.error_message(), ::testing::StartsWith("GROUP_NOT_IN_VILLAGE: group_id:"))
          << who;
    }
    for (int64_t grid : {foreign_grid, int64_t{999999999}}) {
      status = list(As(role), 0, grid, &listed);
      EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << who << " " << grid;
      EXPECT_THAT(status.error_message(), ::testing::StartsWith("GRID_NOT_IN_VILLAGE: grid_id:"))
          << who;
    }
  }
  // A grid worker's own grid with another village's group: refused, not an empty list.
  v1::ListHouseholdsResponse listed;
  EXPECT_EQ(list(As(auth::Role::kGridWorker), foreign_group, 0, &listed).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // Scope still comes first: another village's admin learns nothing about this village's groups.
  auth::Caller other_admin = As(auth::Role::kVillageAdmin);
  other_admin.village_id = neighbour->village_id;
  EXPECT_EQ(list(other_admin, 999999999, 0, &listed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(RegistryServiceTest, CreateHouseholdValidatesAndMasksForOthers) {
  v1::CreateHouseholdRequest request;
  v1::Household* household = request.mutable_household();
  household->set_village_id(village_.village_id);
  household->set_group_id(village_.group1);
  household->set_house_number("9号");
  household->set_head_name("欧阳小明");
  household->set_kind(v1::HOUSEHOLD_KIND_NON_REGISTERED);
  v1::Member* member = request.add_members();
  member->set_name("欧阳小明");
  member->set_phone("139 0000 1111");
  v1::HouseholdDetail detail;
  grpc::Status missing_consent =
      stub_->CreateHousehold(ContextFor(As(auth::Role::kVillageAdmin)).get(), request, &detail);
  EXPECT_EQ(missing_consent.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(missing_consent.error_message(), HasSubstr("同意日期"));

  household->set_consent_date("2024-06-01");
  member->set_phone("12000001111");
  EXPECT_EQ(
      stub_->CreateHousehold(ContextFor(As(auth::Role::kVillageAdmin)).get(), request, &detail)
          .error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);

  member->set_phone("139 0000 1111");
  grpc::Status ok =
      stub_->CreateHousehold(ContextFor(As(auth::Role::kVillageAdmin)).get(), request, &detail);
  ASSERT_TRUE(ok.ok()) << ok.error_message();
  EXPECT_EQ(detail.members(0).phone(), "13900001111");
  EXPECT_TRUE(detail.members(0).is_head());
  EXPECT_EQ(detail.household().kind(), v1::HOUSEHOLD_KIND_NON_REGISTERED);

  v1::HouseholdDetail seen;
  ASSERT_TRUE(
      Get(As(auth::Role::kDistrictInspector), detail.household().household_id(), &seen).ok());
  EXPECT_EQ(seen.household().head_name(), "欧**明");
  EXPECT_EQ(seen.members(0).phone(), "139****1111");
}

TEST_F(RegistryServiceTest, ImportReportsRowsAndWritesNothingOnFailure) {
  const int64_t households_before = Count(*admin_, "households");
  const int64_t members_before = Count(*admin_, "members");
  const std::string header =
      "\xEF\xBB\xBF村民小组,门牌号,户主,成员,手机号,户籍类型,同意日期,出租\r\n";
  const std::string bad = header +
                          "第4组,1号,赵四,赵四,13811112222,本村,,否\r\n"
                          "第4组,1号,赵四,钱五,1381111,,,\r\n"
                          "第1组,1号,张建华,张建华,,本村,,否\r\n";  // already registered
  v1::ImportRosterResponse response;
  grpc::Status status = Import(As(auth::Role::kVillageAdmin), bad, false, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(response.applied());
  ASSERT_EQ(response.rows_size(), 3);
  EXPECT_TRUE(response.rows(0).ok());
  EXPECT_EQ(response.rows(1).line(), 3);
  EXPECT_THAT(response.rows(1).error(), HasSubstr("手机号"));
  EXPECT_EQ(response.rows(2).line(), 4);
  EXPECT_THAT(response.rows(2).error(), HasSubstr("已登记"));
  EXPECT_EQ(response.households_created(), 0);
  EXPECT_EQ(Count(*admin_, "households"), households_before);
  EXPECT_EQ(Count(*admin_, "members"), members_before);

  const std::string good = header +
                           "第4组,1号,赵四,赵四,13811112222,本村,,否\r\n"
                           "第4组,1号,赵四,钱五,,,,\r\n"
                           "第4组,2号,孙六,孙六,,非本村,2024/7/1,是\r\n";
  v1::ImportRosterResponse dry;
  ASSERT_TRUE(Import(As(auth::Role::kVillageAdmin), good, true, &dry).ok());
  EXPECT_FALSE(dry.applied());
  EXPECT_EQ(dry.households_created(), 2);
  EXPECT_EQ(dry.members_created(), 3);
  EXPECT_EQ(dry.groups_created(), 1);
  EXPECT_EQ(Count(*admin_, "households"), households_before);

  EXPECT_EQ(Import(As(auth::Role::kGridWorker), good, false, &response).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::ImportRosterResponse applied;
  ASSERT_TRUE(Import(As(auth::Role::kVillageAdmin), good, false, &applied).ok());
  EXPECT_TRUE(applied.applied());
  EXPECT_EQ(applied.households_created(), 2);
  EXPECT_EQ(Count(*admin_, "households"), households_before + 2);
  EXPECT_EQ(Count(*admin_, "members"), members_before + 3);

  // The same file again: every row of each household already registered is refused, the second
  // member's row too (it read as imported, though nothing was).
  v1::ImportRosterResponse again;
  ASSERT_TRUE(Import(As(auth::Role::kVillageAdmin), good, false, &again).ok());
  EXPECT_FALSE(again.applied());
  ASSERT_EQ(again.rows_size(), 3);
  for (const v1::ImportRowReport& row : again.rows()) {
    EXPECT_FALSE(row.ok()) << row.line();
    EXPECT_THAT(row.error(), HasSubstr("已登记")) << row.line();
  }
  EXPECT_EQ(Count(*admin_, "members"), members_before + 3);
}

// A refused row names every problem it has, those the registry finds too (a house already
// registered, an unknown grid), so that one corrected file can pass; and still nothing is written.
TEST_F(RegistryServiceTest, ImportReportsEveryProblemOfARowAndWritesNothing) {
  const int64_t households_before = Count(*admin_, "households");
  const int64_t members_before = Count(*admin_, "members");
  const int64_t groups_before = Count(*admin_, "villager_groups");
  const std::string csv =
      "村民小组,门牌号,户主,成员,手机号,户籍类型,同意日期,出租,网格\n"
      "第1组,1号,张建华,张建华,1381111,本村,,否,\n"  // bad phone; house already registered
      "第6组,1号,孙六,孙六,,本村,,否,东片\n"         // unknown grid
      "第6组,2号,周七,周七,,外地,,否,东片\n"         // bad kind; unknown grid
      "第6组,2号,吴八,周七,,,,,\n";                  // another head; the same member
  v1::ImportRosterResponse response;
  grpc::Status status = Import(As(auth::Role::kVillageAdmin), csv, false, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(response.applied());
  ASSERT_EQ(response.rows_size(), 4);
  EXPECT_THAT(response.rows(0).error(), HasSubstr("手机号"));
  EXPECT_THAT(response.rows(0).error(), HasSubstr("第1组1号已登记"));
  EXPECT_THAT(response.rows(1).error(), HasSubstr("网格“东片”不存在"));
  EXPECT_THAT(response.rows(2).error(), HasSubstr("户籍类型“外地”无效"));
  EXPECT_THAT(response.rows(2).error(), HasSubstr("网格“东片”不存在"));
  EXPECT_THAT(response.rows(3).error(), HasSubstr("与第4行同户的户主不一致"));
  EXPECT_THAT(response.rows(3).error(), HasSubstr("成员“周七”与第4行重复"));
  for (const v1::ImportRowReport& row : response.rows()) EXPECT_FALSE(row.ok()) << row.line();
  EXPECT_EQ(response.households_created(), 0);
  EXPECT_EQ(Count(*admin_, "households"), households_before);
  EXPECT_EQ(Count(*admin_, "members"), members_before);
  EXPECT_EQ(Count(*admin_, "villager_groups"), groups_before);
}

// The registry's unique keys compare names in utf8mb4_general_ci (letter case, trailing spaces,
// full-width forms and accents aside). Rows the file's own checks took for different names passed
// the dry run, and the import then failed as a whole with ALREADY_EXISTS; a group or grid spelled
// in another case than the village's was taken for a new group or a missing grid. Now existing
// groups and grids are matched as the database matches them, and every row the database would
// refuse is refused on its line, alike in the dry run and the import.
TEST_F(RegistryServiceTest, ImportComparesNamesAsTheDatabaseDoes) {
  ASSERT_TRUE(repository_->CreateGroup(kActor, village_.village_id, "qa-a-g").ok());
  ASSERT_TRUE(repository_->CreateGrid(kActor, {0, village_.village_id, "qa-a-网格1", ""}).ok());
  const int64_t households_before = Count(*admin_, "households");
  const int64_t members_before = Count(*admin_, "members");
  const int64_t groups_before = Count(*admin_, "villager_groups");
  const std::string header = "村民小组,门牌号,户主,成员,手机号,户籍类型,同意日期,出租,网格\n";
  const std::string csv = header +
                          "QA-A-G,1号,赵四,赵四,,,,,QA-A-网格1\n"  // 2: the village's group, grid
                          "QA-A-组x,A1,Tom,Tom,,,,,\n"             // 3
                          "QA-A-组x,a1,,Ann,,,,,\n"                // 4: house A1 spelled otherwise
                          "QA-A-组x,A1,,tom,,,,,\n"                // 5: member Tom again
                          "qa-a-组X,B2,Kim,Kim,,,,,\n"             // 6: group of line 3
                          "QA-A-组x,Ｃ3,Lee,Lee,,,,,\n"            // 7
                          "QA-A-组x,ｃ3,Max,Max,,,,,\n"            // 8: full-width: house of 7
                          "QA-A-组x,D4,José,José,,,,,\n"           // 9
                          "QA-A-组x,D4,,Jose,,,,,\n"               // 10: accent: member of 9
                          "QA-A-组x,E5,王芳,王芳,,非本村,2099-01-01,,\n";  // 11: consent to come
  v1::ImportRosterResponse dry;
  grpc::Status status = Import(As(auth::Role::kVillageAdmin), csv, true, &dry);
  ASSERT_TRUE(status.ok()) << status.error_message();
  v1::ImportRosterResponse real;
  status = Import(As(auth::Role::kVillageAdmin), csv, false, &real);
  ASSERT_TRUE(status.ok()) << status.error_message();
  for (const v1::ImportRosterResponse* response : {&dry, &real}) {
    EXPECT_FALSE(response->applied());
    ASSERT_EQ(response->rows_size(), 10);
    std::map<int, std::string> refused;
    for (const v1::ImportRowReport& row : response->rows()) {
      if (!row.ok()) refused[row.line()] = row.error();
    }
    EXPECT_THAT(refused[4], HasSubstr("门牌号“a1”与第3行的“A1”仅大小写或空格不同"));
    EXPECT_THAT(refused[5], HasSubstr("成员“tom”与第3行的“Tom”"));
    EXPECT_THAT(refused[6], HasSubstr("村民小组“qa-a-组X”与第3行的“QA-A-组x”"));
    EXPECT_THAT(refused[8], HasSubstr("门牌号“ｃ3”"));
    EXPECT_THAT(refused[10], HasSubstr("成员“Jose”"));
    EXPECT_THAT(refused[11], HasSubstr("晚于今天"));
    EXPECT_EQ(refused.size(), 6u) << ::testing::PrintToString(refused);
  }
  for (int i = 0; i < dry.rows_size(); ++i) {
    EXPECT_EQ(dry.rows(i).error(), real.rows(i).error()) << dry.rows(i).line();
  }
  EXPECT_EQ(Count(*admin_, "households"), households_before);
  EXPECT_EQ(Count(*admin_, "members"), members_before);
  EXPECT_EQ(Count(*admin_, "villager_groups"), groups_before);

  // The village's group and grid, written in capitals: matched, not created or missing.
  v1::ImportRosterResponse applied;
  status = Import(As(auth::Role::kVillageAdmin), header + "QA-A-G,1号,赵四,赵四,,,,,QA-A-网格1\n",
                  false, &applied);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(applied.applied()) << applied.rows(0).error();
  EXPECT_EQ(applied.groups_created(), 0);
  EXPECT_EQ(Count(*admin_, "villager_groups"), groups_before);
  v1::ListVillagesRequest list;
  list.set_village_id(village_.village_id);
  v1::ListVillagesResponse listed;
  ASSERT_TRUE(
      stub_->ListVillages(ContextFor(As(auth::Role::kVillageAdmin)).get(), list, &listed).ok());
  int64_t group_id = 0;
  int64_t grid_id = 0;
  for (const v1::Group& group : listed.groups()) {
    if (group.name() == "qa-a-g") group_id = group.group_id();
  }
  for (const v1::Grid& grid : listed.grids()) {
    if (grid.name() == "qa-a-网格1") grid_id = grid.grid_id();
  }
  v1::ListHouseholdsRequest households;
  households.set_village_id(village_.village_id);
  households.set_group_id(group_id);
  v1::ListHouseholdsResponse in_group;
  ASSERT_TRUE(
      stub_->ListHouseholds(ContextFor(As(auth::Role::kVillageAdmin)).get(), households, &in_group)
          .ok());
  ASSERT_EQ(in_group.households_size(), 1);
  EXPECT_EQ(in_group.households(0).grid_id(), grid_id);
}

// CreateHousehold and CreateTeam name the field a refusal is about, so that the gateway can mark
// it; a consent date still to come is refused; members whose names the database takes for one are
// INVALID_ARGUMENT on the member, not ALREADY_EXISTS "the house number is taken".
TEST_F(RegistryServiceTest, CreateHouseholdAndTeamRefusalsNameTheField) {
  absl::StatusOr<VillageRecord> neighbour =
      repository_->CreateVillage(kActor, village_.town_id, "永联村");
  ASSERT_TRUE(neighbour.ok()) << neighbour.status();
  const int64_t foreign_group =
      repository_->CreateGroup(kActor, neighbour->village_id, "第1组")->group_id;

  const auto create = [&](const std::function<void(v1::CreateHouseholdRequest&)>& change) {
    v1::CreateHouseholdRequest request;
    v1::Household* household = request.mutable_household();
    household->set_village_id(village_.village_id);
    household->set_group_id(village_.group1);
    household->set_house_number("77号");
    household->set_head_name("Tom");
    household->set_kind(v1::HOUSEHOLD_KIND_REGISTERED);
    request.add_members()->set_name("Tom");
    change(request);
    v1::HouseholdDetail detail;
    return stub_->CreateHousehold(ContextFor(As(auth::Role::kVillageAdmin)).get(), request,
                                  &detail);
  };
  const std::vector<std::pair<std::function<void(v1::CreateHouseholdRequest&)>, std::string>>
      cases = {
          {[&](v1::CreateHouseholdRequest& r) {
             r.mutable_household()->set_group_id(foreign_group);
           },
           "GROUP_NOT_IN_VILLAGE: household.group_id: "},
          {[&](v1::CreateHouseholdRequest& r) {
             r.mutable_household()->set_grid_id(village_.grid + 100000);
           },
           "GRID_NOT_IN_VILLAGE: household.grid_id: "},
          {[](v1::CreateHouseholdRequest& r) {
             r.mutable_household()->set_kind(v1::HOUSEHOLD_KIND_NON_REGISTERED);
             r.mutable_household()->set_consent_date("2030-01-01");
           },
           "household.consent_date: "},
          {[](v1::CreateHouseholdRequest& r) { r.add_members()->set_name("tom"); },
           "members[1].name: "},
          {[](v1::CreateHouseholdRequest& r) { r.add_members()->set_name("Tóm"); },
           "members[1].name: "},
      };
  for (const auto& [change, lead] : cases) {
    const grpc::Status refused = create(change);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << lead;
    EXPECT_THAT(refused.error_message(), ::testing::StartsWith(lead));
  }
  EXPECT_EQ(Count(*admin_, absl::StrCat("households WHERE village_id = ", village_.village_id,
                                        " AND house_number = '77号'")),
            0);
  ASSERT_TRUE(create([](v1::CreateHouseholdRequest&) {}).ok());

  v1::CreateTeamRequest team;
  team.set_village_id(village_.village_id);
  team.set_name("三片");
  team.add_group_ids(foreign_group);
  v1::AssessmentTeam made;
  const grpc::Status refused =
      stub_->CreateTeam(ContextFor(As(auth::Role::kVillageAdmin)).get(), team, &made);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(),
              ::testing::StartsWith("GROUP_NOT_IN_VILLAGE: group_ids: group "));
}

TEST_F(RegistryServiceTest, ListVillagesByScope) {
  v1::ListVillagesRequest request;
  v1::ListVillagesResponse response;
  ASSERT_TRUE(
      stub_->ListVillages(ContextFor(As(auth::Role::kVillageAdmin)).get(), request, &response)
          .ok());
  ASSERT_EQ(response.villages_size(), 1);
  EXPECT_EQ(response.villages(0).village_id(), village_.village_id);
  EXPECT_EQ(response.groups_size(), 2);
  EXPECT_EQ(response.towns_size(), 1);

  request.set_town_id(village_.town_id + 1000);
  EXPECT_EQ(stub_->ListVillages(ContextFor(As(auth::Role::kTownOfficial)).get(), request, &response)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // A resident reads their own village's groups (names the boards speak of), none other.
  request.Clear();
  ASSERT_TRUE(
      stub_->ListVillages(ContextFor(As(auth::Role::kResident)).get(), request, &response).ok());
  ASSERT_EQ(response.villages_size(), 1);
  EXPECT_EQ(response.villages(0).village_id(), village_.village_id);
  EXPECT_EQ(response.groups_size(), 2);
  request.set_village_id(village_.village_id + 1000);
  EXPECT_EQ(stub_->ListVillages(ContextFor(As(auth::Role::kResident)).get(), request, &response)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub_->ListVillages(ContextFor(As(auth::Role::kGridWorker)).get(), request, &response)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(RegistryServiceTest, ListVillagesGivesEachVillagesGridsAndTeams) {
  // Another village of the same town, with a grid and a team of its own, listed beside it.
  Village neighbour;
  neighbour.town_id = village_.town_id;
  neighbour.village_id = repository_->CreateVillage(kActor, village_.town_id, "永丰村")->village_id;
  neighbour.group1 = repository_->CreateGroup(kActor, neighbour.village_id, "第1组")->group_id;
  neighbour.group2 = repository_->CreateGroup(kActor, neighbour.village_id, "第2组")->group_id;
  neighbour.grid =
      repository_->CreateGrid(kActor, {0, neighbour.village_id, "南片", "gw-2"})->grid_id;
  absl::StatusOr<TeamRecord> neighbour_team =
      repository_->CreateTeam(kActor, {0, neighbour.village_id, "二片",
                                       {neighbour.group2, neighbour.group1}});
  ASSERT_TRUE(neighbour_team.ok()) << neighbour_team.status();

  v1::ListVillagesRequest request;
  v1::ListVillagesResponse response;
  ASSERT_TRUE(
      stub_->ListVillages(ContextFor(As(auth::Role::kVillageAdmin)).get(), request, &response)
          .ok());
  ASSERT_EQ(response.grids_size(), 1);
  EXPECT_EQ(response.grids(0).grid_id(), village_.grid);
  EXPECT_EQ(response.grids(0).name(), "北片");
  EXPECT_EQ(response.grids(0).worker_user_id(), "gw-1");
  ASSERT_EQ(response.teams_size(), 1);
  EXPECT_EQ(response.teams(0).team_id(), team_);
  EXPECT_EQ(response.teams(0).name(), "一片");
  EXPECT_THAT(response.teams(0).group_ids(), ::testing::ElementsAre(village_.group2));

  // One village by id, for a district official: only its parts.
  const auth::Caller district = As(auth::Role::kDistrictOfficial);
  request.set_village_id(neighbour.village_id);
  ASSERT_TRUE(stub_->ListVillages(ContextFor(district).get(), request, &response).ok());
  ASSERT_EQ(response.villages_size(), 1);
  EXPECT_EQ(response.villages(0).village_id(), neighbour.village_id);
  ASSERT_EQ(response.grids_size(), 1);
  EXPECT_EQ(response.grids(0).grid_id(), neighbour.grid);
  ASSERT_EQ(response.teams_size(), 1);
  EXPECT_EQ(response.teams(0).team_id(), neighbour_team->team_id);
  EXPECT_THAT(response.teams(0).group_ids(),
              ::testing::ElementsAre(std::min(neighbour.group1, neighbour.group2),
                                     std::max(neighbour.group1, neighbour.group2)));

  // A town's villages, for its official: both, each part under its own village.
  request.Clear();
  ASSERT_TRUE(
      stub_->ListVillages(ContextFor(As(auth::Role::kTownOfficial)).get(), request, &response)
          .ok());
  ASSERT_EQ(response.villages_size(), 2);
  ASSERT_EQ(response.grids_size(), 2);
  EXPECT_EQ(response.grids(0).village_id(), village_.village_id);
  EXPECT_EQ(response.grids(1).village_id(), neighbour.village_id);
  EXPECT_EQ(response.grids(1).worker_user_id(), "gw-2");
  ASSERT_EQ(response.teams_size(), 2);
  EXPECT_EQ(response.teams(0).village_id(), village_.village_id);
  EXPECT_EQ(response.teams(1).village_id(), neighbour.village_id);
  EXPECT_EQ(response.teams(1).group_ids_size(), 2);

  // The village filter's refusals.
  request.Clear();
  request.set_village_id(999999999);
  EXPECT_EQ(stub_->ListVillages(ContextFor(district).get(), request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
  request.set_village_id(neighbour.village_id);
  EXPECT_EQ(stub_->ListVillages(ContextFor(As(auth::Role::kVillageAdmin)).get(), request,
                                &response)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  request.set_town_id(neighbour.town_id + 1000);
  const grpc::Status not_of_town =
      stub_->ListVillages(ContextFor(district).get(), request, &response);
  EXPECT_EQ(not_of_town.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(not_of_town.error_message(),
              ::testing::StartsWith("VILLAGE_NOT_IN_TOWN: village_id:"));
  request.set_town_id(0);
  request.set_village_id(-1);
  EXPECT_EQ(stub_->ListVillages(ContextFor(district).get(), request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(RegistryServiceTest, GetTeamByScope) {
  v1::GetTeamRequest request;
  request.set_team_id(team_);
  v1::AssessmentTeam team;
  for (auth::Role role : {auth::Role::kAssessor, auth::Role::kVillageAdmin,
                          auth::Role::kTownOfficial, auth::Role::kDistrictOfficial,
                          auth::Role::kDistrictInspector, auth::Role::kService}) {
    ASSERT_TRUE(stub_->GetTeam(ContextFor(As(role)).get(), request, &team).ok())
        << auth::RoleName(role);
    EXPECT_EQ(team.village_id(), village_.village_id);
    EXPECT_EQ(team.name(), "一片");
    EXPECT_THAT(team.group_ids(), ::testing::ElementsAre(village_.group2));
  }
  auth::Caller other_team = As(auth::Role::kAssessor);
  other_team.team_id = team_ + 1000;
  auth::Caller other_town = As(auth::Role::kTownOfficial);
  other_town.town_id += 1000;
  auth::Caller neighbour_admin = As(auth::Role::kVillageAdmin);
  neighbour_admin.village_id += 1000;
  for (const auth::Caller& caller :
       {neighbour_admin, other_team, other_town, As(auth::Role::kGridWorker),
        As(auth::Role::kResident)}) {
    EXPECT_EQ(stub_->GetTeam(ContextFor(caller).get(), request, &team).error_code(),
              grpc::StatusCode::PERMISSION_DENIED)
        << auth::RoleName(caller.role);
  }
  request.set_team_id(999999999);
  EXPECT_EQ(stub_->GetTeam(ContextFor(As(auth::Role::kDistrictOfficial)).get(), request, &team)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  request.set_team_id(0);
  EXPECT_EQ(stub_->GetTeam(ContextFor(As(auth::Role::kDistrictOfficial)).get(), request, &team)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

// ---- Grids and their workers -------------------------------------------------------------------

class GridWorkerTest : public RegistryServiceTest {
 protected:
  grpc::Status GetGrid(const auth::Caller& caller, int64_t grid_id, v1::Grid* out) {
    v1::GetGridRequest request;
    request.set_grid_id(grid_id);
    return stub_->GetGrid(ContextFor(caller).get(), request, out);
  }
  grpc::Status Assign(const auth::Caller& caller, int64_t grid_id, const std::string& worker,
                      v1::Grid* out) {
    v1::AssignGridWorkerRequest request;
    request.set_grid_id(grid_id);
    request.set_worker_user_id(worker);
    return stub_->AssignGridWorker(ContextFor(caller).get(), request, out);
  }
  // Assign, only while the grid names `current`.
  grpc::Status AssignIf(const auth::Caller& caller, int64_t grid_id, const std::string& worker,
                        const std::string& current, v1::Grid* out) {
    v1::AssignGridWorkerRequest request;
    request.set_grid_id(grid_id);
    request.set_worker_user_id(worker);
    request.set_check_current_worker(true);
    request.set_current_worker_user_id(current);
    return stub_->AssignGridWorker(ContextFor(caller).get(), request, out);
  }
  // The grid's "assign_grid_worker" audit records, oldest first.
  std::vector<audit::v1::AuditRecord> Assignments(int64_t grid_id) {
    std::vector<audit::v1::AuditRecord> records;
    EXPECT_TRUE(mysql::RunWithConnection(*admin_, [&](sql::Connection& c) {
                  std::unique_ptr<sql::Statement> select(c.createStatement());
                  std::unique_ptr<sql::ResultSet> rows(select->executeQuery(
                      "SELECT payload FROM outbox WHERE topic = 'audit' ORDER BY id"));
                  while (rows->next()) {
                    audit::v1::AuditRecord record;
                    EXPECT_TRUE(record.ParseFromString(rows->getString(1).asStdString()));
                    if (record.action() == "assign_grid_worker" &&
                        record.object_id() == absl::StrCat(grid_id)) {
                      records.push_back(record);
                    }
                  }
                  return absl::OkStatus();
                }).ok());
    return records;
  }
  std::string WorkerInDatabase(int64_t grid_id) {
    absl::StatusOr<GridRecord> grid = repository_->FindGrid(grid_id);
    EXPECT_TRUE(grid.ok()) << grid.status();
    return grid.ok() ? grid->worker_user_id : "?";
  }
};

TEST_F(GridWorkerTest, TheVillageAdminAssignsReassignsAndClearsTheWorker) {
  const auth::Caller admin = As(auth::Role::kVillageAdmin);
  v1::Grid grid;
  ASSERT_TRUE(GetGrid(admin, village_.grid, &grid).ok());
  EXPECT_EQ(grid.village_id(), village_.village_id);
  EXPECT_EQ(grid.name(), "北片");
  EXPECT_EQ(grid.worker_user_id(), "gw-1");  // as created

  // Each change is written and audited once, with the worker before and after.
  v1::Grid changed;
  ASSERT_TRUE(Assign(admin, village_.grid, " staff-41 ", &changed).ok());
  EXPECT_EQ(changed.worker_user_id(), "staff-41");  // trimmed like CreateGrid's
  EXPECT_EQ(changed.name(), "北片");
  ASSERT_TRUE(GetGrid(admin, village_.grid, &grid).ok());
  EXPECT_EQ(grid.worker_user_id(), "staff-41");
  ASSERT_TRUE(Assign(admin, village_.grid, "staff-42", &changed).ok());
  EXPECT_EQ(WorkerInDatabase(village_.grid), "staff-42");
  ASSERT_TRUE(Assign(admin, village_.grid, "", &changed).ok());
  EXPECT_EQ(changed.worker_user_id(), "");
  EXPECT_EQ(WorkerInDatabase(village_.grid), "");
  // Assigning what is already there (a retry) is no second change.
  ASSERT_TRUE(Assign(admin, village_.grid, "", &changed).ok());

  const std::vector<audit::v1::AuditRecord> records = Assignments(village_.grid);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].before(), "worker_user_id=gw-1");
  EXPECT_EQ(records[0].after(), "worker_user_id=staff-41");
  EXPECT_EQ(records[1].before(), "worker_user_id=staff-41");
  EXPECT_EQ(records[1].after(), "worker_user_id=staff-42");
  EXPECT_EQ(records[2].before(), "worker_user_id=staff-42");
  EXPECT_EQ(records[2].after(), "worker_user_id=");
  for (const audit::v1::AuditRecord& record : records) {
    EXPECT_EQ(record.object_type(), "grid");
    EXPECT_EQ(record.village_id(), village_.village_id);
    EXPECT_EQ(record.actor_user_id(), admin.user_id);
    EXPECT_EQ(record.actor_role(), "village_admin");
  }

  // A district official may too; a worker id with a space is refused.
  ASSERT_TRUE(Assign(As(auth::Role::kDistrictOfficial), village_.grid, "staff-43", &changed).ok());
  EXPECT_EQ(changed.worker_user_id(), "staff-43");
  EXPECT_EQ(Assign(admin, village_.grid, "staff 44", &changed).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(WorkerInDatabase(village_.grid), "staff-43");
  // A request that does not say who (a form that forgot the field) removes no one.
  v1::AssignGridWorkerRequest unsaid;
  unsaid.set_grid_id(village_.grid);
  const grpc::Status forgot = stub_->AssignGridWorker(ContextFor(admin).get(), unsaid, &changed);
  EXPECT_EQ(forgot.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(forgot.error_message().rfind("worker_user_id", 0), 0u) << forgot.error_message();
  EXPECT_EQ(WorkerInDatabase(village_.grid), "staff-43");
  EXPECT_EQ(Assignments(village_.grid).size(), 4u);
}

// The gateway names a new account only in place of the worker it read, and gives the grid back
// only while it still names that account, so neither step undoes someone else's change.
TEST_F(GridWorkerTest, ACheckedAssignmentNeedsTheExpectedWorker) {
  const auth::Caller admin = As(auth::Role::kVillageAdmin);
  v1::Grid grid;
  ASSERT_TRUE(AssignIf(admin, village_.grid, "staff-51", "gw-1", &grid).ok());
  EXPECT_EQ(grid.worker_user_id(), "staff-51");

  // Someone else changed it meanwhile: refused, nothing written or audited.
  const grpc::Status changed = AssignIf(admin, village_.grid, "gw-1", "staff-50", &grid);
  EXPECT_EQ(changed.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(changed.error_message(), HasSubstr("GRID_WORKER_CHANGED"));
  EXPECT_EQ(WorkerInDatabase(village_.grid), "staff-51");
  EXPECT_EQ(Assignments(village_.grid).size(), 1u);

  // A retry of a call that went through finds its own worker there: answered, not refused.
  ASSERT_TRUE(AssignIf(admin, village_.grid, "staff-51", "gw-1", &grid).ok());
  EXPECT_EQ(grid.worker_user_id(), "staff-51");
  // "" expects a grid without a worker; the expected worker is trimmed like the worker.
  EXPECT_EQ(AssignIf(admin, village_.grid, "staff-52", "", &grid).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_TRUE(AssignIf(admin, village_.grid, "", " staff-51 ", &grid).ok());
  ASSERT_TRUE(AssignIf(admin, village_.grid, "staff-52", "", &grid).ok());
  EXPECT_EQ(WorkerInDatabase(village_.grid), "staff-52");
  EXPECT_EQ(Assignments(village_.grid).size(), 3u);
  EXPECT_EQ(AssignIf(admin, village_.grid, "staff-53", "staff 52", &grid).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

// jifen-admin names the grid worker it creates with the gateway's service token; other services'
// tokens may not, and the gateway's is held to nothing beyond the grid's worker.
TEST_F(GridWorkerTest, TheGatewayServiceNamesGridWorkers) {
  auth::Caller gateway = As(auth::Role::kService);
  gateway.user_id = "gateway";
  v1::Grid grid;
  ASSERT_TRUE(Assign(gateway, village_.grid, "staff-61", &grid).ok());
  EXPECT_EQ(WorkerInDatabase(village_.grid), "staff-61");
  const std::vector<audit::v1::AuditRecord> records = Assignments(village_.grid);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].actor_user_id(), "gateway");
  EXPECT_EQ(records[0].actor_role(), "service");

  auth::Caller redemption = As(auth::Role::kService);
  redemption.user_id = "redemption";
  EXPECT_EQ(Assign(redemption, village_.grid, "staff-62", &grid).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::CreateGridRequest create;
  create.set_village_id(village_.village_id);
  create.set_name("南片");
  EXPECT_EQ(stub_->CreateGrid(ContextFor(gateway).get(), create, &grid).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(WorkerInDatabase(village_.grid), "staff-61");
}

// The replaced worker's token still claims the grid until it expires; the registry decides.
TEST_F(GridWorkerTest, AReplacedWorkerNoLongerReadsTheGridsHouseholds) {
  const auth::Caller replaced = As(auth::Role::kGridWorker);
  v1::HouseholdDetail detail;
  ASSERT_TRUE(Get(replaced, in_grid_, &detail).ok());
  v1::ListHouseholdsRequest list;
  list.set_village_id(village_.village_id);
  v1::ListHouseholdsResponse listed;
  ASSERT_TRUE(stub_->ListHouseholds(ContextFor(replaced).get(), list, &listed).ok());
  ASSERT_EQ(listed.households_size(), 1);

  v1::Grid grid;
  ASSERT_TRUE(Assign(As(auth::Role::kVillageAdmin), village_.grid, "gw-2", &grid).ok());
  EXPECT_EQ(Get(replaced, in_grid_, &detail).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub_->ListHouseholds(ContextFor(replaced).get(), list, &listed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  auth::Caller successor = replaced;
  successor.user_id = "gw-2";
  EXPECT_TRUE(Get(successor, in_grid_, &detail).ok());
  EXPECT_TRUE(stub_->ListHouseholds(ContextFor(successor).get(), list, &listed).ok());

  // A grid without a worker names no one.
  ASSERT_TRUE(Assign(As(auth::Role::kVillageAdmin), village_.grid, "", &grid).ok());
  EXPECT_EQ(Get(successor, in_grid_, &detail).error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(GridWorkerTest, GridsAreReadAndChangedOnlyInScope) {
  // A real neighbour village of the same town, with its own admin.
  absl::StatusOr<VillageRecord> neighbour =
      repository_->CreateVillage(kActor, village_.town_id, "永丰村");
  ASSERT_TRUE(neighbour.ok()) << neighbour.status();
  auth::Caller neighbour_admin = As(auth::Role::kVillageAdmin);
  neighbour_admin.user_id = "neighbour-admin";
  neighbour_admin.village_id = neighbour->village_id;

  v1::Grid grid;
  EXPECT_EQ(Assign(neighbour_admin, village_.grid, "staff-99", &grid).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(WorkerInDatabase(village_.grid), "gw-1");
  EXPECT_TRUE(Assignments(village_.grid).empty());
  for (auth::Role role : {auth::Role::kTownOfficial, auth::Role::kDistrictInspector,
                          auth::Role::kGridWorker, auth::Role::kService}) {
    EXPECT_EQ(Assign(As(role), village_.grid, "staff-99", &grid).error_code(),
              grpc::StatusCode::PERMISSION_DENIED)
        << auth::RoleName(role);
  }
  EXPECT_EQ(WorkerInDatabase(village_.grid), "gw-1");

  // Reads: the village's admin, the town's officials, district roles and services.
  EXPECT_EQ(GetGrid(neighbour_admin, village_.grid, &grid).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  for (auth::Role role :
       {auth::Role::kVillageAdmin, auth::Role::kTownOfficial, auth::Role::kDistrictOfficial,
        auth::Role::kDistrictInspector, auth::Role::kService}) {
    EXPECT_TRUE(GetGrid(As(role), village_.grid, &grid).ok()) << auth::RoleName(role);
  }
  auth::Caller other_town = As(auth::Role::kTownOfficial);
  other_town.town_id += 1000;
  EXPECT_EQ(GetGrid(other_town, village_.grid, &grid).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  for (auth::Role role : {auth::Role::kGridWorker, auth::Role::kAssessor, auth::Role::kResident}) {
    EXPECT_EQ(GetGrid(As(role), village_.grid, &grid).error_code(),
              grpc::StatusCode::PERMISSION_DENIED)
        << auth::RoleName(role);
  }

  // Unknown grids.
  const auth::Caller district = As(auth::Role::kDistrictOfficial);
  EXPECT_EQ(GetGrid(district, 999999999, &grid).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Assign(district, 999999999, "staff-1", &grid).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(GetGrid(district, 0, &grid).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace jifen::scoring
