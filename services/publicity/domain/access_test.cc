// Who may read which boards, with villages and towns as the real registry (a jifen-scoring
// process) tells them through publicity's GrpcVillageDirectory.
#include "services/publicity/domain/access.h"

#include "gtest/gtest.h"
#include "services/publicity/domain/scoring_test_support.h"
#include "services/publicity/storage/grpc_scoring.h"

namespace jifen::publicity {
namespace {

using jifen::testing::SeededVillage;

auth::Caller Of(auth::Role role, int64_t village = 0, int64_t town = 0) {
  auth::Caller caller;
  caller.user_id = "u";
  caller.role = role;
  caller.village_id = village;
  caller.town_id = town;
  return caller;
}

// Two villages, each in a town of its own.
class AccessTest : public ScoringTest {
 protected:
  void SetUp() override {
    ScoringTest::SetUp();
    if (HasFatalFailure()) return;
    first_ = scoring().SeedVillage(1, 1);
    second_ = scoring().SeedVillage(1, 1);
    ASSERT_FALSE(HasFailure());
    ASSERT_NE(first_.town_id, second_.town_id);
  }

  GrpcVillageDirectory villages_{ClientOptions()};
  SeededVillage first_;
  SeededVillage second_;
};

TEST_F(AccessTest, VillageReadFollowsScope) {
  const int64_t one = first_.village_id;
  const int64_t two = second_.village_id;
  const int64_t town = first_.town_id;
  EXPECT_TRUE(CheckVillageRead(Of(auth::Role::kResident, one), one, villages_).ok());
  EXPECT_EQ(CheckVillageRead(Of(auth::Role::kResident, one), two, villages_).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(CheckVillageRead(Of(auth::Role::kTownOfficial, 0, town), one, villages_).ok());
  EXPECT_EQ(CheckVillageRead(Of(auth::Role::kTownOfficial, 0, town), two, villages_).code(),
            absl::StatusCode::kPermissionDenied);
  // A village the registry does not know is refused like another town's.
  EXPECT_EQ(CheckVillageRead(Of(auth::Role::kTownOfficial, 0, town), 999999999, villages_).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(CheckVillageRead(Of(auth::Role::kDistrictInspector), two, villages_).ok());
  EXPECT_TRUE(CheckVillageRead(Of(auth::Role::kService), two, villages_).ok());
  // A token without a village (scope 0) never matches village 0 or any other.
  EXPECT_EQ(CheckVillageRead(Of(auth::Role::kVillageAdmin, 0), 0, villages_).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(AccessTest, TownAndDistrictBoards) {
  BoardKey town;
  town.scope = BoardScope::kTown;
  town.town_id = first_.town_id;
  town.period = Period{2025, 0};
  EXPECT_TRUE(
      CheckBoardRead(Of(auth::Role::kTownOfficial, 0, first_.town_id), town, villages_).ok());
  EXPECT_FALSE(
      CheckBoardRead(Of(auth::Role::kTownOfficial, 0, second_.town_id), town, villages_).ok());
  EXPECT_FALSE(CheckBoardRead(Of(auth::Role::kResident, first_.village_id), town, villages_).ok());
  BoardKey district = town;
  district.scope = BoardScope::kDistrict;
  EXPECT_TRUE(CheckBoardRead(Of(auth::Role::kDistrictOfficial), district, villages_).ok());
  EXPECT_FALSE(
      CheckBoardRead(Of(auth::Role::kVillageAdmin, first_.village_id), district, villages_).ok());
  EXPECT_TRUE(
      CheckReconcile(Of(auth::Role::kVillageAdmin, first_.village_id), first_.village_id).ok());
  EXPECT_FALSE(
      CheckReconcile(Of(auth::Role::kResident, first_.village_id), first_.village_id).ok());
}

}  // namespace
}  // namespace jifen::publicity
