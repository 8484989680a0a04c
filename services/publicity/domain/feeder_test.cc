// BoardFeeder between the real ledger stream and the real boards: a jifen-scoring process read
// through GrpcLedgerSource, and RedisBoardStore on the fixture's Redis under a key prefix of the
// test's own (so a test empties its own boards, never the server). The stream carries the whole
// ledger of the binary's scoring, every test's villages; each test checks a village of its own.
#include "services/publicity/domain/feeder.h"

#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "services/publicity/domain/scoring_test_support.h"
#include "services/publicity/storage/grpc_scoring.h"
#include "services/publicity/storage/redis_board_store.h"
#include "tests/support/testenv.h"

namespace jifen::publicity {
namespace {

using jifen::testing::SeededVillage;

class FeederTest : public ScoringTest {
 protected:
  FeederTest()
      : pool_(jifen::testing::TestRedisConfig()),
        prefix_(jifen::testing::FreshRedisPrefix()),
        store_(pool_, prefix_),
        source_(ClientOptions()),
        feeder_(store_, source_, FeederOptions{/*batch_max=*/2}) {}

  // Three households of a village of the test's own: 5 - 3, 3, and 5 + 3 points in 2025Q3.
  void SetUp() override {
    ScoringTest::SetUp();
    if (HasFatalFailure()) return;
    village_ = NewVillage(3);
    ASSERT_EQ(village_.household_ids.size(), 3u);
    Award(0, "HJ-01");
    Award(0, "LJ-02");
    Award(1, "LJ-01");
    Award(2, "HJ-03");
    Award(2, "HJ-06");
    ASSERT_FALSE(HasFailure());
  }

  void Award(int household, const std::string& item) {
    const scoring::v1::LedgerEntry entry =
        Inspect(village_, village_.household_ids[household], item);
    expected_[entry.household_id()] += entry.points();
  }

  BoardKey VillageBoard() const {
    BoardKey key;
    key.village_id = village_.village_id;
    key.period = *ParsePeriod("2025Q3");
    return key;
  }

  // household -> points on the village's 2025Q3 board.
  std::map<int64_t, int64_t> Board() {
    std::map<int64_t, int64_t> points;
    const absl::StatusOr<VillageSnapshot> snapshot = store_.ReadVillage(village_.village_id);
    EXPECT_TRUE(snapshot.ok()) << snapshot.status();
    if (!snapshot.ok()) return points;
    const auto board = snapshot->boards.find(DescribeBoard(VillageBoard()));
    if (board == snapshot->boards.end()) return points;
    for (const auto& [household, value] : board->second) points[household] = value;
    return points;
  }

  std::optional<int64_t> Resume() {
    const absl::StatusOr<std::optional<int64_t>> resume = store_.ResumePoint();
    EXPECT_TRUE(resume.ok()) << resume.status();
    return resume.ok() ? *resume : std::nullopt;
  }

  redis::RedisPool pool_;
  const std::string prefix_;
  RedisBoardStore store_;
  GrpcLedgerSource source_;
  BoardFeeder feeder_;
  SeededVillage village_;
  std::map<int64_t, int64_t> expected_;  // household -> points, from the entries scoring wrote
};

// Leftovers under the prefix (a board written before the resume point was lost) are wiped, not
// added to.
TEST_F(FeederTest, FirstRunBuildsEverythingFromTheStart) {
  const int64_t household = village_.household_ids[0];
  ASSERT_TRUE(pool_.Get()
                  .Command({"ZADD", store_.BoardKeyName(VillageBoard()), "-1000",
                            RedisBoardStore::Member(household)})
                  .ok());
  ASSERT_TRUE(feeder_.CatchUp().ok());
  EXPECT_EQ(Board(), expected_);
  const std::vector<int64_t> ledger = LedgerSequences();
  EXPECT_EQ(Resume(), ledger.back());
  EXPECT_EQ(feeder_.entries_applied(), static_cast<int64_t>(ledger.size()));
}

TEST_F(FeederTest, ALaggingResumePointNeverAppliesTwice) {
  ASSERT_TRUE(feeder_.CatchUp().ok());
  const int64_t applied = feeder_.entries_applied();
  // As if the resume point was persisted long before the village cursors.
  ASSERT_TRUE(pool_.Get().Command({"SET", absl::StrCat(prefix_, "{g}:resume"), "1"}).ok());
  ASSERT_TRUE(feeder_.CatchUp().ok());
  EXPECT_EQ(Board(), expected_);
  EXPECT_EQ(feeder_.entries_applied(), applied);
  EXPECT_EQ(Resume(), LedgerSequences().back());
}

// Scoring stops while an entry waits to be fed: the pass fails, and the next one, with scoring
// back, applies the entry once.
TEST_F(FeederTest, AFailedPassIsRetriedWithoutLossOrDoubleCount) {
  ASSERT_TRUE(feeder_.CatchUp().ok());
  Award(0, "HJ-01");
  StopScoring();
  EXPECT_EQ(feeder_.CatchUp().code(), absl::StatusCode::kUnavailable);
  RestartScoring();
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_TRUE(feeder_.CatchUp().ok());
  EXPECT_EQ(Board(), expected_);
  EXPECT_EQ(Resume(), LedgerSequences().back());
}

// Every key of the boards gone (FLUSHALL, a restart without persistence), here only the test's
// own: the feeder notices the missing resume point and replays the ledger from the start.
TEST_F(FeederTest, EmptiedBoardsAreRebuiltFromSequenceZero) {
  ASSERT_TRUE(feeder_.CatchUp().ok());
  const int64_t first_build = feeder_.entries_applied();
  redis::RedisClient& redis = pool_.Get();
  std::string cursor = "0";
  do {
    const absl::StatusOr<redis::Reply> page =
        redis.Command({"SCAN", cursor, "MATCH", absl::StrCat(prefix_, "*"), "COUNT", "1000"});
    ASSERT_TRUE(page.ok()) << page.status();
    cursor = page->elements[0].str;
    for (const redis::Reply& key : page->elements[1].elements) {
      ASSERT_TRUE(redis.Command({"DEL", key.str}).ok());
    }
  } while (cursor != "0");
  ASSERT_EQ(Resume(), std::nullopt);
  EXPECT_TRUE(Board().empty());
  ASSERT_TRUE(feeder_.CatchUp().ok());
  EXPECT_EQ(Board(), expected_);
  EXPECT_EQ(feeder_.entries_applied(), 2 * first_build);
}

TEST_F(FeederTest, ListenerSeesEveryBatch) {
  std::vector<int64_t> seen;
  feeder_.SetListener([&](const std::vector<BoardEntry>& batch) {
    EXPECT_LE(batch.size(), 2u);
    for (const BoardEntry& entry : batch) seen.push_back(entry.sequence);
  });
  ASSERT_TRUE(feeder_.CatchUp().ok());
  EXPECT_EQ(seen, LedgerSequences());
}

}  // namespace
}  // namespace jifen::publicity
