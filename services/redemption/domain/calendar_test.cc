#include "services/redemption/domain/calendar.h"

#include <gtest/gtest.h>

namespace jifen::redemption {
namespace {

// 2026-03-31 16:30:00 UTC is 2026-04-01 00:30 in Shanghai.
constexpr int64_t kAprilFirstShanghaiMs = 1774974600000;

TEST(CalendarTest, PeriodKeysFollowShanghaiTime) {
  EXPECT_EQ(LimitPeriodKey(kAprilFirstShanghaiMs, LimitPeriod::kQuarter), "2026Q2");
  EXPECT_EQ(LimitPeriodKey(kAprilFirstShanghaiMs, LimitPeriod::kMonth), "2026-04");
  EXPECT_EQ(LimitPeriodKey(kAprilFirstShanghaiMs, LimitPeriod::kYear), "2026");
  EXPECT_EQ(LimitPeriodKey(kAprilFirstShanghaiMs - 3600 * 1000, LimitPeriod::kQuarter), "2026Q1");
}

TEST(CalendarTest, YearStartIsMidnightInShanghai) {
  // 2026-01-01T00:00+08:00 = 2025-12-31T16:00Z.
  EXPECT_EQ(YearStartMs(2026), 1767196800000);
  EXPECT_EQ(FormatLocalTime(YearStartMs(2026)), "2026-01-01 00:00:00");
}

TEST(CalendarTest, ValidDates) {
  EXPECT_TRUE(IsValidDate("2026-02-28"));
  EXPECT_FALSE(IsValidDate("2026-02-30"));
  EXPECT_FALSE(IsValidDate("2026-2-3"));
  EXPECT_FALSE(IsValidDate("yesterday"));
}

}  // namespace
}  // namespace jifen::redemption
