// The trail's calendar: dates in Asia/Shanghai. The trail's rules over storage (append, dedupe,
// checkpoints, verification) are tested against MariaDB in
// services/audit/storage/mysql_trail_repository_test.cc.
#include "services/audit/domain/trail.h"

#include "gtest/gtest.h"

namespace jifen::audit {
namespace {

TEST(DateTest, ParsesOnlyRealDays) {
  absl::Time start;
  EXPECT_TRUE(ParseDate("2024-02-29", &start).ok());
  EXPECT_EQ(DateOf(start), "2024-02-29");
  EXPECT_FALSE(ParseDate("2023-02-29", &start).ok());
  EXPECT_FALSE(ParseDate("2023-2-1", &start).ok());
}

}  // namespace
}  // namespace jifen::audit
