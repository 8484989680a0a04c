#include "services/publicity/domain/late_entries.h"

#include "gtest/gtest.h"

namespace jifen::publicity {
namespace {

BoardEntry Entry(int64_t sequence, int64_t village, const std::string& period,
                 int64_t recorded_at_ms) {
  BoardEntry entry;
  entry.sequence = sequence;
  entry.village_id = village;
  entry.household_id = 100 + sequence;
  entry.score_account = true;
  entry.points = -3;
  entry.period = period;
  entry.recorded_at_ms = recorded_at_ms;
  return entry;
}

TEST(LateEntriesTest, OneDeadlinePerVillageAndQuarterFromItsLatestObjectableEntry) {
  BoardEntry wallet = Entry(5, 1, "2025Q3", 9000);
  wallet.score_account = false;
  BoardEntry reversal = Entry(6, 1, "2025Q3", 9000);
  reversal.reverses_sequence = 2;
  const std::vector<BoardEntry> batch = {Entry(1, 2, "2025Q3", 1000),
                                         Entry(2, 1, "2025Q3", 3000),
                                         Entry(3, 1, "2025Q3", 2000),
                                         Entry(4, 1, "2025Q4", 1500),
                                         wallet,
                                         reversal,
                                         Entry(7, 1, "2025", 9000),
                                         Entry(8, 1, "2025Q3", 0)};
  const std::vector<WindowDeadline> deadlines = DeadlinesOf(batch, absl::Hours(24));
  ASSERT_EQ(deadlines.size(), 3u);
  EXPECT_EQ(deadlines[0].village_id, 1);
  EXPECT_EQ(deadlines[0].period, "2025Q3");
  EXPECT_EQ(deadlines[0].entry_sequence, 2);
  EXPECT_EQ(deadlines[0].recorded_at, absl::FromUnixMillis(3000));
  EXPECT_EQ(deadlines[0].object_until, absl::FromUnixMillis(3000) + absl::Hours(24));
  EXPECT_EQ(deadlines[1].period, "2025Q4");
  EXPECT_EQ(deadlines[1].entry_sequence, 4);
  EXPECT_EQ(deadlines[2].village_id, 2);
  EXPECT_EQ(deadlines[2].entry_sequence, 1);
}

TEST(LateEntriesTest, OnlyScoreEntriesThatAreNotReversalsCanBeObjectedTo) {
  BoardEntry entry = Entry(1, 1, "2025Q3", 1000);
  EXPECT_TRUE(IsObjectable(entry));
  entry.reverses_sequence = 7;
  EXPECT_FALSE(IsObjectable(entry));
  entry.reverses_sequence = 0;
  entry.score_account = false;
  EXPECT_FALSE(IsObjectable(entry));
}

}  // namespace
}  // namespace jifen::publicity
