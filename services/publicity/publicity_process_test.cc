// The publicity service as a process, against a real jifen-scoring process (ScoringHarness), the
// fixture's MariaDB and Redis. RUN_SERIAL: it empties and kills the shared redis-server.
#include <cppconn/connection.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/grpc/client.h"
#include "common/mysql/transaction.h"
#include "common/redis/redis_client.h"
#include "common/time/shanghai.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jifen/publicity/v1/boards.grpc.pb.h"
#include "jifen/publicity/v1/windows.grpc.pb.h"
#include "jifen/scoring/v1/assessment.grpc.pb.h"
#include "jifen/scoring/v1/ledger.grpc.pb.h"
#include "jifen/scoring/v1/registry.grpc.pb.h"
#include "tests/support/audit_outbox.h"
#include "tests/support/scoring_harness.h"
#include "tests/support/service_database.h"
#include "tests/support/service_process.h"
#include "tests/support/testenv.h"

namespace jifen::publicity {
namespace {

namespace sv1 = ::jifen::scoring::v1;
using jifen::testing::ScoringHarness;
using jifen::testing::SeededVillage;

// Deeds in 2025Q3: a quarter that is over, so that it can be settled.
const int64_t kDeedMs =
    absl::ToUnixMillis(absl::FromCivil(absl::CivilDay(2025, 8, 15), jifen::time::ShanghaiTime()));

// Polls `done` until it holds or `timeout` passes (the service applies entries asynchronously;
// there is no event to wait on from outside the process).
template <typename Predicate>
bool Eventually(Predicate done, absl::Duration timeout = absl::Seconds(30)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return done();
}

class PublicityProcessTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    harness_ = new ScoringHarness("publicity_e2e");
    ASSERT_TRUE(harness_->Start());

    // The publicity schema and its restricted account.
    const jifen::testing::MySqlServer& server = jifen::testing::TestMySql();
    const jifen::testing::ServiceDatabase schema =
        jifen::testing::CreateServiceDatabase("publicity_svc", "services/publicity/migrations");
    ASSERT_FALSE(HasFailure());
    publicity_schema_ = new mysql::ConnectionPool(schema.AdminConfig(2));
    publicity_ = new jifen::testing::ServiceProcess(
        "publicity", "services/publicity/jifen-publicity",
        {absl::StrCat("--mysql_host=", server.host), absl::StrCat("--mysql_port=", server.port),
         "--mysql_user=" + schema.user, "--mysql_password=" + schema.password,
         "--mysql_database=" + schema.database, "--redis_host=" + jifen::testing::TestRedis().host,
         absl::StrCat("--redis_port=", jifen::testing::TestRedis().port),
         absl::StrCat("--redis_key_prefix=pubtest", getpid(), ":"),
         "--token_public_key=" + harness_->public_key_path(),
         "--service_token_file=" + harness_->WriteServiceTokenFile("publicity"),
         "--window_min_time_to_object=3s", "--scoring_address=" + harness_->address(),
         "--due_work_interval=200ms", "--aggregate_interval=300ms", "--drain_timeout=2s"});
    ASSERT_TRUE(publicity_->Start());
    channel_ =
        new std::shared_ptr<grpc::Channel>(grpc_util::NewChannel(publicity_->address(), 16 << 20));

    village_ = new SeededVillage(harness_->SeedVillage(8, 2));
    harness_->PublishRulebook(village_->village_id, 2025, "2025-01-01");
  }

  static void TearDownTestSuite() {
    if (publicity_ != nullptr) {
      EXPECT_EQ(publicity_->Terminate(), 0) << "jifen-publicity did not stop cleanly";
    }
    delete channel_;
    delete publicity_;
    delete publicity_schema_;
    delete village_;
    delete harness_;
  }

  void SetUp() override {
    ASSERT_NE(publicity_, nullptr);
    boards_ = v1::BoardService::NewStub(*channel_);
    windows_ = v1::PublicityWindowService::NewStub(*channel_);
    ledger_ = sv1::LedgerService::NewStub(harness_->channel());
    assessment_ = sv1::AssessmentService::NewStub(harness_->channel());
  }

  void TearDown() override { harness_->ExpectLedgerInvariants(); }

  static std::unique_ptr<grpc::ClientContext> Context(const std::string& token) {
    return ScoringHarness::Context(token);
  }

  // Submits one inspection; returns its entries (empty when scoring refused it, e.g. a cap).
  std::vector<sv1::LedgerEntry> Inspect(int64_t household_id, const std::string& item,
                                        const SeededVillage* village = nullptr) {
    if (village == nullptr) village = village_;
    static int counter = 0;
    sv1::SubmitInspectionRequest request;
    request.set_inspection_id(absl::StrCat("pub-", getpid(), "-", ++counter));
    request.set_household_id(household_id);
    request.set_occurred_at_ms(kDeedMs + counter);
    sv1::InspectionOutcome* outcome = request.add_outcomes();
    outcome->set_item_code(item);
    outcome->add_photo_refs(std::string(64, 'f'));
    sv1::SubmitInspectionResponse response;
    const grpc::Status status = assessment_->SubmitInspection(
        Context(harness_->GridWorkerToken(*village)).get(), request, &response);
    if (!status.ok()) {
      // Caps per quarter refuse some random picks; anything else is a failure.
      EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
          << status.error_message();
      return {};
    }
    return {response.entries().begin(), response.entries().end()};
  }

  int64_t Reverse(int64_t sequence, const std::string& correction_id) {
    sv1::ReverseEntryRequest request;
    request.set_sequence(sequence);
    request.set_correction_id(correction_id);
    request.set_reason("测试更正");
    sv1::ReverseEntryResponse response;
    const grpc::Status status = ledger_->ReverseEntry(
        Context(harness_->VillageAdminToken(village_->village_id)).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.entry().sequence();
  }

  // A random mix of awards, deductions and reversals; returns the last sequence written.
  int64_t RandomMix(int inspections, uint32_t seed) {
    std::mt19937 random(seed);
    const std::vector<std::string> items = {"HJ-01", "HJ-02", "HJ-03", "HJ-04", "LJ-01", "LJ-02"};
    int64_t last = 0;
    std::vector<int64_t> reversible;
    for (int i = 0; i < inspections; ++i) {
      const int64_t household = village_->household_ids[random() % village_->household_ids.size()];
      for (const sv1::LedgerEntry& entry : Inspect(household, items[random() % items.size()])) {
        last = std::max(last, entry.sequence());
        reversible.push_back(entry.sequence());
      }
      if (!reversible.empty() && random() % 5 == 0) {
        const size_t pick = random() % reversible.size();
        last = std::max(last, Reverse(reversible[pick], absl::StrCat("mix-fix-", seed, "-", i)));
        reversible.erase(reversible.begin() + pick);
      }
    }
    return last;
  }

  v1::Board ReadBoard(const std::string& period, int64_t group_id = 0,
                      const SeededVillage* village = nullptr) {
    if (village == nullptr) village = village_;
    v1::GetBoardRequest request;
    request.mutable_board()->set_scope(group_id > 0 ? v1::BOARD_SCOPE_GROUP
                                                    : v1::BOARD_SCOPE_VILLAGE);
    request.mutable_board()->set_village_id(village->village_id);
    request.mutable_board()->set_group_id(group_id);
    request.mutable_board()->set_period(period);
    request.set_page_size(200);
    v1::Board board;
    const grpc::Status status = boards_->GetBoard(
        Context(harness_->ResidentToken(village->village_id, village->household_ids[0])).get(),
        request, &board);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return board;
  }

  // The admin opens the village's 2025Q3 window, begun a day ago and ending `from_now` from now.
  grpc::Status OpenWindowEndingIn(int64_t village_id, absl::Duration from_now,
                                  v1::PublicityWindow* window) {
    const absl::Time ends_at = absl::Now() + from_now;
    v1::OpenWindowRequest open;
    open.set_village_id(village_id);
    open.set_period("2025Q3");
    open.set_starts_at_ms(absl::ToUnixMillis(ends_at - absl::Hours(25)));
    open.set_ends_at_ms(absl::ToUnixMillis(ends_at));
    return windows_->OpenWindow(Context(harness_->VillageAdminToken(village_id)).get(), open,
                                window);
  }

  bool AppliedUpTo(int64_t sequence, const SeededVillage* village = nullptr) {
    return ReadBoard("2025Q3", 0, village).applied_sequence() >= sequence;
  }

  // household -> score of 2025Q3, from scoring's own period sums (not from the stream).
  std::map<int64_t, int64_t> LedgerScores(const SeededVillage* village = nullptr) {
    if (village == nullptr) village = village_;
    std::map<int64_t, int64_t> scores;
    for (int64_t household : village->household_ids) {
      sv1::ListPeriodScoresRequest request;
      request.set_household_id(household);
      sv1::ListPeriodScoresResponse response;
      EXPECT_TRUE(
          ledger_->ListPeriodScores(Context(harness_->DistrictToken()).get(), request, &response)
              .ok());
      for (const sv1::PeriodScore& score : response.scores()) {
        if (score.period() == "2025Q3") scores[household] = score.score();
      }
    }
    return scores;
  }

  std::map<int64_t, int64_t> BoardScores(const v1::Board& board) {
    std::map<int64_t, int64_t> scores;
    for (const v1::BoardRow& row : board.rows()) scores[row.household_id()] = row.points();
    return scores;
  }

  v1::ReconcileResponse Reconcile() {
    v1::ReconcileRequest request;
    request.set_village_id(village_->village_id);
    v1::ReconcileResponse response;
    const grpc::Status status = boards_->Reconcile(
        Context(harness_->VillageAdminToken(village_->village_id)).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  // Audit records publicity wrote to its outbox with `action` for `village_id`.
  int64_t AuditRecords(int64_t village_id, const std::string& action) {
    int64_t count = -1;
    EXPECT_TRUE(mysql::RunWithConnection(*publicity_schema_, [&](sql::Connection& connection) {
                  std::unique_ptr<sql::PreparedStatement> select(connection.prepareStatement(
                      "SELECT COUNT(*) FROM outbox WHERE topic = 'audit' AND village_id = ? "
                      "AND INSTR(payload, ?) > 0"));
                  select->setInt64(1, village_id);
                  select->setString(2, action);
                  std::unique_ptr<sql::ResultSet> rows(select->executeQuery());
                  rows->next();
                  count = rows->getInt64(1);
                  return absl::OkStatus();
                }).ok());
    return count;
  }

  static ScoringHarness* harness_;
  static mysql::ConnectionPool* publicity_schema_;  // its admin account, to read the outbox
  static jifen::testing::ServiceProcess* publicity_;
  static std::shared_ptr<grpc::Channel>* channel_;
  static SeededVillage* village_;
  std::unique_ptr<v1::BoardService::Stub> boards_;
  std::unique_ptr<v1::PublicityWindowService::Stub> windows_;
  std::unique_ptr<sv1::LedgerService::Stub> ledger_;
  std::unique_ptr<sv1::AssessmentService::Stub> assessment_;
};

ScoringHarness* PublicityProcessTest::harness_ = nullptr;
mysql::ConnectionPool* PublicityProcessTest::publicity_schema_ = nullptr;
jifen::testing::ServiceProcess* PublicityProcessTest::publicity_ = nullptr;
std::shared_ptr<grpc::Channel>* PublicityProcessTest::channel_ = nullptr;
SeededVillage* PublicityProcessTest::village_ = nullptr;

TEST_F(PublicityProcessTest, A_BoardsEqualTheLedgerAfterARandomMix) {
  const int64_t last = RandomMix(60, 1);
  ASSERT_TRUE(Eventually([&] { return AppliedUpTo(last); })) << "boards never caught up";
  const v1::Board board = ReadBoard("2025Q3");
  EXPECT_EQ(BoardScores(board), LedgerScores());
  // Ranking order and the tie rule hold on what the service returns.
  for (int i = 1; i < board.rows_size(); ++i) {
    const v1::BoardRow& before = board.rows(i - 1);
    const v1::BoardRow& row = board.rows(i);
    EXPECT_TRUE(before.points() > row.points() ||
                (before.points() == row.points() && before.household_id() < row.household_id()));
    EXPECT_EQ(row.rank(), before.points() == row.points() ? before.rank() : i + 1);
  }
  // Masked names and house numbers come from the registry; never a full name.
  ASSERT_GT(board.rows_size(), 0);
  EXPECT_EQ(board.rows(0).masked_name().find("建"), std::string::npos);
  EXPECT_FALSE(board.rows(0).house_number().empty());
  // Group boards split the village board.
  std::map<int64_t, int64_t> merged;
  for (int64_t group : village_->group_ids) {
    for (const auto& [household, points] : BoardScores(ReadBoard("2025Q3", group))) {
      merged[household] += points;
    }
  }
  EXPECT_EQ(merged, BoardScores(board));
  EXPECT_EQ(BoardScores(ReadBoard("2025")), BoardScores(board));  // only Q3 has deeds
  const v1::ReconcileResponse reconcile = Reconcile();
  EXPECT_EQ(reconcile.differences_size(), 0);
  EXPECT_GT(reconcile.entries_checked(), 0);

  // The operator's CLI says the same, with exit code 0 for "no difference".
  const std::string command =
      absl::StrCat(jifen::testing::BinaryPath("services/publicity/jifen-publicity-admin"),
                   " --address=", publicity_->address(),
                   " --token_file=", harness_->WriteServiceTokenFile("publicity-admin"),
                   " --village_id=", village_->village_id, " reconcile");
  FILE* tool = popen(command.c_str(), "r");
  ASSERT_NE(tool, nullptr);
  char line[256] = {0};
  ASSERT_NE(fgets(line, sizeof(line), tool), nullptr);
  EXPECT_NE(std::string(line).find(" 0 differences"), std::string::npos) << line;
  const int exit_status = pclose(tool);
  EXPECT_TRUE(WIFEXITED(exit_status) && WEXITSTATUS(exit_status) == 0) << exit_status;
}

TEST_F(PublicityProcessTest, B_StandingAndAccess) {
  const int64_t household = village_->household_ids[1];
  int64_t sequence = 0;
  for (const char* item : {"HJ-01", "HJ-03", "HJ-06", "LJ-01"}) {
    const std::vector<sv1::LedgerEntry> entries = Inspect(household, item);
    if (!entries.empty()) {
      sequence = entries.back().sequence();
      break;
    }
  }
  ASSERT_GT(sequence, 0);
  ASSERT_TRUE(Eventually([&] { return AppliedUpTo(sequence); }));
  v1::GetStandingRequest request;
  request.set_household_id(household);
  request.set_village_id(village_->village_id);
  request.mutable_board()->set_scope(v1::BOARD_SCOPE_VILLAGE);
  request.mutable_board()->set_period("2025Q3");
  request.set_neighbours(2);
  v1::Standing standing;
  ASSERT_TRUE(Eventually([&] {
    standing.Clear();
    return boards_
               ->GetStanding(
                   Context(harness_->ResidentToken(village_->village_id, household)).get(), request,
                   &standing)
               .ok() &&
           standing.on_board();
  }));
  EXPECT_EQ(standing.row().household_id(), household);
  EXPECT_EQ(standing.row().points(), LedgerScores()[household]);
  EXPECT_LE(standing.above_size(), 2);

  // The village given inside the board reference, as for GetBoard, answers the same; two
  // villages that disagree are refused, naming the field.
  const std::string resident = harness_->ResidentToken(village_->village_id, household);
  v1::GetStandingRequest by_board = request;
  by_board.clear_village_id();
  by_board.mutable_board()->set_village_id(village_->village_id);
  v1::Standing same;
  ASSERT_TRUE(boards_->GetStanding(Context(resident).get(), by_board, &same).ok());
  EXPECT_EQ(same.row().points(), standing.row().points());
  v1::GetStandingRequest disagreeing = request;
  disagreeing.mutable_board()->set_village_id(village_->village_id + 1);
  const grpc::Status refused =
      boards_->GetStanding(Context(resident).get(), disagreeing, &same);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(refused.error_message().rfind("board.village_id:", 0), 0u) << refused.error_message();

  // No token, and a resident of another village: refused.
  v1::Standing ignored;
  auto no_token = grpc_util::NewClientContext(absl::Seconds(5), "");
  EXPECT_EQ(boards_->GetStanding(no_token.get(), request, &ignored).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(boards_
                ->GetStanding(Context(harness_->ResidentToken(village_->village_id + 999, 1)).get(),
                              request, &ignored)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(PublicityProcessTest, C_LiveUpdatesArePushed) {
  v1::WatchBoardRequest request;
  request.set_village_id(village_->village_id);
  request.set_period("2025Q3");
  auto context = grpc_util::NewClientContext(absl::Seconds(30),
                                             harness_->VillageAdminToken(village_->village_id));
  std::unique_ptr<grpc::ClientReader<v1::BoardChange>> stream =
      boards_->WatchBoard(context.get(), request);
  stream->WaitForInitialMetadata();  // the watch is registered once headers arrive
  const int64_t household = village_->household_ids[2];
  const std::vector<sv1::LedgerEntry> entries = Inspect(household, "HJ-03");
  ASSERT_FALSE(entries.empty());
  v1::BoardChange change;
  ASSERT_TRUE(stream->Read(&change));
  EXPECT_EQ(change.sequence(), entries[0].sequence());
  EXPECT_EQ(change.row().household_id(), household);
  EXPECT_EQ(change.delta_points(), entries[0].points());
  context->TryCancel();
  stream->Finish();
}

TEST_F(PublicityProcessTest, D_FlushAllThenRebuildGivesTheSameBoards) {
  const int64_t last = RandomMix(20, 2);
  ASSERT_TRUE(Eventually([&] { return AppliedUpTo(last); }));
  const std::map<int64_t, int64_t> before = BoardScores(ReadBoard("2025Q3"));
  redis::RedisClient redis(jifen::testing::TestRedisConfig());
  ASSERT_TRUE(redis.Command({"FLUSHALL"}).ok());
  // Until Redis's invalidation reaches the service, a page cached before the FLUSHALL may still
  // be served (applied up to `last`), so the rebuild is watched in Redis itself: Reconcile reads
  // the boards there, at their own cursor.
  ASSERT_TRUE(Eventually([&] {
    const v1::ReconcileResponse reconcile = Reconcile();
    return reconcile.applied_sequence() >= last && reconcile.differences_size() == 0;
  })) << "no rebuild after FLUSHALL";
  EXPECT_EQ(BoardScores(ReadBoard("2025Q3")), before);
  EXPECT_EQ(BoardScores(ReadBoard("2025Q3")), LedgerScores());
}

TEST_F(PublicityProcessTest, E_KillNineOfRedisWhileEntriesFlowConverges) {
  std::thread writer([&] { RandomMix(40, 3); });
  jifen::testing::KillAndRestartRedis();
  writer.join();
  // One more entry after the restart marks the end of the stream.
  int64_t last = 0;
  for (int64_t household : village_->household_ids) {
    for (const sv1::LedgerEntry& entry : Inspect(household, "HJ-06")) last = entry.sequence();
    if (last != 0) break;
  }
  ASSERT_GT(last, 0);
  ASSERT_TRUE(Eventually([&] { return AppliedUpTo(last); }, absl::Seconds(60)));
  EXPECT_EQ(BoardScores(ReadBoard("2025Q3")), LedgerScores());
  EXPECT_EQ(Reconcile().differences_size(), 0);
}

TEST_F(PublicityProcessTest, F_ObjectionsWindowAndSettlement) {
  // A village of its own, so that earlier tests' caps and settlements don't interfere.
  const SeededVillage own = harness_->SeedVillage(3, 1);
  harness_->PublishRulebook(own.village_id, 2025, "2025-01-01");
  const SeededVillage* village = &own;
  const int64_t mine = own.household_ids[0];
  const int64_t other = own.household_ids[1];
  ASSERT_FALSE(Inspect(mine, "HJ-01", village).empty());
  ASSERT_FALSE(Inspect(own.household_ids[2], "HJ-03", village).empty());
  std::vector<sv1::LedgerEntry> deducted = Inspect(mine, "HJ-04", village);
  std::vector<sv1::LedgerEntry> second = Inspect(mine, "LJ-02", village);
  std::vector<sv1::LedgerEntry> others = Inspect(other, "HJ-04", village);
  ASSERT_FALSE(deducted.empty());
  ASSERT_FALSE(second.empty());
  ASSERT_FALSE(others.empty());
  const std::string admin = harness_->VillageAdminToken(own.village_id);
  const std::string resident = harness_->ResidentToken(own.village_id, mine);

  // Before the window: refused.
  v1::FileObjectionRequest file;
  file.set_entry_sequence(deducted[0].sequence());
  file.set_reason("已经整改完毕");
  v1::Objection objection;
  EXPECT_EQ(windows_->FileObjection(Context(resident).get(), file, &objection).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  // A window that started a day ago and ends in a few seconds (--window_min_time_to_object=3s).
  v1::PublicityWindow window;
  ASSERT_TRUE(OpenWindowEndingIn(own.village_id, absl::Seconds(5), &window).ok());
  EXPECT_EQ(window.state(), v1::WINDOW_STATE_OPEN);

  // Another household's entry: refused. Own entries: accepted.
  v1::FileObjectionRequest foreign = file;
  foreign.set_entry_sequence(others[0].sequence());
  EXPECT_EQ(windows_->FileObjection(Context(resident).get(), foreign, &objection).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(windows_->FileObjection(Context(resident).get(), file, &objection).ok());
  v1::Objection pending;
  v1::FileObjectionRequest file_second = file;
  file_second.set_entry_sequence(second[0].sequence());
  ASSERT_TRUE(windows_->FileObjection(Context(resident).get(), file_second, &pending).ok());

  // Upheld: scoring reverses the entry and the board follows.
  const int64_t score_before = LedgerScores(village)[mine];
  v1::ResolveObjectionRequest uphold;
  uphold.set_objection_id(objection.objection_id());
  uphold.set_uphold(true);
  v1::Objection upheld;
  ASSERT_TRUE(windows_->ResolveObjection(Context(admin).get(), uphold, &upheld).ok());
  EXPECT_EQ(upheld.status(), v1::OBJECTION_STATUS_UPHELD);
  EXPECT_GT(upheld.correction_sequence(), 0);
  EXPECT_EQ(LedgerScores(village)[mine], score_before - deducted[0].points());
  ASSERT_TRUE(Eventually([&] { return AppliedUpTo(upheld.correction_sequence(), village); }));
  EXPECT_EQ(BoardScores(ReadBoard("2025Q3", 0, village))[mine], LedgerScores(village)[mine]);
  // Upholding again reverses nothing more.
  ASSERT_TRUE(windows_->ResolveObjection(Context(admin).get(), uphold, &upheld).ok());
  EXPECT_EQ(LedgerScores(village)[mine], score_before - deducted[0].points());

  // The window ends with one objection pending: closed, not settled.
  v1::GetWindowRequest get;
  get.set_village_id(own.village_id);
  get.set_period("2025Q3");
  ASSERT_TRUE(Eventually([&] {
    return windows_->GetWindow(Context(admin).get(), get, &window).ok() &&
           window.state() == v1::WINDOW_STATE_CLOSED;
  }));
  absl::SleepFor(absl::Milliseconds(600));  // several due-work rounds pass
  ASSERT_TRUE(windows_->GetWindow(Context(admin).get(), get, &window).ok());
  EXPECT_EQ(window.state(), v1::WINDOW_STATE_CLOSED);
  EXPECT_EQ(window.pending_objections(), 1);
  sv1::GetVillageTotalsRequest totals_request;
  totals_request.set_village_id(own.village_id);
  totals_request.set_period("2025Q3");
  sv1::VillageTotals totals;
  ASSERT_TRUE(ledger_->GetVillageTotals(Context(admin).get(), totals_request, &totals).ok());
  EXPECT_FALSE(totals.final());
  // Objections after the window: refused.
  EXPECT_EQ(windows_->FileObjection(Context(resident).get(), file_second, &objection).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  // Rejecting the last one lets the quarter settle, once.
  v1::ResolveObjectionRequest reject;
  reject.set_objection_id(pending.objection_id());
  reject.set_uphold(false);
  reject.set_reason("有照片为证");
  v1::Objection rejected;
  ASSERT_TRUE(windows_->ResolveObjection(Context(admin).get(), reject, &rejected).ok());
  EXPECT_EQ(rejected.status(), v1::OBJECTION_STATUS_REJECTED);
  ASSERT_TRUE(Eventually([&] {
    return windows_->GetWindow(Context(admin).get(), get, &window).ok() &&
           window.state() == v1::WINDOW_STATE_SETTLED;
  }));
  ASSERT_TRUE(ledger_->GetVillageTotals(Context(admin).get(), totals_request, &totals).ok());
  EXPECT_TRUE(totals.final());
  int64_t positive = 0;
  for (const auto& [household, score] : LedgerScores(village))
    positive += std::max<int64_t>(score, 0);
  EXPECT_EQ(window.points_credited(), positive);

  // The resident sees the outcomes.
  v1::ListObjectionsRequest list;
  list.set_village_id(own.village_id);
  list.set_period("2025Q3");
  v1::ListObjectionsResponse listed;
  ASSERT_TRUE(windows_->ListObjections(Context(resident).get(), list, &listed).ok());
  ASSERT_EQ(listed.objections_size(), 2);
  EXPECT_EQ(listed.objections(1).resolution_reason(), "有照片为证");
}

// A group of another village (or no group at all) on a board request used to answer an empty board
// or empty lists, as if the group had no points yet, and a watch that never sent anything.
TEST_F(PublicityProcessTest, G_AGroupOfAnotherVillageIsRefusedNotAnEmptyBoard) {
  const SeededVillage other = harness_->SeedVillage(2, 2);
  const std::string resident =
      harness_->ResidentToken(village_->village_id, village_->household_ids[0]);
  const auto read_group = [&](int64_t group_id, v1::Board* board) {
    v1::GetBoardRequest request;
    request.mutable_board()->set_scope(v1::BOARD_SCOPE_GROUP);
    request.mutable_board()->set_village_id(village_->village_id);
    request.mutable_board()->set_group_id(group_id);
    request.mutable_board()->set_period("2025Q3");
    return boards_->GetBoard(Context(resident).get(), request, board);
  };
  const auto lists_of = [&](int64_t group_id) {
    v1::GetRedBlackListsRequest request;
    request.set_village_id(village_->village_id);
    request.set_period("2025Q3");
    request.set_group_id(group_id);
    v1::RedBlackLists lists;
    return boards_->GetRedBlackLists(Context(resident).get(), request, &lists);
  };
  for (const int64_t group : {other.group_ids[0], int64_t{999999999}}) {
    v1::Board board;
    grpc::Status status = read_group(group, &board);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << group;
    EXPECT_EQ(status.error_message().rfind("GROUP_NOT_IN_VILLAGE: board.group_id:", 0), 0u)
        << status.error_message();
    status = lists_of(group);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << group;
    EXPECT_EQ(status.error_message().rfind("GROUP_NOT_IN_VILLAGE: group_id:", 0), 0u)
        << status.error_message();

    v1::WatchBoardRequest watch;
    watch.set_village_id(village_->village_id);
    watch.set_period("2025Q3");
    watch.set_group_id(group);
    auto context = grpc_util::NewClientContext(absl::Seconds(10), resident);
    std::unique_ptr<grpc::ClientReader<v1::BoardChange>> stream =
        boards_->WatchBoard(context.get(), watch);
    v1::BoardChange change;
    EXPECT_FALSE(stream->Read(&change));
    EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT) << group;
  }
  // The village's own groups still answer: one with rows, and a new one without any (publicity
  // learns of it from the registry; a group made within a second of its last look may take a
  // second to be known, hence the polling).
  v1::Board board;
  ASSERT_TRUE(read_group(village_->group_ids[0], &board).ok());
  EXPECT_TRUE(lists_of(village_->group_ids[0]).ok());
  auto registry = sv1::RegistryService::NewStub(harness_->channel());
  sv1::CreateGroupRequest create;
  create.set_village_id(village_->village_id);
  create.set_name("新建小组");
  sv1::Group created;
  ASSERT_TRUE(registry
                  ->CreateGroup(Context(harness_->VillageAdminToken(village_->village_id)).get(),
                                create, &created)
                  .ok());
  ASSERT_TRUE(Eventually([&] { return read_group(created.group_id(), &board).ok(); }));
  EXPECT_EQ(board.households(), 0);
  EXPECT_TRUE(lists_of(created.group_id()).ok());
}

// The standing of a household on a group board that is not its group's (or a board of another
// village) used to answer on_board: false, as if the household had no points yet.
TEST_F(PublicityProcessTest, H_AStandingOnAnotherGroupsBoardIsRefused) {
  auto registry = sv1::RegistryService::NewStub(harness_->channel());
  const auto group_of = [&](int64_t household) {
    sv1::GetHouseholdRequest request;
    request.set_household_id(household);
    sv1::HouseholdDetail detail;
    EXPECT_TRUE(
        registry->GetHousehold(Context(harness_->DistrictToken()).get(), request, &detail).ok());
    return detail.household().group_id();
  };
  const int64_t household = village_->household_ids[3];
  const int64_t own_group = group_of(household);
  int64_t other_group = 0;
  for (int64_t group : village_->group_ids) {
    if (group != own_group) other_group = group;
  }
  ASSERT_GT(own_group, 0);
  ASSERT_GT(other_group, 0);
  const SeededVillage neighbour = harness_->SeedVillage(1, 1);
  const std::string admin = harness_->VillageAdminToken(village_->village_id);
  const auto standing = [&](int64_t household_id, int64_t group_id, const std::string& period,
                            v1::Standing* out) {
    v1::GetStandingRequest request;
    request.set_household_id(household_id);
    request.set_village_id(village_->village_id);
    request.mutable_board()->set_scope(group_id == 0 ? v1::BOARD_SCOPE_VILLAGE
                                                     : v1::BOARD_SCOPE_GROUP);
    request.mutable_board()->set_group_id(group_id);
    request.mutable_board()->set_period(period);
    return boards_->GetStanding(Context(admin).get(), request, out);
  };
  const auto expect_refused = [&](const grpc::Status& status, const std::string& prefix) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << prefix;
    EXPECT_EQ(status.error_message().rfind(prefix, 0), 0u) << status.error_message();
  };

  // A quarter without entries: "not on the board" only where the household belongs.
  v1::Standing out;
  ASSERT_TRUE(standing(household, 0, "2024Q1", &out).ok());
  EXPECT_FALSE(out.on_board());
  ASSERT_TRUE(standing(household, own_group, "2024Q1", &out).ok());
  EXPECT_FALSE(out.on_board());
  expect_refused(standing(household, other_group, "2024Q1", &out),
                 "HOUSEHOLD_NOT_IN_GROUP: board.group_id:");
  expect_refused(standing(household, neighbour.group_ids[0], "2024Q1", &out),
                 "GROUP_NOT_IN_VILLAGE: board.group_id:");
  for (int64_t stranger : {neighbour.household_ids[0], int64_t{999999999}}) {
    expect_refused(standing(stranger, 0, "2024Q1", &out),
                   "HOUSEHOLD_NOT_IN_VILLAGE: household_id:");
  }

  // With points: on its group's board, and still refused on the other group's.
  int64_t sequence = 0;
  for (const char* item : {"HJ-01", "HJ-03", "HJ-06", "LJ-01"}) {
    const std::vector<sv1::LedgerEntry> entries = Inspect(household, item);
    if (!entries.empty()) {
      sequence = entries.back().sequence();
      break;
    }
  }
  ASSERT_GT(sequence, 0);
  ASSERT_TRUE(Eventually([&] { return AppliedUpTo(sequence); }));
  ASSERT_TRUE(standing(household, own_group, "2025Q3", &out).ok());
  EXPECT_TRUE(out.on_board());
  expect_refused(standing(household, other_group, "2025Q3", &out),
                 "HOUSEHOLD_NOT_IN_GROUP: board.group_id:");
}

// The QA case: a deduction recorded after the window had ended, while another household's
// objection held the quarter open, was settled without its household ever being able to object.
// Now the window opens again until the entry has had --window_min_time_to_object (3 s here), its
// household objects, and the quarter settles only after both objections are resolved.
TEST_F(PublicityProcessTest, I_ALateEntryReopensTheWindowForItsHousehold) {
  const SeededVillage own = harness_->SeedVillage(3, 1);
  harness_->PublishRulebook(own.village_id, 2025, "2025-01-01");
  const SeededVillage* village = &own;
  const int64_t first = own.household_ids[0];
  const int64_t late_household = own.household_ids[1];
  const std::vector<sv1::LedgerEntry> deducted = Inspect(first, "HJ-04", village);
  ASSERT_FALSE(Inspect(late_household, "HJ-01", village).empty());
  ASSERT_FALSE(deducted.empty());
  const std::string admin = harness_->VillageAdminToken(own.village_id);
  const std::string first_resident = harness_->ResidentToken(own.village_id, first);
  const std::string late_resident = harness_->ResidentToken(own.village_id, late_household);

  v1::PublicityWindow window;
  ASSERT_TRUE(OpenWindowEndingIn(own.village_id, absl::Seconds(5), &window).ok());
  v1::FileObjectionRequest file;
  file.set_entry_sequence(deducted[0].sequence());
  file.set_reason("已经整改完毕");
  v1::Objection pending;
  ASSERT_TRUE(windows_->FileObjection(Context(first_resident).get(), file, &pending).ok());
  v1::GetWindowRequest get;
  get.set_village_id(own.village_id);
  get.set_period("2025Q3");
  ASSERT_TRUE(Eventually([&] {
    return windows_->GetWindow(Context(admin).get(), get, &window).ok() &&
           window.state() == v1::WINDOW_STATE_CLOSED;
  }));
  const int64_t first_end_ms = window.ends_at_ms();

  // After the end, a deduction of the quarter for another household.
  const std::vector<sv1::LedgerEntry> late = Inspect(late_household, "HJ-04", village);
  ASSERT_FALSE(late.empty());
  ASSERT_GT(late[0].recorded_at_ms(), first_end_ms);
  // Residents see the window open again, until the entry has had its 3 s.
  v1::PublicityWindow reopened;
  const auto reopens = [&] {
    return windows_->GetWindow(Context(late_resident).get(), get, &reopened).ok() &&
           reopened.ends_at_ms() > first_end_ms;
  };
  ASSERT_TRUE(Eventually(reopens, absl::Seconds(10)));
  EXPECT_EQ(reopened.ends_at_ms(), late[0].recorded_at_ms() + 3000);
  EXPECT_EQ(AuditRecords(own.village_id, "window.extend"), 1);
  v1::FileObjectionRequest late_file;
  late_file.set_entry_sequence(late[0].sequence());
  late_file.set_reason("没有乱堆乱放");
  v1::Objection late_objection;
  const grpc::Status filed =
      windows_->FileObjection(Context(late_resident).get(), late_file, &late_objection);
  ASSERT_TRUE(filed.ok()) << filed.error_message();
  EXPECT_EQ(late_objection.status(), v1::OBJECTION_STATUS_PENDING);

  // The first objection resolved: the late one still holds the quarter.
  v1::ResolveObjectionRequest reject;
  reject.set_objection_id(pending.objection_id());
  reject.set_uphold(false);
  reject.set_reason("有照片为证");
  v1::Objection resolved;
  ASSERT_TRUE(windows_->ResolveObjection(Context(admin).get(), reject, &resolved).ok());
  ASSERT_TRUE(Eventually([&] {
    return windows_->GetWindow(Context(admin).get(), get, &window).ok() &&
           window.state() == v1::WINDOW_STATE_CLOSED;
  }));
  absl::SleepFor(absl::Milliseconds(600));  // several due-work rounds pass
  ASSERT_TRUE(windows_->GetWindow(Context(admin).get(), get, &window).ok());
  EXPECT_EQ(window.state(), v1::WINDOW_STATE_CLOSED);
  EXPECT_EQ(window.pending_objections(), 1);

  // Upheld: the late deduction is reversed before the quarter becomes final.
  v1::ResolveObjectionRequest uphold;
  uphold.set_objection_id(late_objection.objection_id());
  uphold.set_uphold(true);
  ASSERT_TRUE(windows_->ResolveObjection(Context(admin).get(), uphold, &resolved).ok());
  EXPECT_EQ(resolved.status(), v1::OBJECTION_STATUS_UPHELD);
  ASSERT_TRUE(Eventually([&] {
    return windows_->GetWindow(Context(admin).get(), get, &window).ok() &&
           window.state() == v1::WINDOW_STATE_SETTLED;
  }));
  sv1::GetVillageTotalsRequest totals_request;
  totals_request.set_village_id(own.village_id);
  totals_request.set_period("2025Q3");
  sv1::VillageTotals totals;
  ASSERT_TRUE(ledger_->GetVillageTotals(Context(admin).get(), totals_request, &totals).ok());
  EXPECT_TRUE(totals.final());
  int64_t positive = 0;
  for (const auto& [household, score] : LedgerScores(village)) {
    positive += std::max<int64_t>(score, 0);
  }
  EXPECT_EQ(window.points_credited(), positive);
  EXPECT_EQ(window.ends_at_ms(), reopened.ends_at_ms());
}

// The request id a call carries is on publicity's audit records of it and, passed on with the
// reversal an uphold asks for, on scoring's record of that reversal.
TEST_F(PublicityProcessTest, J_RequestIdsAreOnTheAuditRecordsOfBothServices) {
  const SeededVillage own = harness_->SeedVillage(2, 1);
  harness_->PublishRulebook(own.village_id, 2025, "2025-01-01");
  const int64_t household = own.household_ids[0];
  const std::vector<sv1::LedgerEntry> deducted = Inspect(household, "HJ-04", &own);
  ASSERT_FALSE(deducted.empty());
  const int64_t publicity_start = jifen::testing::LastOutboxId(*publicity_schema_);
  const int64_t scoring_start = jifen::testing::LastOutboxId(harness_->admin_pool());
  const std::string admin = harness_->VillageAdminToken(own.village_id);
  const std::string resident = harness_->ResidentToken(own.village_id, household);
  const auto context = [](const std::string& token, const std::string& request_id) {
    return grpc_util::NewClientContext(absl::Seconds(10), token, request_id);
  };

  v1::SetListRulesRequest rules;
  rules.mutable_rules()->set_village_id(own.village_id);
  rules.mutable_rules()->set_red_top_n(5);
  rules.mutable_rules()->set_red_min_points(1);
  rules.mutable_rules()->set_black_max_points(-10);
  v1::ListRules rules_set;
  grpc::Status status =
      boards_->SetListRules(context(admin, "req-rules-1").get(), rules, &rules_set);
  ASSERT_TRUE(status.ok()) << status.error_message();
  v1::OpenWindowRequest open;
  open.set_village_id(own.village_id);
  open.set_period("2025Q3");
  open.set_starts_at_ms(absl::ToUnixMillis(absl::Now() - absl::Hours(25)));  // a day at least
  open.set_ends_at_ms(absl::ToUnixMillis(absl::Now() + absl::Hours(1)));
  v1::PublicityWindow window;
  status = windows_->OpenWindow(context(admin, "req-open-1").get(), open, &window);
  ASSERT_TRUE(status.ok()) << status.error_message();
  v1::FileObjectionRequest file;
  file.set_entry_sequence(deducted[0].sequence());
  file.set_reason("已经整改完毕");
  v1::Objection objection;
  status = windows_->FileObjection(context(resident, "req-file-1").get(), file, &objection);
  ASSERT_TRUE(status.ok()) << status.error_message();
  v1::ResolveObjectionRequest uphold;
  uphold.set_objection_id(objection.objection_id());
  uphold.set_uphold(true);
  status = windows_->ResolveObjection(context(admin, "req-uphold-1").get(), uphold, &objection);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(objection.status(), v1::OBJECTION_STATUS_UPHELD);

  std::vector<std::pair<std::string, std::string>> publicity_records;  // action, request id
  for (const jifen::testing::OutboxAudit& row :
       jifen::testing::AuditOutboxAfter(*publicity_schema_, publicity_start)) {
    ASSERT_TRUE(row.parsed);
    if (row.record.village_id() != own.village_id) continue;  // other tests' windows settling
    publicity_records.emplace_back(row.record.action(), row.record.request_id());
  }
  EXPECT_EQ(publicity_records, (std::vector<std::pair<std::string, std::string>>{
                                   {"list_rules.set", "req-rules-1"},
                                   {"window.open", "req-open-1"},
                                   {"objection.file", "req-file-1"},
                                   {"objection.resolve", "req-uphold-1"},     // upholding
                                   {"objection.resolve", "req-uphold-1"}}));  // upheld
  std::vector<std::pair<std::string, std::string>> scoring_records;
  for (const jifen::testing::OutboxAudit& row :
       jifen::testing::AuditOutboxAfter(harness_->admin_pool(), scoring_start)) {
    if (row.record.village_id() == own.village_id) {
      scoring_records.emplace_back(row.record.action(), row.record.request_id());
    }
  }
  EXPECT_EQ(scoring_records,
            (std::vector<std::pair<std::string, std::string>>{{"reverse_entry", "req-uphold-1"}}));
}

// A household registered after its village's board was read, and scored at once (as a new one
// often is), shows on the board with its house number and name straight away, not as an anonymous
// row until the directory's next load of the village.
TEST_F(PublicityProcessTest, K_AHouseholdRegisteredAfterTheBoardWasReadShowsWithItsName) {
  const SeededVillage own = harness_->SeedVillage(1);
  harness_->PublishRulebook(own.village_id, 2025, "2025-01-01");
  const std::vector<sv1::LedgerEntry> first = Inspect(own.household_ids[0], "HJ-01", &own);
  ASSERT_FALSE(first.empty());
  ASSERT_TRUE(Eventually([&] { return AppliedUpTo(first.back().sequence(), &own); }));
  ASSERT_EQ(ReadBoard("2025Q3", 0, &own).rows_size(), 1);  // the village's households are loaded

  sv1::CreateHouseholdRequest request;
  sv1::Household* household = request.mutable_household();
  household->set_village_id(own.village_id);
  household->set_group_id(own.group_ids[0]);
  household->set_grid_id(own.grid_id);
  household->set_house_number("88号");
  household->set_head_name("王建国");
  household->set_kind(sv1::HOUSEHOLD_KIND_REGISTERED);
  sv1::HouseholdDetail created;
  const grpc::Status status =
      sv1::RegistryService::NewStub(harness_->channel())
          ->CreateHousehold(Context(harness_->VillageAdminToken(own.village_id)).get(), request,
                            &created);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const int64_t newcomer = created.household().household_id();
  const std::vector<sv1::LedgerEntry> scored = Inspect(newcomer, "HJ-01", &own);
  ASSERT_FALSE(scored.empty());
  ASSERT_TRUE(Eventually([&] { return AppliedUpTo(scored.back().sequence(), &own); }));

  const v1::Board board = ReadBoard("2025Q3", 0, &own);
  bool found = false;
  for (const v1::BoardRow& row : board.rows()) {
    if (row.household_id() != newcomer) continue;
    found = true;
    EXPECT_EQ(row.house_number(), "88号");
    EXPECT_EQ(row.group_id(), own.group_ids[0]);
    EXPECT_FALSE(row.masked_name().empty());
    EXPECT_EQ(row.masked_name().find("建"), std::string::npos);  // masked, as every row
  }
  EXPECT_TRUE(found) << board.DebugString();
}

// The black list says why in words a villager reads, beside the codes a program branches on.
TEST_F(PublicityProcessTest, L_BlackListReasonsComeWithChineseLabels) {
  const SeededVillage own = harness_->SeedVillage(1);
  harness_->PublishRulebook(own.village_id, 2025, "2025-01-01");
  v1::SetListRulesRequest set;
  set.mutable_rules()->set_village_id(own.village_id);
  set.mutable_rules()->set_red_top_n(10);
  set.mutable_rules()->set_red_min_points(1);
  set.mutable_rules()->set_black_max_points(-10);
  set.mutable_rules()->add_black_categories("garbage_sorting");
  v1::ListRules rules;
  ASSERT_TRUE(boards_->SetListRules(Context(harness_->VillageAdminToken(own.village_id)).get(),
                                    set, &rules)
                  .ok());
  const std::vector<sv1::LedgerEntry> deducted = Inspect(own.household_ids[0], "LJ-02", &own);
  ASSERT_FALSE(deducted.empty());
  ASSERT_TRUE(Eventually([&] { return AppliedUpTo(deducted.back().sequence(), &own); }));

  v1::GetRedBlackListsRequest request;
  request.set_village_id(own.village_id);
  request.set_period("2025Q3");
  v1::RedBlackLists lists;
  ASSERT_TRUE(boards_
                  ->GetRedBlackLists(
                      Context(harness_->ResidentToken(own.village_id, own.household_ids[0])).get(),
                      request, &lists)
                  .ok());
  ASSERT_EQ(lists.black_size(), 1) << lists.DebugString();
  EXPECT_THAT(lists.black(0).reasons(), ::testing::ElementsAre("garbage_sorting"));
  EXPECT_THAT(lists.black(0).reason_labels(), ::testing::ElementsAre("垃圾分类扣分"));
}

// A self-declaration of the quarter awaiting review holds its settlement (it could never be scored
// after): the closed window stays settling and says why, and settles by itself once the admin has
// reviewed it.
TEST_F(PublicityProcessTest, M_APendingDeclarationHoldsTheWindowWhichSaysSo) {
  const SeededVillage own = harness_->SeedVillage(1);
  harness_->PublishRulebook(own.village_id, 2025, "2025-01-01");
  const std::vector<sv1::LedgerEntry> scored = Inspect(own.household_ids[0], "HJ-01", &own);
  ASSERT_FALSE(scored.empty());
  const std::string admin = harness_->VillageAdminToken(own.village_id);
  sv1::SubmitDeclarationRequest declare;
  declare.set_declaration_id(absl::StrCat("pub-decl-", getpid()));
  declare.set_household_id(own.household_ids[0]);
  declare.set_item_code("ZY-01");
  declare.set_occurred_at_ms(kDeedMs);
  declare.set_note("参加村里的志愿服务");
  sv1::Declaration declaration;
  ASSERT_TRUE(assessment_
                  ->SubmitDeclaration(
                      Context(harness_->ResidentToken(own.village_id, own.household_ids[0])).get(),
                      declare, &declaration)
                  .ok());

  v1::PublicityWindow window;
  ASSERT_TRUE(OpenWindowEndingIn(own.village_id, absl::Seconds(4), &window).ok());
  v1::GetWindowRequest get;
  get.set_village_id(own.village_id);
  get.set_period("2025Q3");
  ASSERT_TRUE(Eventually([&] {
    return windows_->GetWindow(Context(admin).get(), get, &window).ok() &&
           !window.settlement_waiting_for().empty();
  })) << window.DebugString();
  EXPECT_EQ(window.settlement_waiting_for().rfind("WORK_PENDING", 0), 0u)
      << window.settlement_waiting_for();
  EXPECT_NE(window.state(), v1::WINDOW_STATE_SETTLED);

  sv1::ReviewDeclarationRequest review;
  review.set_declaration_id(declare.declaration_id());
  review.set_approve(true);
  ASSERT_TRUE(assessment_->ReviewDeclaration(Context(admin).get(), review, &declaration).ok());
  ASSERT_TRUE(Eventually([&] {
    return windows_->GetWindow(Context(admin).get(), get, &window).ok() &&
           window.state() == v1::WINDOW_STATE_SETTLED;
  })) << window.DebugString();
  EXPECT_TRUE(window.settlement_waiting_for().empty());
  EXPECT_EQ(harness_->WalletBalance(own.household_ids[0]), scored[0].points() + 2);  // ZY-01: +2
}

}  // namespace
}  // namespace jifen::publicity
