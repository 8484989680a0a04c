#include "services/scoring/domain/period.h"

#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace jifen::scoring {
namespace {

TEST(PeriodTest, QuartersFollowShanghaiTime) {
  // 2025-06-30 16:30 UTC is 2025-07-01 00:30 in Shanghai: already the third quarter.
  const absl::Time edge = absl::FromCivil(absl::CivilSecond(2025, 6, 30, 16, 30, 0),
                                          absl::UTCTimeZone());
  EXPECT_EQ(PeriodOf(edge), "2025Q3");
  EXPECT_EQ(PeriodOf(edge - absl::Hours(1)), "2025Q2");
  EXPECT_EQ(PeriodOf(absl::FromCivil(absl::CivilDay(2025, 12, 31), ShanghaiTime())), "2025Q4");
}

TEST(PeriodTest, BoundsCoverExactlyTheQuarter) {
  const PeriodBounds q3 = *BoundsOf("2025Q3");
  EXPECT_EQ(PeriodOf(q3.start), "2025Q3");
  EXPECT_EQ(PeriodOf(q3.end - absl::Nanoseconds(1)), "2025Q3");
  EXPECT_EQ(PeriodOf(q3.end), "2025Q4");
  EXPECT_EQ(PeriodOf(BoundsOf("2025Q4")->end), "2026Q1");
}

TEST(PeriodTest, RejectsMalformedPeriodsAndDates) {
  for (const char* bad : {"", "2025", "2025Q5", "2025Q0", "25Q1", "2025-Q1", "1999Q1"}) {
    EXPECT_EQ(BoundsOf(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_TRUE(ParseDate("2025-02-28").ok());
  EXPECT_FALSE(ParseDate("2025-02-30").ok());
  EXPECT_FALSE(ParseDate("2025/02/28").ok());
  EXPECT_EQ(FormatDate(*ParseDate("2025-02-28")), "2025-02-28");
}

// The gateway names the field of an INVALID_ARGUMENT by the message's "field: " lead.
TEST(PeriodTest, RefusalsNameTheField) {
  EXPECT_TRUE(absl::StartsWith(BoundsOf("2025Q5").status().message(), "period: "));
  EXPECT_TRUE(absl::StartsWith(ParseDate("2026-02-30").status().message(), "date: "));
  EXPECT_TRUE(absl::StartsWith(ParseDate("2026-02-30", "vote.meeting_date").status().message(),
                               "vote.meeting_date: "));
}

// "1999Q1" was refused as "not of the form YYYYQn", which it is, and no message named the field:
// each says what is wrong and starts with "period: " for the gateway's field.
TEST(PeriodTest, AMalformedPeriodIsRefusedSayingWhatIsWrongNamingTheField) {
  const auto message = [](absl::string_view period) {
    return std::string(BoundsOf(period).status().message());
  };
  EXPECT_EQ(message("1999Q1"), "period: year 1999 of \"1999Q1\" is outside 2000..2100");
  EXPECT_EQ(message("2101Q4"), "period: year 2101 of \"2101Q4\" is outside 2000..2100");
  EXPECT_EQ(message("2026Q5"), "period: quarter 5 of \"2026Q5\" is outside 1..4");
  EXPECT_EQ(message("2026q4"), "period: \"2026q4\" must have a capital Q, as in 2026Q4");
  for (const char* bad : {"", "2025", "25Q1", "2025-Q1", "+202Q1", "2025Q+", "2025年Q1"}) {
    EXPECT_TRUE(absl::StartsWith(message(bad), "period: \"")) << message(bad);
    EXPECT_TRUE(absl::StrContains(message(bad), "is not of the form YYYYQn")) << message(bad);
  }
  // The caller's text is quoted at most 16 bytes long.
  EXPECT_LT(message(std::string(10000, '9')).size(), 120u);
}

}  // namespace
}  // namespace jifen::scoring
