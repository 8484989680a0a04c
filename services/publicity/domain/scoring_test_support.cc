#include "services/publicity/domain/scoring_test_support.h"

#include <cppconn/connection.h>
#include <cppconn/resultset.h>
#include <unistd.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/grpc/client.h"
#include "common/mysql/statement.h"
#include "common/mysql/transaction.h"
#include "jifen/scoring/v1/assessment.grpc.pb.h"
#include "jifen/scoring/v1/ledger.grpc.pb.h"

namespace jifen::publicity {
namespace {

namespace sv1 = ::jifen::scoring::v1;
using jifen::testing::ScoringHarness;
using jifen::testing::SeededVillage;
using mysql::Statement;

struct Shared {
  ScoringHarness* harness = nullptr;
  std::shared_ptr<grpc::Channel> channel;  // publicity's, apart from the harness's own
  std::string token_file;
  bool start_failed = false;
};

Shared& shared() {
  static Shared* shared = new Shared;
  return *shared;
}

// Stops the binary's scoring after the last test (a child process must not outlive the binary).
class ScoringEnvironment final : public ::testing::Environment {
 public:
  void TearDown() override {
    shared().channel.reset();
    delete shared().harness;
    shared().harness = nullptr;
  }
};

[[maybe_unused]] ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new ScoringEnvironment);

bool WaitForConnected(const std::shared_ptr<grpc::Channel>& channel) {
  return channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(30));
}

}  // namespace

int64_t SettleableDeedMs() { return ScoringHarness::SettleableDeedMs(); }

void ScoringTest::Start() {
  shared().harness = new ScoringHarness("publicity_domain");
  if (!shared().harness->Start()) {
    shared().start_failed = true;
    return;
  }
  shared().channel = grpc_util::NewChannel(shared().harness->address(), 16 << 20);
  shared().token_file = shared().harness->WriteServiceTokenFile("publicity");
}

void ScoringTest::SetUpTestSuite() {
  if (shared().harness == nullptr || (!shared().start_failed && !shared().channel)) Start();
  ASSERT_FALSE(shared().start_failed) << "jifen-scoring did not start";
}

void ScoringTest::SetUp() {
  ASSERT_TRUE(shared().harness != nullptr && !shared().start_failed)
      << "jifen-scoring did not start";
}

void ScoringTest::TearDown() {
  if (shared().start_failed || shared().harness == nullptr) return;
  if (!scoring().process().running()) RestartScoring();
  scoring().ExpectLedgerInvariants();
}

ScoringHarness& ScoringTest::scoring() { return *shared().harness; }

ScoringClientOptions ScoringTest::ClientOptions() {
  ScoringClientOptions options;
  options.channel = shared().channel;
  options.service_token_file = shared().token_file;
  return options;
}

SeededVillage ScoringTest::NewVillage(int households) {
  SeededVillage village = scoring().SeedVillage(households, 1);
  scoring().PublishRulebook(village.village_id, 2025, "2025-01-01");
  return village;
}

sv1::LedgerEntry ScoringTest::Inspect(const SeededVillage& village, int64_t household,
                                      const std::string& item) {
  static int counter = 0;
  ++counter;
  sv1::SubmitInspectionRequest request;
  request.set_inspection_id(absl::StrCat("publicity-domain-", getpid(), "-", counter));
  request.set_household_id(household);
  request.set_occurred_at_ms(SettleableDeedMs() + counter);
  sv1::InspectionOutcome* outcome = request.add_outcomes();
  outcome->set_item_code(item);
  outcome->add_photo_refs(std::string(64, 'f'));
  sv1::SubmitInspectionResponse response;
  auto assessment = sv1::AssessmentService::NewStub(scoring().channel());
  const grpc::Status status = assessment->SubmitInspection(
      ScoringHarness::Context(scoring().GridWorkerToken(village)).get(), request, &response);
  EXPECT_TRUE(status.ok()) << item << ": " << status.error_message();
  EXPECT_EQ(response.entries_size(), 1) << item;
  return response.entries_size() > 0 ? response.entries(0) : sv1::LedgerEntry();
}

sv1::LedgerEntry ScoringTest::Reverse(const SeededVillage& village, int64_t sequence,
                                      const std::string& correction_id) {
  sv1::ReverseEntryRequest request;
  request.set_sequence(sequence);
  request.set_correction_id(correction_id);
  request.set_reason("村管理员更正: 录入错误");
  sv1::ReverseEntryResponse response;
  auto ledger = sv1::LedgerService::NewStub(scoring().channel());
  const grpc::Status status = ledger->ReverseEntry(
      ScoringHarness::Context(scoring().VillageAdminToken(village.village_id)).get(), request,
      &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.entry();
}

std::optional<StoredReversal> ScoringTest::ReversalOf(int64_t sequence) {
  std::optional<StoredReversal> found;
  EXPECT_TRUE(mysql::RunWithConnection(scoring().admin_pool(), [&](sql::Connection& c) {
                auto rows = Statement(c,
                                      "SELECT sequence, source_id, reason FROM ledger_entries "
                                      "WHERE reverses_sequence = ? ORDER BY sequence")
                                .Bind(sequence)
                                .Query();
                if (rows->next()) {
                  found = StoredReversal{rows->getInt64("sequence"), rows->getString("source_id"),
                                         rows->getString("reason")};
                }
                return absl::OkStatus();
              }).ok());
  return found;
}

int64_t ScoringTest::ReversalsOf(int64_t sequence) {
  int64_t count = -1;
  EXPECT_TRUE(mysql::RunWithConnection(scoring().admin_pool(), [&](sql::Connection& c) {
                auto rows =
                    Statement(c, "SELECT COUNT(*) FROM ledger_entries WHERE reverses_sequence = ?")
                        .Bind(sequence)
                        .Query();
                rows->next();
                count = rows->getInt64(1);
                return absl::OkStatus();
              }).ok());
  return count;
}

bool ScoringTest::Settled(int64_t village_id) {
  sv1::GetVillageTotalsRequest request;
  request.set_village_id(village_id);
  request.set_period("2025Q3");
  sv1::VillageTotals totals;
  auto ledger = sv1::LedgerService::NewStub(scoring().channel());
  const grpc::Status status = ledger->GetVillageTotals(
      ScoringHarness::Context(scoring().DistrictToken()).get(), request, &totals);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return totals.final();
}

std::vector<int64_t> ScoringTest::LedgerSequences() {
  std::vector<int64_t> sequences;
  EXPECT_TRUE(mysql::RunWithConnection(scoring().admin_pool(), [&](sql::Connection& c) {
                auto rows =
                    Statement(c, "SELECT sequence FROM ledger_entries ORDER BY sequence").Query();
                while (rows->next()) sequences.push_back(rows->getInt64(1));
                return absl::OkStatus();
              }).ok());
  return sequences;
}

void ScoringTest::StopScoring() { scoring().process().Kill(); }

void ScoringTest::RestartScoring() {
  ASSERT_TRUE(scoring().process().Restart());
  ASSERT_TRUE(WaitForConnected(shared().channel)) << "publicity's channel did not reconnect";
  ASSERT_TRUE(WaitForConnected(scoring().channel())) << "the harness's channel did not reconnect";
}

}  // namespace jifen::publicity
