// The window rules that are computation on values: what state a window is in, how far a late
// entry moves it, and what its audit record says. Everything that needs the windows' storage or
// scoring is in windows_test.cc, against the real ones.
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "services/publicity/domain/period.h"
#include "services/publicity/domain/windows.h"

namespace jifen::publicity {
namespace {

const absl::Time kQ3End = ParsePeriod("2025Q3")->End();

WindowRecord Window(StoredWindowState state, absl::Time ends_at) {
  WindowRecord window;
  window.village_id = 4;
  window.period = "2025Q3";
  window.starts_at = kQ3End;
  window.ends_at = ends_at;
  window.stored_state = state;
  return window;
}

TEST(WindowStateTest, AnOpenWindowIsClosedFromItsEnd) {
  const absl::Time end = kQ3End + absl::Hours(24 * 7);
  EXPECT_EQ(StateAt(Window(StoredWindowState::kOpen, end), end - absl::Milliseconds(1)),
            WindowState::kOpen);
  EXPECT_EQ(StateAt(Window(StoredWindowState::kOpen, end), end), WindowState::kClosed);
  EXPECT_EQ(StateAt(Window(StoredWindowState::kSettling, end), kQ3End), WindowState::kSettling);
  EXPECT_EQ(StateAt(Window(StoredWindowState::kSettled, end), kQ3End), WindowState::kSettled);
}

// A settling window can still move (scoring refuses to settle while an entry is that recent);
// a settled one is final.
TEST(WindowStateTest, OnlyAWindowEndingTooSoonAndNotSettledMoves) {
  const absl::Time end = kQ3End + absl::Hours(24 * 7);
  EXPECT_FALSE(ExtendedEnd(Window(StoredWindowState::kSettled, end), end + absl::Hours(48)));
  EXPECT_EQ(ExtendedEnd(Window(StoredWindowState::kSettling, end), end + absl::Hours(48)),
            end + absl::Hours(48));
  EXPECT_EQ(ExtendedEnd(Window(StoredWindowState::kOpen, end), end + absl::Milliseconds(1)),
            end + absl::Milliseconds(1));
  EXPECT_FALSE(ExtendedEnd(Window(StoredWindowState::kSettling, end), end).has_value());
  EXPECT_FALSE(ExtendedEnd(Window(StoredWindowState::kOpen, end), end - absl::Hours(1)));
}

// `after` carries ends_at_ms= for audit's close_burst rule, as every window record does.
TEST(WindowStateTest, TheExtensionsAuditRecordNamesTheWindowAndBothEnds) {
  const absl::Time end = kQ3End + absl::Hours(24 * 7);
  const absl::Time recorded = end - absl::Hours(2);
  const WindowDeadline deadline{4, "2025Q3", 81, recorded, recorded + kWindowLengthMin};
  const absl::Time now = end + absl::Hours(1);
  const AuditEvent audit = ExtensionAudit(Window(StoredWindowState::kSettling, end), deadline,
                                          deadline.object_until, now);
  EXPECT_EQ(audit.action, "window.extend");
  EXPECT_EQ(audit.actor_role, "service");
  EXPECT_EQ(audit.village_id, 4);
  EXPECT_EQ(audit.subject, "window/2025Q3");
  EXPECT_EQ(audit.at, now);
  EXPECT_EQ(audit.request_id, "");
  EXPECT_NE(audit.before.find("settling"), std::string::npos) << audit.before;
  EXPECT_NE(audit.before.find(absl::StrCat("ends_at_ms=", absl::ToUnixMillis(end))),
            std::string::npos)
      << audit.before;
  EXPECT_NE(audit.after.find("entry 81"), std::string::npos) << audit.after;
  EXPECT_NE(
      audit.after.find(absl::StrCat("ends_at_ms=", absl::ToUnixMillis(deadline.object_until))),
      std::string::npos)
      << audit.after;
}

}  // namespace
}  // namespace jifen::publicity
