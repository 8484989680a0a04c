#include "common/time/shanghai.h"
#include "tests/support/scoring_harness.h"

#include <cppconn/connection.h>
#include <cppconn/resultset.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/auth/test_keys.h"
#include "common/grpc/client.h"
#include "common/migrate/migrator.h"
#include "common/mysql/statement.h"
#include "common/mysql/transaction.h"
#include "gtest/gtest.h"
#include "jifen/scoring/v1/assessment.grpc.pb.h"
#include "jifen/scoring/v1/ledger.grpc.pb.h"
#include "jifen/scoring/v1/registry.grpc.pb.h"
#include "jifen/scoring/v1/rulebook.grpc.pb.h"
#include "tests/support/testenv.h"

namespace jifen::testing {
namespace {

using mysql::Statement;
namespace v1 = ::jifen::scoring::v1;

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::trunc);
  out << contents;
}

mysql::MySqlConfig AdminConfig(const std::string& database) {
  const MySqlServer& server = TestMySql();
  mysql::MySqlConfig config;
  config.host = server.host;
  config.port = server.port;
  config.user = server.user;
  config.password = server.password;
  config.database = database;
  config.pool_size = 4;
  return config;
}

}  // namespace

ScoringHarness::ScoringHarness(std::string suite) : suite_(std::move(suite)) {}

ScoringHarness::~ScoringHarness() = default;

bool ScoringHarness::Start() { return Prepare() && Launch(); }

bool ScoringHarness::Prepare() {
  database_ = CreateFreshDatabase(suite_);
  service_user_ = database_.substr(0, 60);
  service_password_ = absl::StrCat("pw-", getpid(), "-", suite_);
  work_dir_ = absl::StrCat(std::getenv("TMPDIR") != nullptr ? std::getenv("TMPDIR") : "/tmp",
                           "/", database_);
  ::mkdir(work_dir_.c_str(), 0700);

  const auth::TestKeyPair keys = auth::GenerateTestKeyPair();
  public_key_path_ = work_dir_ + "/token_public.pem";
  WriteFile(public_key_path_, keys.public_key_pem);
  signer_ = *auth::TokenSigner::FromPrivateKeyPem(keys.private_key_pem, {});
  WriteFile(work_dir_ + "/phone.key", std::string(64, 'a'));

  admin_pool_ = std::make_unique<mysql::ConnectionPool>(AdminConfig(database_));
  const absl::Status user = mysql::RunWithConnection(*admin_pool_, [&](sql::Connection& c) {
    for (const char* host : {"127.0.0.1", "localhost"}) {
      const std::string account = absl::StrCat("'", service_user_, "'@'", host, "'");
      Statement(c, absl::StrCat("DROP USER IF EXISTS ", account).c_str()).Update();
      Statement(c, absl::StrCat("CREATE USER ", account, " IDENTIFIED BY '", service_password_, "'")
                       .c_str())
          .Update();
    }
    return absl::OkStatus();
  });
  if (!user.ok()) {
    ADD_FAILURE() << "creating the service account: " << user;
    return false;
  }
  const absl::StatusOr<migrate::MigrationResult> migrated = migrate::ApplyMigrations(
      *admin_pool_, SourcePath("services/scoring/migrations"), {{"SERVICE_USER", service_user_}});
  if (!migrated.ok()) {
    ADD_FAILURE() << "migrations: " << migrated.status();
    return false;
  }
  return true;
}

bool ScoringHarness::Launch(const std::vector<std::string>& extra_flags) {
  const MySqlServer& server = TestMySql();
  std::vector<std::string> flags{
      absl::StrCat("--mysql_host=", server.host), absl::StrCat("--mysql_port=", server.port),
      "--mysql_user=" + service_user_, "--mysql_password=" + service_password_,
      "--mysql_database=" + database_, "--token_public_key=" + public_key_path_,
      "--phone_key_file=" + work_dir_ + "/phone.key", "--drain_timeout=5s"};
  flags.insert(flags.end(), extra_flags.begin(), extra_flags.end());
  process_ = std::make_unique<ServiceProcess>("scoring", "services/scoring/jifen-scoring",
                                              std::move(flags));
  if (!process_->Start()) return false;
  channel_ = grpc_util::NewChannel(process_->address(), 16 << 20);
  return true;
}

std::string ScoringHarness::Token(const auth::Caller& caller) const {
  return *signer_->Sign(caller, absl::Now(), absl::Hours(1));
}

std::string ScoringHarness::ServiceToken(const std::string& service_name) const {
  auth::Caller caller;
  caller.user_id = service_name;
  caller.role = auth::Role::kService;
  return Token(caller);
}

std::string ScoringHarness::WriteServiceTokenFile(const std::string& service_name) {
  const std::string path = absl::StrCat(work_dir_, "/", service_name, ".token");
  WriteFile(path, ServiceToken(service_name));
  return path;
}

std::string ScoringHarness::DistrictToken() const {
  auth::Caller caller;
  caller.user_id = "district-1";
  caller.role = auth::Role::kDistrictOfficial;
  return Token(caller);
}

std::string ScoringHarness::VillageAdminToken(int64_t village_id) const {
  auth::Caller caller;
  caller.user_id = absl::StrCat("admin-", village_id);
  caller.role = auth::Role::kVillageAdmin;
  caller.village_id = village_id;
  return Token(caller);
}

std::string ScoringHarness::GridWorkerToken(const SeededVillage& village) const {
  auth::Caller caller;
  caller.user_id = village.grid_worker_user_id;
  caller.role = auth::Role::kGridWorker;
  caller.village_id = village.village_id;
  caller.grid_id = village.grid_id;
  caller.town_id = village.town_id;
  return Token(caller);
}

std::string ScoringHarness::ResidentToken(int64_t village_id, int64_t household_id) const {
  auth::Caller caller;
  caller.user_id = absl::StrCat("resident-", household_id);
  caller.role = auth::Role::kResident;
  caller.village_id = village_id;
  caller.household_id = household_id;
  return Token(caller);
}

std::unique_ptr<grpc::ClientContext> ScoringHarness::Context(const std::string& token) {
  return grpc_util::NewClientContext(absl::Seconds(10), token);
}

SeededVillage ScoringHarness::SeedVillage(int households, int groups) {
  SeededVillage seeded;
  const int n = ++seeded_villages_;
  auto registry = v1::RegistryService::NewStub(channel_);
  const std::string district = DistrictToken();

  v1::CreateTownRequest town_request;
  town_request.set_name(absl::StrCat("测试镇", n));
  v1::Town town;
  grpc::Status status = registry->CreateTown(Context(district).get(), town_request, &town);
  EXPECT_TRUE(status.ok()) << "CreateTown: " << status.error_message();
  seeded.town_id = town.town_id();

  v1::CreateVillageRequest village_request;
  village_request.set_town_id(seeded.town_id);
  village_request.set_name(absl::StrCat("测试村", n));
  v1::Village village;
  status = registry->CreateVillage(Context(district).get(), village_request, &village);
  EXPECT_TRUE(status.ok()) << "CreateVillage: " << status.error_message();
  seeded.village_id = village.village_id();
  const std::string admin = VillageAdminToken(seeded.village_id);

  for (int g = 1; g <= groups; ++g) {
    v1::CreateGroupRequest request;
    request.set_village_id(seeded.village_id);
    request.set_name(absl::StrCat("第", g, "村民小组"));
    v1::Group group;
    status = registry->CreateGroup(Context(admin).get(), request, &group);
    EXPECT_TRUE(status.ok()) << "CreateGroup: " << status.error_message();
    seeded.group_ids.push_back(group.group_id());
  }

  seeded.grid_worker_user_id = absl::StrCat("grid-worker-", seeded.village_id);
  v1::CreateGridRequest grid_request;
  grid_request.set_village_id(seeded.village_id);
  grid_request.set_name("一号网格");
  grid_request.set_worker_user_id(seeded.grid_worker_user_id);
  v1::Grid grid;
  status = registry->CreateGrid(Context(admin).get(), grid_request, &grid);
  EXPECT_TRUE(status.ok()) << "CreateGrid: " << status.error_message();
  seeded.grid_id = grid.grid_id();

  v1::CreateTeamRequest team_request;
  team_request.set_village_id(seeded.village_id);
  team_request.set_name("考核一组");
  team_request.add_group_ids(seeded.group_ids.front());
  v1::AssessmentTeam team;
  status = registry->CreateTeam(Context(admin).get(), team_request, &team);
  EXPECT_TRUE(status.ok()) << "CreateTeam: " << status.error_message();
  seeded.team_id = team.team_id();

  static const char* kSurnames[] = {"张", "王", "李", "赵", "陈", "刘", "杨", "黄"};
  for (int h = 0; h < households; ++h) {
    v1::CreateHouseholdRequest request;
    v1::Household* household = request.mutable_household();
    household->set_village_id(seeded.village_id);
    household->set_group_id(seeded.group_ids[h % seeded.group_ids.size()]);
    household->set_grid_id(seeded.grid_id);
    household->set_house_number(absl::StrCat(h + 1, "号"));
    household->set_head_name(absl::StrCat(kSurnames[h % 8], "建", "华"));
    household->set_kind(v1::HOUSEHOLD_KIND_REGISTERED);
    household->set_rents_out_rooms(h % 3 == 0);
    v1::Member* member = request.add_members();
    member->set_name(household->head_name());
    member->set_phone(absl::StrCat("138", 10000000 + h));
    member->set_is_head(true);
    v1::HouseholdDetail detail;
    status = registry->CreateHousehold(Context(admin).get(), request, &detail);
    EXPECT_TRUE(status.ok()) << "CreateHousehold: " << status.error_message();
    seeded.household_ids.push_back(detail.household().household_id());
  }
  return seeded;
}

int64_t ScoringHarness::PublishRulebook(int64_t village_id, int year,
                                        const std::string& effective_from) {
  auto rulebooks = v1::RulebookService::NewStub(channel_);
  const std::string admin = VillageAdminToken(village_id);
  v1::CreateDraftRequest draft_request;
  draft_request.set_village_id(village_id);
  draft_request.set_year(year);
  draft_request.set_effective_from(effective_from);
  v1::Rulebook draft;
  grpc::Status status = rulebooks->CreateDraft(Context(admin).get(), draft_request, &draft);
  EXPECT_TRUE(status.ok()) << "CreateDraft: " << status.error_message();

  v1::RecordVoteRequest vote_request;
  vote_request.set_rulebook_id(draft.rulebook_id());
  v1::Vote* vote = vote_request.mutable_vote();
  vote->set_meeting_date(effective_from);
  vote->set_members(30);
  vote->set_attending(25);
  vote->set_in_favour(20);
  vote->set_against(3);
  vote->set_abstain(2);
  v1::Rulebook voted;
  status = rulebooks->RecordVote(Context(admin).get(), vote_request, &voted);
  EXPECT_TRUE(status.ok()) << "RecordVote: " << status.error_message();

  v1::PublishRequest publish_request;
  publish_request.set_rulebook_id(draft.rulebook_id());
  v1::Rulebook published;
  status = rulebooks->Publish(Context(admin).get(), publish_request, &published);
  EXPECT_TRUE(status.ok()) << "Publish: " << status.error_message();
  return draft.rulebook_id();
}

SeededVillage ScoringHarness::FundableVillage(int households) {
  SeededVillage village = SeedVillage(households);
  auto rulebooks = v1::RulebookService::NewStub(channel_);
  const std::string admin = VillageAdminToken(village.village_id);
  v1::CreateDraftRequest draft_request;
  draft_request.set_village_id(village.village_id);
  draft_request.set_year(2025);
  draft_request.set_effective_from("2025-01-01");
  v1::Rulebook draft;
  EXPECT_TRUE(rulebooks->CreateDraft(Context(admin).get(), draft_request, &draft).ok());
  v1::PutItemRequest put;
  put.set_rulebook_id(draft.rulebook_id());
  v1::RuleItem* item = put.mutable_item();
  item->set_code(kAwardItem);
  item->set_name("特色项目: 美丽庭院示范户");
  item->set_category(v1::CATEGORY_VILLAGE_SPECIFIC);
  item->set_scope(v1::SCOPE_INDOOR_COURTYARD);
  item->set_points(50);
  item->add_allowed_roles("grid_worker");
  item->add_allowed_roles("village_admin");
  v1::Rulebook updated;
  EXPECT_TRUE(rulebooks->PutItem(Context(admin).get(), put, &updated).ok());
  v1::RecordVoteRequest vote;
  vote.set_rulebook_id(draft.rulebook_id());
  vote.mutable_vote()->set_meeting_date("2024-12-20");
  vote.mutable_vote()->set_members(21);
  vote.mutable_vote()->set_attending(15);
  vote.mutable_vote()->set_in_favour(11);
  EXPECT_TRUE(rulebooks->RecordVote(Context(admin).get(), vote, &updated).ok());
  v1::PublishRequest publish;
  publish.set_rulebook_id(draft.rulebook_id());
  const grpc::Status published = rulebooks->Publish(Context(admin).get(), publish, &updated);
  EXPECT_TRUE(published.ok()) << published.error_message();
  return village;
}

int64_t ScoringHarness::SettleableDeedMs() {
  return absl::ToUnixMillis(
      absl::FromCivil(absl::CivilDay(2025, 8, 15), jifen::time::ShanghaiTime()));
}

void ScoringHarness::FundWallets(const SeededVillage& village,
                                 const std::vector<int64_t>& households, int points) {
  auto assessment = v1::AssessmentService::NewStub(channel_);
  const int64_t deed_ms = SettleableDeedMs();
  for (int64_t household : households) {
    for (int i = 0; i < points / 50; ++i) {
      v1::SubmitInspectionRequest request;
      request.set_inspection_id(absl::StrCat("fund-", household, "-", i));
      request.set_household_id(household);
      request.set_occurred_at_ms(deed_ms + i);
      v1::InspectionOutcome* outcome = request.add_outcomes();
      outcome->set_item_code(kAwardItem);
      outcome->add_photo_refs(std::string(64, 'f'));
      v1::SubmitInspectionResponse response;
      const grpc::Status status =
          assessment->SubmitInspection(Context(GridWorkerToken(village)).get(), request, &response);
      ASSERT_TRUE(status.ok()) << status.error_message();
    }
  }
  auto ledger = v1::LedgerService::NewStub(channel_);
  v1::SettlePeriodRequest settle;
  settle.set_village_id(village.village_id);
  settle.set_period("2025Q3");
  v1::SettlePeriodResponse settled;
  const grpc::Status status =
      ledger->SettlePeriod(Context(ServiceToken("publicity")).get(), settle, &settled);
  ASSERT_TRUE(status.ok()) << status.error_message();
}

int64_t ScoringHarness::WalletBalance(int64_t household_id) {
  auto ledger = v1::LedgerService::NewStub(channel_);
  v1::GetWalletRequest request;
  request.set_household_id(household_id);
  v1::Wallet wallet;
  EXPECT_TRUE(ledger->GetWallet(Context(DistrictToken()).get(), request, &wallet).ok());
  return wallet.balance_points();
}

int64_t ScoringHarness::PeriodScore(int64_t household_id, const std::string& period) {
  int64_t score = 0;
  EXPECT_TRUE(mysql::RunWithConnection(*admin_pool_, [&](sql::Connection& c) {
    auto rows = Statement(c, "SELECT score FROM period_scores WHERE household_id = ? AND period = ?")
                    .Bind(household_id).Bind(period)
                    .Query();
    if (rows->next()) score = rows->getInt64(1);
    return absl::OkStatus();
  }).ok());
  return score;
}

void ScoringHarness::ExpectLedgerInvariants() {
  const absl::Status checked = mysql::RunWithConnection(*admin_pool_, [&](sql::Connection& c) {
    auto wallets = Statement(c,
                             "SELECT w.household_id, w.balance_points, "
                             "(SELECT COALESCE(SUM(points), 0) FROM ledger_entries e WHERE "
                             "e.household_id = w.household_id AND e.account = 2) AS total "
                             "FROM wallets w")
                       .Query();
    while (wallets->next()) {
      EXPECT_EQ(wallets->getInt64("balance_points"), wallets->getInt64("total"))
          << "wallet of household " << wallets->getInt64("household_id");
      EXPECT_GE(wallets->getInt64("balance_points"), 0);
    }
    auto scores = Statement(c,
                            "SELECT p.household_id, p.period, p.score, "
                            "(SELECT COALESCE(SUM(points), 0) FROM ledger_entries e WHERE "
                            "e.household_id = p.household_id AND e.period = p.period AND "
                            "e.account = 1) AS total FROM period_scores p")
                      .Query();
    while (scores->next()) {
      EXPECT_EQ(scores->getInt64("score"), scores->getInt64("total"))
          << "score of household " << scores->getInt64("household_id") << " in "
          << scores->getString("period");
    }
    auto orphans = Statement(c,
                             "SELECT COUNT(*) FROM ledger_entries e WHERE e.account = 2 AND NOT "
                             "EXISTS (SELECT 1 FROM wallets w WHERE w.household_id = "
                             "e.household_id)")
                       .Query();
    orphans->next();
    EXPECT_EQ(orphans->getInt64(1), 0) << "wallet entries without a wallet row";
    return absl::OkStatus();
  });
  EXPECT_TRUE(checked.ok()) << checked;

  std::vector<int64_t> villages;
  (void)mysql::RunWithConnection(*admin_pool_, [&](sql::Connection& c) {
    auto rows = Statement(c, "SELECT DISTINCT village_id FROM ledger_entries").Query();
    while (rows->next()) villages.push_back(rows->getInt64(1));
    return absl::OkStatus();
  });
  auto ledger = v1::LedgerService::NewStub(channel_);
  for (int64_t village_id : villages) {
    v1::VerifyChainRequest request;
    request.set_village_id(village_id);
    v1::VerifyChainResponse response;
    const grpc::Status status =
        ledger->VerifyChain(Context(DistrictToken()).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(response.intact()) << "village " << village_id << " chain breaks at "
                                   << response.first_bad_sequence();
  }
}

}  // namespace jifen::testing
