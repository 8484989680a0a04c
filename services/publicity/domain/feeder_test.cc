#include "services/publicity/domain/feeder.h"

#include <map>

#include "gtest/gtest.h"
#include "services/publicity/domain/memory_ledger.h"

namespace jifen::publicity {
namespace {

// Keeps only what the feeder relies on: per-village cursors, one board sum per household, the
// resume point, and the ability to fail or be emptied.
class FakeBoardStore final : public BoardStore {
 public:
  absl::StatusOr<std::optional<int64_t>> ResumePoint() override { return resume; }
  absl::Status ResetAll() override {
    cursors.clear();
    points.clear();
    resume = 0;
    ++resets;
    return absl::OkStatus();
  }
  absl::StatusOr<int64_t> Apply(const std::vector<BoardEntry>& entries) override {
    if (fail_next_apply) {
      fail_next_apply = false;
      return absl::UnavailableError("redis down");
    }
    int64_t applied = 0;
    for (const BoardEntry& entry : entries) {
      if (entry.sequence <= cursors[entry.village_id]) continue;
      cursors[entry.village_id] = entry.sequence;
      points[entry.household_id] += EffectOf(entry).points_delta;
      ++applied;
    }
    return applied;
  }
  absl::StatusOr<bool> AdvanceResumePoint(int64_t sequence) override {
    if (!resume.has_value()) return false;
    resume = sequence;
    return true;
  }
  absl::Status RequestRebuild() override {
    resume.reset();
    return absl::OkStatus();
  }
  absl::StatusOr<BoardPage> ReadPage(const BoardKey&, const std::optional<PageCursor>&,
                                     int) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<StandingView> ReadStanding(const BoardKey&, int64_t, int) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<std::vector<RankedRow>> ReadAll(const BoardKey&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<VillageSnapshot> ReadVillage(int64_t) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<std::vector<int64_t>> ListVillages() override {
    return absl::UnimplementedError("");
  }
  absl::Status ReplaceAggregate(const BoardKey&, const std::vector<RankedRow>&,
                                absl::Time) override {
    return absl::UnimplementedError("");
  }

  std::optional<int64_t> resume;
  std::map<int64_t, int64_t> cursors;
  std::map<int64_t, int64_t> points;
  bool fail_next_apply = false;
  int resets = 0;
};

BoardEntry Award(int64_t sequence, int64_t village, int64_t household, int64_t points) {
  BoardEntry entry;
  entry.sequence = sequence;
  entry.village_id = village;
  entry.household_id = household;
  entry.score_account = true;
  entry.points = points;
  entry.period = "2025Q3";
  return entry;
}

class FeederTest : public ::testing::Test {
 protected:
  FeederTest() : feeder_(store_, source_, FeederOptions{/*batch_max=*/2}) {
    source_.entries = {Award(1, 1, 10, 5), Award(2, 2, 20, 3), Award(4, 1, 10, -2),
                       Award(7, 1, 11, 1), Award(8, 2, 20, 4)};
  }
  FakeBoardStore store_;
  MemoryLedger source_;
  BoardFeeder feeder_;
};

TEST_F(FeederTest, FirstRunBuildsEverythingFromTheStart) {
  ASSERT_TRUE(feeder_.CatchUp().ok());
  EXPECT_EQ(store_.resets, 1);
  EXPECT_EQ(store_.points[10], 3);
  EXPECT_EQ(store_.points[11], 1);
  EXPECT_EQ(store_.points[20], 7);
  EXPECT_EQ(store_.resume, 8);
  EXPECT_EQ(feeder_.entries_applied(), 5);
}

TEST_F(FeederTest, ALaggingResumePointNeverAppliesTwice) {
  ASSERT_TRUE(feeder_.CatchUp().ok());
  store_.resume = 1;  // as if the resume point was persisted long before the village cursors
  ASSERT_TRUE(feeder_.CatchUp().ok());
  EXPECT_EQ(store_.points[10], 3);
  EXPECT_EQ(store_.points[20], 7);
  EXPECT_EQ(feeder_.entries_applied(), 5);
}

TEST_F(FeederTest, AFailedBatchIsRetriedWithoutLossOrDoubleCount) {
  ASSERT_TRUE(feeder_.CatchUp().ok());
  source_.entries.push_back(Award(9, 1, 10, 100));
  store_.fail_next_apply = true;
  EXPECT_EQ(feeder_.CatchUp().code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(feeder_.CatchUp().ok());
  EXPECT_EQ(store_.points[10], 103);
}

TEST_F(FeederTest, EmptiedBoardsAreRebuiltFromSequenceZero) {
  ASSERT_TRUE(feeder_.CatchUp().ok());
  store_.cursors.clear();
  store_.points.clear();
  store_.resume.reset();  // FLUSHALL
  ASSERT_TRUE(feeder_.CatchUp().ok());
  EXPECT_EQ(store_.resets, 2);
  EXPECT_EQ(store_.points[10], 3);
  EXPECT_EQ(store_.points[20], 7);
}

TEST_F(FeederTest, ListenerSeesEveryBatch) {
  std::vector<int64_t> seen;
  feeder_.SetListener([&](const std::vector<BoardEntry>& batch) {
    for (const BoardEntry& entry : batch) seen.push_back(entry.sequence);
  });
  ASSERT_TRUE(feeder_.CatchUp().ok());
  EXPECT_EQ(seen, (std::vector<int64_t>{1, 2, 4, 7, 8}));
}

}  // namespace
}  // namespace jifen::publicity
