#include "services/publicity/domain/period.h"

#include "gtest/gtest.h"

namespace jifen::publicity {
namespace {

TEST(PeriodTest, ParsesQuartersAndYears) {
  absl::StatusOr<Period> quarter = ParsePeriod("2025Q3");
  ASSERT_TRUE(quarter.ok());
  EXPECT_EQ(quarter->year, 2025);
  EXPECT_EQ(quarter->quarter, 3);
  EXPECT_EQ(quarter->Name(), "2025Q3");
  EXPECT_EQ(quarter->Year().Name(), "2025");
  absl::StatusOr<Period> year = ParsePeriod("2025");
  ASSERT_TRUE(year.ok());
  EXPECT_FALSE(year->is_quarter());
}

TEST(PeriodTest, RefusesMalformedPeriods) {
  for (const char* bad :
       {"", "2025Q", "2025Q5", "2025Q0", "25Q1", "2025q1", "1999", "2025-1", "20x5", "2025Q1 "}) {
    EXPECT_EQ(ParsePeriod(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(ParseQuarter("2025").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(PeriodTest, BoundsAreInShanghaiTime) {
  const Period q4 = *ParsePeriod("2025Q4");
  // 2026-01-01 00:00 +08:00 is 2025-12-31 16:00 UTC.
  EXPECT_EQ(q4.End(),
            absl::FromCivil(absl::CivilSecond(2025, 12, 31, 16, 0, 0), absl::UTCTimeZone()));
  EXPECT_EQ(q4.Start(),
            absl::FromCivil(absl::CivilSecond(2025, 9, 30, 16, 0, 0), absl::UTCTimeZone()));
  EXPECT_EQ(ParsePeriod("2025")->End(), q4.End());
}

}  // namespace
}  // namespace jifen::publicity
