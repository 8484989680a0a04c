// Visit preparation and dashboard figures against the real processes: jifen-scoring
// (ScoringHarness), jifen-publicity, jifen-redemption and jifen-audit, each on its own fresh
// database of the fixture's MariaDB (publicity also on the fixture's Redis, under its own prefix),
// talking gRPC with tokens as in production. Villages reach audit's directory the production way:
// scoring's outbox, relayed by audit::AuditRelay. The dashboard refresh is here too: every village
// of the directory, the part of a stopped owner kept, a refresh stopped between villages.
//
// The year under check is 2025, the harness's rulebook year, so every quarter has ended whatever
// day the test runs. Redemption stamps orders with the real clock, so the 2025 order behind
// "redemptions held" is written into redemption's table as the service writes a fulfilled order.
#include <arpa/inet.h>
#include <cppconn/connection.h>
#include <cppconn/statement.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/auth/test_keys.h"
#include "common/grpc/client.h"
#include "common/migrate/migrator.h"
#include "common/mysql/statement.h"
#include "common/mysql/transaction.h"
#include "common/time/shanghai.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jifen/audit/v1/supervision.grpc.pb.h"
#include "jifen/publicity/v1/boards.grpc.pb.h"
#include "jifen/publicity/v1/windows.grpc.pb.h"
#include "jifen/redemption/v1/redemption.grpc.pb.h"
#include "jifen/scoring/v1/assessment.grpc.pb.h"
#include "jifen/scoring/v1/ledger.grpc.pb.h"
#include "jifen/scoring/v1/registry.grpc.pb.h"
#include "jifen/scoring/v1/rulebook.grpc.pb.h"
#include "services/audit/audit_test_support.h"
#include "services/audit/client/audit_relay.h"
#include "services/audit/client/grpc_village_facts.h"
#include "services/audit/crypto/openssl_crypto.h"
#include "services/audit/domain/figures.h"
#include "services/audit/storage/mysql_figures_repository.h"
#include "services/audit/storage/mysql_supervision_repository.h"
#include "services/audit/storage/mysql_trail_repository.h"
#include "services/audit/storage/mysql_village_directory.h"
#include "services/redemption/storage/test_database.h"
#include "tests/support/black_hole.h"
#include "tests/support/scoring_harness.h"
#include "tests/support/service_process.h"
#include "tests/support/testenv.h"

namespace jifen::audit {
namespace {

namespace av1 = ::jifen::audit::v1;
namespace pv1 = ::jifen::publicity::v1;
namespace rv1 = ::jifen::redemption::v1;
namespace sv1 = ::jifen::scoring::v1;
using ::jifen::testing::ScoringHarness;
using ::jifen::testing::SeededVillage;
using ::jifen::testing::ServiceProcess;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int kYear = 2025;

int64_t ShanghaiMs(int year, int month, int day) {
  return absl::ToUnixMillis(
      absl::FromCivil(absl::CivilDay(year, month, day), jifen::time::ShanghaiTime()));
}

std::string WriteTemp(const std::string& name, const std::string& contents) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/", getpid(), "-", name);
  std::ofstream(path) << contents;
  return path;
}

// What a village should look like to the checks; each test breaks one thing.
struct VillagePlan {
  bool publish_rulebook = true;
  std::vector<int> window_quarters = {1, 2, 3, 4};
  int unscored_quarter = 0;  // this quarter leaves the last household unscored (0: none)
  int64_t budget_2024_fen = 100000;
  int64_t budget_2025_fen = 120000;
  bool add_opted_in_household = false;
};

class ChecklistProcessTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    scoring_ = new ScoringHarness("audit_checklist");
    ASSERT_TRUE(scoring_->Start());
    StartPublicity();
    redemption_db_ =
        new redemption::testing::MigratedDatabase(redemption::testing::CreateMigratedDatabase(
            "audit_checklist_rd", "services/redemption/migrations"));
    redemption_ = StartRedemption().release();
    ASSERT_NE(redemption_, nullptr);

    audit_db_ = new testing::AuditDb();
    testing::SetUpAuditDb("checklist_process", audit_db_);
    audit_ = StartAudit(redemption_->address()).release();
    ASSERT_NE(audit_, nullptr);
    // Scoring's audit outbox (create_village among it) reaches audit as it does in production.
    absl::StatusOr<std::unique_ptr<AuditRelay>> relay = AuditRelay::Start(
        scoring_->admin_pool(), audit_->address(), scoring_->WriteServiceTokenFile("scoring"));
    ASSERT_TRUE(relay.ok()) << relay.status();
    relay_ = relay->release();
  }

  static void TearDownTestSuite() {
    delete relay_;
    if (audit_ != nullptr) {
      EXPECT_EQ(audit_->Terminate(), 0);
    }
    delete audit_;
    delete audit_db_;
    delete redemption_;
    delete redemption_db_;
    delete publicity_;
    delete scoring_;
  }

  static void StartPublicity() {
    const jifen::testing::MySqlServer& server = jifen::testing::TestMySql();
    const std::string database = jifen::testing::CreateFreshDatabase("audit_checklist_pub");
    const std::string user = database.substr(0, 60);
    mysql::MySqlConfig admin_config;
    admin_config.host = server.host;
    admin_config.port = server.port;
    admin_config.user = server.user;
    admin_config.password = server.password;
    admin_config.database = database;
    mysql::ConnectionPool admin(admin_config);
    ASSERT_TRUE(mysql::RunWithConnection(admin, [&](sql::Connection& connection) {
                  std::unique_ptr<sql::Statement> statement(connection.createStatement());
                  for (const char* host : {"127.0.0.1", "localhost"}) {
                    const std::string account = absl::StrCat("'", user, "'@'", host, "'");
                    statement->execute(absl::StrCat("DROP USER IF EXISTS ", account));
                    statement->execute(
                        absl::StrCat("CREATE USER ", account, " IDENTIFIED BY 'pub-pw'"));
                  }
                  return absl::OkStatus();
                }).ok());
    absl::StatusOr<migrate::MigrationResult> migrated =
        migrate::ApplyMigrations(admin, jifen::testing::SourcePath("services/publicity/migrations"),
                                 {{"SERVICE_USER", user}});
    ASSERT_TRUE(migrated.ok()) << migrated.status();
    publicity_ = new ServiceProcess(
        "publicity", "services/publicity/jifen-publicity",
        {absl::StrCat("--mysql_host=", server.host), absl::StrCat("--mysql_port=", server.port),
         "--mysql_user=" + user, "--mysql_password=pub-pw", "--mysql_database=" + database,
         "--redis_host=" + jifen::testing::TestRedis().host,
         absl::StrCat("--redis_port=", jifen::testing::TestRedis().port),
         absl::StrCat("--redis_key_prefix=auditck", getpid(), ":"),
         "--token_public_key=" + scoring_->public_key_path(),
         "--service_token_file=" + scoring_->WriteServiceTokenFile("publicity"),
         "--window_min_time_to_object=0s",  // the checklist's windows are of past quarters
         "--scoring_address=" + scoring_->address(), "--due_work_interval=200ms",
         "--aggregate_interval=300ms", "--drain_timeout=2s"});
    ASSERT_TRUE(publicity_->Start());
  }

  static std::unique_ptr<ServiceProcess> StartRedemption() {
    auto process = std::make_unique<ServiceProcess>(
        "redemption", "services/redemption/jifen-redemption",
        std::vector<std::string>{
            absl::StrCat("--mysql_host=", redemption_db_->service.host),
            absl::StrCat("--mysql_port=", redemption_db_->service.port),
            absl::StrCat("--mysql_user=", redemption_db_->service.user),
            absl::StrCat("--mysql_password=", redemption_db_->service.password),
            absl::StrCat("--mysql_database=", redemption_db_->service.database),
            absl::StrCat("--token_public_key=", scoring_->public_key_path()),
            absl::StrCat("--service_token_file=", scoring_->WriteServiceTokenFile("redemption")),
            absl::StrCat("--scoring_address=", scoring_->address()), "--recovery_interval=1h"});
    if (!process->Start()) return nullptr;
    return process;
  }

  // The background refresh is off so that only the tests decide when figures are computed.
  static std::unique_ptr<ServiceProcess> StartAudit(const std::string& redemption_address,
                                                    const std::string& publicity_address = "",
                                                    const std::string& backend_timeout = "3s") {
    const jifen::testing::MySqlServer& server = jifen::testing::TestMySql();
    const auth::TestKeyPair signing_keys = auth::GenerateTestKeyPair();
    auto process = std::make_unique<ServiceProcess>(
        "audit", "services/audit/jifen-audit",
        std::vector<std::string>{
            absl::StrCat("--mysql_host=", server.host), absl::StrCat("--mysql_port=", server.port),
            "--mysql_user=" + audit_db_->user, "--mysql_password=" + audit_db_->password,
            "--mysql_database=" + audit_db_->database,
            "--token_public_key=" + scoring_->public_key_path(),
            "--audit_signing_key=" + WriteTemp("ck-audit.key.pem", signing_keys.private_key_pem),
            "--service_token_file=" + scoring_->WriteServiceTokenFile("audit"),
            "--scoring_address=" + scoring_->address(),
            "--publicity_address=" +
                (publicity_address.empty() ? publicity_->address() : publicity_address),
            "--redemption_address=" + redemption_address, "--backend_timeout=" + backend_timeout,
            "--checks_interval=0s", "--dashboard_interval=0s"});
    if (!process->Start()) return nullptr;
    return process;
  }

  static std::string Token(auth::Role role, int64_t town_id = 0, int64_t village_id = 0) {
    auth::Caller caller;
    caller.user_id = absl::StrCat(auth::RoleName(role), "-", town_id, "-", village_id);
    caller.role = role;
    caller.town_id = town_id;
    caller.village_id = village_id;
    return scoring_->Token(caller);
  }
  static std::string Inspector() { return Token(auth::Role::kDistrictInspector); }

  std::unique_ptr<av1::SupervisionService::Stub> Supervision(const ServiceProcess& audit) {
    return av1::SupervisionService::NewStub(grpc_util::NewChannel(audit.address(), 4 << 20));
  }

  // A village seeded through the owners' RPCs as the plan says, registered in audit's directory.
  SeededVillage Seed(const VillagePlan& plan) {
    SeededVillage village =
        plan.publish_rulebook ? scoring_->FundableVillage(3) : scoring_->SeedVillage(3);
    const std::string admin = scoring_->VillageAdminToken(village.village_id);
    if (plan.publish_rulebook) {
      auto assessment = sv1::AssessmentService::NewStub(scoring_->channel());
      for (int quarter = 1; quarter <= 4; ++quarter) {
        for (size_t h = 0; h < village.household_ids.size(); ++h) {
          if (quarter == plan.unscored_quarter && h + 1 == village.household_ids.size()) continue;
          sv1::SubmitInspectionRequest request;
          request.set_inspection_id(absl::StrCat("ck-", village.village_id, "-", quarter, "-", h));
          request.set_household_id(village.household_ids[h]);
          request.set_occurred_at_ms(ShanghaiMs(kYear, quarter * 3 - 1, 15));
          sv1::InspectionOutcome* outcome = request.add_outcomes();
          outcome->set_item_code(ScoringHarness::kAwardItem);
          outcome->add_photo_refs(std::string(64, 'c'));
          sv1::SubmitInspectionResponse response;
          const grpc::Status status = assessment->SubmitInspection(
              ScoringHarness::Context(scoring_->GridWorkerToken(village)).get(), request,
              &response);
          EXPECT_TRUE(status.ok()) << status.error_message();
        }
      }
    }
    // Joins after the year's scoring: under management, never scored.
    if (plan.add_opted_in_household) AddOptedInHousehold(village);
    auto windows =
        pv1::PublicityWindowService::NewStub(grpc_util::NewChannel(publicity_->address(), 4 << 20));
    for (int quarter : plan.window_quarters) {
      // From the day after the quarter for a week: ended long ago, so held.
      const int next_month = quarter * 3 + 1;
      const int64_t starts_ms =
          next_month > 12 ? ShanghaiMs(kYear + 1, 1, 1) : ShanghaiMs(kYear, next_month, 1);
      pv1::OpenWindowRequest request;
      request.set_village_id(village.village_id);
      request.set_period(absl::StrCat(kYear, "Q", quarter));
      request.set_starts_at_ms(starts_ms);
      request.set_ends_at_ms(starts_ms + absl::ToInt64Milliseconds(absl::Hours(24 * 7)));
      pv1::PublicityWindow window;
      const grpc::Status status =
          windows->OpenWindow(ScoringHarness::Context(admin).get(), request, &window);
      EXPECT_TRUE(status.ok()) << status.error_message();
    }
    SetBudget(village, kYear - 1, plan.budget_2024_fen);
    SetBudget(village, kYear, plan.budget_2025_fen);
    auto store =
        rv1::RedemptionService::NewStub(grpc_util::NewChannel(redemption_->address(), 4 << 20));
    rv1::CreateFundingSourceRequest funding;
    funding.mutable_source()->set_village_id(village.village_id);
    funding.mutable_source()->set_year(kYear);
    funding.mutable_source()->set_kind(rv1::FUNDING_KIND_VILLAGE_FUNDS);
    funding.mutable_source()->set_name("村集体经费 2025");
    funding.mutable_source()->set_committed_fen(200000);
    funding.set_client_request_id(absl::StrCat("funding-", village.village_id));
    rv1::FundingSource source;
    const grpc::Status funded =
        store->CreateFundingSource(ScoringHarness::Context(admin).get(), funding, &source);
    EXPECT_TRUE(funded.ok()) << funded.error_message();
    WriteFulfilledOrder(village, 3500);
    RegisterHouseholdsBeforeTheYear(village);
    WaitUntilRegistered(village);
    return village;
  }

  // The village's households as if its roster came in before kYear (the harness registers them
  // today): every quarter of kYear could score them all.
  void RegisterHouseholdsBeforeTheYear(const SeededVillage& village) {
    EXPECT_TRUE(mysql::RunWithConnection(scoring_->admin_pool(), [&](sql::Connection& c) {
                  mysql::Statement(c,
                                   "UPDATE households SET created_at = FROM_UNIXTIME(?) "
                                   "WHERE village_id = ?")
                      .Bind(ShanghaiMs(kYear - 1, 12, 1) / 1000)
                      .Bind(village.village_id)
                      .Update();
                  return absl::OkStatus();
                }).ok());
  }

  // A village in scoring's registry and audit's directory, with nothing else seeded.
  SeededVillage SeedBare() {
    const SeededVillage village = scoring_->SeedVillage(1, 1);
    WaitUntilRegistered(village);
    return village;
  }

  // As the village admin unless another token is given.
  void SetBudget(const SeededVillage& village, int year, int64_t fen,
                 const std::string& token = "") {
    auto store =
        rv1::RedemptionService::NewStub(grpc_util::NewChannel(redemption_->address(), 4 << 20));
    rv1::SetBudgetRequest request;
    request.set_village_id(village.village_id);
    request.set_year(year);
    request.set_budget_fen(fen);
    if (!token.empty()) request.set_reason("预算更正");  // a district correction says why
    rv1::Budget budget;
    const grpc::Status status = store->SetBudget(
        ScoringHarness::Context(token.empty() ? scoring_->VillageAdminToken(village.village_id)
                                              : token)
            .get(),
        request, &budget);
    EXPECT_TRUE(status.ok()) << status.error_message();
  }

  av1::RefreshDashboardResponse Refresh(const ServiceProcess& audit, int64_t village_id, int year) {
    av1::RefreshDashboardRequest request;
    request.set_village_id(village_id);
    request.set_year(year);
    av1::RefreshDashboardResponse refreshed;
    const grpc::Status status = Supervision(audit)->RefreshDashboard(
        ScoringHarness::Context(Inspector()).get(), request, &refreshed);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return refreshed;
  }

  av1::Dashboard VillageDashboard(const SeededVillage& village) {
    av1::GetDashboardRequest request;
    request.set_village_id(village.village_id);
    request.set_year(kYear);
    av1::Dashboard dashboard;
    const grpc::Status status = Supervision(*audit_)->GetDashboard(
        ScoringHarness::Context(Inspector()).get(), request, &dashboard);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return dashboard;
  }

  static int64_t CountOnAudit(const std::string& query, int year = 0) {
    int64_t count = -1;
    EXPECT_TRUE(mysql::RunWithConnection(*audit_db_->admin, [&](sql::Connection& c) {
                  mysql::Statement statement(c, query.c_str());
                  if (year != 0) statement.Bind(year);
                  auto rows = statement.Query();
                  if (rows->next()) count = rows->getInt64(1);
                  return absl::OkStatus();
                }).ok());
    return count;
  }

  void AddOptedInHousehold(SeededVillage& village) {
    auto registry = sv1::RegistryService::NewStub(scoring_->channel());
    sv1::CreateHouseholdRequest request;
    sv1::Household* household = request.mutable_household();
    household->set_village_id(village.village_id);
    household->set_group_id(village.group_ids[0]);
    household->set_grid_id(village.grid_id);
    household->set_house_number("租-1号");
    household->set_head_name("孙建国");
    household->set_kind(sv1::HOUSEHOLD_KIND_NON_REGISTERED);
    household->set_consent_date("2025-01-02");
    sv1::Member* member = request.add_members();
    member->set_name("孙建国");
    member->set_is_head(true);
    sv1::HouseholdDetail detail;
    const grpc::Status status = registry->CreateHousehold(
        ScoringHarness::Context(scoring_->VillageAdminToken(village.village_id)).get(), request,
        &detail);
    ASSERT_TRUE(status.ok()) << status.error_message();
    village.household_ids.push_back(detail.household().household_id());
  }

  void WriteFulfilledOrder(const SeededVillage& village, int64_t value_fen) {
    mysql::ConnectionPool pool(redemption_db_->admin);
    const int64_t confirmed_ms = ShanghaiMs(kYear, 11, 20);
    const absl::Status written = mysql::RunWithConnection(pool, [&](sql::Connection& c) {
      mysql::Statement(c,
                       "INSERT INTO orders (village_id, order_id, household_id, item_id, "
                       "item_name, quantity, price_points, total_points, value_fen, status, "
                       "limit_period_key, ordered_by_user_id, created_at_ms, confirmed_at_ms, "
                       "fulfilled_at_ms, updated_at_ms) "
                       "VALUES (?, ?, ?, 1, '洗衣液', 1, 50, 50, ?, 3, '2025', 'r', ?, ?, ?, ?)")
          .Bind(village.village_id)
          .Bind(absl::StrCat("ck-order-", village.village_id))
          .Bind(village.household_ids[0])
          .Bind(value_fen)
          .Bind(confirmed_ms)
          .Bind(confirmed_ms)
          .Bind(confirmed_ms)
          .Bind(confirmed_ms)
          .Update();
      return absl::OkStatus();
    });
    ASSERT_TRUE(written.ok()) << written;
  }

  // The relay delivers scoring's create_village record; wait (bounded) until audit has it.
  void WaitUntilRegistered(const SeededVillage& village) {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (absl::Now() < deadline) {
      int64_t town = 0;
      ASSERT_TRUE(mysql::RunWithConnection(*audit_db_->admin, [&](sql::Connection& c) {
                    auto rows = mysql::Statement(c,
                                                 "SELECT town_id FROM village_directory "
                                                 "WHERE village_id = ?")
                                    .Bind(village.village_id)
                                    .Query();
                    if (rows->next()) town = rows->getInt64(1);
                    return absl::OkStatus();
                  }).ok());
      if (town != 0) {
        EXPECT_EQ(town, village.town_id);
        return;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    FAIL() << "village " << village.village_id << " never reached audit's directory";
  }

  av1::VisitChecklist Prepare(const SeededVillage& village, const std::string& token,
                              const ServiceProcess* audit = nullptr) {
    av1::PrepareVisitRequest request;
    request.set_village_id(village.village_id);
    request.set_year(kYear);
    av1::VisitChecklist checklist;
    const grpc::Status status =
        Supervision(audit != nullptr ? *audit : *audit_)
            ->PrepareVisit(ScoringHarness::Context(token).get(), request, &checklist);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return checklist;
  }

  static const av1::ChecklistItem& Item(const av1::VisitChecklist& list, const std::string& check) {
    for (const av1::ChecklistItem& item : list.items()) {
      if (item.check() == check) return item;
    }
    static const av1::ChecklistItem kMissing;
    ADD_FAILURE() << "no check " << check;
    return kMissing;
  }

  static std::vector<std::string> Evidence(const av1::ChecklistItem& item) {
    return {item.evidence().begin(), item.evidence().end()};
  }

  static ScoringHarness* scoring_;
  static ServiceProcess* publicity_;
  static redemption::testing::MigratedDatabase* redemption_db_;
  static ServiceProcess* redemption_;
  static testing::AuditDb* audit_db_;
  static ServiceProcess* audit_;
  static AuditRelay* relay_;
};

ScoringHarness* ChecklistProcessTest::scoring_ = nullptr;
ServiceProcess* ChecklistProcessTest::publicity_ = nullptr;
redemption::testing::MigratedDatabase* ChecklistProcessTest::redemption_db_ = nullptr;
ServiceProcess* ChecklistProcessTest::redemption_ = nullptr;
testing::AuditDb* ChecklistProcessTest::audit_db_ = nullptr;
ServiceProcess* ChecklistProcessTest::audit_ = nullptr;
AuditRelay* ChecklistProcessTest::relay_ = nullptr;

TEST_F(ChecklistProcessTest, CleanVillagePassesEveryCheck) {
  const SeededVillage village = Seed(VillagePlan{});
  const av1::VisitChecklist list = Prepare(village, Inspector());
  EXPECT_THAT(list.quarters_checked(), ElementsAre("2025Q1", "2025Q2", "2025Q3", "2025Q4"));
  ASSERT_EQ(list.items_size(), 6);
  for (const av1::ChecklistItem& item : list.items()) {
    EXPECT_EQ(item.outcome(), av1::CHECKLIST_OUTCOME_PASS)
        << item.check() << ": " << item.summary();
  }
  EXPECT_EQ(list.flags_raised(), 0);
}

TEST_F(ChecklistProcessTest, VillageWithoutPublishedRulebookFailsTheRulebookCheck) {
  VillagePlan plan;
  plan.publish_rulebook = false;
  const SeededVillage village = Seed(plan);
  const av1::VisitChecklist list = Prepare(village, Inspector());
  const av1::ChecklistItem& rulebook = Item(list, "rulebook_published_with_valid_vote");
  EXPECT_EQ(rulebook.outcome(), av1::CHECKLIST_OUTCOME_FAIL);
  EXPECT_THAT(rulebook.summary(), HasSubstr("no rulebook for 2025"));
  // Without a rulebook nobody could be scored either.
  EXPECT_EQ(Item(list, "every_household_scored").outcome(), av1::CHECKLIST_OUTCOME_FAIL);
}

TEST_F(ChecklistProcessTest, DraftWithoutVoteFailsWithTheReason) {
  VillagePlan plan;
  plan.publish_rulebook = false;
  const SeededVillage village = Seed(plan);
  auto rulebooks = sv1::RulebookService::NewStub(scoring_->channel());
  sv1::CreateDraftRequest draft_request;
  draft_request.set_village_id(village.village_id);
  draft_request.set_year(kYear);
  draft_request.set_effective_from("2025-01-01");
  sv1::Rulebook draft;
  ASSERT_TRUE(
      rulebooks
          ->CreateDraft(
              ScoringHarness::Context(scoring_->VillageAdminToken(village.village_id)).get(),
              draft_request, &draft)
          .ok());
  const av1::VisitChecklist list = Prepare(village, Inspector());
  const av1::ChecklistItem& rulebook = Item(list, "rulebook_published_with_valid_vote");
  EXPECT_EQ(rulebook.outcome(), av1::CHECKLIST_OUTCOME_FAIL);
  EXPECT_THAT(rulebook.summary(), HasSubstr("not published"));
  EXPECT_THAT(rulebook.summary(), HasSubstr("no vote"));
  EXPECT_THAT(Evidence(rulebook), ElementsAre("rulebook_version:1"));
}

TEST_F(ChecklistProcessTest, QuarterWithoutWindowIsNamed) {
  VillagePlan plan;
  plan.window_quarters = {1, 3, 4};
  const SeededVillage village = Seed(plan);
  const av1::VisitChecklist list = Prepare(village, Inspector());
  const av1::ChecklistItem& windows = Item(list, "publicity_windows_held");
  EXPECT_EQ(windows.outcome(), av1::CHECKLIST_OUTCOME_FAIL);
  EXPECT_THAT(Evidence(windows), ElementsAre("period:2025Q2"));
  EXPECT_THAT(windows.summary(), HasSubstr("2025Q2 had no publicity window"));
  EXPECT_EQ(Item(list, "every_household_scored").outcome(), av1::CHECKLIST_OUTCOME_PASS);
  EXPECT_EQ(list.flags_raised(), 1);
  // The same failure is on the review list once, however often the visit is prepared.
  EXPECT_EQ(Prepare(village, Inspector()).flags_raised(), 0);
  av1::ListFlagsRequest flags_request;
  flags_request.set_village_id(village.village_id);
  av1::ListFlagsResponse flags;
  ASSERT_TRUE(Supervision(*audit_)
                  ->ListFlags(ScoringHarness::Context(Inspector()).get(), flags_request, &flags)
                  .ok());
  ASSERT_EQ(flags.flags_size(), 1) << flags.DebugString();
  EXPECT_EQ(flags.flags(0).rule(), "visit_check");
  EXPECT_EQ(flags.flags(0).subject(), "publicity_windows_held 2025");
  EXPECT_THAT(flags.flags(0).evidence(), ElementsAre("period:2025Q2"));
}

TEST_F(ChecklistProcessTest, HouseholdNeverScoredInAQuarterIsNamed) {
  VillagePlan plan;
  plan.unscored_quarter = 3;
  const SeededVillage village = Seed(plan);
  const av1::VisitChecklist list = Prepare(village, Inspector());
  const av1::ChecklistItem& scored = Item(list, "every_household_scored");
  EXPECT_EQ(scored.outcome(), av1::CHECKLIST_OUTCOME_FAIL);
  EXPECT_THAT(Evidence(scored),
              ElementsAre(absl::StrCat("period:2025Q3/household:", village.household_ids.back())));
  EXPECT_THAT(scored.summary(), HasSubstr("2025Q3: 1"));
}

TEST_F(ChecklistProcessTest, BudgetBelowLastYearsFails) {
  VillagePlan plan;
  plan.budget_2025_fen = 80000;
  const SeededVillage village = Seed(plan);
  const av1::VisitChecklist list = Prepare(village, Inspector());
  const av1::ChecklistItem& budget = Item(list, "budget_not_lower_than_last_year");
  EXPECT_EQ(budget.outcome(), av1::CHECKLIST_OUTCOME_FAIL);
  EXPECT_THAT(Evidence(budget), ElementsAre("budget_fen:80000", "previous_budget_fen:100000"));
  EXPECT_EQ(Item(list, "redemptions_held_and_funded").outcome(), av1::CHECKLIST_OUTCOME_PASS);
}

TEST_F(ChecklistProcessTest, BrokenLedgerChainIsFoundWithItsEntry) {
  const SeededVillage village = Seed(VillagePlan{});
  int64_t sequence = 0;
  ASSERT_TRUE(mysql::RunWithConnection(scoring_->admin_pool(), [&](sql::Connection& c) {
                auto rows = mysql::Statement(c,
                                             "SELECT MIN(sequence) FROM ledger_entries "
                                             "WHERE village_id = ? AND period = '2025Q2'")
                                .Bind(village.village_id)
                                .Query();
                if (rows->next()) sequence = rows->getInt64(1);
                // Tampering as an intruder with database access would: a reason rewritten.
                mysql::Statement(c,
                                 "UPDATE ledger_entries SET reason = 'altered' WHERE sequence = ?")
                    .Bind(sequence)
                    .Update();
                return absl::OkStatus();
              }).ok());
  ASSERT_GT(sequence, 0);
  const av1::VisitChecklist list = Prepare(village, Inspector());
  const av1::ChecklistItem& chain = Item(list, "ledger_chain_verifies");
  EXPECT_EQ(chain.outcome(), av1::CHECKLIST_OUTCOME_FAIL);
  EXPECT_THAT(Evidence(chain), ElementsAre(absl::StrCat("ledger:", sequence)));
}

TEST_F(ChecklistProcessTest, StoppedBackendMakesItsChecksUnknownNotTheCall) {
  const SeededVillage village = Seed(VillagePlan{});
  std::unique_ptr<ServiceProcess> doomed = StartRedemption();
  ASSERT_NE(doomed, nullptr);
  std::unique_ptr<ServiceProcess> audit = StartAudit(doomed->address());
  ASSERT_NE(audit, nullptr);
  EXPECT_EQ(doomed->Terminate(), 0);

  const av1::VisitChecklist list = Prepare(village, Inspector(), audit.get());
  ASSERT_EQ(list.items_size(), 6);
  for (const char* check : {"redemptions_held_and_funded", "budget_not_lower_than_last_year"}) {
    const av1::ChecklistItem& item = Item(list, check);
    EXPECT_EQ(item.outcome(), av1::CHECKLIST_OUTCOME_UNKNOWN) << check;
    EXPECT_THAT(Evidence(item), ElementsAre("service:redemption"));
    EXPECT_THAT(item.summary(), HasSubstr("could not ask redemption"));
    EXPECT_THAT(item.summary(), HasSubstr("unreachable"));
    EXPECT_THAT(item.summary(), ::testing::Not(HasSubstr("127.0.0.1")));
  }
  for (const char* check : {"rulebook_published_with_valid_vote", "publicity_windows_held",
                            "ledger_chain_verifies", "every_household_scored"}) {
    EXPECT_EQ(Item(list, check).outcome(), av1::CHECKLIST_OUTCOME_PASS) << check;
  }
  EXPECT_EQ(list.flags_raised(), 0);  // unknown is not a failure
  EXPECT_EQ(audit->Terminate(), 0);
}

TEST_F(ChecklistProcessTest, HangingBackendRunsIntoItsDeadlineNotTheWholeCall) {
  const SeededVillage village = Seed(VillagePlan{});
  jifen::testing::BlackHole black_hole;
  std::unique_ptr<ServiceProcess> audit =
      StartAudit(redemption_->address(), black_hole.address(), "1s");
  ASSERT_NE(audit, nullptr);
  const av1::VisitChecklist list = Prepare(village, Inspector(), audit.get());
  const av1::ChecklistItem& windows = Item(list, "publicity_windows_held");
  EXPECT_EQ(windows.outcome(), av1::CHECKLIST_OUTCOME_UNKNOWN);
  EXPECT_THAT(windows.summary(), HasSubstr("no answer within the deadline"));
  EXPECT_THAT(Evidence(windows), ElementsAre("service:publicity"));
  EXPECT_EQ(Item(list, "budget_not_lower_than_last_year").outcome(), av1::CHECKLIST_OUTCOME_PASS);
  EXPECT_EQ(Item(list, "every_household_scored").outcome(), av1::CHECKLIST_OUTCOME_PASS);
  EXPECT_EQ(audit->Terminate(), 0);
}

TEST_F(ChecklistProcessTest, ChecklistScopes) {
  VillagePlan failing;
  failing.budget_2025_fen = 80000;  // one check fails, so a flag could be raised
  const SeededVillage village = Seed(failing);
  av1::PrepareVisitRequest request;
  request.set_village_id(village.village_id);
  request.set_year(kYear);
  av1::VisitChecklist list;
  auto supervision = Supervision(*audit_);
  EXPECT_EQ(supervision
                ->PrepareVisit(ScoringHarness::Context(
                                   Token(auth::Role::kTownOfficial, village.town_id + 1000))
                                   .get(),
                               request, &list)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(supervision
                ->PrepareVisit(
                    ScoringHarness::Context(scoring_->VillageAdminToken(village.village_id)).get(),
                    request, &list)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // The village's own town may prepare it; only inspectors raise flags.
  const av1::VisitChecklist town_list =
      Prepare(village, Token(auth::Role::kTownOfficial, village.town_id));
  EXPECT_EQ(town_list.items_size(), 6);
  EXPECT_EQ(Item(town_list, "budget_not_lower_than_last_year").outcome(),
            av1::CHECKLIST_OUTCOME_FAIL);
  EXPECT_EQ(town_list.flags_raised(), 0);
  av1::ListFlagsRequest flags_request;
  flags_request.set_village_id(village.village_id);
  av1::ListFlagsResponse flags;
  ASSERT_TRUE(
      supervision->ListFlags(ScoringHarness::Context(Inspector()).get(), flags_request, &flags)
          .ok());
  EXPECT_EQ(flags.flags_size(), 0) << flags.DebugString();

  // Bad input is refused before any service is asked; a village audit has never heard of is
  // named as such.
  const auto prepare_code = [&](int64_t village_id, int year) {
    av1::PrepareVisitRequest bad;
    bad.set_village_id(village_id);
    bad.set_year(year);
    return supervision->PrepareVisit(ScoringHarness::Context(Inspector()).get(), bad, &list)
        .error_code();
  };
  EXPECT_EQ(prepare_code(0, kYear), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(prepare_code(village.village_id, 0), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(prepare_code(village.village_id, 1999), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(prepare_code(village.village_id + 1'000'000, kYear), grpc::StatusCode::NOT_FOUND);
}

TEST_F(ChecklistProcessTest, DashboardFiguresEqualWhatWasSeeded) {
  VillagePlan plan;
  plan.add_opted_in_household = true;  // 3 registered + 1 opted in; the tenant is never scored
  plan.window_quarters = {1, 2, 3};
  const SeededVillage village = Seed(plan);
  auto supervision = Supervision(*audit_);

  // What publicity shows for the village, once its boards have applied every ledger entry of the
  // village, to compare red and black counts with.
  auto boards = pv1::BoardService::NewStub(grpc_util::NewChannel(publicity_->address(), 4 << 20));
  int64_t last_sequence = 0;
  ASSERT_TRUE(mysql::RunWithConnection(scoring_->admin_pool(), [&](sql::Connection& c) {
                auto rows = mysql::Statement(c,
                                             "SELECT MAX(sequence) FROM ledger_entries "
                                             "WHERE village_id = ?")
                                .Bind(village.village_id)
                                .Query();
                if (rows->next()) last_sequence = rows->getInt64(1);
                return absl::OkStatus();
              }).ok());
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  for (int64_t applied = 0; applied < last_sequence;) {
    ASSERT_LT(absl::Now(), deadline) << "publicity never applied entry " << last_sequence;
    pv1::GetRedBlackListsRequest lists_request;
    lists_request.set_village_id(village.village_id);
    lists_request.set_period("2025Q4");
    pv1::RedBlackLists lists;
    ASSERT_TRUE(boards
                    ->GetRedBlackLists(ScoringHarness::Context(scoring_->DistrictToken()).get(),
                                       lists_request, &lists)
                    .ok());
    applied = lists.applied_sequence();
    if (applied < last_sequence) absl::SleepFor(absl::Milliseconds(50));
  }
  std::vector<int64_t> red(4), black(4);
  for (int q = 0; q < 4; ++q) {
    pv1::GetRedBlackListsRequest lists_request;
    lists_request.set_village_id(village.village_id);
    lists_request.set_period(absl::StrCat(kYear, "Q", q + 1));
    pv1::RedBlackLists lists;
    ASSERT_TRUE(boards
                    ->GetRedBlackLists(ScoringHarness::Context(scoring_->DistrictToken()).get(),
                                       lists_request, &lists)
                    .ok());
    red[q] = lists.red_size();
    black[q] = lists.black_size();
  }

  av1::RefreshDashboardRequest refresh;
  refresh.set_village_id(village.village_id);
  refresh.set_year(kYear);
  av1::RefreshDashboardResponse refreshed;
  const grpc::Status refresh_status = supervision->RefreshDashboard(
      ScoringHarness::Context(Inspector()).get(), refresh, &refreshed);
  ASSERT_TRUE(refresh_status.ok()) << refresh_status.error_message();
  EXPECT_EQ(refreshed.villages(), 1);
  EXPECT_EQ(refreshed.parts_unavailable(), 0);

  // The town of the village holds only this village (the harness makes a town per village).
  av1::GetDashboardRequest request;
  request.set_town_id(village.town_id);
  request.set_year(kYear);
  av1::Dashboard dashboard;
  const grpc::Status status = supervision->GetDashboard(
      ScoringHarness::Context(Token(auth::Role::kTownOfficial, village.town_id)).get(), request,
      &dashboard);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(dashboard.villages(), 1);
  EXPECT_EQ(dashboard.year(), kYear);
  EXPECT_EQ(dashboard.villages_with_figures(), 1);
  EXPECT_GT(dashboard.figures_oldest_ms(), 0);
  EXPECT_EQ(dashboard.households_registered(), 3);
  EXPECT_EQ(dashboard.households_opted_in(), 1);
  ASSERT_EQ(dashboard.quarters_size(), 4);
  for (int q = 0; q < 4; ++q) {
    const av1::QuarterFigures& quarter = dashboard.quarters(q);
    EXPECT_EQ(quarter.period(), absl::StrCat(kYear, "Q", q + 1));
    EXPECT_EQ(quarter.households_scored(), 3);
    EXPECT_EQ(quarter.participation_permille(), 750);
    // Each scored household earned 50 points in the quarter: all in the "50-99" bucket.
    EXPECT_THAT(quarter.distribution(), ElementsAre(0, 0, 0, 3, 0, 0));
    EXPECT_EQ(quarter.villages_with_window(), q < 3 ? 1 : 0);
    EXPECT_EQ(quarter.red_count(), red[q]);
    EXPECT_EQ(quarter.black_count(), black[q]);
  }
  EXPECT_EQ(dashboard.budget_fen(), 120000);
  EXPECT_EQ(dashboard.redeemed_value_fen(), 3500);
  EXPECT_EQ(dashboard.funding_fen(), 200000);
  EXPECT_EQ(dashboard.villages_budget_lower(), 0);
  EXPECT_EQ(dashboard.villages_rulebook_published(), 1);
  EXPECT_EQ(dashboard.villages_chain_broken(), 0);

  // A village admin sees the same figures for the village; another town's official does not.
  av1::GetDashboardRequest own;
  own.set_village_id(village.village_id);
  own.set_year(kYear);
  av1::Dashboard village_view;
  ASSERT_TRUE(
      supervision
          ->GetDashboard(
              ScoringHarness::Context(scoring_->VillageAdminToken(village.village_id)).get(), own,
              &village_view)
          .ok());
  EXPECT_EQ(village_view.households_opted_in(), 1);
  EXPECT_EQ(village_view.redeemed_value_fen(), 3500);
  EXPECT_EQ(supervision
                ->GetDashboard(ScoringHarness::Context(
                                   Token(auth::Role::kTownOfficial, village.town_id + 1000))
                                   .get(),
                               request, &dashboard)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  request.set_year(3000);
  EXPECT_EQ(
      supervision
          ->GetDashboard(
              ScoringHarness::Context(Token(auth::Role::kTownOfficial, village.town_id)).get(),
              request, &dashboard)
          .error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
}

// A refresh while redemption is stopped stores what scoring and publicity answer and leaves
// redemption's part as the last refresh stored it.
TEST_F(ChecklistProcessTest, RefreshKeepsThePartOfAStoppedBackend) {
  SeededVillage village = SeedBare();
  SetBudget(village, kYear, 50000);
  av1::RefreshDashboardResponse refreshed = Refresh(*audit_, village.village_id, kYear);
  EXPECT_EQ(refreshed.villages(), 1);
  EXPECT_EQ(refreshed.parts_unavailable(), 0);
  av1::Dashboard before = VillageDashboard(village);
  EXPECT_EQ(before.households_opted_in(), 0);
  EXPECT_EQ(before.budget_fen(), 50000);

  // Both owners change their facts (a past year's budget is the district's to correct); then
  // redemption stops.
  AddOptedInHousehold(village);
  SetBudget(village, kYear, 60000, scoring_->DistrictToken());
  std::unique_ptr<ServiceProcess> doomed = StartRedemption();
  ASSERT_NE(doomed, nullptr);
  std::unique_ptr<ServiceProcess> audit = StartAudit(doomed->address());
  ASSERT_NE(audit, nullptr);
  EXPECT_EQ(doomed->Terminate(), 0);

  refreshed = Refresh(*audit, village.village_id, kYear);
  EXPECT_EQ(refreshed.villages(), 1);
  EXPECT_EQ(refreshed.parts_unavailable(), 1);
  const av1::Dashboard after = VillageDashboard(village);
  EXPECT_EQ(after.households_opted_in(), 1) << "scoring's part is new";
  EXPECT_EQ(after.budget_fen(), 50000) << "redemption's part is the one stored before";
  EXPECT_EQ(audit->Terminate(), 0);

  // Asked again, the running redemption gives its new figure.
  EXPECT_EQ(Refresh(*audit_, village.village_id, kYear).parts_unavailable(), 0);
  EXPECT_EQ(VillageDashboard(village).budget_fen(), 60000);
}

TEST_F(ChecklistProcessTest, RefreshOfEveryVillageDefaultsToThisYear) {
  SeedBare();  // at least one village, whichever tests ran before
  const auto this_year = [] {
    return static_cast<int>(absl::ToCivilYear(absl::Now(), jifen::time::ShanghaiTime()).year());
  };
  const int year_before = this_year();
  const int64_t villages = CountOnAudit("SELECT COUNT(*) FROM village_directory");
  ASSERT_GT(villages, 0);
  av1::RefreshDashboardResponse refreshed;
  {
    av1::RefreshDashboardRequest every_village;  // village 0, year 0
    const grpc::Status status = Supervision(*audit_)->RefreshDashboard(
        ScoringHarness::Context(Token(auth::Role::kService)).get(), every_village, &refreshed);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_EQ(refreshed.villages(), villages);
  EXPECT_EQ(refreshed.parts_unavailable(), 0);
  // Only this refresh writes figures of the current year; a new year may begin during the call.
  const int year_after = this_year();
  int64_t with_every_part = 0;
  for (int year : {year_before, year_after}) {
    with_every_part = std::max(
        with_every_part,
        CountOnAudit("SELECT COUNT(*) FROM village_year_figures y WHERE y.year = ? "
                     "AND y.scoring_at_ms > 0 AND y.redemption_at_ms > 0 AND EXISTS ("
                     "SELECT 1 FROM village_quarter_figures q WHERE q.village_id = y.village_id "
                     "AND q.year = y.year AND q.publicity_at_ms > 0)",
                     year));
    if (year_after == year_before) break;
  }
  EXPECT_EQ(with_every_part, villages);

  av1::RefreshDashboardRequest request;
  EXPECT_EQ(
      Supervision(*audit_)
          ->RefreshDashboard(ScoringHarness::Context(Token(auth::Role::kTownOfficial, 1)).get(),
                             request, &refreshed)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
}

// Refresh's `stop` is what main's shutdown asks between villages; no RPC reaches it, so
// SupervisionFigures is wired here as main.cc wires it, over the suite's database and services.
TEST_F(ChecklistProcessTest, RefreshStopsBetweenVillagesWhenAsked) {
  SeedBare();
  SeedBare();
  mysql::ConnectionPool& pool = *audit_db_->service;
  OpenSslHasher hasher;
  MySqlTrailRepository trail(pool);
  MySqlVillageDirectory directory(pool);
  MySqlSupervisionRepository repository(pool, hasher);
  MySqlFiguresRepository figures(pool);
  audit::Supervision supervision(repository, directory, trail, hasher, [] { return absl::Now(); });
  VillageFactsOptions options;
  options.scoring_address = scoring_->address();
  options.publicity_address = publicity_->address();
  options.redemption_address = redemption_->address();
  options.service_token = scoring_->ServiceToken("audit");
  GrpcVillageFacts facts(options);
  SupervisionFigures subject(supervision, repository, directory, facts, figures,
                             [] { return absl::Now(); });
  auth::Caller self;
  self.user_id = "audit";
  self.role = auth::Role::kService;
  int asked = 0;
  absl::StatusOr<RefreshOutcome> outcome =
      subject.Refresh(self, 0, kYear, [&asked] { return ++asked > 1; });
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->villages, 1);
  EXPECT_EQ(asked, 2);
}

}  // namespace
}  // namespace jifen::audit
