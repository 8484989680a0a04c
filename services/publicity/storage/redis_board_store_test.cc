// RedisBoardStore and BoardFeeder against the fixture's real redis-server. RUN_SERIAL (CMake): one
// test empties the whole server with FLUSHALL and one kills it.
#include "services/publicity/storage/redis_board_store.h"

#include <map>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "services/publicity/domain/feeder.h"
#include "services/publicity/domain/memory_ledger.h"
#include "tests/support/testenv.h"

namespace jifen::publicity {
namespace {

redis::RedisConfig TestConfig() {
  redis::RedisConfig config;
  config.host = jifen::testing::TestRedis().host;
  config.port = jifen::testing::TestRedis().port;
  return config;
}

// Random awards, deductions and reversals over 3 villages, 3 groups and 2 quarters, with gaps in
// the sequence like a ledger with rolled-back transactions.
std::vector<BoardEntry> RandomLedger(int count, uint32_t seed) {
  std::mt19937 random(seed);
  std::vector<BoardEntry> entries;
  int64_t sequence = 0;
  const std::vector<std::string> categories = {"garbage_sorting", "living_environment", ""};
  for (int i = 0; i < count; ++i) {
    sequence += 1 + random() % 3;
    BoardEntry entry;
    entry.sequence = sequence;
    if (!entries.empty() && random() % 6 == 0) {
      // Reverse an earlier score entry that is not itself a reversal.
      const BoardEntry& original = entries[random() % entries.size()];
      if (original.score_account && original.reverses_sequence == 0) {
        entry = original;
        entry.sequence = sequence;
        entry.points = -original.points;
        entry.reverses_sequence = original.sequence;
        entries.push_back(entry);
        continue;
      }
    }
    entry.village_id = 1 + random() % 3;
    entry.household_id = entry.village_id * 100 + random() % 12;
    entry.group_id = entry.household_id % 3 + 1;
    entry.score_account = random() % 10 != 0;
    entry.points = static_cast<int64_t>(random() % 21) - 8;
    entry.period = random() % 2 == 0 ? "2025Q3" : "2025Q4";
    entry.category = categories[random() % categories.size()];
    entries.push_back(entry);
  }
  return entries;
}

// What the boards must say, summed straight from the entries (not through the store's code).
std::map<std::string, std::map<int64_t, int64_t>> ExpectedBoards(
    const std::vector<BoardEntry>& entries, int64_t village) {
  std::map<std::string, std::map<int64_t, int64_t>> boards;
  for (const BoardEntry& entry : entries) {
    if (entry.village_id != village || !entry.score_account) continue;
    const std::string year = entry.period.substr(0, 4);
    for (const std::string& period : {entry.period, year}) {
      boards[absl::StrCat("village ", village, " ", period)][entry.household_id] += entry.points;
      boards[absl::StrCat("village ", village, " group ", entry.group_id, " ", period)]
            [entry.household_id] += entry.points;
    }
  }
  return boards;
}

std::map<std::string, std::map<int64_t, int64_t>> ActualBoards(const VillageSnapshot& snapshot) {
  std::map<std::string, std::map<int64_t, int64_t>> boards;
  for (const auto& [name, rows] : snapshot.boards) {
    for (const auto& [household, points] : rows) boards[name][household] = points;
  }
  return boards;
}

class RedisBoardStoreTest : public ::testing::Test {
 protected:
  RedisBoardStoreTest()
      : pool_(TestConfig()),
        store_(pool_, jifen::testing::FreshRedisPrefix()),
        feeder_(store_, ledger_, FeederOptions{/*batch_max=*/64}) {}

  void ExpectBoardsEqualLedger() {
    for (int64_t village = 1; village <= 3; ++village) {
      absl::StatusOr<VillageSnapshot> snapshot = store_.ReadVillage(village);
      ASSERT_TRUE(snapshot.ok()) << snapshot.status();
      EXPECT_EQ(ActualBoards(*snapshot), ExpectedBoards(ledger_.entries, village))
          << "village " << village;
    }
  }

  redis::RedisPool pool_;
  RedisBoardStore store_;
  MemoryLedger ledger_;
  BoardFeeder feeder_;
};

TEST_F(RedisBoardStoreTest, BoardsEqualTheLedgerAndRetriesNeverCountTwice) {
  ledger_.entries = RandomLedger(600, 7);
  ASSERT_TRUE(feeder_.CatchUp().ok());
  ExpectBoardsEqualLedger();
  // Re-sending any window of the stream, as a feeder does after a failure, changes nothing.
  std::vector<BoardEntry> replay(ledger_.entries.begin() + 100, ledger_.entries.begin() + 400);
  absl::StatusOr<int64_t> applied = store_.Apply(replay);
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(*applied, 0);
  ExpectBoardsEqualLedger();
  absl::StatusOr<VillageSnapshot> snapshot = store_.ReadVillage(1);
  ASSERT_TRUE(snapshot.ok());
  int64_t last_of_village = 0;
  for (const BoardEntry& entry : ledger_.entries) {
    if (entry.village_id == 1) last_of_village = entry.sequence;
  }
  EXPECT_EQ(snapshot->applied_sequence, last_of_village);
}

TEST_F(RedisBoardStoreTest, DeductionsByCategoryAreNetOfReversals) {
  BoardEntry deduction{1, 1, 101, 1, true, -3, "2025Q3", "garbage_sorting", 0};
  BoardEntry award_reversal{2, 1, 102, 1, true, -4, "2025Q3", "garbage_sorting", 99};
  BoardEntry other{3, 1, 103, 1, true, -2, "2025Q3", "garbage_sorting", 0};
  BoardEntry reversal{4, 1, 103, 1, true, 2, "2025Q3", "garbage_sorting", 3};
  ledger_.entries = {deduction, award_reversal, other, reversal};
  ASSERT_TRUE(feeder_.CatchUp().ok());
  absl::StatusOr<VillageSnapshot> snapshot = store_.ReadVillage(1);
  ASSERT_TRUE(snapshot.ok());
  const auto& net = snapshot->deductions["2025Q3"]["garbage_sorting"];
  EXPECT_EQ(net.size(), 1u);
  EXPECT_EQ(net.at(101), -3);
}

TEST_F(RedisBoardStoreTest, TiesShareARankAndPagingWalksTheWholeBoardInOrder) {
  // Points: 105 -> 5, 101 -> 9, 104 -> 5, 102 -> 5, 103 -> -1, 106 -> 0.
  const std::vector<std::pair<int64_t, int64_t>> points = {{105, 5}, {101, 9},  {104, 5},
                                                           {102, 5}, {103, -1}, {106, 0}};
  int64_t sequence = 0;
  for (const auto& [household, value] : points) {
    ledger_.entries.push_back(
        BoardEntry{++sequence, 1, household, 1, true, value, "2025Q3", "", 0});
  }
  ASSERT_TRUE(feeder_.CatchUp().ok());
  BoardKey key;
  key.village_id = 1;
  key.period = *ParsePeriod("2025Q3");
  std::vector<RankedRow> walked;
  std::optional<PageCursor> after;
  while (true) {
    absl::StatusOr<BoardPage> page = store_.ReadPage(key, after, 2);
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_EQ(page->households, 6);
    EXPECT_EQ(page->applied_sequence, 6);
    walked.insert(walked.end(), page->rows.begin(), page->rows.end());
    if (!page->has_more) break;
    after = PageCursor{page->rows.back().points, page->rows.back().household_id};
  }
  const std::vector<std::tuple<int64_t, int64_t, int32_t>> expected = {
      {101, 9, 1}, {102, 5, 2}, {104, 5, 2}, {105, 5, 2}, {106, 0, 5}, {103, -1, 6}};
  ASSERT_EQ(walked.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(walked[i].household_id, std::get<0>(expected[i])) << i;
    EXPECT_EQ(walked[i].points, std::get<1>(expected[i])) << i;
    EXPECT_EQ(walked[i].rank, std::get<2>(expected[i])) << i;
  }

  absl::StatusOr<StandingView> standing = store_.ReadStanding(key, 104, 2);
  ASSERT_TRUE(standing.ok()) << standing.status();
  ASSERT_TRUE(standing->on_board);
  EXPECT_EQ(standing->row.rank, 2);
  EXPECT_EQ(standing->row.points, 5);
  ASSERT_EQ(standing->above.size(), 2u);
  EXPECT_EQ(standing->above[0].household_id, 101);
  EXPECT_EQ(standing->above[1].household_id, 102);
  ASSERT_EQ(standing->below.size(), 2u);
  EXPECT_EQ(standing->below[0].household_id, 105);
  EXPECT_EQ(standing->below[1].rank, 5);
  absl::StatusOr<StandingView> absent = store_.ReadStanding(key, 999, 2);
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->on_board);
}

TEST_F(RedisBoardStoreTest, AggregatesReplaceWholeBoards) {
  BoardKey town;
  town.scope = BoardScope::kTown;
  town.town_id = 4;
  town.period = *ParsePeriod("2025");
  const absl::Time at = absl::FromUnixMillis(1700000000000);
  ASSERT_TRUE(store_.ReplaceAggregate(town, {{1, 5, 0}, {2, 7, 0}}, at).ok());
  ASSERT_TRUE(store_.ReplaceAggregate(town, {{3, 1, 0}}, at).ok());
  absl::StatusOr<BoardPage> page = store_.ReadPage(town, std::nullopt, 10);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->rows.size(), 1u);
  EXPECT_EQ(page->rows[0].household_id, 3);
  EXPECT_EQ(page->refreshed_at, at);
}

TEST_F(RedisBoardStoreTest, FlushAllThenRebuildGivesTheSameBoards) {
  ledger_.entries = RandomLedger(400, 11);
  ASSERT_TRUE(feeder_.CatchUp().ok());
  ExpectBoardsEqualLedger();
  ASSERT_TRUE(pool_.Get().Command({"FLUSHALL"}).ok());
  ASSERT_TRUE(feeder_.CatchUp().ok());
  ExpectBoardsEqualLedger();
}

TEST_F(RedisBoardStoreTest, KillNineWhileEntriesFlowConverges) {
  ledger_.entries = RandomLedger(3000, 13);
  std::thread killer([] { jifen::testing::KillAndRestartRedis(); });
  // Feed while the server dies and comes back; failures are retried like the service does.
  absl::Status status = absl::UnknownError("not run");
  for (int attempt = 0; attempt < 50 && !status.ok(); ++attempt) {
    status = feeder_.CatchUp();
  }
  killer.join();
  for (int attempt = 0; attempt < 10; ++attempt) {
    status = feeder_.CatchUp();
    if (status.ok()) break;
  }
  ASSERT_TRUE(status.ok()) << status;
  ExpectBoardsEqualLedger();
}

}  // namespace
}  // namespace jifen::publicity
