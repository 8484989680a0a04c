// jifen-admin as operators run it: the real binary against a fresh gateway schema on the fixture's
// MariaDB, under the gateway's own restricted account; each change is then checked by signing in
// with the gateway's own LoginService on the same database, so the CLI and the gateway can't drift.
// Grid workers are named in a real jifen-scoring (tests/support/scoring_harness.h).
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/auth/test_keys.h"
#include "common/auth/token.h"
#include "common/migrate/migrator.h"
#include "common/mysql/statement.h"
#include "common/mysql/transaction.h"
#include "jifen/scoring/v1/registry.grpc.pb.h"
#include "services/gateway/auth/login_service.h"
#include "services/gateway/storage/mysql_account_store.h"
#include "tests/support/audit_outbox.h"
#include "tests/support/scoring_harness.h"
#include "tests/support/testenv.h"

namespace jifen::testing {
namespace {

// Residents sign in through WeChat; these tests sign in staff only.
class NoWeChat final : public gateway::WeChatClient {
 public:
  absl::StatusOr<std::string> Code2Session(absl::string_view) override {
    return absl::UnavailableError("not used");
  }
};

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class AdminCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    database_ = new std::string(CreateFreshDatabase("admin_cli"));
    user_ = new std::string(database_->substr(0, 60));
    mysql::MySqlConfig admin_config;
    admin_config.host = TestMySql().host;
    admin_config.port = TestMySql().port;
    admin_config.user = TestMySql().user;
    admin_config.password = TestMySql().password;
    admin_config.database = *database_;
    admin_config.pool_size = 1;
    mysql::ConnectionPool admin(admin_config);
    const absl::Status created = mysql::RunWithConnection(admin, [&](sql::Connection& c) {
      for (const char* host : {"127.0.0.1", "localhost"}) {
        const std::string account = absl::StrCat("'", *user_, "'@'", host, "'");
        mysql::Statement(c, absl::StrCat("DROP USER IF EXISTS ", account).c_str()).Update();
        mysql::Statement(c, absl::StrCat("CREATE USER ", account, " IDENTIFIED BY 'gw-pw'").c_str())
            .Update();
      }
      return absl::OkStatus();
    });
    ASSERT_TRUE(created.ok()) << created;
    auto migrated = migrate::ApplyMigrations(admin, SourcePath("services/gateway/migrations"),
                                             {{"SERVICE_USER", *user_}});
    ASSERT_TRUE(migrated.ok()) << migrated.status();
    scoring_ = new ScoringHarness("admin_cli_scoring");
    ASSERT_TRUE(scoring_->Start());
  }
  static void TearDownTestSuite() {
    delete scoring_;
    delete database_;
    delete user_;
  }

  AdminCliTest() {
    work_dir_ = absl::StrCat("/tmp/admin-cli-", getpid());
    std::system(absl::StrCat("mkdir -p ", work_dir_).c_str());
    mysql::MySqlConfig config;
    config.host = TestMySql().host;
    config.port = TestMySql().port;
    config.user = *user_;
    config.password = "gw-pw";
    config.database = *database_;
    config.pool_size = 2;
    pool_ = std::make_unique<mysql::ConnectionPool>(config);
    store_ = std::make_unique<gateway::MySqlAccountStore>(pool_.get());
    const auth::TestKeyPair keys = auth::GenerateTestKeyPair();
    signer_ = *auth::TokenSigner::FromPrivateKeyPem(keys.private_key_pem, {});
    gateway::LoginOptions options;
    options.password_cost = gateway::PasswordCost::Minimum();
    options.max_failed_logins = 3;
    login_ = std::make_unique<gateway::LoginService>(store_.get(), signer_.get(), &wechat_, options,
                                                     [] { return absl::Now(); });
  }

  // Runs jifen-admin with the gateway's database flags, `args` and the password (if any) on
  // standard input.
  CliResult Cli(const std::vector<std::string>& args, const std::string& stdin_text = "",
                int mysql_port = 0) {
    static int run = 0;
    const std::string prefix = absl::StrCat(work_dir_, "/run", ++run);
    {
      std::ofstream in(prefix + ".in");
      in << stdin_text;
    }
    const std::string command = absl::StrCat(
        BinaryPath("tools/admin/jifen-admin"), " --mysql_host=", TestMySql().host,
        " --mysql_port=", mysql_port != 0 ? mysql_port : TestMySql().port, " --mysql_user=", *user_,
        " --mysql_password=gw-pw --mysql_database=", *database_, " --password_cost=minimum ",
        absl::StrJoin(args, " "), " <", prefix, ".in >", prefix, ".out 2>", prefix, ".err");
    const int status = std::system(command.c_str());
    CliResult result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.out = ReadFile(prefix + ".out");
    result.err = ReadFile(prefix + ".err");
    // Whatever the command, no password hash is ever printed.
    EXPECT_FALSE(absl::StrContains(result.out + result.err, "$argon2")) << command;
    return result;
  }

  // The audit rows written after `after_id`, read with the gateway's own account (which the
  // migrations let read and write its outbox). None may hold `secret` or a password hash.
  std::vector<OutboxAudit> AuditSince(int64_t after_id, const std::string& secret) {
    std::vector<OutboxAudit> rows = AuditOutboxAfter(*pool_, after_id);
    for (const OutboxAudit& row : rows) {
      EXPECT_TRUE(row.parsed) << "outbox row " << row.outbox_id;
      EXPECT_FALSE(absl::StrContains(row.payload, secret)) << row.record.DebugString();
      EXPECT_FALSE(absl::StrContains(row.payload, "$argon2")) << row.record.DebugString();
    }
    return rows;
  }

  absl::StatusCode Login(const std::string& username, const std::string& password) {
    return login_->StaffLogin(username, password, /*request_id=*/"").status().code();
  }

  // The flags that let jifen-admin name a grid worker: scoring's address and a service token for
  // `service` (the gateway's, as operators are told to give).
  std::vector<std::string> ScoringFlags(const std::string& service = "gateway") {
    return {"--scoring_address=" + scoring_->address(),
            "--service_token_file=" + scoring_->WriteServiceTokenFile(service)};
  }
  // `args` followed by ScoringFlags().
  std::vector<std::string> WithScoringFlags(std::vector<std::string> args) {
    const std::vector<std::string> flags = ScoringFlags();
    args.insert(args.end(), flags.begin(), flags.end());
    return args;
  }
  // The worker the registry names for the grid now.
  std::string WorkerOf(int64_t grid_id) {
    scoring::v1::GetGridRequest request;
    request.set_grid_id(grid_id);
    scoring::v1::Grid grid;
    const grpc::Status status =
        scoring::v1::RegistryService::NewStub(scoring_->channel())
            ->GetGrid(ScoringHarness::Context(scoring_->DistrictToken()).get(), request, &grid);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return grid.worker_user_id();
  }
  // `jifen-admin --operator=ops.li create` of a grid worker of `village`'s grid (`grid_id` 0) or
  // another grid, with `extra` flags.
  CliResult CreateGridWorker(const std::string& username, const SeededVillage& village,
                             const std::vector<std::string>& extra, int64_t grid_id = 0) {
    const std::string password_file = work_dir_ + "/grid_worker.password";
    std::ofstream(password_file) << "grid worker pw 4242\n";
    std::vector<std::string> args = {
        "--operator=ops.li",
        "create",
        "--username=" + username,
        "--role=grid_worker",
        absl::StrCat("--town_id=", village.town_id),
        absl::StrCat("--village_id=", village.village_id),
        absl::StrCat("--grid_id=", grid_id != 0 ? grid_id : village.grid_id),
        "--password_file=" + password_file};
    args.insert(args.end(), extra.begin(), extra.end());
    return Cli(args);
  }
  bool AccountExists(const std::string& username) {
    return store_->FindStaffByUsername(username).ok();
  }

  static ScoringHarness* scoring_;
  static std::string* database_;
  static std::string* user_;
  std::string work_dir_;
  std::unique_ptr<mysql::ConnectionPool> pool_;
  std::unique_ptr<gateway::MySqlAccountStore> store_;
  std::unique_ptr<auth::TokenSigner> signer_;
  NoWeChat wechat_;
  std::unique_ptr<gateway::LoginService> login_;
};

ScoringHarness* AdminCliTest::scoring_ = nullptr;
std::string* AdminCliTest::database_ = nullptr;
std::string* AdminCliTest::user_ = nullptr;

constexpr char kPassword[] = "village admin pw 1";

TEST_F(AdminCliTest, CreatedAccountSignsInThroughTheGatewaysCodeWithItsRoleAndScope) {
  const SeededVillage village = scoring_->SeedVillage(0);
  std::vector<std::string> args = {"create", "--username=gexin.admin", "--role=village_admin",
                                   absl::StrCat("--village_id=", village.village_id)};
  args = WithScoringFlags(std::move(args));
  const CliResult created = Cli(args, absl::StrCat(kPassword, "\n"));
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_FALSE(absl::StrContains(created.out, kPassword));

  absl::StatusOr<gateway::TokenPair> pair = login_->StaffLogin("gexin.admin", kPassword, "");
  ASSERT_TRUE(pair.ok()) << pair.status();
  EXPECT_EQ(pair->role, "village_admin");
  absl::StatusOr<gateway::StaffAccount> stored = store_->FindStaffByUsername("gexin.admin");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->village_id, village.village_id);
  EXPECT_EQ(stored->town_id, village.town_id);  // the village's town, from the registry
  EXPECT_TRUE(absl::StartsWith(stored->password_hash, "$argon2id$"));

  const CliResult listed = Cli({"list", absl::StrCat("--village_id=", village.village_id)});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_TRUE(absl::StrContains(
      listed.out, absl::StrCat("gexin.admin\tvillage_admin\t", village.town_id, "\t",
                               village.village_id, "\t0\t0\tactive")))
      << listed.out;

  // The same name again is refused, and the first account is untouched.
  const CliResult again = Cli(args, "another password 1\n");
  EXPECT_EQ(again.exit_code, 3) << again.err;
  EXPECT_EQ(Login("gexin.admin", kPassword), absl::StatusCode::kOk);
}

// An account naming a town, village or team that scoring's registry lacks (or that disagree)
// would sign in and do nothing: it is not made, and without the registry nothing is.
TEST_F(AdminCliTest, AnAccountIsMadeOnlyForPlacesTheRegistryHas) {
  const SeededVillage village = scoring_->SeedVillage(0);
  const SeededVillage other = scoring_->SeedVillage(0);
  struct Refused {
    std::vector<std::string> args;
    const char* code;
  };
  const std::vector<Refused> refused = {
      {{"--role=village_admin", "--village_id=999999999"}, "VILLAGE_NOT_FOUND"},
      {{"--role=village_admin", absl::StrCat("--village_id=", village.village_id),
        absl::StrCat("--town_id=", other.town_id)},
       "VILLAGE_NOT_IN_TOWN"},
      {{"--role=town_official", "--town_id=999999999"}, "TOWN_NOT_FOUND"},
      {{"--role=assessor", absl::StrCat("--village_id=", village.village_id),
        absl::StrCat("--team_id=", other.team_id)},
       "TEAM_NOT_IN_VILLAGE"},
      {{"--role=assessor", absl::StrCat("--village_id=", village.village_id),
        "--team_id=999999999"},
       "TEAM_NOT_IN_VILLAGE"},
  };
  const int64_t mark = LastOutboxId(*pool_);
  for (const Refused& attempt : refused) {
    std::vector<std::string> args = {"create", "--username=nowhere.person"};
    args.insert(args.end(), attempt.args.begin(), attempt.args.end());
    args = WithScoringFlags(std::move(args));
    const CliResult result = Cli(args, "long enough password\n");
    EXPECT_EQ(result.exit_code, 2) << absl::StrJoin(args, " ") << ": " << result.err;
    EXPECT_TRUE(absl::StrContains(result.err, attempt.code)) << result.err;
  }
  const CliResult without_registry =
      Cli({"create", "--username=nowhere.person", "--role=town_official",
           absl::StrCat("--town_id=", village.town_id)},
          "long enough password\n");
  EXPECT_EQ(without_registry.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(without_registry.err, "--scoring_address")) << without_registry.err;
  EXPECT_FALSE(AccountExists("nowhere.person"));
  EXPECT_TRUE(AuditSince(mark, "long enough password").empty());

  // With places that exist: an assessor of the village's own team, its village named by the team.
  std::vector<std::string> args = {"create", "--username=team.member", "--role=assessor",
                                   absl::StrCat("--team_id=", village.team_id)};
  args = WithScoringFlags(std::move(args));
  const CliResult made = Cli(args, "long enough password\n");
  ASSERT_EQ(made.exit_code, 0) << made.err;
  absl::StatusOr<gateway::StaffAccount> stored = store_->FindStaffByUsername("team.member");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->team_id, village.team_id);
  EXPECT_EQ(stored->village_id, village.village_id);
  EXPECT_EQ(stored->town_id, village.town_id);
}

TEST_F(AdminCliTest, LockedOutAccountSignsInAgainAfterUnlock) {
  const SeededVillage village = scoring_->SeedVillage(0);
  const std::string password_file = work_dir_ + "/assessor.password";
  std::ofstream(password_file) << "assessor pw 22\n";
  std::vector<std::string> args = {"create", "--username=team.locked", "--role=assessor",
                                   absl::StrCat("--village_id=", village.village_id),
                                   absl::StrCat("--team_id=", village.team_id),
                                   "--password_file=" + password_file};
  args = WithScoringFlags(std::move(args));
  ASSERT_EQ(Cli(args).exit_code, 0);
  for (int i = 0; i < 3; ++i) Login("team.locked", "wrong password");
  EXPECT_EQ(Login("team.locked", "assessor pw 22"), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(absl::StrContains(
      Cli({"list"}).out, absl::StrCat("team.locked\tassessor\t", village.town_id, "\t",
                                      village.village_id, "\t0\t", village.team_id, "\tlocked(")));

  const CliResult unlocked = Cli({"unlock", "--username=team.locked"});
  ASSERT_EQ(unlocked.exit_code, 0) << unlocked.err;
  EXPECT_EQ(Login("team.locked", "assessor pw 22"), absl::StatusCode::kOk);
}

// A grid worker scores only the grid that names them, so jifen-admin makes their account only
// together with that naming in scoring, under the gateway's service token; without scoring it
// makes nothing, rather than an account that scores nothing.
TEST_F(AdminCliTest, AGridWorkerIsMadeTogetherWithItsNamingInScoring) {
  const SeededVillage village = scoring_->SeedVillage(1);
  const int64_t mark = LastOutboxId(*pool_);
  const CliResult unnamed = CreateGridWorker("grid.unnamed", village, {});
  EXPECT_EQ(unnamed.exit_code, 2) << unnamed.err;
  EXPECT_TRUE(absl::StrContains(unnamed.err, "--scoring_address")) << unnamed.err;
  EXPECT_FALSE(AccountExists("grid.unnamed"));
  EXPECT_TRUE(AuditSince(mark, "grid worker pw 4242").empty());
  EXPECT_EQ(WorkerOf(village.grid_id), village.grid_worker_user_id);

  const CliResult named = CreateGridWorker("grid.named", village, ScoringFlags());
  ASSERT_EQ(named.exit_code, 0) << named.err;
  absl::StatusOr<gateway::StaffAccount> first = store_->FindStaffByUsername("grid.named");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->grid_id, village.grid_id);
  EXPECT_EQ(WorkerOf(village.grid_id), gateway::StaffUserId(first->account_id));
  EXPECT_EQ(Login("grid.named", "grid worker pw 4242"), absl::StatusCode::kOk);
  std::vector<OutboxAudit> records = AuditSince(mark, "grid worker pw 4242");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].record.action(), "create");
  EXPECT_EQ(records[0].record.actor_user_id(), "ops.li");

  // Another one for the grid replaces the first, whose account lets go of the grid, on the trail.
  const int64_t replaced_mark = LastOutboxId(*pool_);
  const CliResult successor = CreateGridWorker("grid.successor", village, ScoringFlags());
  ASSERT_EQ(successor.exit_code, 0) << successor.err;
  absl::StatusOr<gateway::StaffAccount> second = store_->FindStaffByUsername("grid.successor");
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(WorkerOf(village.grid_id), gateway::StaffUserId(second->account_id));
  EXPECT_EQ(store_->FindStaffByUsername("grid.named")->grid_id, 0);
  records = AuditSince(replaced_mark, "grid worker pw 4242");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].record.action(), "create");
  EXPECT_EQ(records[1].record.action(), "release_grid");
  EXPECT_EQ(records[1].record.object_id(), absl::StrCat(first->account_id));
  EXPECT_EQ(records[1].record.actor_user_id(), "ops.li");
}

// When the grid can't name the account, nothing is made, the grid keeps its worker, and the
// message says why; sent again with what was wrong put right, the account is made.
TEST_F(AdminCliTest, AGridWorkerIsNotMadeWhenItsGridCantNameIt) {
  const SeededVillage village = scoring_->SeedVillage(1);
  const SeededVillage other = scoring_->SeedVillage(1);
  const int64_t mark = LastOutboxId(*pool_);
  struct Refusal {
    const char* why;
    std::vector<std::string> flags;
    int64_t grid_id;
    int exit_code;
    const char* says;
  };
  const std::vector<Refusal> refusals = {
      {"another village's grid", ScoringFlags(), other.grid_id, 2, "GRID_NOT_IN_VILLAGE"},
      {"an unknown grid", ScoringFlags(), 999999999, 2, "GRID_NOT_IN_VILLAGE"},
      {"another service's token", ScoringFlags("redemption"), 0, 2, "--service_token_file"},
      {"scoring unreachable",
       {"--scoring_address=127.0.0.1:1",
        "--service_token_file=" + scoring_->WriteServiceTokenFile("gateway")},
       0,
       1,
       "jifen-scoring at 127.0.0.1:1: UNAVAILABLE"},
  };
  for (const Refusal& refusal : refusals) {
    const CliResult refused =
        CreateGridWorker("grid.refused", village, refusal.flags, refusal.grid_id);
    EXPECT_EQ(refused.exit_code, refusal.exit_code) << refusal.why << ": " << refused.err;
    EXPECT_TRUE(absl::StrContains(refused.err, refusal.says)) << refusal.why << ": " << refused.err;
    EXPECT_FALSE(AccountExists("grid.refused")) << refusal.why;
  }
  EXPECT_EQ(WorkerOf(village.grid_id), village.grid_worker_user_id);
  EXPECT_EQ(WorkerOf(other.grid_id), other.grid_worker_user_id);
  EXPECT_TRUE(AuditSince(mark, "grid worker pw 4242").empty());

  const CliResult made = CreateGridWorker("grid.refused", village, ScoringFlags());
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_EQ(WorkerOf(village.grid_id),
            gateway::StaffUserId(store_->FindStaffByUsername("grid.refused")->account_id));
}

TEST_F(AdminCliTest, DisabledAccountIsRefusedUntilEnabled) {
  ASSERT_EQ(
      Cli({"create", "--username=left.the.job", "--role=district_inspector"}, "inspector pw 333\n")
          .exit_code,
      0);
  absl::StatusOr<gateway::TokenPair> before =
      login_->StaffLogin("left.the.job", "inspector pw 333", "");
  ASSERT_TRUE(before.ok()) << before.status();

  ASSERT_EQ(Cli({"disable", "--username=left.the.job"}).exit_code, 0);
  EXPECT_EQ(Login("left.the.job", "inspector pw 333"), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(login_->Refresh(before->refresh_token).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(absl::StrContains(Cli({"list"}).out,
                                "left.the.job\tdistrict_inspector\t0\t0\t0\t0\tdisabled"));

  ASSERT_EQ(Cli({"enable", "--username=left.the.job"}).exit_code, 0);
  EXPECT_EQ(Login("left.the.job", "inspector pw 333"), absl::StatusCode::kOk);
}

TEST_F(AdminCliTest, ResetPasswordReplacesItAndLiftsALockout) {
  const SeededVillage village = scoring_->SeedVillage(0);
  std::vector<std::string> args = {"create", "--username=forgetful", "--role=town_official",
                                   absl::StrCat("--town_id=", village.town_id)};
  args = WithScoringFlags(std::move(args));
  ASSERT_EQ(Cli(args, "old password 4444\n").exit_code, 0);
  for (int i = 0; i < 3; ++i) Login("forgetful", "guess");
  ASSERT_EQ(Login("forgetful", "old password 4444"), absl::StatusCode::kResourceExhausted);

  const CliResult reset = Cli({"reset-password", "--username=forgetful"}, "new password 5555\n");
  ASSERT_EQ(reset.exit_code, 0) << reset.err;
  EXPECT_EQ(Login("forgetful", "old password 4444"), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(Login("forgetful", "new password 5555"), absl::StatusCode::kOk);
}

// The CLI sets passwords with the gateway's own rules: a weak one is bad input (exit 2), for a new
// account and for a reset alike, and nothing changes.
TEST_F(AdminCliTest, WeakPasswordsAreRefusedAtCreateAndReset) {
  const CliResult weak =
      Cli({"create", "--username=weak.inspector", "--role=district_inspector"}, "aaaaaaaaaaaa\n");
  EXPECT_EQ(weak.exit_code, 2) << weak.err;
  EXPECT_TRUE(absl::StrContains(weak.err, "PASSWORD_TOO_WEAK")) << weak.err;
  EXPECT_FALSE(AccountExists("weak.inspector"));

  ASSERT_EQ(Cli({"create", "--username=weak.inspector", "--role=district_inspector"},
                "inspector pw 4242\n")
                .exit_code,
            0);
  const CliResult reset = Cli({"reset-password", "--username=weak.inspector"}, "1234567890\n");
  EXPECT_EQ(reset.exit_code, 2) << reset.err;
  EXPECT_TRUE(absl::StrContains(reset.err, "PASSWORD_TOO_WEAK")) << reset.err;
  EXPECT_EQ(Login("weak.inspector", "inspector pw 4242"), absl::StatusCode::kOk);
}

TEST_F(AdminCliTest, EveryChangeIsAuditedOnceWithTheOperatorAndNoPassword) {
  constexpr char kFirst[] = "operator set pw 1";
  constexpr char kSecond[] = "operator set pw 2";
  struct Step {
    std::vector<std::string> args;
    std::string stdin_text;
    const char* action;
  };
  const SeededVillage village = scoring_->SeedVillage(0);
  std::vector<std::string> create = {"create", "--username=audited", "--role=village_admin",
                                     absl::StrCat("--town_id=", village.town_id),
                                     absl::StrCat("--village_id=", village.village_id)};
  create = WithScoringFlags(std::move(create));
  const std::vector<Step> steps = {
      {create, absl::StrCat(kFirst, "\n"), "create"},
      {{"reset-password", "--username=audited"}, absl::StrCat(kSecond, "\n"), "reset_password"},
      {{"unlock", "--username=audited"}, "", "unlock"},
      {{"disable", "--username=audited"}, "", "disable"},
      {{"enable", "--username=audited"}, "", "enable"},
  };
  std::string account_id;
  for (const Step& step : steps) {
    const int64_t mark = LastOutboxId(*pool_);
    std::vector<std::string> args = {"--operator=ops.li"};
    args.insert(args.end(), step.args.begin(), step.args.end());
    const CliResult result = Cli(args, step.stdin_text);
    ASSERT_EQ(result.exit_code, 0) << step.action << ": " << result.err;
    std::vector<OutboxAudit> records = AuditSince(mark, kFirst);
    for (const OutboxAudit& row : records) {
      EXPECT_FALSE(absl::StrContains(row.payload, kSecond)) << row.record.DebugString();
    }
    ASSERT_EQ(records.size(), 1u) << step.action;
    const audit::v1::AuditRecord& record = records[0].record;
    EXPECT_EQ(record.action(), step.action);
    EXPECT_EQ(record.actor_user_id(), "ops.li");
    EXPECT_EQ(record.actor_role(), "operator");
    EXPECT_EQ(record.object_type(), "staff_account");
    EXPECT_EQ(record.village_id(), village.village_id);
    EXPECT_EQ(record.request_id(), "");
    if (account_id.empty()) account_id = record.object_id();
    EXPECT_EQ(record.object_id(), account_id);
    EXPECT_TRUE(absl::StrContains(record.after(), "\"username\":\"audited\"")) << record.after();
    if (step.action == std::string("reset_password")) {
      EXPECT_TRUE(absl::StrContains(record.after(), "\"password_changed\":true")) << record.after();
    }
    if (step.action == std::string("disable")) {
      EXPECT_TRUE(absl::StrContains(record.before(), "\"disabled\":false")) << record.before();
      EXPECT_TRUE(absl::StrContains(record.after(), "\"disabled\":true")) << record.after();
    }
  }

  // Refused changes leave no record: a taken name, an unknown account, a bad operator name.
  const int64_t mark = LastOutboxId(*pool_);
  std::vector<std::string> taken = {"--operator=ops.li"};
  taken.insert(taken.end(), create.begin(), create.end());
  EXPECT_EQ(Cli(taken, "another password 9\n").exit_code, 3);
  EXPECT_EQ(Cli({"--operator=ops.li", "unlock", "--username=nobody.here"}).exit_code, 3);
  const CliResult bad_operator = Cli({"--operator=ops/li", "unlock", "--username=audited"});
  EXPECT_EQ(bad_operator.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(bad_operator.err, "--operator")) << bad_operator.err;
  EXPECT_TRUE(AuditSince(mark, kFirst).empty());
}

TEST_F(AdminCliTest, WithoutOperatorTheUnixUserIsTheActor) {
  ASSERT_EQ(
      Cli({"--operator=ops.wang", "create", "--username=by.unix.user", "--role=district_inspector"},
          "inspector pw 777\n")
          .exit_code,
      0);
  const int64_t mark = LastOutboxId(*pool_);
  const CliResult unlocked = Cli({"unlock", "--username=by.unix.user"});
  ASSERT_EQ(unlocked.exit_code, 0) << unlocked.err;
  const std::vector<OutboxAudit> records = AuditSince(mark, "inspector pw 777");
  ASSERT_EQ(records.size(), 1u);
  const passwd* me = ::getpwuid(::geteuid());
  ASSERT_NE(me, nullptr);
  EXPECT_EQ(records[0].record.actor_user_id(), me->pw_name);
  EXPECT_EQ(records[0].record.actor_role(), "operator");
  EXPECT_EQ(records[0].record.action(), "unlock");
}

TEST_F(AdminCliTest, BadUsageExits2AndUnknownAccountsExit3) {
  const std::vector<std::vector<std::string>> usage_errors = {
      {},
      {"frobnicate"},
      {"list", "extra"},
      {"list", "--no_such_flag=1"},
      {"list", "--village_id=abc"},
      {"unlock"},
      {"create", "--username=no.role"},
      {"create", "--username=no.grid", "--role=grid_worker", "--village_id=31"},
      {"create", "--username=resident.1", "--role=resident", "--village_id=31"},
      {"create", "--username=x", "--role=district_official"},
  };
  for (const std::vector<std::string>& args : usage_errors) {
    const CliResult result = Cli(args, "long enough password\n");
    EXPECT_EQ(result.exit_code, 2) << absl::StrJoin(args, " ") << ": " << result.err;
    EXPECT_FALSE(result.err.empty());
  }
  const CliResult short_password =
      Cli({"create", "--username=short.pw", "--role=district_official"}, "short\n");
  EXPECT_EQ(short_password.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(short_password.err, "PASSWORD_TOO_SHORT")) << short_password.err;

  for (const char* command : {"unlock", "disable", "enable"}) {
    const CliResult unknown = Cli({command, "--username=nobody.here"});
    EXPECT_EQ(unknown.exit_code, 3) << command << ": " << unknown.err;
    EXPECT_TRUE(absl::StrContains(unknown.err, "ACCOUNT_NOT_FOUND")) << unknown.err;
  }
  EXPECT_EQ(Cli({"reset-password", "--username=nobody.here"}, "long enough password\n").exit_code,
            3);
}

TEST_F(AdminCliTest, UnreachableDatabaseExits1) {
  // Port 1 on loopback: nothing listens, the connection is refused at once.
  const CliResult result = Cli({"list"}, "", /*mysql_port=*/1);
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_FALSE(result.err.empty());
}

}  // namespace
}  // namespace jifen::testing
