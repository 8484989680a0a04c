// Self-declarations and group mutual evaluation through the real jifen-scoring process.
#include <cppconn/connection.h>
#include <cppconn/resultset.h>

#include <algorithm>
#include <limits>
#include <map>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/mysql/statement.h"
#include "common/mysql/transaction.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jifen/audit/v1/audit.pb.h"
#include "jifen/scoring/v1/assessment.grpc.pb.h"
#include "jifen/scoring/v1/ledger.grpc.pb.h"
#include "jifen/scoring/v1/registry.grpc.pb.h"
#include "services/scoring/domain/period.h"
#include "tests/support/scoring_harness.h"
#include "tests/support/shared_scoring_test.h"

namespace jifen::scoring {
namespace {

using ::testing::IsSupersetOf;
using testing::ScoringHarness;
using testing::SeededVillage;
using testing::SharedScoringTest;

const int64_t kDeedMs = ScoringHarness::SettleableDeedMs();

class AssessmentTest : public SharedScoringTest<AssessmentTest> {
 public:
  static constexpr char kSuite[] = "assessment";

 protected:
  void SetUp() override {
    ASSERT_NE(harness_, nullptr);
    assessment_ = v1::AssessmentService::NewStub(harness_->channel());
    ledger_ = v1::LedgerService::NewStub(harness_->channel());
  }

  // A village with the template rulebook in force for 2025.
  SeededVillage Village(int households, int groups) {
    SeededVillage village = harness_->SeedVillage(households, groups);
    harness_->PublishRulebook(village.village_id, 2025, "2025-01-01");
    return village;
  }

  std::string Resident(const SeededVillage& village, int index) {
    return harness_->ResidentToken(village.village_id, village.household_ids[index]);
  }
  std::string Admin(const SeededVillage& village) {
    return harness_->VillageAdminToken(village.village_id);
  }

  static v1::SubmitDeclarationRequest Declaration(const std::string& id, int64_t household_id,
                                                  const std::string& item_code = "ZY-01",
                                                  int64_t occurred_at_ms = kDeedMs) {
    v1::SubmitDeclarationRequest request;
    request.set_declaration_id(id);
    request.set_household_id(household_id);
    request.set_item_code(item_code);
    request.set_occurred_at_ms(occurred_at_ms);
    request.add_photo_refs(std::string(64, 'e'));
    request.set_note("参加河道清洁志愿服务 2 小时");
    return request;
  }

  grpc::Status Declare(const std::string& token, const v1::SubmitDeclarationRequest& request,
                       v1::Declaration* response) {
    return assessment_->SubmitDeclaration(ScoringHarness::Context(token).get(), request, response);
  }

  grpc::Status Review(const std::string& token, const std::string& id, bool approve,
                      const std::string& reason, v1::Declaration* response) {
    v1::ReviewDeclarationRequest request;
    request.set_declaration_id(id);
    request.set_approve(approve);
    request.set_reason(reason);
    return assessment_->ReviewDeclaration(ScoringHarness::Context(token).get(), request, response);
  }

  grpc::Status List(const std::string& token, int64_t village_id, int64_t household_id,
                    v1::ListDeclarationsResponse* response) {
    v1::ListDeclarationsRequest request;
    request.set_village_id(village_id);
    request.set_household_id(household_id);
    return assessment_->ListDeclarations(ScoringHarness::Context(token).get(), request, response);
  }

  int64_t CountRows(const std::string& sql_text) {
    int64_t count = -1;
    EXPECT_TRUE(mysql::RunWithConnection(harness_->admin_pool(), [&](sql::Connection& c) {
                  auto rows = mysql::Statement(c, sql_text.c_str()).Query();
                  if (rows->next()) count = rows->getInt64(1);
                  return absl::OkStatus();
                }).ok());
    return count;
  }

  // household id -> points of the score entries written for a source id.
  std::map<int64_t, int64_t> EntriesBySource(int source, const std::string& source_id) {
    std::map<int64_t, int64_t> entries;
    EXPECT_TRUE(mysql::RunWithConnection(harness_->admin_pool(), [&](sql::Connection& c) {
                  auto rows = mysql::Statement(c,
                                               "SELECT household_id, points FROM ledger_entries "
                                               "WHERE source = ? AND source_id = ? AND account = 1")
                                  .Bind(source)
                                  .Bind(source_id)
                                  .Query();
                  while (rows->next()) {
                    EXPECT_EQ(entries.count(rows->getInt64(1)), 0u) << "household credited twice";
                    entries[rows->getInt64(1)] += rows->getInt64(2);
                  }
                  return absl::OkStatus();
                }).ok());
    return entries;
  }

  // The actions of the village's audit records in the outbox, oldest first.
  std::vector<std::string> AuditActions(int64_t village_id) {
    std::vector<std::string> actions;
    EXPECT_TRUE(mysql::RunWithConnection(harness_->admin_pool(), [&](sql::Connection& c) {
                  auto rows =
                      mysql::Statement(c,
                                       "SELECT payload FROM outbox WHERE village_id = ? AND "
                                       "topic = 'audit' ORDER BY id")
                          .Bind(village_id)
                          .Query();
                  while (rows->next()) {
                    audit::v1::AuditRecord record;
                    EXPECT_TRUE(record.ParseFromString(mysql::GetString(*rows, "payload")));
                    actions.push_back(record.action());
                  }
                  return absl::OkStatus();
                }).ok());
    return actions;
  }

  int64_t PeriodScore(const SeededVillage& village, int index, const std::string& period) {
    v1::ListPeriodScoresRequest request;
    request.set_household_id(village.household_ids[index]);
    v1::ListPeriodScoresResponse response;
    const grpc::Status status = ledger_->ListPeriodScores(
        ScoringHarness::Context(Resident(village, index)).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    for (const v1::PeriodScore& score : response.scores()) {
      if (score.period() == period) return score.score();
    }
    return 0;
  }

  int64_t Wallet(int64_t household_id) {
    v1::GetWalletRequest request;
    request.set_household_id(household_id);
    v1::Wallet wallet;
    EXPECT_TRUE(
        ledger_
            ->GetWallet(ScoringHarness::Context(harness_->DistrictToken()).get(), request, &wallet)
            .ok());
    return wallet.balance_points();
  }

  // SettlePeriod as publicity asks it when the quarter's window has closed.
  grpc::Status SettleAsPublicity(const SeededVillage& village, const std::string& period) {
    v1::SettlePeriodRequest settle;
    settle.set_village_id(village.village_id);
    settle.set_period(period);
    v1::SettlePeriodResponse settled;
    return ledger_->SettlePeriod(
        ScoringHarness::Context(harness_->ServiceToken("publicity")).get(), settle, &settled);
  }

  // ---- Evaluation helpers ----

  // A member of the village's household `index` as a resident signs in through the gateway
  // (account id "member-<id>"): the user id to name as a group's representative, and a token.
  struct Member {
    std::string user_id;
    std::string token;
  };
  Member MemberOf(const SeededVillage& village, int index) {
    v1::GetHouseholdRequest request;
    request.set_household_id(village.household_ids[index]);
    v1::HouseholdDetail detail;
    const grpc::Status status =
        v1::RegistryService::NewStub(harness_->channel())
            ->GetHousehold(ScoringHarness::Context(harness_->DistrictToken()).get(), request,
                           &detail);
    EXPECT_TRUE(status.ok() && detail.members_size() > 0) << status.error_message();
    auth::Caller caller;
    caller.user_id = absl::StrCat("member-", detail.members_size() > 0
                                                 ? detail.members(0).member_id()
                                                 : int64_t{0});
    caller.role = auth::Role::kResident;
    caller.village_id = village.village_id;
    caller.household_id = village.household_ids[index];
    return {caller.user_id, harness_->Token(caller)};
  }
  // The ids of the village's open rounds, as `token`'s holder lists them.
  std::vector<std::string> OpenRoundIds(const std::string& token, int64_t village_id) {
    v1::ListRoundsRequest request;
    request.set_village_id(village_id);
    request.set_open_only(true);
    v1::ListRoundsResponse response;
    const grpc::Status status =
        assessment_->ListRounds(ScoringHarness::Context(token).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<std::string> ids;
    for (const v1::EvaluationRound& round : response.rounds()) ids.push_back(round.round_id());
    return ids;
  }
  static void AddRepresentative(v1::EvaluationRound& round, int64_t group_id,
                                const std::string& user_id) {
    v1::GroupRepresentative* representative = round.add_representatives();
    representative->set_group_id(group_id);
    representative->set_user_id(user_id);
  }

  grpc::Status Open(const std::string& token, const v1::EvaluationRound& round,
                    v1::EvaluationRound* response) {
    v1::OpenRoundRequest request;
    *request.mutable_round() = round;
    return assessment_->OpenRound(ScoringHarness::Context(token).get(), request, response);
  }

  static v1::EvaluationRound RoundDefinition(const std::string& id, const SeededVillage& village,
                                             std::vector<std::string> criteria,
                                             int awarded_groups) {
    v1::EvaluationRound round;
    round.set_round_id(id);
    round.set_village_id(village.village_id);
    round.set_period("2025Q3");
    round.set_item_code("HJ-05");  // +10, cap 30 per quarter
    for (std::string& criterion : criteria) round.add_criteria(std::move(criterion));
    round.set_awarded_groups(awarded_groups);
    return round;
  }

  // scores: rated group id -> one score per criterion, in the round's order.
  static v1::SubmitRatingsRequest Ratings(const std::string& round_id, int64_t rater,
                                          const std::vector<std::string>& criteria,
                                          const std::map<int64_t, std::vector<int>>& scores) {
    v1::SubmitRatingsRequest request;
    request.set_round_id(round_id);
    request.set_rater_group_id(rater);
    for (const auto& [rated, per_criterion] : scores) {
      for (size_t c = 0; c < criteria.size() && c < per_criterion.size(); ++c) {
        v1::Rating* rating = request.add_ratings();
        rating->set_rated_group_id(rated);
        rating->set_criterion(criteria[c]);
        rating->set_score(per_criterion[c]);
      }
    }
    return request;
  }

  grpc::Status Rate(const std::string& token, const v1::SubmitRatingsRequest& request) {
    v1::SubmitRatingsResponse response;
    return assessment_->SubmitRatings(ScoringHarness::Context(token).get(), request, &response);
  }

  grpc::Status Close(const std::string& token, const std::string& round_id,
                     v1::EvaluationRound* response) {
    v1::CloseRoundRequest request;
    request.set_round_id(round_id);
    return assessment_->CloseRound(ScoringHarness::Context(token).get(), request, response);
  }

  static const v1::GroupResult* ResultOf(const v1::EvaluationRound& round, int64_t group_id) {
    for (const v1::GroupResult& result : round.results()) {
      if (result.group_id() == group_id) return &result;
    }
    return nullptr;
  }

  std::unique_ptr<v1::AssessmentService::Stub> assessment_;
  std::unique_ptr<v1::LedgerService::Stub> ledger_;
};


constexpr int kDeclarationSource = 2;  // ENTRY_SOURCE_DECLARATION
constexpr int kEvaluationSource = 3;   // ENTRY_SOURCE_EVALUATION

TEST_F(AssessmentTest, ApprovedDeclarationScoresOnceAndReachesTheWalletAtSettlement) {
  const SeededVillage village = Village(3, 2);
  const int64_t household = village.household_ids[0];
  const v1::SubmitDeclarationRequest request = Declaration("decl-approve-0001", household);

  v1::Declaration submitted;
  grpc::Status status = Declare(Resident(village, 0), request, &submitted);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(submitted.state(), v1::DECLARATION_STATE_PENDING);
  EXPECT_EQ(submitted.village_id(), village.village_id);
  EXPECT_FALSE(submitted.has_entry());

  // A retry returns the same declaration and writes nothing; another payload is refused.
  v1::Declaration retried;
  ASSERT_TRUE(Declare(Resident(village, 0), request, &retried).ok());
  EXPECT_EQ(retried.SerializeAsString(), submitted.SerializeAsString());
  v1::SubmitDeclarationRequest changed = request;
  changed.set_note("另一件事");
  EXPECT_EQ(Declare(Resident(village, 0), changed, &retried).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM declarations"), 1);
  EXPECT_TRUE(EntriesBySource(kDeclarationSource, "decl-approve-0001").empty());

  // The admin sees it pending.
  v1::ListDeclarationsResponse listed;
  ASSERT_TRUE(List(Admin(village), village.village_id, 0, &listed).ok());
  ASSERT_EQ(listed.declarations_size(), 1);
  EXPECT_EQ(listed.declarations(0).declaration_id(), "decl-approve-0001");
  EXPECT_EQ(listed.declarations(0).state(), v1::DECLARATION_STATE_PENDING);

  v1::Declaration approved;
  status = Review(Admin(village), "decl-approve-0001", true, "", &approved);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(approved.state(), v1::DECLARATION_STATE_APPROVED);
  ASSERT_TRUE(approved.has_entry());
  EXPECT_EQ(approved.entry().points(), 2);  // ZY-01
  EXPECT_EQ(approved.entry().source(), v1::ENTRY_SOURCE_DECLARATION);
  EXPECT_EQ(approved.entry().source_id(), "decl-approve-0001");
  EXPECT_EQ(approved.entry().period(), "2025Q3");
  EXPECT_EQ(approved.entry().actor_role(), "village_admin");

  // Approving twice is a no-op returning the same declaration.
  v1::Declaration again;
  ASSERT_TRUE(Review(Admin(village), "decl-approve-0001", true, "", &again).ok());
  EXPECT_EQ(again.entry().sequence(), approved.entry().sequence());
  EXPECT_EQ(again.state(), v1::DECLARATION_STATE_APPROVED);
  // An approved declaration cannot be rejected any more.
  EXPECT_EQ(Review(Admin(village), "decl-approve-0001", false, "改判", &again).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(EntriesBySource(kDeclarationSource, "decl-approve-0001"),
            (std::map<int64_t, int64_t>{{household, 2}}));

  // The household sees the score, and its own declaration with the entry.
  EXPECT_EQ(PeriodScore(village, 0, "2025Q3"), 2);
  ASSERT_TRUE(List(Resident(village, 0), village.village_id, 0, &listed).ok());
  ASSERT_EQ(listed.declarations_size(), 1);
  EXPECT_EQ(listed.declarations(0).entry().sequence(), approved.entry().sequence());

  // A second declaration awaiting review holds the quarter's settlement (it could never be
  // scored after it): settling is refused until the admin has reviewed it.
  ASSERT_TRUE(
      Declare(Resident(village, 0), Declaration("decl-approve-0002", household), &again).ok());
  const auto settle_now = [&] { return SettleAsPublicity(village, "2025Q3"); };
  status = settle_now();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find("WORK_PENDING"), std::string::npos)
      << status.error_message();
  EXPECT_EQ(Wallet(household), 0);
  ASSERT_TRUE(Review(Admin(village), "decl-approve-0002", false, "照片看不清", &again).ok());
  status = settle_now();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Wallet(household), 2);
  // Settled: new declarations for that quarter are refused.
  status = Declare(Resident(village, 0), Declaration("decl-approve-0003", household), &again);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(EntriesBySource(kDeclarationSource, "decl-approve-0002").empty());
  EXPECT_EQ(Wallet(household), 2);
  EXPECT_THAT(AuditActions(village.village_id),
              IsSupersetOf({"submit_declaration", "approve_declaration"}));
}

TEST_F(AssessmentTest, ConcurrentRetriesAndApprovalsWriteOnce) {
  const SeededVillage village = Village(1, 2);
  const int64_t household = village.household_ids[0];
  const v1::SubmitDeclarationRequest request = Declaration("decl-concurrent-01", household);
  const std::string resident = Resident(village, 0);
  const std::string admin = Admin(village);
  constexpr int kClients = 20;

  std::vector<std::string> answers(kClients);
  std::vector<grpc::Status> statuses(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      v1::Declaration response;
      statuses[i] = Declare(resident, request, &response);
      answers[i] = response.SerializeAsString();
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int i = 0; i < kClients; ++i) {
    ASSERT_TRUE(statuses[i].ok()) << statuses[i].error_message();
    EXPECT_EQ(answers[i], answers[0]) << "answer " << i << " differs";
  }
  EXPECT_EQ(
      CountRows(absl::StrCat("SELECT COUNT(*) FROM declarations WHERE household_id = ", household)),
      1);

  threads.clear();
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      v1::Declaration response;
      statuses[i] = Review(admin, "decl-concurrent-01", true, "", &response);
      answers[i] = response.SerializeAsString();
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int i = 0; i < kClients; ++i) {
    ASSERT_TRUE(statuses[i].ok()) << statuses[i].error_message();
    EXPECT_EQ(answers[i], answers[0]) << "answer " << i << " differs";
  }
  EXPECT_EQ(EntriesBySource(kDeclarationSource, "decl-concurrent-01"),
            (std::map<int64_t, int64_t>{{household, 2}}));
}

TEST_F(AssessmentTest, RejectionNeedsAReasonThatTheHouseholdSees) {
  const SeededVillage village = Village(2, 2);
  const int64_t household = village.household_ids[1];
  v1::Declaration declaration;
  ASSERT_TRUE(
      Declare(Resident(village, 1), Declaration("decl-reject-0001", household), &declaration).ok());

  EXPECT_EQ(Review(Admin(village), "decl-reject-0001", false, "", &declaration).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::Declaration rejected;
  const grpc::Status status =
      Review(Admin(village), "decl-reject-0001", false, "未提供志愿服务签到记录", &rejected);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(rejected.state(), v1::DECLARATION_STATE_REJECTED);
  EXPECT_EQ(rejected.review_reason(), "未提供志愿服务签到记录");
  EXPECT_GT(rejected.reviewed_at_ms(), 0);

  // Rejecting again changes nothing; approving a rejected declaration is refused.
  v1::Declaration again;
  ASSERT_TRUE(Review(Admin(village), "decl-reject-0001", false, "再次驳回", &again).ok());
  EXPECT_EQ(again.review_reason(), "未提供志愿服务签到记录");
  EXPECT_EQ(Review(Admin(village), "decl-reject-0001", true, "", &again).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  v1::ListDeclarationsResponse mine;
  ASSERT_TRUE(List(Resident(village, 1), village.village_id, 0, &mine).ok());
  ASSERT_EQ(mine.declarations_size(), 1);
  EXPECT_EQ(mine.declarations(0).state(), v1::DECLARATION_STATE_REJECTED);
  EXPECT_EQ(mine.declarations(0).review_reason(), "未提供志愿服务签到记录");
  EXPECT_FALSE(mine.declarations(0).has_entry());
  EXPECT_TRUE(EntriesBySource(kDeclarationSource, "decl-reject-0001").empty());

  // The other household of the village does not see it.
  ASSERT_TRUE(List(Resident(village, 0), village.village_id, 0, &mine).ok());
  EXPECT_EQ(mine.declarations_size(), 0);
}

TEST_F(AssessmentTest, OnlyTheHouseholdDeclaresAndOnlyItsVillageAdminReviews) {
  const SeededVillage village = Village(2, 2);
  const SeededVillage other = Village(1, 2);
  const int64_t before = CountRows("SELECT COUNT(*) FROM declarations");
  v1::Declaration declaration;
  // A resident for another household of the village, or of another village.
  EXPECT_EQ(Declare(Resident(village, 0),
                    Declaration("decl-foreign-0001", village.household_ids[1]), &declaration)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Declare(Resident(village, 0), Declaration("decl-foreign-0002", other.household_ids[0]),
                    &declaration)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Staff do not declare for households.
  EXPECT_EQ(Declare(Admin(village), Declaration("decl-foreign-0003", village.household_ids[0]),
                    &declaration)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // An item only inspections score: the request names the wrong item (no resident may declare
  // it), not a refusal of this resident.
  EXPECT_EQ(
      Declare(Resident(village, 0),
              Declaration("decl-foreign-0004", village.household_ids[0], "HJ-01"), &declaration)
          .error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
  // Unknown item; a deed before any rulebook.
  EXPECT_EQ(
      Declare(Resident(village, 0),
              Declaration("decl-foreign-0005", village.household_ids[0], "XX-99"), &declaration)
          .error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Declare(Resident(village, 0),
                    Declaration("decl-foreign-0006", village.household_ids[0], "ZY-01",
                                kDeedMs - 400LL * 24 * 3600 * 1000),
                    &declaration)
                .error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM declarations"), before);

  // Residents list only their own household.
  v1::ListDeclarationsResponse listed;
  EXPECT_EQ(List(Resident(village, 0), village.village_id, village.household_ids[1], &listed)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(List(Admin(other), village.village_id, 0, &listed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // A household filter of another village is refused, not answered with an empty list.
  const grpc::Status foreign = List(Admin(village), village.village_id, other.household_ids[0],
                                    &listed);
  EXPECT_EQ(foreign.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(foreign.error_message(),
              ::testing::HasSubstr("HOUSEHOLD_NOT_IN_VILLAGE: household_id:"));
  EXPECT_EQ(List(Admin(village), village.village_id, 987654321, &listed).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(List(Admin(village), village.village_id, village.household_ids[1], &listed).ok());

  // Another village's admin cannot review; a resident cannot review their own.
  ASSERT_TRUE(Declare(Resident(village, 0),
                      Declaration("decl-review-0001", village.household_ids[0]), &declaration)
                  .ok());
  EXPECT_EQ(Review(Admin(other), "decl-review-0001", true, "", &declaration).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Review(Resident(village, 0), "decl-review-0001", true, "", &declaration).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(EntriesBySource(kDeclarationSource, "decl-review-0001").empty());
}

// What a resident can get wrong on a declaration or a group rating is refused with its own code
// (each with a Chinese message in the gateway's errors.cc) naming the field, not as a bare
// INVALID_ARGUMENT that the gateway can only call "请求内容有误".
TEST_F(AssessmentTest, AResidentsCorrectableMistakesHaveTheirOwnCodesAndFields) {
  const SeededVillage village = Village(2, 2);
  const int64_t household = village.household_ids[0];
  const int64_t before = CountRows("SELECT COUNT(*) FROM declarations");
  v1::Declaration declaration;
  const auto refused = [&](const v1::SubmitDeclarationRequest& request) {
    const grpc::Status status = Declare(Resident(village, 0), request, &declaration);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    return status.error_message();
  };
  EXPECT_THAT(refused(Declaration("decl-mistake-0001", household, "HJ-01")),
              ::testing::StartsWith("ITEM_NOT_DECLARABLE: item_code: "));
  const int64_t tomorrow_ms = absl::ToUnixMillis(absl::Now() + absl::Hours(24));
  EXPECT_THAT(refused(Declaration("decl-mistake-0002", household, "ZY-01", tomorrow_ms)),
              ::testing::StartsWith("OCCURRED_IN_FUTURE: occurred_at_ms: "));
  v1::SubmitDeclarationRequest long_note = Declaration("decl-mistake-0003", household);
  std::string note;
  for (int i = 0; i < 501; ++i) note += "字";
  long_note.set_note(note);
  EXPECT_THAT(refused(long_note), ::testing::StartsWith("NOTE_TOO_LONG: note: at most 500"));
  // What fits the entry's reason after "自主申报: 参加志愿服务(每次): " (18 of its 500) is fine.
  long_note.set_note(note.substr(3 * 19));
  long_note.set_declaration_id("decl-mistake-0004");
  EXPECT_TRUE(Declare(Resident(village, 0), long_note, &declaration).ok());
  v1::SubmitDeclarationRequest photos = Declaration("decl-mistake-0005", household);
  for (int i = 0; i < 9; ++i) photos.add_photo_refs(std::string(64, 'a' + i));  // 10 in all
  EXPECT_THAT(refused(photos), ::testing::StartsWith("TOO_MANY_PHOTOS: photo_refs: at most 9"));
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM declarations"), before + 1);

  // A review reason over 500 characters is REASON_TOO_LONG, as an objection's is.
  const grpc::Status long_reason =
      Review(Admin(village), "decl-mistake-0004", false, note, &declaration);
  EXPECT_EQ(long_reason.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(long_reason.error_message(), ::testing::StartsWith("REASON_TOO_LONG: reason: "));

  const std::vector<std::string> criteria = {"环境整洁"};
  const std::string round_id = "round-2025Q3-mistakes";
  const int64_t own_group = village.group_ids[0];
  const int64_t other_group = village.group_ids[1];
  const Member representative = MemberOf(village, 0);
  v1::EvaluationRound definition = RoundDefinition(round_id, village, criteria, 1);
  AddRepresentative(definition, own_group, representative.user_id);
  v1::EvaluationRound opened;
  const grpc::Status open = Open(Admin(village), definition, &opened);
  ASSERT_TRUE(open.ok()) << open.error_message();
  const grpc::Status rating = Rate(representative.token,
                                   Ratings(round_id, own_group, criteria, {{other_group, {101}}}));
  EXPECT_EQ(rating.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(rating.error_message(), ::testing::StartsWith("RATING_OUT_OF_RANGE: ratings[0].score: 101"));
}

// A note of up to 500 characters was accepted, then cut to 300 bytes (about 100 characters) in the
// approved entry's reason without a word. Now a note is accepted only as long as the reason can
// hold it after the item's name, and then reaches the household's ledger whole.
TEST_F(AssessmentTest, AnApprovedDeclarationsNoteReachesItsEntryWhole) {
  const SeededVillage village = Village(1, 2);
  const int64_t household = village.household_ids[0];
  std::string note;
  for (int i = 0; i < 483; ++i) note += "扫";
  v1::SubmitDeclarationRequest request = Declaration("decl-whole-note-1", household);
  request.set_note(note);
  v1::Declaration declaration;
  const grpc::Status too_long = Declare(Resident(village, 0), request, &declaration);
  EXPECT_EQ(too_long.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(too_long.error_message(),
              ::testing::StartsWith("NOTE_TOO_LONG: note: at most 482 characters for item ZY-01"));

  note = note.substr(3);  // 482 characters: "自主申报: 参加志愿服务(每次): " takes the other 18
  request.set_note(note);
  request.set_declaration_id("decl-whole-note-2");
  const grpc::Status submitted = Declare(Resident(village, 0), request, &declaration);
  ASSERT_TRUE(submitted.ok()) << submitted.error_message();
  const grpc::Status approved = Review(Admin(village), "decl-whole-note-2", true, "", &declaration);
  ASSERT_TRUE(approved.ok()) << approved.error_message();
  EXPECT_EQ(declaration.entry().reason(), "自主申报: 参加志愿服务(每次): " + note);
  EXPECT_EQ(declaration.note(), note);
}

// A deed time in microseconds or INT64_MAX was refused as NO_RULEBOOK on a date in the year
// 58882; it is OCCURRED_IN_FUTURE, refused before anything is read.
TEST_F(AssessmentTest, ADeclarationsAbsurdDeedTimeIsRefusedAsSuch) {
  const SeededVillage village = Village(1, 2);
  const int64_t before = CountRows("SELECT COUNT(*) FROM declarations");
  int n = 0;
  for (const int64_t future_ms : {int64_t{1795999852945000}, std::numeric_limits<int64_t>::max()}) {
    v1::Declaration declaration;
    const grpc::Status refused = Declare(Resident(village, 0),
                                         Declaration(absl::StrCat("decl-absurd-time-", ++n),
                                                     village.household_ids[0], "ZY-01", future_ms),
                                         &declaration);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << future_ms;
    EXPECT_THAT(refused.error_message(),
                ::testing::StartsWith("OCCURRED_IN_FUTURE: occurred_at_ms: "));
  }
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM declarations"), before);
}

// Approving a rejected declaration was DECLARATION_REVIEWED, whose message says it was scored;
// nothing was. Each conflict has its own code.
TEST_F(AssessmentTest, AReviewConflictSaysWhichWayTheDeclarationWent) {
  const SeededVillage village = Village(2, 2);
  v1::Declaration declaration;
  ASSERT_TRUE(Declare(Resident(village, 0),
                      Declaration("decl-conflict-01", village.household_ids[0]), &declaration)
                  .ok());
  ASSERT_TRUE(Declare(Resident(village, 1),
                      Declaration("decl-conflict-02", village.household_ids[1]), &declaration)
                  .ok());
  ASSERT_TRUE(Review(Admin(village), "decl-conflict-01", false, "照片看不清", &declaration).ok());
  ASSERT_TRUE(Review(Admin(village), "decl-conflict-02", true, "", &declaration).ok());
  const grpc::Status approve_rejected =
      Review(Admin(village), "decl-conflict-01", true, "", &declaration);
  EXPECT_EQ(approve_rejected.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(approve_rejected.error_message(), ::testing::StartsWith("DECLARATION_REJECTED: "));
  EXPECT_TRUE(EntriesBySource(kDeclarationSource, "decl-conflict-01").empty());
  const grpc::Status reject_approved =
      Review(Admin(village), "decl-conflict-02", false, "改为驳回", &declaration);
  EXPECT_EQ(reject_approved.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(reject_approved.error_message(), ::testing::StartsWith("DECLARATION_REVIEWED: "));
}

// OpenRound's period and criteria errors start with the field's name, for the gateway to name it.
TEST_F(AssessmentTest, ARoundsPeriodAndCriteriaErrorsNameTheField) {
  const SeededVillage village = Village(2, 2);
  v1::EvaluationRound opened;
  v1::EvaluationRound bad = RoundDefinition("round-field-0001", village, {"环境整洁"}, 1);
  bad.set_period("2026Q5");
  const grpc::Status period = Open(Admin(village), bad, &opened);
  EXPECT_EQ(period.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(period.error_message(), "period: quarter 5 of \"2026Q5\" is outside 1..4");
  bad = RoundDefinition("round-field-0002", village, {"环境整洁", "环境整洁"}, 1);
  const grpc::Status criteria = Open(Admin(village), bad, &opened);
  EXPECT_EQ(criteria.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(criteria.error_message(), "criteria: \"环境整洁\" appears twice");
}

TEST_F(AssessmentTest, DeclarationCapAppliesAtApproval) {
  const SeededVillage village = Village(1, 2);
  const int64_t household = village.household_ids[0];
  // ZY-01 is +2 with a cap of 20 per quarter: ten approvals pass, the eleventh is refused.
  for (int i = 0; i < 11; ++i) {
    v1::Declaration declaration;
    ASSERT_TRUE(
        Declare(Resident(village, 0),
                Declaration(absl::StrCat("decl-cap-", 1000 + i), household, "ZY-01", kDeedMs + i),
                &declaration)
            .ok());
  }
  for (int i = 0; i < 10; ++i) {
    v1::Declaration declaration;
    const grpc::Status status =
        Review(Admin(village), absl::StrCat("decl-cap-", 1000 + i), true, "", &declaration);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  v1::Declaration declaration;
  const grpc::Status eleventh = Review(Admin(village), "decl-cap-1010", true, "", &declaration);
  EXPECT_EQ(eleventh.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(eleventh.error_message().find("CAP_EXCEEDED"), std::string::npos);
  EXPECT_EQ(PeriodScore(village, 0, "2025Q3"), 20);
}

TEST_F(AssessmentTest, RoundAmongThreeGroupsCreditsTheWinnersHouseholdsOnce) {
  // Households 0..5 in groups g0, g1, g2, g0, g1, g2.
  const SeededVillage village = Village(6, 3);
  const int64_t g0 = village.group_ids[0];
  const int64_t g1 = village.group_ids[1];
  const int64_t g2 = village.group_ids[2];
  const std::vector<std::string> criteria = {"环境整洁", "垃圾分类"};
  const std::string round_id = "round-2025Q3-three";
  // g0 and g1 rate through the representatives the admin names; g2 has none (a paper ballot).
  const Member rep0 = MemberOf(village, 0);
  const Member rep1 = MemberOf(village, 1);
  v1::EvaluationRound definition = RoundDefinition(round_id, village, criteria, 1);
  AddRepresentative(definition, g1, rep1.user_id);
  AddRepresentative(definition, g0, rep0.user_id);
  // Other tests of the suite open rounds of their own villages.
  const int64_t rounds_before = CountRows("SELECT COUNT(*) FROM evaluation_rounds");

  v1::EvaluationRound opened;
  grpc::Status status = Open(Admin(village), definition, &opened);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(opened.closed());
  EXPECT_EQ(opened.group_ids_size(), 3);
  ASSERT_EQ(opened.representatives_size(), 2);  // by group, as named
  EXPECT_EQ(opened.representatives(0).group_id(), std::min(g0, g1));
  // A representative must live in the group they rate for.
  v1::EvaluationRound stranger = RoundDefinition("round-2025Q3-stranger", village, criteria, 1);
  AddRepresentative(stranger, g2, rep0.user_id);
  const grpc::Status not_member = Open(Admin(village), stranger, &opened);
  EXPECT_EQ(not_member.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(not_member.error_message().find("REPRESENTATIVE_NOT_IN_GROUP"), std::string::npos)
      << not_member.error_message();
  ASSERT_TRUE(Open(Admin(village), definition, &opened).ok());
  // Opening again is a no-op; another definition under the id is refused.
  ASSERT_TRUE(Open(Admin(village), definition, &opened).ok());
  // A representative finds the open round of their village.
  EXPECT_THAT(OpenRoundIds(rep0.token, village.village_id), ::testing::ElementsAre(round_id));
  v1::EvaluationRound different = definition;
  different.set_awarded_groups(2);
  EXPECT_EQ(Open(Admin(village), different, &opened).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  // Bad rounds.
  v1::EvaluationRound bad = RoundDefinition("round-2025Q3-bad1", village, {}, 1);
  EXPECT_EQ(Open(Admin(village), bad, &opened).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  bad = RoundDefinition("round-2025Q3-bad2", village, criteria, 1);
  bad.set_item_code("XX-99");
  EXPECT_EQ(Open(Admin(village), bad, &opened).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  bad.set_item_code("HJ-02");  // a deduction
  EXPECT_EQ(Open(Admin(village), bad, &opened).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Open(Resident(village, 0), RoundDefinition("round-2025Q3-bad3", village, criteria, 1),
                 &opened)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM evaluation_rounds"), rounds_before + 1);

  // g0 (household 0's resident): rating itself is refused, so is leaving a pair out, so is
  // rating for another group.
  v1::SubmitRatingsRequest self =
      Ratings(round_id, g0, criteria, {{g0, {100, 100}}, {g1, {90, 90}}, {g2, {70, 80}}});
  status = Rate(rep0.token, self);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("SELF_RATING"), std::string::npos);
  status =
      Rate(rep0.token, Ratings(round_id, g0, criteria, {{g1, {90, 90}}, {g2, {70}}}));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("RATINGS_INCOMPLETE"), std::string::npos);
  EXPECT_EQ(
      Rate(rep0.token, Ratings(round_id, g1, criteria, {{g0, {80, 80}}, {g2, {75, 75}}}))
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  // Another villager of g0 does not cast the group's vote, nor does anyone for g2.
  const grpc::Status not_representative = Rate(
      Resident(village, 3), Ratings(round_id, g0, criteria, {{g1, {10, 10}}, {g2, {10, 10}}}));
  EXPECT_EQ(not_representative.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(not_representative.error_message().find("NOT_GROUP_REPRESENTATIVE"),
            std::string::npos)
      << not_representative.error_message();
  EXPECT_EQ(
      Rate(Resident(village, 2), Ratings(round_id, g2, criteria, {{g0, {10, 10}}, {g1, {10, 10}}}))
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM evaluation_ratings"), 0);

  const v1::SubmitRatingsRequest by_g0 =
      Ratings(round_id, g0, criteria, {{g1, {90, 90}}, {g2, {70, 80}}});
  status = Rate(rep0.token, by_g0);
  ASSERT_TRUE(status.ok()) << status.error_message();
  // The same ratings in another order again: a no-op; other ratings: refused.
  v1::SubmitRatingsRequest reordered = by_g0;
  std::reverse(reordered.mutable_ratings()->begin(), reordered.mutable_ratings()->end());
  EXPECT_TRUE(Rate(rep0.token, reordered).ok());
  EXPECT_EQ(
      Rate(rep0.token, Ratings(round_id, g0, criteria, {{g1, {10, 10}}, {g2, {70, 80}}}))
          .error_code(),
      grpc::StatusCode::ALREADY_EXISTS);

  // Not everyone has rated yet.
  v1::EvaluationRound closed;
  status = Close(Admin(village), round_id, &closed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find("GROUPS_NOT_SUBMITTED: groups "), std::string::npos)
      << status.error_message();

  ASSERT_TRUE(
      Rate(rep1.token, Ratings(round_id, g1, criteria, {{g0, {80, 80}}, {g2, {75, 75}}}))
          .ok());
  // The village admin enters g2's paper ratings.
  ASSERT_TRUE(
      Rate(Admin(village), Ratings(round_id, g2, criteria, {{g0, {85, 85}}, {g1, {80, 90}}})).ok());
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM evaluation_ratings"), 12);

  // Only the village admin closes.
  EXPECT_EQ(Close(Resident(village, 0), round_id, &closed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  status = Close(Admin(village), round_id, &closed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(closed.closed());
  ASSERT_EQ(closed.results_size(), 3);
  // g1: 90, 90, 80, 90 -> 87.5 -> 88; g0: 80, 80, 85, 85 -> 82.5 -> 83; g2: 70, 80, 75, 75 -> 75.
  EXPECT_EQ(closed.results(0).group_id(), g1);
  EXPECT_EQ(closed.results(0).result(), 88);
  EXPECT_EQ(closed.results(0).rank(), 1);
  EXPECT_TRUE(closed.results(0).awarded());
  EXPECT_EQ(closed.results(0).ratings_received(), 4);
  EXPECT_EQ(closed.results(0).households_credited(), 2);
  EXPECT_EQ(closed.results(1).group_id(), g0);
  EXPECT_EQ(closed.results(1).result(), 83);
  EXPECT_EQ(closed.results(1).rank(), 2);
  EXPECT_FALSE(closed.results(1).awarded());
  EXPECT_EQ(closed.results(2).group_id(), g2);
  EXPECT_EQ(closed.results(2).result(), 75);
  EXPECT_EQ(closed.results(2).rank(), 3);

  // Households 1 and 4 (group g1) get HJ-05's 10 points, once.
  const std::map<int64_t, int64_t> expected = {{village.household_ids[1], 10},
                                               {village.household_ids[4], 10}};
  EXPECT_EQ(EntriesBySource(kEvaluationSource, round_id), expected);
  EXPECT_EQ(PeriodScore(village, 1, "2025Q3"), 10);
  EXPECT_EQ(PeriodScore(village, 0, "2025Q3"), 0);

  // Closing again changes nothing.
  v1::EvaluationRound again;
  ASSERT_TRUE(Close(Admin(village), round_id, &again).ok());
  EXPECT_EQ(again.SerializeAsString(), closed.SerializeAsString());
  EXPECT_EQ(EntriesBySource(kEvaluationSource, round_id), expected);

  // After closing: the recorded ratings still get their answer on a retry; other ratings are told
  // the round is closed (not that they differ from the recorded ones).
  EXPECT_TRUE(Rate(rep0.token, by_g0).ok());
  const grpc::Status late =
      Rate(rep0.token, Ratings(round_id, g0, criteria, {{g1, {10, 10}}, {g2, {70, 80}}}));
  EXPECT_EQ(late.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(late.error_message().find("ROUND_CLOSED"), std::string::npos) << late.error_message();

  // Closed, it is no longer among the open rounds; other villages see none of this one's.
  EXPECT_THAT(OpenRoundIds(rep0.token, village.village_id), ::testing::IsEmpty());
  {
    v1::ListRoundsRequest list;
    list.set_village_id(village.village_id);
    v1::ListRoundsResponse rounds;
    const SeededVillage elsewhere = harness_->SeedVillage(1, 1);
    EXPECT_EQ(assessment_
                  ->ListRounds(ScoringHarness::Context(Resident(elsewhere, 0)).get(), list,
                               &rounds)
                  .error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
    ASSERT_TRUE(
        assessment_->ListRounds(ScoringHarness::Context(rep0.token).get(), list, &rounds).ok());
    ASSERT_EQ(rounds.rounds_size(), 1);
    EXPECT_TRUE(rounds.rounds(0).closed());
  }

  // Residents of the village read the result.
  v1::GetRoundRequest get;
  get.set_round_id(round_id);
  v1::EvaluationRound read;
  ASSERT_TRUE(
      assessment_->GetRound(ScoringHarness::Context(Resident(village, 2)).get(), get, &read).ok());
  EXPECT_EQ(read.SerializeAsString(), closed.SerializeAsString());
  EXPECT_THAT(AuditActions(village.village_id),
              IsSupersetOf({"open_evaluation_round", "submit_ratings", "close_evaluation_round"}));
  const SeededVillage other = harness_->SeedVillage(1, 2);
  EXPECT_EQ(assessment_->GetRound(ScoringHarness::Context(Resident(other, 0)).get(), get, &read)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
}

// A round still open when its quarter is to be settled could never close after it: settlement
// waits (WORK_PENDING) until the round is closed, and then credits its result with the rest.
TEST_F(AssessmentTest, AnOpenRoundHoldsItsQuartersSettlement) {
  const SeededVillage village = Village(2, 2);
  const int64_t g0 = village.group_ids[0];
  const int64_t g1 = village.group_ids[1];
  const std::vector<std::string> criteria = {"环境整洁"};
  const std::string round_id = "round-2025Q3-holds";
  v1::EvaluationRound round;
  ASSERT_TRUE(Open(Admin(village), RoundDefinition(round_id, village, criteria, 1), &round).ok());
  const auto settle_now = [&] { return SettleAsPublicity(village, "2025Q3"); };
  grpc::Status status = settle_now();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find("WORK_PENDING"), std::string::npos)
      << status.error_message();

  ASSERT_TRUE(Rate(Admin(village), Ratings(round_id, g0, criteria, {{g1, {60}}})).ok());
  ASSERT_TRUE(Rate(Admin(village), Ratings(round_id, g1, criteria, {{g0, {90}}})).ok());
  ASSERT_TRUE(Close(Admin(village), round_id, &round).ok());
  status = settle_now();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Wallet(village.household_ids[0]), 10);  // g0 won HJ-05's +10, now in its wallet
  EXPECT_EQ(Wallet(village.household_ids[1]), 0);
}

TEST_F(AssessmentTest, TiedGroupsShareARankAndAreBothCredited) {
  const SeededVillage village = Village(6, 3);
  const int64_t g0 = village.group_ids[0];
  const int64_t g1 = village.group_ids[1];
  const int64_t g2 = village.group_ids[2];
  const std::vector<std::string> criteria = {"村容村貌"};
  const std::string round_id = "round-2025Q3-ties";
  v1::EvaluationRound opened;
  ASSERT_TRUE(Open(Admin(village), RoundDefinition(round_id, village, criteria, 1), &opened).ok());
  // g0 and g1 both receive 80 and 81 (80.5 -> 81); g2 receives 60 and 61 (60.5 -> 61).
  ASSERT_TRUE(Rate(Admin(village), Ratings(round_id, g0, criteria, {{g1, {80}}, {g2, {60}}})).ok());
  ASSERT_TRUE(Rate(Admin(village), Ratings(round_id, g1, criteria, {{g0, {80}}, {g2, {61}}})).ok());
  ASSERT_TRUE(Rate(Admin(village), Ratings(round_id, g2, criteria, {{g0, {81}}, {g1, {81}}})).ok());
  v1::EvaluationRound closed;
  const grpc::Status status = Close(Admin(village), round_id, &closed);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(closed.results_size(), 3);
  const v1::GroupResult* r0 = ResultOf(closed, g0);
  const v1::GroupResult* r1 = ResultOf(closed, g1);
  const v1::GroupResult* r2 = ResultOf(closed, g2);
  ASSERT_TRUE(r0 != nullptr && r1 != nullptr && r2 != nullptr);
  EXPECT_EQ(r0->result(), 81);
  EXPECT_EQ(r1->result(), 81);
  EXPECT_EQ(r2->result(), 61);
  EXPECT_EQ(r0->rank(), 1);
  EXPECT_EQ(r1->rank(), 1);
  EXPECT_EQ(r2->rank(), 3);
  EXPECT_TRUE(r0->awarded());
  EXPECT_TRUE(r1->awarded());
  EXPECT_FALSE(r2->awarded());
  // Households 0, 3 (g0) and 1, 4 (g1).
  EXPECT_EQ(EntriesBySource(kEvaluationSource, round_id),
            (std::map<int64_t, int64_t>{{village.household_ids[0], 10},
                                        {village.household_ids[1], 10},
                                        {village.household_ids[3], 10},
                                        {village.household_ids[4], 10}}));
}

}  // namespace
}  // namespace jifen::scoring
