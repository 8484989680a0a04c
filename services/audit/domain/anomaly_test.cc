// Each rule fires on a crafted case and stays quiet on a clean one; every flag names its evidence.
#include "services/audit/domain/anomaly.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/audit/domain/checks.h"
#include "services/audit/domain/trail.h"

namespace jifen::audit {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

int64_t Ms(const std::string& date_time) {
  absl::Time t;
  std::string error;
  absl::ParseTime("%Y-%m-%d %H:%M", date_time, ShanghaiTime(), &t, &error);
  return absl::ToUnixMillis(t);
}

ScoreEvent Award(int n, const std::string& scorer, int64_t household, int64_t points,
                 int64_t village = 7) {
  ScoreEvent e;
  e.evidence = absl::StrCat("ledger:", n);
  e.village_id = village;
  e.household_id = household;
  e.scorer_user_id = scorer;
  e.points = points;
  e.at_ms = Ms("2026-09-10 10:00") + n;
  return e;
}

TEST(SelfAwardTest, FiresOnOwnOrStewardedHouseholdOnly) {
  ScorerHouseholds relations{{"grid-1", {101, 102}}};
  std::vector<ScoreEvent> clean = {Award(1, "grid-1", 200, 5), Award(2, "grid-2", 101, 5),
                                   Award(3, "grid-1", 101, -5)};
  EXPECT_THAT(SelfAwards(clean, relations), IsEmpty());

  std::vector<ScoreEvent> crafted = clean;
  crafted.push_back(Award(4, "grid-1", 101, 10));
  crafted.push_back(Award(5, "grid-1", 101, 3));
  std::vector<FlagDraft> flags = SelfAwards(crafted, relations);
  ASSERT_THAT(flags, SizeIs(1));
  EXPECT_EQ(flags[0].rule, "self_award");
  EXPECT_EQ(flags[0].village_id, 7);
  EXPECT_THAT(flags[0].evidence, ElementsAre("ledger:4", "ledger:5"));
}

TEST(PeerOutlierTest, FiresOnAScorerFarAbovePeers) {
  std::vector<ScoreEvent> clean;
  int n = 0;
  for (const char* scorer : {"a", "b", "c", "d"}) {
    for (int i = 0; i < 5; ++i) clean.push_back(Award(++n, scorer, 100 + i, 4));
  }
  EXPECT_THAT(PeerOutliers(clean), IsEmpty());

  std::vector<ScoreEvent> crafted = clean;
  for (int i = 0; i < 10; ++i) crafted.push_back(Award(++n, "e", 300 + i, 10));
  // Another village's heavy scorer is compared with that village only (and it has no peers).
  for (int i = 0; i < 10; ++i) crafted.push_back(Award(++n, "x", 900, 50, /*village=*/8));
  std::vector<FlagDraft> flags = PeerOutliers(crafted);
  ASSERT_THAT(flags, SizeIs(1));
  EXPECT_EQ(flags[0].subject, "scorer e");
  EXPECT_THAT(flags[0].evidence, SizeIs(10));
  EXPECT_THAT(flags[0].summary, ::testing::HasSubstr("median of 4 peers is 20"));
}

TEST(SharedPhotoTest, FiresWhenOnePhotoServesTwoHouseholds) {
  ScoreEvent a = Award(1, "g", 101, 5);
  a.photo_digests = {"aaaa1111", "bbbb2222"};
  ScoreEvent b = Award(2, "g", 102, 5);
  b.photo_digests = {"cccc3333"};
  ScoreEvent same_household = Award(3, "g", 101, 5);
  same_household.photo_digests = {"aaaa1111"};  // re-used for the same household: fine
  EXPECT_THAT(SharedPhotos({a, b, same_household}), IsEmpty());

  ScoreEvent reused = Award(4, "g", 103, 5);
  reused.photo_digests = {"bbbb2222"};
  std::vector<FlagDraft> flags = SharedPhotos({a, b, same_household, reused});
  ASSERT_THAT(flags, SizeIs(1));
  EXPECT_EQ(flags[0].rule, "shared_photo");
  EXPECT_THAT(flags[0].evidence, Contains("ledger:1"));
  EXPECT_THAT(flags[0].evidence, Contains("ledger:4"));
  EXPECT_THAT(flags[0].evidence, Contains("photo:bbbb2222"));
}

// A photo used in two villages is each village's concern: both are flagged, each with its own
// entries only.
TEST(SharedPhotoTest, APhotoUsedInTwoVillagesIsFlaggedInBoth) {
  ScoreEvent here = Award(1, "g", 101, 5, /*village=*/7);
  here.photo_digests = {"dddd4444"};
  ScoreEvent there = Award(2, "h", 801, 5, /*village=*/8);
  there.photo_digests = {"dddd4444"};
  std::vector<FlagDraft> flags = SharedPhotos({here, there});
  ASSERT_THAT(flags, SizeIs(2));
  std::map<int64_t, FlagDraft> by_village;
  for (const FlagDraft& flag : flags) by_village[flag.village_id] = flag;
  ASSERT_EQ(by_village.size(), 2u);
  EXPECT_THAT(by_village[7].evidence, Contains("ledger:1"));
  EXPECT_THAT(by_village[7].evidence, Not(Contains("ledger:2")));
  EXPECT_THAT(by_village[8].evidence, Contains("ledger:2"));
  EXPECT_THAT(by_village[8].evidence, Not(Contains("ledger:1")));
  for (int64_t village : {7, 8}) {
    EXPECT_EQ(by_village[village].rule, "shared_photo");
    EXPECT_EQ(by_village[village].subject, "photo dddd4444");
    EXPECT_THAT(by_village[village].evidence, Contains("photo:dddd4444"));
    EXPECT_THAT(by_village[village].summary, HasSubstr("1 of 1 other village"));
  }
}

TEST(CloseBurstTest, FiresOnARushJustBeforeTheWindowCloses) {
  const int64_t close = Ms("2026-10-15 00:00");
  std::vector<ScoreEvent> clean;
  int n = 0;
  for (int day = 1; day <= 8; ++day) {
    for (int i = 0; i < 3; ++i) {
      ScoreEvent e = Award(++n, "g", 100 + i, 2);
      e.at_ms = close - day * 86'400'000 + 3'600'000;  // spread over the days before
      clean.push_back(e);
    }
  }
  absl::flat_hash_map<int64_t, int64_t> closes{{7, close}};
  EXPECT_THAT(CloseBursts(clean, closes), IsEmpty());

  std::vector<ScoreEvent> crafted = clean;
  for (int i = 0; i < 20; ++i) {
    ScoreEvent e = Award(++n, "g", 200 + i, 2);
    e.at_ms = close - 3'600'000;  // the last hour
    crafted.push_back(e);
  }
  std::vector<FlagDraft> flags = CloseBursts(crafted, closes);
  ASSERT_THAT(flags, SizeIs(1));
  EXPECT_EQ(flags[0].rule, "close_burst");
  EXPECT_EQ(flags[0].subject, "window closing 2026-10-15");
  EXPECT_THAT(flags[0].evidence, SizeIs(23));
  // Entries after the close don't count, nor do villages without a window.
  EXPECT_THAT(CloseBursts(crafted, {{8, close}}), IsEmpty());
}

TEST(RedemptionSpikeTest, FiresOnADayFarAboveTheWeekBefore) {
  std::vector<RedemptionEvent> clean;
  int n = 0;
  for (int day = 1; day <= 10; ++day) {
    for (int i = 0; i < 4; ++i) {
      clean.push_back({absl::StrCat("audit:", ++n), 7,
                       Ms(absl::StrCat("2026-10-", day < 10 ? "0" : "", day, " 09:00"))});
    }
  }
  EXPECT_THAT(RedemptionSpikes(clean), IsEmpty());

  std::vector<RedemptionEvent> crafted = clean;
  for (int i = 0; i < 30; ++i) {
    crafted.push_back({absl::StrCat("audit:", ++n), 7, Ms("2026-10-11 10:00")});
  }
  std::vector<FlagDraft> flags = RedemptionSpikes(crafted);
  ASSERT_THAT(flags, SizeIs(1));
  EXPECT_EQ(flags[0].subject, "day 2026-10-11");
  EXPECT_THAT(flags[0].evidence, SizeIs(30));
}

TEST(FactsTest, ValuesAreFoundInBothForms) {
  EXPECT_THAT(FindValues("household_id=42 points=-5;photo=ab photo=cd", "photo"),
              ElementsAre("ab", "cd"));
  EXPECT_THAT(FindValues("{\"points\":12,\"household_id\":9,\"photo\":\"ff00\"}", "points"),
              ElementsAre("12"));
  EXPECT_THAT(FindValues("{\"points\":12,\"photo\":\"ff00\"}", "photo"), ElementsAre("ff00"));
  EXPECT_THAT(FindValues("xpoints=3", "points"), IsEmpty());

  TrailRecord record;
  record.sequence = 17;
  record.village_id = 7;
  record.actor_user_id = "grid-1";
  record.action = "create";
  record.object_type = "ledger_entry";
  record.after = "household_id=42 points=8 photo=abcd";
  Facts facts;
  ExtractFacts(record, facts);
  record.object_type = "order";
  ExtractFacts(record, facts);
  record.action = "cancel";
  ExtractFacts(record, facts);
  ASSERT_THAT(facts.scores, SizeIs(1));
  EXPECT_EQ(facts.scores[0].household_id, 42);
  EXPECT_EQ(facts.scores[0].points, 8);
  EXPECT_EQ(facts.scores[0].evidence, "audit:17");
  EXPECT_THAT(facts.scores[0].photo_digests, ElementsAre("abcd"));
  ASSERT_THAT(facts.redemptions, SizeIs(1));
}

}  // namespace
}  // namespace jifen::audit
