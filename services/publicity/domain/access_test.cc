#include "services/publicity/domain/access.h"

#include "gtest/gtest.h"
#include "services/publicity/domain/boards.h"

namespace jifen::publicity {
namespace {

class TwoTowns final : public VillageDirectory {
 public:
  absl::StatusOr<int64_t> TownOf(int64_t village) override {
    if (village == 1) return 10;
    if (village == 2) return 20;
    return absl::NotFoundError("no such village");
  }
  absl::StatusOr<int64_t> VillageOfGroup(int64_t) override {
    return absl::NotFoundError("no such group");
  }
  absl::StatusOr<absl::flat_hash_map<int64_t, int64_t>> AllVillages() override {
    return absl::flat_hash_map<int64_t, int64_t>{{1, 10}, {2, 20}};
  }
};

auth::Caller Of(auth::Role role, int64_t village = 0, int64_t town = 0) {
  auth::Caller caller;
  caller.user_id = "u";
  caller.role = role;
  caller.village_id = village;
  caller.town_id = town;
  return caller;
}

TEST(AccessTest, VillageReadFollowsScope) {
  TwoTowns villages;
  EXPECT_TRUE(CheckVillageRead(Of(auth::Role::kResident, 1), 1, villages).ok());
  EXPECT_EQ(CheckVillageRead(Of(auth::Role::kResident, 1), 2, villages).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(CheckVillageRead(Of(auth::Role::kTownOfficial, 0, 10), 1, villages).ok());
  EXPECT_EQ(CheckVillageRead(Of(auth::Role::kTownOfficial, 0, 10), 2, villages).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CheckVillageRead(Of(auth::Role::kTownOfficial, 0, 10), 3, villages).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(CheckVillageRead(Of(auth::Role::kDistrictInspector), 2, villages).ok());
  EXPECT_TRUE(CheckVillageRead(Of(auth::Role::kService), 2, villages).ok());
  // A token without a village (scope 0) never matches village 0 or any other.
  EXPECT_EQ(CheckVillageRead(Of(auth::Role::kVillageAdmin, 0), 0, villages).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(AccessTest, TownAndDistrictBoards) {
  TwoTowns villages;
  BoardKey town;
  town.scope = BoardScope::kTown;
  town.town_id = 10;
  town.period = Period{2025, 0};
  EXPECT_TRUE(CheckBoardRead(Of(auth::Role::kTownOfficial, 0, 10), town, villages).ok());
  EXPECT_FALSE(CheckBoardRead(Of(auth::Role::kTownOfficial, 0, 20), town, villages).ok());
  EXPECT_FALSE(CheckBoardRead(Of(auth::Role::kResident, 1), town, villages).ok());
  BoardKey district = town;
  district.scope = BoardScope::kDistrict;
  EXPECT_TRUE(CheckBoardRead(Of(auth::Role::kDistrictOfficial), district, villages).ok());
  EXPECT_FALSE(CheckBoardRead(Of(auth::Role::kVillageAdmin, 1), district, villages).ok());
  EXPECT_TRUE(CheckReconcile(Of(auth::Role::kVillageAdmin, 1), 1).ok());
  EXPECT_FALSE(CheckReconcile(Of(auth::Role::kResident, 1), 1).ok());
}

TEST(PageTokenTest, RoundTripsAndIsBoundToItsBoard) {
  BoardKey key;
  key.village_id = 3;
  key.period = Period{2025, 3};
  const std::string token = EncodePageToken(key, PageCursor{-7, 42});
  absl::StatusOr<PageCursor> cursor = DecodePageToken(key, token);
  ASSERT_TRUE(cursor.ok());
  EXPECT_EQ(cursor->points, -7);
  EXPECT_EQ(cursor->household_id, 42);
  BoardKey other = key;
  other.period = Period{2025, 2};
  EXPECT_EQ(DecodePageToken(other, token).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodePageToken(key, "not a token").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(BoardKeyTest, TownAndDistrictAreYearly) {
  BoardKey key;
  key.scope = BoardScope::kDistrict;
  key.period = Period{2025, 1};
  EXPECT_EQ(ValidateBoardKey(key).code(), absl::StatusCode::kInvalidArgument);
  key.period = Period{2025, 0};
  EXPECT_TRUE(ValidateBoardKey(key).ok());
  key.scope = BoardScope::kGroup;
  key.village_id = 1;
  EXPECT_EQ(ValidateBoardKey(key).code(), absl::StatusCode::kInvalidArgument);  // no group
  EXPECT_EQ(DescribeBoard(BoardKey{BoardScope::kGroup, 1, 2, 0, Period{2025, 3}}),
            "village 1 group 2 2025Q3");
}

}  // namespace
}  // namespace jifen::publicity
