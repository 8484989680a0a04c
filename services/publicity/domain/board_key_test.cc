#include "gtest/gtest.h"
#include "services/publicity/domain/board_store.h"
#include "services/publicity/domain/boards.h"

namespace jifen::publicity {
namespace {

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
