// Acceptance of issue 4 with every process running: jifen-scoring, jifen-publicity (fed by
// scoring's ledger stream), jifen-audit (receiving the gateway's audit outbox), jifen-redemption
// (the points store) and jifen-gateway as real child processes on the fixture's MariaDB and Redis,
// a real local HTTP fake of WeChat's code2Session, and the HTTP client of a phone. Setup that has
// no HTTP route (towns, villages) goes straight to scoring over gRPC with a district token, as the
// admin tools do; everything else goes through the gateway.
#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <tuple>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/auth/test_keys.h"
#include "common/auth/token.h"
#include "common/grpc/client.h"
#include "common/migrate/migrator.h"
#include "common/mysql/statement.h"
#include "common/mysql/transaction.h"
#include "common/time/shanghai.h"
#include "jifen/scoring/v1/assessment.grpc.pb.h"
#include "jifen/scoring/v1/registry.grpc.pb.h"
#include "tests/support/event_reader.h"
#include "tests/support/http_listener.h"
#include "tests/support/service_database.h"
#include "tests/support/service_process.h"
#include "tests/support/test_images.h"
#include "tests/support/testenv.h"

namespace jifen::testing {
namespace {

using nlohmann::json;
namespace v1 = ::jifen::scoring::v1;

constexpr char kAppSecret[] = "E2E-APP-SECRET-5d1e";
constexpr char kSessionKey[] = "E2E-SESSION-KEY-77aa";
constexpr char kAdminPassword[] = "e2e district admin password";
constexpr char kStaffPassword[] = "e2e staff password 123";

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A fresh database with the service's migrations applied and its own restricted account, as in
// production; the --mysql_* flags of a service process on it.
std::vector<std::string> ServiceDatabaseFlags(const std::string& suite,
                                              const std::string& migrations) {
  return CreateServiceDatabase(suite, migrations).MySqlFlags();
}

std::vector<std::string> Concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

class GatewayE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { suite_ = new Suite(); }
  static void TearDownTestSuite() {
    delete suite_;
    suite_ = nullptr;
  }

  // Everything the tests share: the processes are started once.
  struct Suite {
    Suite() {
      work_dir = absl::StrCat("/tmp/gateway-e2e-", getpid());
      ::mkdir(work_dir.c_str(), 0700);
      ::mkdir((work_dir + "/photos").c_str(), 0700);
      const auth::TestKeyPair keys = auth::GenerateTestKeyPair();
      WriteFile(work_dir + "/public.pem", keys.public_key_pem);
      WriteFile(work_dir + "/private.pem", keys.private_key_pem);
      WriteFile(work_dir + "/phone.key", std::string(64, 'b'));
      WriteFile(work_dir + "/wechat.secret", kAppSecret);
      WriteFile(work_dir + "/admin.password", kAdminPassword);
      signer = *auth::TokenSigner::FromPrivateKeyPem(keys.private_key_pem, {});

      StartWeChat();
      StartScoring();
      StartPublicity();
      StartAudit();
      StartRedemption();
      StartGateway();
    }
    ~Suite() {
      if (gateway) gateway->Terminate();
      if (redemption) redemption->Terminate();
      if (audit) audit->Terminate();
      if (publicity) publicity->Terminate();
      if (scoring) scoring->Terminate();
      wechat.stop();
      if (wechat_thread.joinable()) wechat_thread.join();
    }

    void StartWeChat() {
      wechat.Get("/sns/jscode2session", [](const httplib::Request& req, httplib::Response& res) {
        json body;
        const std::string code = req.get_param_value("js_code");
        if (req.get_param_value("appid") != "wx-e2e" ||
            req.get_param_value("secret") != kAppSecret) {
          body = {{"errcode", 40125}, {"errmsg", "invalid appsecret"}};
        } else if (!absl::StartsWith(code, "wxcode-")) {
          body = {{"errcode", 40029}, {"errmsg", "invalid code"}};
        } else {
          body = {{"openid", "openid-" + code.substr(7)}, {"session_key", kSessionKey}};
        }
        res.set_content(body.dump(), "application/json");
      });
      wechat_port = wechat.bind_to_any_port("127.0.0.1");
      ASSERT_GT(wechat_port, 0);
      wechat_thread = jifen::testing::ListenInBackground(wechat);
      ASSERT_TRUE(wechat.is_running());
    }

    void StartScoring() {
      const ServiceDatabase database =
          CreateServiceDatabase("gw_e2e_scoring", "services/scoring/migrations");
      scoring_database = database.database;
      scoring = std::make_unique<ServiceProcess>(
          "scoring", "services/scoring/jifen-scoring",
          Concat(database.MySqlFlags(),
                 {"--token_public_key=" + work_dir + "/public.pem",
                  "--phone_key_file=" + work_dir + "/phone.key", "--drain_timeout=2s"}));
      ASSERT_TRUE(scoring->Start());
    }

    // As tools/stack.sh wires it: its own schema, a service token to read scoring's ledger stream
    // and registry, boards under its own key prefix in the shared Redis.
    void StartPublicity() {
      auth::Caller service;
      service.user_id = "publicity";
      service.role = auth::Role::kService;
      WriteFile(work_dir + "/publicity.token", *signer->Sign(service, absl::Now(), absl::Hours(1)));
      publicity = std::make_unique<ServiceProcess>(
          "publicity", "services/publicity/jifen-publicity",
          Concat(ServiceDatabaseFlags("gw_e2e_publicity", "services/publicity/migrations"),
                 {absl::StrCat("--redis_host=", TestRedis().host),
                  absl::StrCat("--redis_port=", TestRedis().port),
                  absl::StrCat("--redis_key_prefix=gwe2e", getpid(), "pub:"),
                  "--token_public_key=" + work_dir + "/public.pem",
                  "--service_token_file=" + work_dir + "/publicity.token",
                  "--scoring_address=" + scoring->address(), "--drain_timeout=2s"}));
      ASSERT_TRUE(publicity->Start());
    }

    // The trail the gateway's relay delivers to; the gateway also routes /v1/audit/* to it.
    void StartAudit() {
      const auth::TestKeyPair signing_keys = auth::GenerateTestKeyPair();
      WriteFile(work_dir + "/audit_signing.pem", signing_keys.private_key_pem);
      audit = std::make_unique<ServiceProcess>(
          "audit", "services/audit/jifen-audit",
          Concat(ServiceDatabaseFlags("gw_e2e_audit", "services/audit/migrations"),
                 {"--token_public_key=" + work_dir + "/public.pem",
                  "--audit_signing_key=" + work_dir + "/audit_signing.pem", "--checks_interval=0s",
                  "--dashboard_interval=0s", "--drain_timeout=2s"}));
      ASSERT_TRUE(audit->Start());
    }

    // As tools/stack.sh wires it: its own schema, a service token for scoring's wallet.
    void StartRedemption() {
      auth::Caller service;
      service.user_id = "redemption";
      service.role = auth::Role::kService;
      WriteFile(work_dir + "/redemption.token",
                *signer->Sign(service, absl::Now(), absl::Hours(1)));
      redemption = std::make_unique<ServiceProcess>(
          "redemption", "services/redemption/jifen-redemption",
          Concat(ServiceDatabaseFlags("gw_e2e_redemption", "services/redemption/migrations"),
                 {"--token_public_key=" + work_dir + "/public.pem",
                  "--service_token_file=" + work_dir + "/redemption.token",
                  "--scoring_address=" + scoring->address(), "--drain_timeout=2s"}));
      ASSERT_TRUE(redemption->Start());
    }

    void StartGateway() {
      auth::Caller service;
      service.user_id = "gateway";
      service.role = auth::Role::kService;
      WriteFile(work_dir + "/gateway.token", *signer->Sign(service, absl::Now(), absl::Hours(1)));
      gateway_database = CreateFreshDatabase("gw_e2e_gateway");
      const std::string& database = gateway_database;
      // The suite signs in dozens of accounts from 127.0.0.1 within a minute, hence the sign-in
      // limit per address far above production's; the limit itself is server_test's to check.
      // A test holds a lock in scoring's database while a call of the gateway waits on it, until
      // the test has arranged a failure around it: the gateway's backend deadline is long enough
      // that it never ends such a call first, however busy the machine.
      gateway = std::make_unique<ServiceProcess>(
          "gateway", "services/gateway/jifen-gateway",
          std::vector<std::string>{
              absl::StrCat("--mysql_host=", TestMySql().host),
              absl::StrCat("--mysql_port=", TestMySql().port),
              "--mysql_user=" + TestMySql().user,
              "--mysql_password=" + TestMySql().password,
              "--mysql_database=" + database,
              "--migrations_dir=" + SourcePath("services/gateway/migrations"),
              absl::StrCat("--redis_host=", TestRedis().host),
              absl::StrCat("--redis_port=", TestRedis().port),
              absl::StrCat("--redis_prefix=gwe2e", getpid(), ":"),
              "--token_public_key=" + work_dir + "/public.pem",
              "--token_private_key=" + work_dir + "/private.pem",
              "--scoring_address=" + scoring->address(),
              "--publicity_address=" + publicity->address(),
              "--audit_address=" + audit->address(),
              "--redemption_address=" + redemption->address(),
              "--service_token_file=" + work_dir + "/gateway.token",
              absl::StrCat("--wechat_api_base=http://127.0.0.1:", wechat_port),
              "--wechat_app_id=wx-e2e",
              "--wechat_app_secret_file=" + work_dir + "/wechat.secret",
              "--photo_dir=" + work_dir + "/photos",
              "--password_cost=minimum",
              "--login_rate_per_address_per_minute=1000",
              "--backend_timeout=120s",
              // Few event streams, so that the cap is reached with a handful (WatchBoard test).
              "--max_streams=3",
              "--bootstrap_admin_username=district.e2e",
              "--bootstrap_admin_password_file=" + work_dir + "/admin.password",
              "--drain_timeout=2s"});
      ASSERT_TRUE(gateway->Start());
    }

    std::string work_dir;
    std::unique_ptr<auth::TokenSigner> signer;
    httplib::Server wechat;
    int wechat_port = 0;
    std::thread wechat_thread;
    std::unique_ptr<ServiceProcess> scoring;
    std::unique_ptr<ServiceProcess> publicity;
    std::unique_ptr<ServiceProcess> audit;
    std::unique_ptr<ServiceProcess> redemption;
    std::unique_ptr<ServiceProcess> gateway;
    std::string gateway_database;  // the gateway's schema, on the fixture's admin account
    std::string scoring_database;  // scoring's schema, for tests that make scoring fail
  };

  void SetUp() override {
    ASSERT_NE(suite_, nullptr);
    ASSERT_TRUE(suite_->gateway && suite_->gateway->running());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", suite_->gateway->port());
    client_->set_read_timeout(15, 0);
  }

  httplib::Result Post(const std::string& path, const json& body, const std::string& token = "") {
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    return client_->Post(path.c_str(), headers, body.dump(), "application/json");
  }
  httplib::Result Put(const std::string& path, const json& body, const std::string& token) {
    return client_->Put(path.c_str(), {{"Authorization", "Bearer " + token}}, body.dump(),
                        "application/json");
  }
  httplib::Result Get(const std::string& path, const std::string& token) {
    return client_->Get(path.c_str(), {{"Authorization", "Bearer " + token}});
  }

  // The body of a 200 answer; records a failure (with the body) otherwise.
  static json Ok(const httplib::Result& res) {
    EXPECT_TRUE(res);
    if (!res) return json();
    EXPECT_EQ(res->status, 200) << res->body;
    return json::parse(res->body, nullptr, false);
  }

  std::string StaffLogin(const std::string& username, const std::string& password) {
    return Ok(Post("/v1/auth/staff/login", {{"username", username}, {"password", password}}))
        .value("access_token", "");
  }

  // A town official of `town_id`, made by the district admin and signed in.
  std::string TownOfficialToken(int64_t town_id, const std::string& username) {
    Ok(Post("/v1/auth/staff",
            {{"username", username},
             {"password", kStaffPassword},
             {"role", "town_official"},
             {"town_id", town_id}},
            StaffLogin("district.e2e", kAdminPassword)));
    return StaffLogin(username, kStaffPassword);
  }

  // Town and village straight to scoring (no HTTP route: district tooling), then a village admin
  // account through the gateway.
  struct Village {
    int64_t town_id = 0;
    int64_t village_id = 0;
    std::string admin_token;
  };
  // `admin_account`: false signs the admin's token here instead of creating an account and
  // signing in, for tests about something else (sign-ins are rate-limited per address, and the
  // suite shares one).
  Village NewVillage(const std::string& admin_name, bool admin_account = true) {
    Village village;
    auth::Caller district;
    district.user_id = "district-tool";
    district.role = auth::Role::kDistrictOfficial;
    const std::string token = *suite_->signer->Sign(district, absl::Now(), absl::Minutes(10));
    auto channel = grpc_util::NewChannel(suite_->scoring->address(), 4 << 20);
    auto registry = v1::RegistryService::NewStub(channel);
    v1::CreateTownRequest town_request;
    town_request.set_name(absl::StrCat("浦江镇-", admin_name));
    v1::Town town;
    grpc::Status status = registry->CreateTown(
        grpc_util::NewClientContext(absl::Seconds(10), token).get(), town_request, &town);
    EXPECT_TRUE(status.ok()) << status.error_message();
    v1::CreateVillageRequest village_request;
    village_request.set_town_id(town.town_id());
    village_request.set_name(absl::StrCat("革新村-", admin_name));
    v1::Village created;
    status = registry->CreateVillage(grpc_util::NewClientContext(absl::Seconds(10), token).get(),
                                     village_request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    village.town_id = town.town_id();
    village.village_id = created.village_id();
    if (!admin_account) {
      auth::Caller admin;
      admin.user_id = admin_name;
      admin.role = auth::Role::kVillageAdmin;
      admin.town_id = village.town_id;
      admin.village_id = village.village_id;
      village.admin_token = *suite_->signer->Sign(admin, absl::Now(), absl::Minutes(10));
      return village;
    }

    const std::string district_token = StaffLogin("district.e2e", kAdminPassword);
    Ok(Post("/v1/auth/staff",
            {{"username", admin_name},
             {"password", kStaffPassword},
             {"role", "village_admin"},
             {"town_id", village.town_id},
             {"village_id", village.village_id}},
            district_token));
    village.admin_token = StaffLogin(admin_name, kStaffPassword);
    return village;
  }

  // A villager group and a grid of the village, made by its admin through the gateway.
  int64_t NewGroup(const Village& village, const std::string& name) {
    return IdOf(Ok(Post(absl::StrCat("/v1/villages/", village.village_id, "/groups"),
                        {{"name", name}}, village.admin_token)),
                "group_id");
  }
  int64_t NewGrid(const Village& village, const std::string& name) {
    return IdOf(Ok(Post(absl::StrCat("/v1/villages/", village.village_id, "/grids"),
                        {{"name", name}}, village.admin_token)),
                "grid_id");
  }

  // A household with one member, through the gateway; returns {household_id, member_id}.
  std::pair<int64_t, int64_t> NewHousehold(const Village& village, int64_t group_id,
                                           int64_t grid_id, const std::string& number) {
    const json detail = Ok(Post(
        "/v1/households",
        {{"household",
          {{"village_id", village.village_id},
           {"group_id", group_id},
           {"grid_id", grid_id},
           {"house_number", number},
           {"head_name", "张建华"},
           {"kind", "HOUSEHOLD_KIND_REGISTERED"}}},
         {"members",
          json::array({json{{"name", "张建华"}, {"phone", "13812345678"}, {"is_head", true}}})}},
        village.admin_token));
    int64_t household_id = 0, member_id = 0;
    absl::SimpleAtoi(detail["household"].value("household_id", "0"), &household_id);
    absl::SimpleAtoi(detail["members"][0].value("member_id", "0"), &member_id);
    return {household_id, member_id};
  }

  // This year's rulebook (the district template), voted and published, through the gateway.
  void PublishRulebook(const Village& village) {
    const absl::CivilDay today = absl::ToCivilDay(absl::Now(), jifen::time::ShanghaiTime());
    const json draft = Ok(Post(
        absl::StrCat("/v1/villages/", village.village_id, "/rulebooks"),
        {{"year", today.year()}, {"effective_from", absl::StrFormat("%04d-01-01", today.year())}},
        village.admin_token));
    const int64_t rulebook = IdOf(draft, "rulebook_id");
    ASSERT_GT(rulebook, 0) << draft.dump();
    Ok(Post(absl::StrCat("/v1/rulebooks/", rulebook, "/vote"),
            {{"vote",
              {{"meeting_date", absl::StrFormat("%04d-01-01", today.year())},
               {"members", 30},
               {"attending", 25},
               {"in_favour", 20},
               {"against", 3},
               {"abstain", 2}}}},
            village.admin_token));
    Ok(Post(absl::StrCat("/v1/rulebooks/", rulebook, "/publish"), json::object(),
            village.admin_token));
  }

  // A grid worker account of the grid, made by the district account; returns its access token.
  std::string GridWorker(const Village& village, int64_t grid_id, const std::string& username) {
    const std::string district_token = StaffLogin("district.e2e", kAdminPassword);
    Ok(Post("/v1/auth/staff",
            {{"username", username},
             {"password", kStaffPassword},
             {"role", "grid_worker"},
             {"town_id", village.town_id},
             {"village_id", village.village_id},
             {"grid_id", grid_id}},
            district_token));
    return StaffLogin(username, kStaffPassword);
  }

  // Binds a WeChat user to the household's member by the admin's invitation; the access token.
  std::string ResidentLogin(const Village& village, int64_t household_id, int64_t member_id,
                            const std::string& wechat_code) {
    const json invitation =
        Ok(Post("/v1/auth/invitations", {{"household_id", household_id}, {"member_id", member_id}},
                village.admin_token));
    return Ok(Post("/v1/auth/wechat/login",
                   {{"code", wechat_code},
                    {"invitation_code", invitation.value("invitation_code", "")}}))
        .value("access_token", "");
  }

  // A grid worker account of the grid made by the village's admin: its user id.
  std::string NewGridWorker(const Village& village, int64_t grid_id, const std::string& username) {
    return Ok(Post("/v1/auth/staff",
                   {{"username", username},
                    {"password", kStaffPassword},
                    {"role", "grid_worker"},
                    {"grid_id", grid_id}},
                   village.admin_token))
        .value("user_id", "");
  }

  // An inspection of the household with one item and no photo, through the gateway.
  httplib::Result Inspect(const std::string& token, const std::string& inspection_id,
                          int64_t household_id, const std::string& item_code) {
    return Post("/v1/inspections",
                {{"inspection_id", inspection_id},
                 {"household_id", household_id},
                 {"occurred_at_ms", absl::ToUnixMillis(absl::Now()) - 60'000},
                 {"outcomes", json::array({json{{"item_code", item_code}}})}},
                token);
  }

  // The audit trail's records of the staff account, read by the district through the gateway once
  // the gateway's relay has delivered one with `action` (bounded wait: the relay polls).
  json StaffAccountRecords(const std::string& user_id, const std::string& action) {
    return AuditRecordsOf("staff_account", user_id.substr(6), action);
  }
  // The same for any object the gateway audits (e.g. "resident_binding").
  json AuditRecordsOf(const std::string& object_type, const std::string& object_id,
                      const std::string& action) {
    const std::string district = StaffLogin("district.e2e", kAdminPassword);
    const std::string path =
        absl::StrCat("/v1/audit/records?object_type=", object_type, "&object_id=", object_id);
    json records;
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    do {
      records = Ok(Get(path, district)).value("records", json::array());
      for (const json& stored : records) {
        if (stored["record"].value("action", "") == action) return records;
      }
      absl::SleepFor(absl::Milliseconds(100));
    } while (absl::Now() < deadline);
    ADD_FAILURE() << "no " << action << " record of " << object_type << " " << object_id << ": "
                  << records.dump();
    return records;
  }

  static int64_t IdOf(const json& object, const char* field) {
    int64_t id = 0;
    if (object.contains(field)) {
      const json& value = object[field];
      if (value.is_string()) absl::SimpleAtoi(value.get<std::string>(), &id);
      if (value.is_number_integer()) id = value.get<int64_t>();
    }
    return id;
  }

  static Suite* suite_;
  std::unique_ptr<httplib::Client> client_;
};

GatewayE2eTest::Suite* GatewayE2eTest::suite_ = nullptr;

TEST_F(GatewayE2eTest, ResidentSignsInReadsWalletAndIsRefusedAnotherHousehold) {
  const Village village = NewVillage("admin.resident");
  const int64_t group_id = NewGroup(village, "第1村民小组");
  const int64_t grid_id = NewGrid(village, "一号网格");
  const auto [mine, member] = NewHousehold(village, group_id, grid_id, "1号");
  const auto [other, other_member] = NewHousehold(village, group_id, grid_id, "2号");
  ASSERT_GT(mine, 0);
  ASSERT_GT(other, 0);

  const json invitation =
      Ok(Post("/v1/auth/invitations", {{"household_id", mine}, {"member_id", member}},
              village.admin_token));
  const std::string code = invitation.value("invitation_code", "");
  ASSERT_FALSE(code.empty());
  // The admin can't invite a member into a household that isn't theirs.
  auto wrong = Post("/v1/auth/invitations", {{"household_id", mine}, {"member_id", other_member}},
                    village.admin_token);
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 404) << wrong->body;

  const json pair =
      Ok(Post("/v1/auth/wechat/login", {{"code", "wxcode-zhang"}, {"invitation_code", code}}));
  const std::string resident = pair.value("access_token", "");
  ASSERT_FALSE(resident.empty());

  const json wallet = Ok(Get(absl::StrCat("/v1/households/", mine, "/wallet"), resident));
  EXPECT_EQ(IdOf(wallet, "household_id"), mine);
  EXPECT_TRUE(wallet.contains("balance_points"));
  Ok(Get(absl::StrCat("/v1/households/", mine, "/entries"), resident));

  for (const std::string& path : {absl::StrCat("/v1/households/", other, "/wallet"),
                                  absl::StrCat("/v1/households/", other, "/entries"),
                                  absl::StrCat("/v1/households/", other)}) {
    auto refused = Get(path, resident);
    ASSERT_TRUE(refused);
    EXPECT_TRUE(refused->status == 403 || refused->status == 404) << path << " " << refused->body;
    const json body = json::parse(refused->body, nullptr, false);
    EXPECT_TRUE(body.contains("code") && body.contains("message") && body.contains("request_id"));
    EXPECT_FALSE(absl::StrContains(refused->body, "balance_points"));
    EXPECT_FALSE(absl::StrContains(refused->body, "13812345678"));
  }
  // A district-only route: refused by the gateway before forwarding.
  auto district_route =
      Get(absl::StrCat("/v1/villages/", village.village_id, "/ledger/verify"), resident);
  ASSERT_TRUE(district_route);
  EXPECT_EQ(district_route->status, 403);
}

// QA's two binding defects, through the running gateway and scoring: a bound villager's
// invitation for another household's member is refused (409) and left unspent, and a member's
// new invitation redeemed from a new phone moves the member there, the old phone's token refused
// at once and its sign-in bound to no one.
TEST_F(GatewayE2eTest, AWeChatUserHasOneMemberAndAMemberOneWeChatUser) {
  const Village village = NewVillage("admin.binding");
  const int64_t group_id = NewGroup(village, "第1村民小组");
  const int64_t grid_id = NewGrid(village, "一号网格");
  const auto [zhang_household, zhang_member] = NewHousehold(village, group_id, grid_id, "193号");
  const auto [other_household, other_member] = NewHousehold(village, group_id, grid_id, "2号");
  const auto invite = [&](int64_t household_id, int64_t member_id) {
    return Ok(Post("/v1/auth/invitations",
                   {{"household_id", household_id}, {"member_id", member_id}}, village.admin_token))
        .value("invitation_code", "");
  };
  const std::string zhang = ResidentLogin(village, zhang_household, zhang_member, "wxcode-b-zhang");
  ASSERT_FALSE(zhang.empty());

  const std::string other_code = invite(other_household, other_member);
  auto refused =
      Post("/v1/auth/wechat/login", {{"code", "wxcode-b-zhang"}, {"invitation_code", other_code}});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 409) << refused->body;
  EXPECT_EQ(json::parse(refused->body).value("code", ""), "ACCOUNT_ALREADY_BOUND");
  // Still the old household's; the invitation binds its own member.
  const json again = Ok(Post("/v1/auth/wechat/login", {{"code", "wxcode-b-zhang"}}));
  EXPECT_EQ(again.value("user_id", ""), absl::StrCat("member-", zhang_member));
  const json other =
      Ok(Post("/v1/auth/wechat/login", {{"code", "wxcode-b-li"}, {"invitation_code", other_code}}));
  EXPECT_EQ(other.value("user_id", ""), absl::StrCat("member-", other_member));

  // The other member changes phones.
  const std::string new_phone_code = invite(other_household, other_member);
  const json moved = Ok(Post("/v1/auth/wechat/login", {{"code", "wxcode-b-li-newphone"},
                                                       {"invitation_code", new_phone_code}}));
  EXPECT_EQ(moved.value("user_id", ""), absl::StrCat("member-", other_member));
  const std::string wallet = absl::StrCat("/v1/households/", other_household, "/wallet");
  auto old_read = Get(wallet, other.value("access_token", ""));
  ASSERT_TRUE(old_read);
  EXPECT_EQ(old_read->status, 401) << old_read->body;
  auto old_refresh =
      Post("/v1/auth/refresh", {{"refresh_token", other.value("refresh_token", "")}});
  ASSERT_TRUE(old_refresh);
  EXPECT_EQ(old_refresh->status, 401) << old_refresh->body;
  auto old_sign_in = Post("/v1/auth/wechat/login", {{"code", "wxcode-b-li"}});
  ASSERT_TRUE(old_sign_in);
  EXPECT_EQ(old_sign_in->status, 412) << old_sign_in->body;
  Ok(Get(wallet, moved.value("access_token", "")));
}

// A resident lost their phone: the village admin finds the member's binding in the village's list
// (no openid in it), releases it with a reason, and the phone is signed out at once; jifen-audit's
// trail has the release by the admin. The town's official reads the list, another town's may not;
// another village's admin is told the binding is not found. A new invitation binds the new phone.
TEST_F(GatewayE2eTest, AVillageAdminReleasesALostPhonesBinding) {
  const Village village = NewVillage("admin.lostphone");
  const Village other = NewVillage("admin.lostphone_other", /*admin_account=*/false);
  const int64_t group_id = NewGroup(village, "第1村民小组");
  const int64_t grid_id = NewGrid(village, "一号网格");
  const auto [household, member] = NewHousehold(village, group_id, grid_id, "7号");
  const json invitation =
      Ok(Post("/v1/auth/invitations", {{"household_id", household}, {"member_id", member}},
              village.admin_token));
  const json lost = Ok(Post(
      "/v1/auth/wechat/login",
      {{"code", "wxcode-lost"}, {"invitation_code", invitation.value("invitation_code", "")}}));
  const std::string lost_access = lost.value("access_token", "");
  const std::string wallet = absl::StrCat("/v1/households/", household, "/wallet");
  Ok(Get(wallet, lost_access));

  const std::string list = absl::StrCat("/v1/auth/wechat-bindings?village_id=", village.village_id);
  const json listed = Ok(Get(list, village.admin_token));
  ASSERT_EQ(listed["bindings"].size(), 1u) << listed.dump();
  EXPECT_EQ(IdOf(listed["bindings"][0], "member_id"), member);
  EXPECT_EQ(IdOf(listed["bindings"][0], "household_id"), household);
  EXPECT_FALSE(absl::StrContains(listed.dump(), "openid")) << listed.dump();
  EXPECT_FALSE(absl::StrContains(listed.dump(), kSessionKey));
  const std::string binding_id = listed["bindings"][0].value("binding_id", "");
  ASSERT_FALSE(binding_id.empty());

  // The village's town official reads it (scoring's registry says whose town it is); another
  // town's official does not.
  EXPECT_EQ(Ok(Get(list, TownOfficialToken(village.town_id, "town.bindings")))["bindings"].size(), 1u);
  auto other_town = Get(list, TownOfficialToken(other.town_id, "town.bindings_other"));
  ASSERT_TRUE(other_town);
  EXPECT_EQ(other_town->status, 403) << other_town->body;
  EXPECT_EQ(json::parse(other_town->body).value("code", ""), "PERMISSION_DENIED");

  const std::string release = absl::StrCat("/v1/auth/wechat-bindings/", binding_id, "/release");
  auto foreign = Post(release, json::object(), other.admin_token);
  ASSERT_TRUE(foreign);
  EXPECT_EQ(foreign->status, 404) << foreign->body;
  EXPECT_EQ(json::parse(foreign->body).value("code", ""), "BINDING_NOT_FOUND");
  auto by_resident = Post(release, json::object(), lost_access);
  ASSERT_TRUE(by_resident);
  EXPECT_EQ(by_resident->status, 403) << by_resident->body;

  const json released = Ok(Post(release, {{"reason", "手机丢失"}}, village.admin_token));
  EXPECT_EQ(released.value("binding_id", ""), binding_id);
  for (const auto& [answer, status] :
       {std::pair{Get(wallet, lost_access), 401},
        std::pair{Post("/v1/auth/refresh", {{"refresh_token", lost.value("refresh_token", "")}}),
                  401},
        std::pair{Post("/v1/auth/wechat/login", {{"code", "wxcode-lost"}}), 412}}) {
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, status) << answer->body;
  }
  auto again = Post(release, json::object(), village.admin_token);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 409) << again->body;
  EXPECT_EQ(json::parse(again->body).value("code", ""), "BINDING_ALREADY_RELEASED");

  const json records = AuditRecordsOf("resident_binding", binding_id, "release");
  EXPECT_FALSE(absl::StrContains(records.dump(), "openid-lost"));
  for (const json& stored : records) {
    const json& record = stored["record"];
    if (record.value("action", "") != "release") continue;
    EXPECT_EQ(record.value("actor_role", ""), "village_admin");
    EXPECT_TRUE(absl::StartsWith(record.value("actor_user_id", ""), "staff-")) << record.dump();
    EXPECT_TRUE(absl::StrContains(record.value("after", ""), "手机丢失")) << record.dump();
  }

  // The member's new phone, by a new invitation.
  const std::string new_phone = ResidentLogin(village, household, member, "wxcode-lost-newphone");
  ASSERT_FALSE(new_phone.empty());
  Ok(Get(wallet, new_phone));
  EXPECT_EQ(Ok(Get(list, village.admin_token))["bindings"].size(), 1u);
}

// The proto says the district may set up a village's registry itself (before it has an admin)
// and read its declarations; the gateway's route roles must let it.
TEST_F(GatewayE2eTest, TheDistrictSetsUpAVillageAndReadsItsDeclarations) {
  const Village village = NewVillage("admin.district_setup");
  const std::string district = StaffLogin("district.e2e", kAdminPassword);
  const int64_t group_id =
      IdOf(Ok(Post(absl::StrCat("/v1/villages/", village.village_id, "/groups"),
                   {{"name", "第1村民小组"}}, district)),
           "group_id");
  const int64_t grid_id = IdOf(Ok(Post(absl::StrCat("/v1/villages/", village.village_id, "/grids"),
                                       {{"name", "一号网格"}}, district)),
                               "grid_id");
  EXPECT_GT(group_id, 0);
  EXPECT_GT(grid_id, 0);
  const json declarations =
      Ok(Get(absl::StrCat("/v1/villages/", village.village_id, "/declarations"), district));
  EXPECT_TRUE(declarations.value("declarations", json::array()).empty()) << declarations.dump();
}

TEST_F(GatewayE2eTest, GridWorkerUploadsPhotoAndARetriedInspectionScoresOnce) {
  const Village village = NewVillage("admin.grid");
  const int64_t group_id = NewGroup(village, "第1村民小组");
  const int64_t grid_id = NewGrid(village, "一号网格");
  const auto [household, member] = NewHousehold(village, group_id, grid_id, "8号");
  (void)member;

  PublishRulebook(village);
  const std::string worker = GridWorker(village, grid_id, "grid.e2e");

  const std::string jpeg = testing::TestJpeg(11);
  httplib::MultipartFormDataItems items = {{"file", jpeg, "wx-tmp.jpg", "image/jpeg"}};
  auto upload = client_->Post("/v1/photos", {{"Authorization", "Bearer " + worker}}, items);
  const json photo = Ok(upload);
  const std::string ref = photo.value("photo_ref", "");
  ASSERT_EQ(ref.size(), 64u);

  const json inspection = {{"inspection_id", absl::StrCat("e2e-insp-", getpid())},
                           {"household_id", household},
                           {"occurred_at_ms", absl::ToUnixMillis(absl::Now()) - 60'000},
                           {"outcomes", json::array({json{{"item_code", "HJ-02"},
                                                          {"photo_refs", json::array({ref})},
                                                          {"note", "柴草乱堆"}}})},
                           {"place", "31.05,121.50"}};
  // A reference to a photo that was never uploaded is no evidence: refused before scoring sees it.
  json unstored = inspection;
  unstored["outcomes"][0]["photo_refs"] = json::array({std::string(64, 'b')});
  auto refused = Post("/v1/inspections", unstored, worker);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400) << refused->body;
  EXPECT_EQ(json::parse(refused->body).value("code", ""), "PHOTO_NOT_FOUND");
  EXPECT_EQ(json::parse(refused->body).value("field", ""), "outcomes[0].photo_refs[0]");

  const json first = Ok(Post("/v1/inspections", inspection, worker));
  const json second = Ok(Post("/v1/inspections", inspection, worker));  // the phone retried
  EXPECT_EQ(first, second);
  ASSERT_EQ(first["entries"].size(), 1u) << first.dump();

  const json entries =
      Ok(Get(absl::StrCat("/v1/households/", household, "/entries"), village.admin_token));
  EXPECT_EQ(entries["entries"].size(), 1u) << entries.dump();

  json changed = inspection;
  changed["outcomes"][0]["item_code"] = "HJ-01";
  auto conflict = Post("/v1/inspections", changed, worker);
  ASSERT_TRUE(conflict);
  EXPECT_EQ(conflict->status, 409) << conflict->body;

  auto back = Get("/v1/photos/" + ref, village.admin_token);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->status, 200);
  EXPECT_EQ(back->body, jpeg);

  // A household's photo stays within its village (and its supervisors): another village's admin
  // learns nothing, not even that it exists; the district sees it.
  const Village other = NewVillage("admin.photo_other");
  auto foreign = Get("/v1/photos/" + ref, other.admin_token);
  ASSERT_TRUE(foreign);
  EXPECT_EQ(foreign->status, 404) << foreign->body;
  EXPECT_EQ(foreign->body.find(jpeg), std::string::npos);
  const std::string district = StaffLogin("district.e2e", kAdminPassword);
  auto supervised = Get("/v1/photos/" + ref, district);
  ASSERT_TRUE(supervised);
  EXPECT_EQ(supervised->status, 200);
  // Town officials: their own town's villages only.
  auto own_town = Get("/v1/photos/" + ref, TownOfficialToken(village.town_id, "town.photo"));
  ASSERT_TRUE(own_town);
  EXPECT_EQ(own_town->status, 200);
  auto other_town = Get("/v1/photos/" + ref, TownOfficialToken(other.town_id, "town.photo_other"));
  ASSERT_TRUE(other_town);
  EXPECT_EQ(other_town->status, 404);
}

// Town officials see the photos of their town's villages however the uploader's token was made:
// here by a village admin whose token names no town (an account made before the gateway filled in
// a village's town from the registry). Which town the village is in is the registry's to say.
TEST_F(GatewayE2eTest, TownOfficialsSeeTheirVillagesPhotosWhateverTheUploadersTokenNamed) {
  const Village village = NewVillage("admin.photo_town");
  const Village other = NewVillage("admin.photo_town_other");
  auth::Caller townless_admin;
  townless_admin.user_id = "staff-townless";
  townless_admin.role = auth::Role::kVillageAdmin;
  townless_admin.village_id = village.village_id;
  const std::string townless = *suite_->signer->Sign(townless_admin, absl::Now(), absl::Minutes(10));
  const std::string png = testing::TestPng(12);
  httplib::MultipartFormDataItems items = {{"file", png, "wx-tmp.png", "image/png"}};
  const std::string ref =
      Ok(client_->Post("/v1/photos", {{"Authorization", "Bearer " + townless}}, items))
          .value("photo_ref", "");
  ASSERT_EQ(ref.size(), 64u);

  auto own_town = Get("/v1/photos/" + ref, TownOfficialToken(village.town_id, "town.townless"));
  ASSERT_TRUE(own_town);
  EXPECT_EQ(own_town->status, 200) << own_town->body;
  EXPECT_EQ(own_town->body, png);
  auto other_town =
      Get("/v1/photos/" + ref, TownOfficialToken(other.town_id, "town.townless_other"));
  ASSERT_TRUE(other_town);
  EXPECT_EQ(other_town->status, 404) << other_town->body;
  EXPECT_EQ(other_town->body.find(png), std::string::npos);
  // Within the village it is shown as before; another village's admin learns nothing.
  auto same_village = Get("/v1/photos/" + ref, village.admin_token);
  ASSERT_TRUE(same_village);
  EXPECT_EQ(same_village->status, 200);
  auto foreign = Get("/v1/photos/" + ref, other.admin_token);
  ASSERT_TRUE(foreign);
  EXPECT_EQ(foreign->status, 404);
}

// The village board through the gateway: scoring's ledger stream reaches jifen-publicity, and the
// resident sees their household ranked by the period's points, under a masked name only.
// The points store through the gateway: an item's photo must be one the village uploaded (QA
// stored "../../etc/passwd"), and a phone that retries the item or a restock after a lost answer
// (the same client_request_id) writes it once.
TEST_F(GatewayE2eTest, AStoreItemsPhotoIsAnUploadedOneAndRetriedStoreWritesCountOnce) {
  const Village village = NewVillage("admin.store");
  const std::string jpeg = testing::TestJpeg(13);
  httplib::MultipartFormDataItems files = {{"file", jpeg, "soap.jpg", "image/jpeg"}};
  const std::string ref =
      Ok(client_->Post("/v1/photos", {{"Authorization", "Bearer " + village.admin_token}}, files))
          .value("photo_ref", "");
  ASSERT_EQ(ref.size(), 64u);

  json create = {{"client_request_id", absl::StrCat("e2e-item-", getpid())},
                 {"item",
                  {{"village_id", village.village_id},
                   {"name", "香皂"},
                   {"price_points", 5},
                   {"stock", 10},
                   {"active", true},
                   {"photo_ref", "../../etc/passwd"}}}};
  for (const std::string& unusable : {std::string("../../etc/passwd"), std::string(64, 'c')}) {
    create["item"]["photo_ref"] = unusable;
    auto refused = Post("/v1/store/items", create, village.admin_token);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 400) << refused->body;
    EXPECT_EQ(json::parse(refused->body).value("code", ""), "PHOTO_NOT_FOUND") << refused->body;
    EXPECT_EQ(json::parse(refused->body).value("field", ""), "item.photo_ref") << refused->body;
  }
  create["item"]["photo_ref"] = ref;
  const json item = Ok(Post("/v1/store/items", create, village.admin_token));
  const json again = Ok(Post("/v1/store/items", create, village.admin_token));
  EXPECT_EQ(again.value("item_id", ""), item.value("item_id", "")) << again.dump();
  EXPECT_EQ(item.value("photo_ref", ""), ref);
  const std::string items_path = absl::StrCat("/v1/villages/", village.village_id, "/store/items");
  EXPECT_EQ(Ok(Get(items_path, village.admin_token))["items"].size(), 1u);

  const std::string restock_path =
      absl::StrCat(items_path, "/", item.value("item_id", ""), "/restock");
  json restock = {{"client_request_id", absl::StrCat("e2e-restock-", getpid())},
                  {"delta", 5},
                  {"reason", "到货"}};
  EXPECT_EQ(Ok(Post(restock_path, restock, village.admin_token)).value("stock", ""), "15");
  EXPECT_EQ(Ok(Post(restock_path, restock, village.admin_token)).value("stock", ""), "15");
  restock["delta"] = 6;
  auto conflict = Post(restock_path, restock, village.admin_token);
  ASSERT_TRUE(conflict);
  EXPECT_EQ(conflict->status, 409) << conflict->body;
  EXPECT_EQ(json::parse(conflict->body).value("code", ""), "IDEMPOTENCY_CONFLICT")
      << conflict->body;
  EXPECT_EQ(json::parse(conflict->body).value("message", ""), "该记录已提交过且内容不同");
}

// Last year's budget is what this year's is measured against (积分制奖补投入不低于去年配比金额):
// once the year has ended the village can't change it, and is told so in Chinese.
TEST_F(GatewayE2eTest, AnEndedYearsBudgetIsFixedForTheVillage) {
  const Village village = NewVillage("admin.budget");
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), jifen::time::ShanghaiTime());
  const std::string last_year =
      absl::StrCat("/v1/villages/", village.village_id, "/budgets/", today.year() - 1);
  Ok(Put(last_year, {{"budget_fen", 500000}}, village.admin_token));
  Ok(Put(last_year, {{"budget_fen", 500000}}, village.admin_token));  // a retried PUT
  auto lowered = Put(last_year, {{"budget_fen", 1}}, village.admin_token);
  ASSERT_TRUE(lowered);
  EXPECT_EQ(lowered->status, 412) << lowered->body;
  const json refusal = json::parse(lowered->body);
  EXPECT_EQ(refusal.value("code", ""), "BUDGET_YEAR_CLOSED") << lowered->body;
  EXPECT_EQ(refusal.value("message", ""),
            "该年度已结束，已录入的奖补预算不能再修改；如确需更正，请联系区级部门");
  const json check =
      Ok(Get(absl::StrCat("/v1/villages/", village.village_id, "/budgets/", today.year(), "/check"),
             village.admin_token));
  EXPECT_EQ(check.value("previous_budget_fen", ""), "500000") << check.dump();
  // This year's is the village's to set.
  const std::string this_year =
      absl::StrCat("/v1/villages/", village.village_id, "/budgets/", today.year());
  Ok(Put(this_year, {{"budget_fen", 400000}}, village.admin_token));
  Ok(Put(this_year, {{"budget_fen", 600000}}, village.admin_token));
}

TEST_F(GatewayE2eTest, ResidentReadsTheVillageBoardAfterInspections) {
  const Village village = NewVillage("admin.board");
  const int64_t group_id = NewGroup(village, "第2村民小组");
  const int64_t grid_id = NewGrid(village, "二号网格");
  const auto [mine, member] = NewHousehold(village, group_id, grid_id, "1号");
  const auto [other, other_member] = NewHousehold(village, group_id, grid_id, "2号");
  (void)other_member;
  PublishRulebook(village);
  const std::string worker = GridWorker(village, grid_id, "grid.board");

  // The period of the deed, so a test run across a quarter's end still reads the right board.
  const absl::Time occurred_at = absl::Now() - absl::Minutes(1);
  const absl::CivilDay day = absl::ToCivilDay(occurred_at, jifen::time::ShanghaiTime());
  const std::string period = absl::StrCat(day.year(), "Q", (day.month() - 1) / 3 + 1);
  auto inspect = [&](int64_t household, const std::vector<std::string>& items) {
    json outcomes = json::array();
    for (const std::string& item : items) outcomes.push_back({{"item_code", item}});
    Ok(Post("/v1/inspections",
            {{"inspection_id", absl::StrCat("e2e-board-", getpid(), "-", household)},
             {"household_id", household},
             {"occurred_at_ms", absl::ToUnixMillis(occurred_at)},
             {"outcomes", outcomes}},
            worker));
  };
  inspect(mine, {"HJ-01", "LJ-01"});  // +5 +3
  inspect(other, {"HJ-01"});          // +5

  const std::string resident = ResidentLogin(village, mine, member, "wxcode-board");
  ASSERT_FALSE(resident.empty());
  const std::string board_path = absl::StrCat(
      "/v1/boards?board.scope=BOARD_SCOPE_VILLAGE&board.village_id=", village.village_id,
      "&board.period=", period);
  // Publicity applies the stream asynchronously: poll, bounded, until both entries are on.
  json board;
  std::string body;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  do {
    auto res = Get(board_path, resident);
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    body = res->body;
    board = json::parse(body);
    if (IdOf(board, "households") == 2) break;
    absl::SleepFor(absl::Milliseconds(100));
  } while (absl::Now() < deadline);
  ASSERT_EQ(board["rows"].size(), 2u) << body;
  const json& first = board["rows"][0];
  const json& second = board["rows"][1];
  EXPECT_EQ(IdOf(first, "household_id"), mine);
  EXPECT_EQ(IdOf(first, "points"), 8);
  EXPECT_EQ(first.value("rank", 0), 1);
  EXPECT_EQ(first.value("house_number", ""), "1号");
  EXPECT_EQ(first.value("masked_name", ""), "张*华");
  EXPECT_EQ(IdOf(second, "household_id"), other);
  EXPECT_EQ(IdOf(second, "points"), 5);
  EXPECT_EQ(second.value("rank", 0), 2);
  EXPECT_EQ(second.value("masked_name", ""), "张*华");
  // Masked names only: neither the full name nor any form of the phone number.
  EXPECT_FALSE(absl::StrContains(body, "张建华")) << body;
  EXPECT_FALSE(absl::StrContains(body, "13812345678")) << body;
  EXPECT_FALSE(absl::StrContains(body, "138****")) << body;
  EXPECT_FALSE(absl::StrContains(body, "phone")) << body;

  const json standing =
      Ok(Get(absl::StrCat("/v1/households/", mine, "/standing?village_id=", village.village_id,
                          "&board.scope=BOARD_SCOPE_VILLAGE&board.period=", period),
             resident));
  EXPECT_TRUE(standing.value("on_board", false)) << standing.dump();
  EXPECT_EQ(standing["row"].value("rank", 0), 1);
  EXPECT_EQ(IdOf(standing["row"], "points"), 8);

  // An enum may be given by its number, as protobuf's JSON mapping allows in a body; a number
  // the contract doesn't list is refused naming the field.
  const json by_number =
      Ok(Get(absl::StrCat("/v1/boards?board.scope=1&board.village_id=", village.village_id,
                          "&board.period=", period),
             resident));
  EXPECT_EQ(by_number["rows"], board["rows"]);
  auto unlisted = Get(absl::StrCat("/v1/boards?board.scope=77&board.village_id=",
                                   village.village_id, "&board.period=", period),
                      resident);
  ASSERT_TRUE(unlisted);
  EXPECT_EQ(unlisted->status, 400) << unlisted->body;
  EXPECT_EQ(json::parse(unlisted->body).value("field", ""), "board.scope") << unlisted->body;
  auto unlisted_in_body = Post("/v1/households",
                               {{"household",
                                 {{"village_id", village.village_id},
                                  {"house_number", "99号"},
                                  {"head_name", "王芳"},
                                  {"kind", 77}}}},
                               village.admin_token);
  ASSERT_TRUE(unlisted_in_body);
  EXPECT_EQ(unlisted_in_body->status, 400) << unlisted_in_body->body;
  EXPECT_EQ(json::parse(unlisted_in_body->body).value("field", ""), "household.kind")
      << unlisted_in_body->body;

  // Another village's board is out of the resident's scope.
  auto foreign = Get(absl::StrCat("/v1/boards?board.scope=BOARD_SCOPE_VILLAGE&board.village_id=",
                                  village.village_id + 1000, "&board.period=", period),
                     resident);
  ASSERT_TRUE(foreign);
  EXPECT_EQ(foreign->status, 403) << foreign->body;
}

// A village hall's screen watches its board live: a resident (the mini-program's chunked request)
// and the village admin (a dashboard's fetch()) open the watch route, a grid worker's inspection is
// scored, and publicity's change reaches both as an event with the household's row. A foreign
// village, a bad period or another village's group are ordinary JSON errors before any event; the
// stream cap answers 503, and a client that leaves gives its slot back.
TEST_F(GatewayE2eTest, AWatchedBoardPushesAnInspectionAsAnEvent) {
  const Village village = NewVillage("admin.watch");
  const int64_t group_id = NewGroup(village, "第3村民小组");
  const int64_t grid_id = NewGrid(village, "三号网格");
  const auto [household, member] = NewHousehold(village, group_id, grid_id, "12号");
  PublishRulebook(village);
  const std::string worker = GridWorker(village, grid_id, "grid.watch");
  const std::string resident = ResidentLogin(village, household, member, "wxcode-watch");
  ASSERT_FALSE(resident.empty());
  const absl::Time occurred_at = absl::Now() - absl::Minutes(1);
  const absl::CivilDay day = absl::ToCivilDay(occurred_at, jifen::time::ShanghaiTime());
  const std::string period = absl::StrCat(day.year(), "Q", (day.month() - 1) / 3 + 1);
  const std::string watch =
      absl::StrCat("/v1/villages/", village.village_id, "/boards/watch?period=", period);
  const int port = suite_->gateway->port();

  jifen::testing::EventReader resident_screen(port, watch, resident);
  ASSERT_EQ(resident_screen.WaitForStatus(), 200) << resident_screen.body();
  // The group board: publicity learns of a new group from the registry at most once a second, so
  // the first tries may be refused (400 GROUP_NOT_IN_VILLAGE); bounded.
  std::unique_ptr<jifen::testing::EventReader> admin_screen;
  const std::string group_watch = absl::StrCat(watch, "&group_id=", group_id);
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  int status = 0;
  while (absl::Now() < deadline) {
    admin_screen =
        std::make_unique<jifen::testing::EventReader>(port, group_watch, village.admin_token);
    status = admin_screen->WaitForStatus();
    if (status != 400) break;
    admin_screen.reset();
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_EQ(status, 200) << admin_screen->body();

  Ok(Post("/v1/inspections",
          {{"inspection_id", absl::StrCat("e2e-watch-", getpid())},
           {"household_id", household},
           {"occurred_at_ms", absl::ToUnixMillis(occurred_at)},
           {"outcomes", json::array({json{{"item_code", "HJ-01"}}})}},
          worker));
  const std::string row_of_household = absl::StrCat("\"household_id\":\"", household, "\"");
  for (jifen::testing::EventReader* screen : {&resident_screen, admin_screen.get()}) {
    ASSERT_TRUE(screen->WaitForText(row_of_household)) << screen->body();
    const auto events = jifen::testing::EventsOf(screen->body());
    ASSERT_EQ(events.size(), 1u) << screen->body();
    const json change = json::parse(events[0].at("data"), nullptr, false);
    ASSERT_TRUE(change.is_object()) << screen->body();
    EXPECT_EQ(events[0].at("id"), change.value("sequence", "")) << screen->body();
    EXPECT_EQ(IdOf(change, "delta_points"), 5) << screen->body();
    const json& row = change["row"];
    EXPECT_EQ(IdOf(row, "household_id"), household);
    EXPECT_EQ(IdOf(row, "points"), 5);
    EXPECT_EQ(row.value("rank", 0), 1);
    EXPECT_EQ(IdOf(row, "village_id"), village.village_id);
    EXPECT_EQ(IdOf(row, "group_id"), group_id);
    EXPECT_EQ(row.value("house_number", ""), "12号");
    EXPECT_EQ(row.value("masked_name", ""), "张*华");
    EXPECT_FALSE(absl::StrContains(screen->body(), "张建华")) << screen->body();
    EXPECT_FALSE(absl::StrContains(screen->body(), "13812345678")) << screen->body();
  }

  // Refused before any event, as JSON with the status the same read would get.
  const auto expect_error = [](const httplib::Result& res, int status, const std::string& code,
                               const std::string& field) {
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, status) << res->body;
    EXPECT_TRUE(absl::StartsWith(res->get_header_value("Content-Type"), "application/json"));
    const json error = json::parse(res->body, nullptr, false);
    EXPECT_EQ(error.value("code", ""), code) << res->body;
    EXPECT_EQ(error.value("field", ""), field) << res->body;
    EXPECT_FALSE(error.value("request_id", "").empty()) << res->body;
  };
  const Village other = NewVillage("admin.watch_other", /*admin_account=*/false);
  const int64_t other_group = NewGroup(other, "第1村民小组");
  expect_error(Get(absl::StrCat("/v1/villages/", other.village_id, "/boards/watch?period=", period),
                   resident),
               403, "PERMISSION_DENIED", "");
  expect_error(Get(watch, other.admin_token), 403, "PERMISSION_DENIED", "");
  expect_error(Get(absl::StrCat("/v1/villages/", village.village_id, "/boards/watch?period=2026Q5"),
                   resident),
               400, "INVALID_ARGUMENT", "period");
  expect_error(Get(absl::StrCat(watch, "&group_id=", other_group), village.admin_token), 400,
               "GROUP_NOT_IN_VILLAGE", "group_id");

  // The gateway runs with --max_streams=3: two screens are open, a third fits, a fourth waits.
  jifen::testing::EventReader third(port, watch, village.admin_token);
  ASSERT_EQ(third.WaitForStatus(), 200);
  auto refused = Get(watch, resident);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503) << refused->body;
  EXPECT_EQ(json::parse(refused->body, nullptr, false).value("code", ""), "TOO_MANY_STREAMS");
  EXPECT_FALSE(refused->get_header_value("Retry-After").empty());
  // A screen switched off: its backend call is cancelled and its slot given back (bounded
  // retries while the gateway notices).
  resident_screen.Close();
  std::unique_ptr<jifen::testing::EventReader> again;
  const absl::Time reopen_deadline = absl::Now() + absl::Seconds(30);
  status = 0;
  while (absl::Now() < reopen_deadline) {
    again = std::make_unique<jifen::testing::EventReader>(port, watch, resident);
    status = again->WaitForStatus();
    if (status == 200) break;
    again.reset();
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(status, 200) << "no slot came free after a screen was switched off";
}

// "You may not do this" reaches the phone as one code, whether the gateway's scope check or a
// service's object-level check refuses: scoring used to send FORBIDDEN beside the gateway's
// PERMISSION_DENIED.
TEST_F(GatewayE2eTest, APermissionRefusalHasOneCodeWhoeverRefuses) {
  const Village village = NewVillage("admin.one_code");
  const std::string groups = absl::StrCat("/v1/villages/", village.village_id, "/groups");
  const std::string grids = absl::StrCat("/v1/villages/", village.village_id, "/grids");
  const int64_t group_id =
      IdOf(Ok(Post(groups, {{"name", "第1组"}}, village.admin_token)), "group_id");
  const int64_t own_grid =
      IdOf(Ok(Post(grids, {{"name", "东片"}}, village.admin_token)), "grid_id");
  const int64_t other_grid =
      IdOf(Ok(Post(grids, {{"name", "西片"}}, village.admin_token)), "grid_id");
  const auto [household, member] = NewHousehold(village, group_id, own_grid, "1号");
  const std::string worker = GridWorker(village, own_grid, "grid.one_code");
  const std::string resident = ResidentLogin(village, household, member, "wxcode-one-code");
  ASSERT_FALSE(resident.empty());

  const auto expect_denied = [](const httplib::Result& res, const std::string& who) {
    ASSERT_TRUE(res) << who;
    EXPECT_EQ(res->status, 403) << who << ": " << res->body;
    const json body = json::parse(res->body, nullptr, false);
    EXPECT_EQ(body.value("code", ""), "PERMISSION_DENIED") << who << ": " << res->body;
    EXPECT_FALSE(body.value("message", "").empty()) << who;
  };
  // Scoring refuses: the gateway lets a grid worker ask for a grid, scoring checks it is theirs.
  expect_denied(
      Get(absl::StrCat("/v1/villages/", village.village_id, "/households?grid_id=", other_grid),
          worker),
      "scoring");
  // The gateway refuses: a resident's token names their household only.
  expect_denied(Get(absl::StrCat("/v1/households/", household + 1000), resident), "gateway");
}

// A filter naming a group of another village used to answer an empty list or board; the phone
// gets a 400 that names the field to correct.
TEST_F(GatewayE2eTest, AGroupFilterOfAnotherVillageIsRefusedNamingTheField) {
  const Village village = NewVillage("admin.group_filter");
  const Village other = NewVillage("admin.group_filter_other");
  const int64_t own_group = NewGroup(village, "第1村民小组");
  const int64_t foreign_group = NewGroup(other, "第1村民小组");
  const auto [household, member] = NewHousehold(village, own_group, 0, "1号");
  (void)member;
  const auto expect_refused = [](const httplib::Result& res, const std::string& field) {
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << res->body;
    const json error = json::parse(res->body, nullptr, false);
    EXPECT_EQ(error.value("code", ""), "GROUP_NOT_IN_VILLAGE") << res->body;
    EXPECT_EQ(error.value("field", ""), field) << res->body;
    EXPECT_NE(error.value("message", ""), "") << res->body;
  };
  const std::string households = absl::StrCat("/v1/villages/", village.village_id, "/households");
  const json own = Ok(Get(absl::StrCat(households, "?group_id=", own_group), village.admin_token));
  ASSERT_EQ(own["households"].size(), 1u) << own.dump();
  EXPECT_EQ(IdOf(own["households"][0], "household_id"), household);
  expect_refused(Get(absl::StrCat(households, "?group_id=", foreign_group), village.admin_token),
                 "group_id");
  expect_refused(Get(absl::StrCat(households, "?group_id=999999999"), village.admin_token),
                 "group_id");

  const std::string board =
      absl::StrCat("/v1/boards?board.scope=BOARD_SCOPE_GROUP&board.village_id=", village.village_id,
                   "&board.period=2025Q3&board.group_id=");
  // Publicity learns of the new group from the registry, looking again at most once a second.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  httplib::Result own_board = Get(absl::StrCat(board, own_group), village.admin_token);
  while (own_board && own_board->status != 200 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
    own_board = Get(absl::StrCat(board, own_group), village.admin_token);
  }
  Ok(own_board);
  expect_refused(Get(absl::StrCat(board, foreign_group), village.admin_token), "board.group_id");
  const std::string lists =
      absl::StrCat("/v1/villages/", village.village_id, "/red-black/2025Q3?group_id=");
  Ok(Get(absl::StrCat(lists, own_group), village.admin_token));
  expect_refused(Get(absl::StrCat(lists, foreign_group), village.admin_token), "group_id");
}

// A resident asking for their standing on another group's board used to read on_board: false.
TEST_F(GatewayE2eTest, AStandingOnAnotherGroupsBoardIsRefusedNamingTheField) {
  const Village village = NewVillage("admin.standing_group");
  const int64_t own_group = NewGroup(village, "第1组");
  const int64_t other_group = NewGroup(village, "第2组");
  const auto [household, member] = NewHousehold(village, own_group, 0, "1号");
  const std::string resident = ResidentLogin(village, household, member, "wxcode-standing");
  ASSERT_FALSE(resident.empty());
  const auto standing = [&](int64_t group_id) {
    return Get(
        absl::StrCat("/v1/households/", household, "/standing?village_id=", village.village_id,
                     "&board.scope=BOARD_SCOPE_GROUP&board.group_id=", group_id,
                     "&board.period=2025Q3"),
        resident);
  };
  // Publicity learns of the new groups from the registry, looking again at most once a second.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  httplib::Result own = standing(own_group);
  while (own && own->status != 200 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
    own = standing(own_group);
  }
  EXPECT_FALSE(Ok(own).value("on_board", true));

  auto refused = standing(other_group);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400) << refused->body;
  const json error = json::parse(refused->body, nullptr, false);
  EXPECT_EQ(error.value("code", ""), "HOUSEHOLD_NOT_IN_GROUP") << refused->body;
  EXPECT_EQ(error.value("field", ""), "board.group_id") << refused->body;
}

// What people type on a phone: a reason of 501 Chinese characters fits a limit in bytes (1,503 of
// 2,000) but not the 500-character column, and reached the client as a 500; a reason of spaces
// was taken as one.
TEST_F(GatewayE2eTest, ReasonsTypedOnAPhoneAreCheckedInCharactersAndForBlanks) {
  const Village village = NewVillage("admin.reason", /*admin_account=*/false);
  const int64_t group_id = NewGroup(village, "第1村民小组");
  const int64_t grid_id = NewGrid(village, "一号网格");
  const int64_t household = NewHousehold(village, group_id, grid_id, "1号").first;
  ASSERT_GT(household, 0);
  auth::Caller caller;  // as the WeChat sign-in would make it (not repeated here: rate-limited)
  caller.user_id = "resident.reason";
  caller.role = auth::Role::kResident;
  caller.town_id = village.town_id;
  caller.village_id = village.village_id;
  caller.household_id = household;
  const std::string resident = *suite_->signer->Sign(caller, absl::Now(), absl::Minutes(10));
  std::string reason;
  for (int i = 0; i < 501; ++i) reason += "错";

  auto refused = Post("/v1/objections", {{"entry_sequence", 1}, {"reason", reason}}, resident);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400) << refused->body;
  const json body = json::parse(refused->body, nullptr, false);
  EXPECT_EQ(body.value("code", ""), "REASON_TOO_LONG") << refused->body;
  EXPECT_EQ(body.value("field", ""), "reason") << refused->body;
  EXPECT_TRUE(absl::StrContains(body.value("message", ""), "500 字")) << refused->body;

  // Full-width spaces (U+3000) are what a Chinese input method types for a space: no reason.
  auto blank = Post("/v1/objections", {{"entry_sequence", 1}, {"reason", "　　"}}, resident);
  ASSERT_TRUE(blank);
  EXPECT_EQ(blank->status, 400) << blank->body;
  EXPECT_EQ(json::parse(blank->body, nullptr, false).value("field", ""), "reason") << blank->body;
  const json listed =
      Ok(Get(absl::StrCat("/v1/villages/", village.village_id, "/objections/2025Q3"), resident));
  EXPECT_TRUE(listed.value("objections", json::array()).empty()) << listed.dump();

  // Nor is a reversal's reason of spaces, which the household would be shown.
  for (const char* spaces : {"   ", "　"}) {
    auto reversal =
        Post("/v1/entries/1/reverse", {{"correction_id", "fix-blank-1"}, {"reason", spaces}},
             village.admin_token);
    ASSERT_TRUE(reversal);
    EXPECT_EQ(reversal->status, 400) << reversal->body;
    EXPECT_EQ(json::parse(reversal->body, nullptr, false).value("field", ""), "reason")
        << reversal->body;
  }
}

std::string B64(const std::string& text) { return absl::WebSafeBase64Escape(text); }

TEST_F(GatewayE2eTest, TokenAttacksGet401) {
  auth::Caller caller;
  caller.user_id = "staff-1";
  caller.role = auth::Role::kDistrictOfficial;
  const absl::Time now = absl::Now();
  const int64_t iat = absl::ToUnixSeconds(now);
  const std::string none =
      B64(R"({"alg":"none","typ":"JWT"})") + "." +
      B64(absl::StrCat(R"({"iss":"jifen-gateway","aud":"jifen-services","sub":"staff-1",)",
                       R"("role":"district_official","iat":)", iat, R"(,"exp":)", iat + 600, "}")) +
      ".";
  const auth::TestKeyPair other = auth::GenerateTestKeyPair();
  const std::string bad_signature =
      *(*auth::TokenSigner::FromPrivateKeyPem(other.private_key_pem, {}))
           ->Sign(caller, now, absl::Minutes(5));
  const std::string expired = *suite_->signer->Sign(caller, now - absl::Hours(2), absl::Minutes(5));
  auth::TokenSettings wrong_audience;
  wrong_audience.audience = "wechat-pay";
  const std::string foreign_audience =
      *(*auth::TokenSigner::FromPrivateKeyPem(ReadFile(suite_->work_dir + "/private.pem"),
                                              wrong_audience))
           ->Sign(caller, now, absl::Minutes(5));
  for (const std::string& token : {none, bad_signature, expired, foreign_audience}) {
    auto res = Get("/v1/villages", token);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 401) << res->body;
    EXPECT_EQ(json::parse(res->body).value("code", ""), "UNAUTHENTICATED");
  }
}

TEST_F(GatewayE2eTest, OpenApiHealthAndGracefulStop) {
  auto health = client_->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  const json doc = Ok(client_->Get("/openapi.json"));
  EXPECT_TRUE(doc["paths"].contains("/v1/inspections"));
  EXPECT_TRUE(doc["paths"].contains("/v1/auth/wechat/login"));
  for (const auto& [path, operations] : doc["paths"].items()) {
    EXPECT_FALSE(absl::StartsWith(path, "/v1/testing/")) << "test-only route published: " << path;
  }
}

// Change -> audit with real processes: a staff account created through the HTTP API reaches
// jifen-audit's trail through the gateway's outbox and relay, and the district reads it back
// through the gateway. Delivered again (as after a crash between the audit service's answer and
// the relay marking the row), it is still on the trail once.
TEST_F(GatewayE2eTest, AStaffAccountCreatedOverHttpIsOnTheAuditTrailExactlyOnce) {
  const json district = Ok(
      Post("/v1/auth/staff/login", {{"username", "district.e2e"}, {"password", kAdminPassword}}));
  const std::string district_token = district.value("access_token", "");
  const json created = Ok(Post("/v1/auth/staff",
                               {{"username", "inspector.audited"},
                                {"password", kStaffPassword},
                                {"role", "district_inspector"}},
                               district_token));
  const std::string user_id = created.value("user_id", "");
  ASSERT_TRUE(absl::StartsWith(user_id, "staff-")) << created.dump();
  const std::string records_path =
      "/v1/audit/records?object_type=staff_account&object_id=" + user_id.substr(6);

  mysql::ConnectionPool gateway_db(AdminConfigFor(suite_->gateway_database, 1));
  auto undelivered = [&] {
    int64_t count = -1;
    EXPECT_TRUE(mysql::RunWithConnection(gateway_db, [&](sql::Connection& c) {
                  auto rows = mysql::Statement(c,
                                               "SELECT COUNT(*) FROM outbox "
                                               "WHERE topic = 'audit' AND delivered_at IS NULL")
                                  .Query();
                  if (rows->next()) count = rows->getInt64(1);
                  return absl::OkStatus();
                }).ok());
    return count;
  };
  // The relay polls: wait, bounded, until the gateway's outbox is delivered.
  auto wait_until_delivered = [&] {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (undelivered() != 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(50));
    ASSERT_EQ(undelivered(), 0) << "the gateway's relay did not deliver its outbox";
  };
  auto trail = [&] { return Ok(Get(records_path, district_token))["records"]; };

  wait_until_delivered();
  json records = trail();
  ASSERT_EQ(records.size(), 1u) << records.dump();
  const json stored = records[0];  // a copy: `records` is read again below
  EXPECT_EQ(stored.value("source_service", ""), "gateway");
  const json& record = stored["record"];
  EXPECT_EQ(record.value("action", ""), "create");
  EXPECT_EQ(record.value("actor_user_id", ""), district.value("user_id", "?"));
  EXPECT_EQ(record.value("actor_role", ""), "district_official");
  EXPECT_TRUE(absl::StrContains(record.value("after", ""), "\"username\":\"inspector.audited\""))
      << record.dump();
  EXPECT_FALSE(absl::StrContains(records.dump(), kStaffPassword));
  EXPECT_FALSE(absl::StrContains(records.dump(), "argon2"));

  // Undeliver every row: the relay sends them all again, and the trail dedupes.
  ASSERT_TRUE(mysql::RunWithConnection(gateway_db, [&](sql::Connection& c) {
                mysql::Statement(c, "UPDATE outbox SET delivered_at = NULL").Update();
                return absl::OkStatus();
              }).ok());
  wait_until_delivered();
  records = trail();
  ASSERT_EQ(records.size(), 1u) << records.dump();
  EXPECT_EQ(records[0].value("outbox_id", ""), stored.value("outbox_id", "-"));
}

// An account naming a village, town or team the registry does not have (or that disagree) would
// sign in and then do nothing: the gateway asks scoring under the creator's token first and makes
// none. What it makes claims its village's town, from the registry.
TEST_F(GatewayE2eTest, AStaffAccountNamesOnlyPlacesTheRegistryHas) {
  const Village village = NewVillage("admin.scope", /*admin_account=*/false);
  const Village other = NewVillage("admin.scope_other", /*admin_account=*/false);
  const auto new_team = [&](const Village& of, const std::string& name) {
    const int64_t group =
        IdOf(Ok(Post(absl::StrCat("/v1/villages/", of.village_id, "/groups"),
                     {{"name", name + "组"}}, of.admin_token)),
             "group_id");
    return IdOf(Ok(Post(absl::StrCat("/v1/villages/", of.village_id, "/teams"),
                        {{"name", name}, {"group_ids", {group}}}, of.admin_token)),
                "team_id");
  };
  const int64_t own_team = new_team(village, "一片考核组");
  const int64_t other_team = new_team(other, "二片考核组");
  const std::string district = StaffLogin("district.e2e", kAdminPassword);

  const auto expect_refused = [&](const json& form, const std::string& token, int status,
                                  const std::string& code, const std::string& field) {
    auto res = Post("/v1/auth/staff", form, token);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, status) << form.dump() << " " << res->body;
    const json error = json::parse(res->body, nullptr, false);
    EXPECT_EQ(error.value("code", ""), code) << res->body;
    if (!field.empty()) {
      EXPECT_EQ(error.value("field", ""), field) << res->body;
    }
    EXPECT_FALSE(error.value("message", "").empty()) << res->body;
    auto login = Post("/v1/auth/staff/login", {{"username", form.value("username", "")},
                                               {"password", kStaffPassword}});
    ASSERT_TRUE(login);
    EXPECT_EQ(login->status, 401) << "an account was made: " << form.dump();
  };
  const json assessor = {{"username", "scope.assessor"},
                         {"password", kStaffPassword},
                         {"role", "assessor"}};
  json form = assessor;
  form["team_id"] = other_team;
  expect_refused(form, village.admin_token, 400, "TEAM_NOT_IN_VILLAGE", "team_id");
  form["team_id"] = 999999999;
  expect_refused(form, village.admin_token, 400, "TEAM_NOT_IN_VILLAGE", "team_id");
  form["team_id"] = own_team;
  form["town_id"] = other.town_id;  // the admin's village is not of that town: said, not dropped
  expect_refused(form, village.admin_token, 400, "VILLAGE_NOT_IN_TOWN", "town_id");
  form.erase("town_id");
  form["village_id"] = other.village_id;  // the creator's scope is decided first, as before
  expect_refused(form, village.admin_token, 403, "PERMISSION_DENIED", "");
  expect_refused({{"username", "scope.admin"},
                  {"password", kStaffPassword},
                  {"role", "village_admin"},
                  {"village_id", 999999999}},
                 district, 400, "VILLAGE_NOT_FOUND", "village_id");
  expect_refused({{"username", "scope.admin"},
                  {"password", kStaffPassword},
                  {"role", "village_admin"},
                  {"village_id", village.village_id},
                  {"town_id", other.town_id}},
                 district, 400, "VILLAGE_NOT_IN_TOWN", "village_id");
  expect_refused({{"username", "scope.town"},
                  {"password", kStaffPassword},
                  {"role", "town_official"},
                  {"town_id", 999999999}},
                 district, 400, "TOWN_NOT_FOUND", "town_id");

  // The village's own team: made, and the assessor reads their team.
  form = assessor;
  form["team_id"] = own_team;
  Ok(Post("/v1/auth/staff", form, village.admin_token));
  const std::string assessor_token = StaffLogin("scope.assessor", kStaffPassword);
  const json team = Ok(Get(absl::StrCat("/v1/teams/", own_team), assessor_token));
  EXPECT_EQ(team.value("village_id", ""), absl::StrCat(village.village_id)) << team.dump();
  auto foreign_team = Get(absl::StrCat("/v1/teams/", other_team), assessor_token);
  ASSERT_TRUE(foreign_team);
  EXPECT_EQ(foreign_team->status, 403) << foreign_team->body;
  EXPECT_EQ(foreign_team->body.find("二片"), std::string::npos);

  // A village admin made without a town claims the village's town.
  Ok(Post("/v1/auth/staff",
          {{"username", "scope.admin"},
           {"password", kStaffPassword},
           {"role", "village_admin"},
           {"village_id", village.village_id}},
          district));
  mysql::ConnectionPool gateway_db(AdminConfigFor(suite_->gateway_database, 1));
  int64_t town_id = -1;
  ASSERT_TRUE(mysql::RunWithConnection(gateway_db, [&](sql::Connection& c) {
                auto found = mysql::Statement(c,
                                              "SELECT town_id FROM staff_accounts "
                                              "WHERE username = ?")
                                 .Bind("scope.admin")
                                 .Query();
                if (found->next()) town_id = found->getInt64(1);
                return absl::OkStatus();
              }).ok());
  EXPECT_EQ(town_id, village.town_id);

  // The village's grids and teams, as its admin's dashboard lists them.
  const json listing =
      Ok(Get(absl::StrCat("/v1/villages?village_id=", village.village_id), district));
  ASSERT_EQ(listing.value("teams", json::array()).size(), 1u) << listing.dump();
  EXPECT_EQ(listing["teams"][0].value("team_id", ""), absl::StrCat(own_team));
}

// A grid worker's token claims a grid, and that claim is what lets them inspect: the gateway makes
// it only for a grid of the account's own village, and the registry then names the worker.
TEST_F(GatewayE2eTest, AGridWorkerIsBoundOnlyToAGridOfTheirVillageWhichThenNamesThem) {
  const Village village = NewVillage("admin.bind");
  const Village other = NewVillage("admin.bind_other");
  const int64_t own_grid = NewGrid(village, "东片");
  const int64_t other_grid = NewGrid(other, "西片");
  ASSERT_GT(own_grid, 0);
  ASSERT_GT(other_grid, 0);
  const auto create = [&](const std::string& username, int64_t grid_id, const std::string& token,
                          int64_t village_id) {
    json body = {{"username", username},
                 {"password", kStaffPassword},
                 {"role", "grid_worker"},
                 {"grid_id", grid_id}};
    if (village_id != 0) body["village_id"] = village_id;
    return Post("/v1/auth/staff", body, token);
  };
  const auto expect_refused = [&](const httplib::Result& res, const std::string& username) {
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << res->body;
    const json error = json::parse(res->body, nullptr, false);
    EXPECT_EQ(error.value("code", ""), "GRID_NOT_IN_VILLAGE") << res->body;
    EXPECT_EQ(error.value("field", ""), "grid_id") << res->body;
    // No account was made: it cannot sign in.
    auto login =
        Post("/v1/auth/staff/login", {{"username", username}, {"password", kStaffPassword}});
    ASSERT_TRUE(login);
    EXPECT_EQ(login->status, 401) << login->body;
  };

  // Another village's grid, or no grid at all; by the village's admin or by the district.
  expect_refused(create("grid.bind_other", other_grid, village.admin_token, 0), "grid.bind_other");
  expect_refused(create("grid.bind_none", 999999999, village.admin_token, 0), "grid.bind_none");
  const std::string district = StaffLogin("district.e2e", kAdminPassword);
  expect_refused(create("grid.bind_district", other_grid, district, village.village_id),
                 "grid.bind_district");
  // The other village's grid still has no worker.
  EXPECT_EQ(Ok(Get(absl::StrCat("/v1/grids/", other_grid), other.admin_token))
                .value("worker_user_id", "?"),
            "");

  // The village's own grid: the account is made and the registry names it the grid's worker.
  const json created = Ok(create("grid.bind", own_grid, village.admin_token, 0));
  const std::string user_id = created.value("user_id", "");
  ASSERT_TRUE(absl::StartsWith(user_id, "staff-")) << created.dump();
  const json grid = Ok(Get(absl::StrCat("/v1/grids/", own_grid), village.admin_token));
  EXPECT_EQ(grid.value("worker_user_id", ""), user_id) << grid.dump();
  EXPECT_FALSE(StaffLogin("grid.bind", kStaffPassword).empty());

  // The admin can name someone else (or no one) later; another village's admin cannot.
  auto refused = Put(absl::StrCat("/v1/grids/", own_grid, "/worker"),
                     {{"worker_user_id", "staff-1"}}, other.admin_token);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403) << refused->body;
  const json cleared = Ok(Put(absl::StrCat("/v1/grids/", own_grid, "/worker"),
                              {{"worker_user_id", ""}}, village.admin_token));
  EXPECT_EQ(cleared.value("worker_user_id", "?"), "") << cleared.dump();
}

// An admin replaces a grid's worker while the previous worker's phone still holds tokens that claim
// the grid. Scoring asks the registry, so those tokens score nothing there any more, even sent
// straight to its port; the gateway ends the previous worker's sessions and takes the grid from
// their account, and the new worker's account, which claimed another grid, now claims this one.
TEST_F(GatewayE2eTest, ReplacingAGridsWorkerTakesTheGridFromThePreviousWorker) {
  const Village village = NewVillage("admin.replace");
  const int64_t group_id = NewGroup(village, "第1村民小组");
  const int64_t grid_id = NewGrid(village, "东片");
  const int64_t other_grid_id = NewGrid(village, "西片");
  const auto [household, member] = NewHousehold(village, group_id, grid_id, "3号");
  (void)member;
  PublishRulebook(village);

  const std::string previous_id = NewGridWorker(village, grid_id, "grid.replaced");
  const std::string successor_id = NewGridWorker(village, other_grid_id, "grid.successor");
  const json previous = Ok(
      Post("/v1/auth/staff/login", {{"username", "grid.replaced"}, {"password", kStaffPassword}}));
  const std::string previous_token = previous.value("access_token", "");
  const std::string successor_token = StaffLogin("grid.successor", kStaffPassword);
  const std::string prefix = absl::StrCat("e2e-replace-", getpid(), "-");
  Ok(Inspect(previous_token, prefix + "1", household, "HJ-01"));
  auto not_theirs = Inspect(successor_token, prefix + "2", household, "LJ-01");
  ASSERT_TRUE(not_theirs);
  EXPECT_EQ(not_theirs->status, 403) << not_theirs->body;

  const json grid = Ok(Put(absl::StrCat("/v1/grids/", grid_id, "/worker"),
                           {{"worker_user_id", successor_id}}, village.admin_token));
  EXPECT_EQ(grid.value("worker_user_id", ""), successor_id);

  // The previous worker's session is over: the access token is revoked, the refresh token spent.
  auto revoked = Inspect(previous_token, prefix + "3", household, "LJ-01");
  ASSERT_TRUE(revoked);
  EXPECT_EQ(revoked->status, 401) << revoked->body;
  auto refreshed =
      Post("/v1/auth/refresh", {{"refresh_token", previous.value("refresh_token", "")}});
  ASSERT_TRUE(refreshed);
  EXPECT_EQ(refreshed->status, 401) << refreshed->body;
  // Straight to scoring's port the old token still verifies, and scoring refuses it the grid.
  auto assessment =
      scoring::v1::AssessmentService::NewStub(grpc_util::NewChannel(suite_->scoring->address(),
                                                                    4 << 20));
  scoring::v1::SubmitInspectionRequest direct;
  direct.set_inspection_id(prefix + "4");
  direct.set_household_id(household);
  direct.set_occurred_at_ms(absl::ToUnixMillis(absl::Now()) - 60'000);
  direct.add_outcomes()->set_item_code("LJ-01");
  scoring::v1::SubmitInspectionResponse scored;
  EXPECT_EQ(assessment
                ->SubmitInspection(
                    grpc_util::NewClientContext(absl::Seconds(10), previous_token).get(), direct,
                    &scored)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Signed in again, the previous worker's account claims no grid.
  auto again = Inspect(StaffLogin("grid.replaced", kStaffPassword), prefix + "5", household,
                       "LJ-01");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 403) << again->body;

  // The successor's old token claimed the other grid: it is revoked, and a new sign-in claims
  // this grid and scores it.
  auto stale = Inspect(successor_token, prefix + "6", household, "LJ-01");
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->status, 401) << stale->body;
  Ok(Inspect(StaffLogin("grid.successor", kStaffPassword), prefix + "7", household, "LJ-01"));
  const json entries =
      Ok(Get(absl::StrCat("/v1/households/", household, "/entries"), village.admin_token));
  EXPECT_EQ(entries["entries"].size(), 2u) << entries.dump();  // the first and the successor's

  // Both account changes are on the trail, made by the admin.
  for (const auto& [user_id, action, grid_after] :
       {std::make_tuple(previous_id, "release_grid", int64_t{0}),
        std::make_tuple(successor_id, "bind_grid", grid_id)}) {
    const json records = StaffAccountRecords(user_id, action);
    const auto changed = std::find_if(records.begin(), records.end(), [&](const json& stored) {
      return stored["record"].value("action", "") == action;
    });
    ASSERT_NE(changed, records.end()) << records.dump();
    const json& record = (*changed)["record"];
    EXPECT_EQ(record.value("actor_role", ""), "village_admin") << record.dump();
    EXPECT_TRUE(
        absl::StrContains(record.value("after", ""), absl::StrCat("\"grid_id\":", grid_after)))
        << record.dump();
  }
}

// A new grid worker's account and their naming as the grid's worker in scoring are made together:
// the account is useless without the naming (scoring asks the registry). When scoring can't name
// them (here a trigger refuses every write to the grid's row), nothing is created and the answer
// says so; sent again once scoring can, the account is made and named.
TEST_F(GatewayE2eTest, AGridWorkerAccountIsMadeOnlyWhenItsGridNamesIt) {
  const Village village = NewVillage("admin.unnamed");
  const int64_t group_id = NewGroup(village, "第1村民小组");
  const int64_t grid_id = NewGrid(village, "南片");
  const auto [household, member] = NewHousehold(village, group_id, grid_id, "5号");
  (void)member;
  PublishRulebook(village);
  const std::string first_id = NewGridWorker(village, grid_id, "grid.first");
  const std::string prefix = absl::StrCat("e2e-unnamed-", getpid(), "-");

  mysql::ConnectionPool scoring_db(AdminConfigFor(suite_->scoring_database, 1));
  const auto scoring_sql = [&](const std::string& text) {
    ASSERT_TRUE(mysql::RunWithConnection(scoring_db, [&](sql::Connection& c) {
                  mysql::Statement(c, text.c_str()).Update();
                  return absl::OkStatus();
                }).ok())
        << text;
  };
  scoring_sql(absl::StrCat(
      "CREATE TRIGGER e2e_grid_refused BEFORE UPDATE ON grids FOR EACH ROW "
      "BEGIN IF OLD.grid_id = ", grid_id, " THEN "
      "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'e2e: the grid refuses writes'; END IF; END"));
  const json form = {{"username", "grid.unnamed"},
                     {"password", kStaffPassword},
                     {"role", "grid_worker"},
                     {"grid_id", grid_id}};
  auto refused = Post("/v1/auth/staff", form, village.admin_token);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503) << refused->body;
  const json error = json::parse(refused->body, nullptr, false);
  EXPECT_EQ(error.value("code", ""), "GRID_WORKER_NOT_ASSIGNED") << refused->body;
  EXPECT_TRUE(absl::StrContains(error.value("message", ""), "账号未创建")) << refused->body;
  // Nothing was made: no account to sign in with, no row, and the grid keeps its worker, who
  // still scores it.
  auto login =
      Post("/v1/auth/staff/login", {{"username", "grid.unnamed"}, {"password", kStaffPassword}});
  ASSERT_TRUE(login);
  EXPECT_EQ(login->status, 401) << login->body;
  mysql::ConnectionPool gateway_db(AdminConfigFor(suite_->gateway_database, 1));
  int64_t rows = -1;
  ASSERT_TRUE(mysql::RunWithConnection(gateway_db, [&](sql::Connection& c) {
                auto found = mysql::Statement(c,
                                              "SELECT COUNT(*) FROM staff_accounts "
                                              "WHERE username = ?")
                                 .Bind("grid.unnamed")
                                 .Query();
                if (found->next()) rows = found->getInt64(1);
                return absl::OkStatus();
              }).ok());
  EXPECT_EQ(rows, 0);
  EXPECT_EQ(Ok(Get(absl::StrCat("/v1/grids/", grid_id), village.admin_token))
                .value("worker_user_id", "?"),
            first_id);
  Ok(Inspect(StaffLogin("grid.first", kStaffPassword), prefix + "1", household, "HJ-01"));

  // Scoring can write again: the same form makes the account, which the grid now names.
  scoring_sql("DROP TRIGGER e2e_grid_refused");
  const std::string user_id = Ok(Post("/v1/auth/staff", form, village.admin_token))
                                  .value("user_id", "");
  ASSERT_TRUE(absl::StartsWith(user_id, "staff-")) << user_id;
  EXPECT_EQ(Ok(Get(absl::StrCat("/v1/grids/", grid_id), village.admin_token))
                .value("worker_user_id", "?"),
            user_id);
  Ok(Inspect(StaffLogin("grid.unnamed", kStaffPassword), prefix + "2", household, "LJ-01"));
  auto replaced = Inspect(StaffLogin("grid.first", kStaffPassword), prefix + "3", household,
                          "HJ-03");
  ASSERT_TRUE(replaced);
  EXPECT_EQ(replaced->status, 403) << replaced->body;
}

// Statements on a connection the test holds across steps (a transaction left open meanwhile); a
// database error fails the test. Query answers the first column of the first row, -1 when there
// is none.
class HeldConnection {
 public:
  explicit HeldConnection(mysql::ConnectionPool& pool) : connection_(pool.Acquire()) {
    EXPECT_TRUE(connection_.ok()) << connection_.status();
  }
  bool ok() const { return connection_.ok(); }
  int64_t Query(const std::string& text, const std::string& value = "") {
    try {
      mysql::Statement statement(Get(), text.c_str());
      if (!value.empty()) statement.Bind(value);
      auto rows = statement.Query();
      return rows->next() ? rows->getInt64(1) : -1;
    } catch (const sql::SQLException& e) {
      ADD_FAILURE() << text << ": " << e.what();
      return -1;
    }
  }
  void Execute(const std::string& text) {
    try {
      mysql::Statement(Get(), text.c_str()).Update();
    } catch (const sql::SQLException& e) {
      ADD_FAILURE() << text << ": " << e.what();
    }
  }

 private:
  sql::Connection& Get() { return connection_->get(); }
  absl::StatusOr<mysql::PooledConnection> connection_;
};

// Polls until `reached` holds: a state the processes get to, bounded so that a test that never
// gets there fails instead of hanging. InnoDB refills its information_schema tables of
// transactions and lock waits only when they were last read more than 0.1 s before, so polling
// them faster than that would read the same old rows for ever.
bool Eventually(const std::function<bool()>& reached) {
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (!reached()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(250));
  }
  return true;
}

// The other half of all-or-nothing: scoring has named the new account, and then the account's
// commit fails (a real MariaDB failure: the test kills the gateway's database connection while
// scoring is naming the account, so the COMMIT that follows finds it gone). The grid goes back to
// its previous worker, who goes on scoring it; nothing is made; the same form sent again makes the
// account, and the grid names it.
//
// To reach that moment without guessing at times, the test holds the village's row in scoring
// (AssignGridWorker locks it first), so the naming waits there while the gateway's transaction,
// with the account's row inserted, is open; a locking read of that row from the test then waits
// on the gateway's transaction, and MariaDB's lock waits name its connection.
TEST_F(GatewayE2eTest, AGridWorkerWhoseAccountIsNotStoredLeavesTheGridToItsWorker) {
  const Village village = NewVillage("admin.uncommitted");
  const int64_t group_id = NewGroup(village, "第1村民小组");
  const int64_t grid_id = NewGrid(village, "东片");
  const auto [household, member] = NewHousehold(village, group_id, grid_id, "8号");
  (void)member;
  PublishRulebook(village);
  const std::string keeper_id = NewGridWorker(village, grid_id, "grid.keeper");
  ASSERT_TRUE(absl::StartsWith(keeper_id, "staff-")) << keeper_id;
  const std::string prefix = absl::StrCat("e2e-uncommitted-", getpid(), "-");
  const json form = {{"username", "grid.uncommitted"},
                     {"password", kStaffPassword},
                     {"role", "grid_worker"},
                     {"grid_id", grid_id}};
  const std::string blocked_by =
      "SELECT b.trx_mysql_thread_id FROM information_schema.INNODB_LOCK_WAITS w "
      "JOIN information_schema.INNODB_TRX r ON r.trx_id = w.requesting_trx_id "
      "JOIN information_schema.INNODB_TRX b ON b.trx_id = w.blocking_trx_id "
      "WHERE r.trx_mysql_thread_id = ?";
  const std::string waiting_on =
      "SELECT r.trx_mysql_thread_id FROM information_schema.INNODB_LOCK_WAITS w "
      "JOIN information_schema.INNODB_TRX r ON r.trx_id = w.requesting_trx_id "
      "JOIN information_schema.INNODB_TRX b ON b.trx_id = w.blocking_trx_id "
      "WHERE b.trx_mysql_thread_id = ?";

  mysql::ConnectionPool scoring_db(AdminConfigFor(suite_->scoring_database, 1));
  mysql::ConnectionPool gateway_db(AdminConfigFor(suite_->gateway_database, 2));
  HeldConnection village_lock(scoring_db);
  HeldConnection probe(gateway_db);
  HeldConnection observer(gateway_db);
  ASSERT_TRUE(village_lock.ok() && probe.ok() && observer.ok());
  const std::string lock_thread = absl::StrCat(village_lock.Query("SELECT CONNECTION_ID()"));
  const std::string probe_thread = absl::StrCat(probe.Query("SELECT CONNECTION_ID()"));
  village_lock.Execute("START TRANSACTION");
  village_lock.Query("SELECT village_id FROM villages WHERE village_id = ? FOR UPDATE",
                     absl::StrCat(village.village_id));

  int answer_status = 0;
  std::string answer_body;
  std::thread creation([&] {
    httplib::Client client("127.0.0.1", suite_->gateway->port());
    client.set_read_timeout(120, 0);
    auto res = client.Post("/v1/auth/staff", {{"Authorization", "Bearer " + village.admin_token}},
                           form.dump(), "application/json");
    if (res) {
      answer_status = res->status;
      answer_body = res->body;
    }
  });
  // Scoring's naming waits on the village's row: the gateway's transaction is open.
  EXPECT_TRUE(Eventually([&] { return observer.Query(waiting_on, lock_thread) > 0; }));
  std::thread probing([&] {
    probe.Execute("START TRANSACTION");
    EXPECT_EQ(probe.Query("SELECT account_id FROM staff_accounts WHERE username = ? FOR UPDATE",
                          "grid.uncommitted"),
              -1);  // the gateway's row, rolled back once its connection is gone
    probe.Execute("ROLLBACK");
  });
  int64_t gateway_thread = -1;
  EXPECT_TRUE(Eventually([&] {
    gateway_thread = observer.Query(blocked_by, probe_thread);
    return gateway_thread > 0;
  }));
  if (gateway_thread > 0) observer.Execute(absl::StrCat("KILL CONNECTION ", gateway_thread));
  probing.join();
  village_lock.Execute("ROLLBACK");  // scoring names the account; the gateway's COMMIT fails
  creation.join();

  EXPECT_EQ(answer_status, 503) << answer_body;
  // Nothing was made, and the grid is its previous worker's again, who still scores it.
  EXPECT_EQ(
      observer.Query("SELECT COUNT(*) FROM staff_accounts WHERE username = ?", "grid.uncommitted"),
      0);
  EXPECT_EQ(Ok(Get(absl::StrCat("/v1/grids/", grid_id), village.admin_token))
                .value("worker_user_id", "?"),
            keeper_id);
  Ok(Inspect(StaffLogin("grid.keeper", kStaffPassword), prefix + "1", household, "HJ-01"));

  // The admin sends the same form again: the account is made and the grid names it.
  const std::string user_id =
      Ok(Post("/v1/auth/staff", form, village.admin_token)).value("user_id", "");
  ASSERT_TRUE(absl::StartsWith(user_id, "staff-")) << user_id;
  EXPECT_EQ(Ok(Get(absl::StrCat("/v1/grids/", grid_id), village.admin_token))
                .value("worker_user_id", "?"),
            user_id);
  Ok(Inspect(StaffLogin("grid.uncommitted", kStaffPassword), prefix + "2", household, "LJ-01"));
  auto replaced =
      Inspect(StaffLogin("grid.keeper", kStaffPassword), prefix + "3", household, "HJ-03");
  ASSERT_TRUE(replaced);
  EXPECT_EQ(replaced->status, 403) << replaced->body;
}

// Runs last (alphabetical order of the names does not matter: gtest keeps declaration order).
TEST_F(GatewayE2eTest, SecretsNeverAppearInLogs) {
  // Drive one more resident sign-in so the log has WeChat traffic even if run alone.
  Post("/v1/auth/wechat/login", {{"code", "wxcode-nobody"}});
  const std::string logs =
      ReadFile(suite_->gateway->log_path()) + ReadFile(suite_->scoring->log_path()) +
      ReadFile(suite_->publicity->log_path()) + ReadFile(suite_->audit->log_path());
  ASSERT_FALSE(logs.empty());
  EXPECT_FALSE(absl::StrContains(logs, kAppSecret));
  EXPECT_FALSE(absl::StrContains(logs, kSessionKey));
  EXPECT_FALSE(absl::StrContains(logs, kAdminPassword));
  EXPECT_FALSE(absl::StrContains(logs, kStaffPassword));
  EXPECT_FALSE(absl::StrContains(logs, "openid-"));
  EXPECT_FALSE(absl::StrContains(logs, "eyJ"));  // no JWT (base64 of '{"') in any line
  // One access line per request.
  EXPECT_TRUE(absl::StrContains(logs, "\"msg\":\"access\""));

  const int status = suite_->gateway->Terminate(10);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

}  // namespace
}  // namespace jifen::testing
