// VillageStatisticsService.GetVillageStatistics through the real jifen-scoring process: the figures
// supervision relies on, and who may read them.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/mysql/statement.h"
#include "common/mysql/transaction.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jifen/scoring/v1/statistics.grpc.pb.h"
#include "services/scoring/domain/period.h"
#include "tests/support/scoring_harness.h"
#include "tests/support/shared_scoring_test.h"

namespace jifen::scoring {
namespace {

using ::testing::ElementsAre;
using testing::ScoringHarness;
using testing::SeededVillage;
using testing::SharedScoringTest;

class VillageStatisticsTest : public SharedScoringTest<VillageStatisticsTest> {
 public:
  static constexpr char kSuite[] = "village_statistics";

 protected:
  void SetUp() override {
    ASSERT_NE(harness_, nullptr);
    statistics_ = v1::VillageStatisticsService::NewStub(harness_->channel());
  }

  grpc::Status Get(const std::string& token, int64_t village_id, int year,
                   v1::VillageStatistics* out) {
    v1::GetVillageStatisticsRequest request;
    request.set_village_id(village_id);
    request.set_year(year);
    return statistics_->GetVillageStatistics(ScoringHarness::Context(token).get(), request, out);
  }

  std::string TownOfficial(int64_t town_id) const {
    auth::Caller caller;
    caller.user_id = absl::StrCat("town-", town_id);
    caller.role = auth::Role::kTownOfficial;
    caller.town_id = town_id;
    return harness_->Token(caller);
  }

  // Sets when the village's households were registered, as if their roster came in on that day
  // (midnight in Shanghai).
  void RegisterHouseholdsOn(const SeededVillage& village, absl::CivilDay day) {
    const int64_t at_s = absl::ToUnixSeconds(absl::FromCivil(day, ShanghaiTime()));
    ASSERT_TRUE(mysql::RunWithConnection(harness_->admin_pool(), [&](sql::Connection& c) {
                  mysql::Statement(c,
                                   "UPDATE households SET created_at = FROM_UNIXTIME(?) "
                                   "WHERE village_id = ?")
                      .Bind(at_s)
                      .Bind(village.village_id)
                      .Update();
                  return absl::OkStatus();
                }).ok());
  }

  std::unique_ptr<v1::VillageStatisticsService::Stub> statistics_;
};

// A village that brings its roster in mid-year is not told that the newcomers went unscored in
// the quarters before they were registered; a household scored in a quarter counts in it whenever
// it was registered (a deed entered later).
TEST_F(VillageStatisticsTest, AQuarterCountsOnlyTheHouseholdsItCouldScore) {
  const SeededVillage village = harness_->FundableVillage(4);
  RegisterHouseholdsOn(village, absl::CivilDay(2025, 8, 1));  // during 2025Q3
  harness_->FundWallets(village, {village.household_ids[0]}, 50);  // a 2025Q3 deed
  v1::VillageStatistics stats;
  ASSERT_TRUE(Get(harness_->ServiceToken("audit"), village.village_id, 2025, &stats).ok());
  ASSERT_EQ(stats.quarters_size(), 4);
  const v1::QuarterStatistics& q2 = stats.quarters(1);
  EXPECT_EQ(q2.households_never_scored(), 0);
  EXPECT_EQ(q2.households_in_registry(), 0);
  EXPECT_THAT(q2.never_scored_household_ids(), ::testing::IsEmpty());
  const v1::QuarterStatistics& q3 = stats.quarters(2);
  EXPECT_EQ(q3.households_scored(), 1);
  EXPECT_EQ(q3.households_never_scored(), 3);
  EXPECT_EQ(q3.households_in_registry(), 4);

  // Registered after the year: only what was scored counts.
  RegisterHouseholdsOn(village, absl::CivilDay(2026, 2, 1));
  ASSERT_TRUE(Get(harness_->ServiceToken("audit"), village.village_id, 2025, &stats).ok());
  EXPECT_EQ(stats.quarters(2).households_scored(), 1);
  EXPECT_EQ(stats.quarters(2).households_never_scored(), 0);
  EXPECT_EQ(stats.quarters(2).households_in_registry(), 1);
  EXPECT_EQ(stats.households_registered(), 4);  // today's roster, as before
}

TEST_F(VillageStatisticsTest, FiguresOfAYear) {
  const SeededVillage village = harness_->FundableVillage(4);
  RegisterHouseholdsOn(village, absl::CivilDay(2024, 12, 1));  // before the year began
  // Two households earn 100 points each in 2025Q3 (which is then settled); the other two are
  // never scored.
  harness_->FundWallets(village, {village.household_ids[0], village.household_ids[1]}, 100);

  v1::VillageStatistics stats;
  const grpc::Status status =
      Get(harness_->ServiceToken("audit"), village.village_id, 2025, &stats);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(stats.town_id(), village.town_id);
  EXPECT_TRUE(stats.rulebook().published());
  EXPECT_TRUE(stats.rulebook().vote_valid());
  EXPECT_EQ(stats.rulebook().version(), 1);
  EXPECT_EQ(stats.rulebook().effective_from(), "2025-01-01");
  EXPECT_EQ(stats.households_registered(), 4);
  EXPECT_EQ(stats.households_opted_in(), 0);
  ASSERT_EQ(stats.quarters_size(), 4);
  const v1::QuarterStatistics& q3 = stats.quarters(2);
  EXPECT_EQ(q3.period(), "2025Q3");
  EXPECT_EQ(q3.households_scored(), 2);
  EXPECT_EQ(q3.households_never_scored(), 2);
  EXPECT_EQ(q3.households_in_registry(), 4);
  EXPECT_THAT(q3.never_scored_household_ids(),
              ElementsAre(village.household_ids[2], village.household_ids[3]));
  std::vector<int64_t> buckets;
  for (const v1::PointsBucket& bucket : q3.distribution()) buckets.push_back(bucket.households());
  EXPECT_THAT(buckets, ElementsAre(0, 0, 0, 0, 2, 0));
  EXPECT_EQ(q3.distribution(4).label(), "100-199");
  EXPECT_EQ(q3.awards_points(), 200);
  EXPECT_EQ(q3.deductions_points(), 0);
  EXPECT_EQ(stats.quarters(0).households_scored(), 0);
  EXPECT_EQ(stats.quarters(0).households_never_scored(), 4);
  EXPECT_TRUE(stats.chain_intact());
  EXPECT_GT(stats.chain_entries_checked(), 0);

  // A year without a rulebook says so.
  ASSERT_TRUE(Get(harness_->DistrictToken(), village.village_id, 2024, &stats).ok());
  EXPECT_FALSE(stats.rulebook().published());
  EXPECT_EQ(stats.rulebook().version(), 0);
  EXPECT_EQ(stats.rulebook().vote_problem(), "the village has no rulebook for this year");
}

TEST_F(VillageStatisticsTest, WhoMayRead) {
  const SeededVillage village = harness_->SeedVillage(1);
  const SeededVillage other = harness_->SeedVillage(1);
  v1::VillageStatistics stats;
  EXPECT_TRUE(Get(TownOfficial(village.town_id), village.village_id, 2025, &stats).ok());
  EXPECT_TRUE(
      Get(harness_->VillageAdminToken(village.village_id), village.village_id, 2025, &stats).ok());
  EXPECT_EQ(Get(TownOfficial(other.town_id), village.village_id, 2025, &stats).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Get(harness_->VillageAdminToken(other.village_id), village.village_id, 2025, &stats)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Get(harness_->ResidentToken(village.village_id, village.household_ids[0]),
                village.village_id, 2025, &stats)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Get(harness_->GridWorkerToken(village), village.village_id, 2025, &stats).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Get(harness_->DistrictToken(), 987654321, 2025, &stats).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Get(harness_->DistrictToken(), village.village_id, 1999, &stats).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Get(harness_->DistrictToken(), 0, 2025, &stats).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace jifen::scoring
