// The publicity windows' rules on the real storage and the real scoring: MySqlWindowRepository on a
// fresh publicity database, used through the service's restricted account, and a jifen-scoring
// process reached through publicity's production clients (GrpcLedgerCommands, GrpcVillageDirectory,
// GrpcLedgerSource). Only the clock is the test's: scoring records entries at real time, so every
// window is placed relative to when the test's entries were recorded.
//
// One database serves the suite and one scoring the binary; each test has a village of its own.
// RunDueWork and the window follower work on every window of the database, as the service's do,
// so assertions look at the test's own village.
#include "services/publicity/domain/windows.h"

#include <cppconn/connection.h>
#include <cppconn/resultset.h>

#include <algorithm>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/mysql/statement.h"
#include "common/mysql/transaction.h"
#include "gtest/gtest.h"
#include "services/publicity/domain/period.h"
#include "services/publicity/domain/scoring_test_support.h"
#include "services/publicity/domain/window_follower.h"
#include "services/publicity/storage/grpc_scoring.h"
#include "services/publicity/storage/mysql_window_repository.h"
#include "tests/support/audit_outbox.h"
#include "tests/support/service_database.h"

namespace jifen::publicity {
namespace {

using jifen::testing::SeededVillage;
using mysql::Statement;

class WindowsTest : public ScoringTest {
 protected:
  static void SetUpTestSuite() {
    ScoringTest::SetUpTestSuite();
    if (HasFatalFailure()) return;
    const jifen::testing::ServiceDatabase schema =
        jifen::testing::CreateServiceDatabase("publicity_windows", "services/publicity/migrations");
    ASSERT_FALSE(HasFailure());
    service_pool_ = new mysql::ConnectionPool(schema.ServiceConfig(4));
    admin_pool_ = new mysql::ConnectionPool(schema.AdminConfig(2));
  }

  static void TearDownTestSuite() {
    delete service_pool_;
    delete admin_pool_;
    service_pool_ = nullptr;
    admin_pool_ = nullptr;
  }

  // The village's households: `mine_` with two deductions and an award its admin reversed,
  // `other_` with a deduction, `third_` with an award (the one household a settlement credits).
  void SetUp() override {
    ScoringTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_NE(service_pool_, nullptr);
    repository_ = std::make_unique<MySqlWindowRepository>(*service_pool_);
    ledger_ = std::make_unique<GrpcLedgerCommands>(ClientOptions());
    villages_ = std::make_unique<GrpcVillageDirectory>(ClientOptions());
    stream_ = std::make_unique<GrpcLedgerSource>(ClientOptions());
    windows_ = std::make_unique<PublicityWindows>(*repository_, *ledger_, *villages_, clock_);

    village_ = NewVillage(3);
    ASSERT_EQ(village_.household_ids.size(), 3u);
    mine_ = village_.household_ids[0];
    other_ = village_.household_ids[1];
    third_ = village_.household_ids[2];
    deduction_ = Recorded(Inspect(village_, mine_, "HJ-04"));
    second_ = Recorded(Inspect(village_, mine_, "LJ-02"));
    others_ = Recorded(Inspect(village_, other_, "HJ-04"));
    const int64_t award = Recorded(Inspect(village_, mine_, "HJ-01"));
    reversal_ = Reverse(village_, award, absl::StrCat("setup-fix-", award)).sequence();
    Recorded(Inspect(village_, third_, "HJ-03"));
    ASSERT_FALSE(HasFailure());
    // Every entry above lies at least a window's length before the end of the default window.
    base_ = absl::Now();
    now_ = base_ + absl::Hours(1);
  }

  // Notes when scoring recorded an objectable entry; returns its sequence.
  int64_t Recorded(const scoring::v1::LedgerEntry& entry) {
    last_recorded_ = std::max(last_recorded_, absl::FromUnixMillis(entry.recorded_at_ms()));
    return entry.sequence();
  }

  auth::Caller Admin() const { return AdminOf(village_.village_id); }

  static auth::Caller AdminOf(int64_t village) {
    auth::Caller caller;
    caller.user_id = absl::StrCat("admin-", village);
    caller.role = auth::Role::kVillageAdmin;
    caller.village_id = village;
    return caller;
  }

  auth::Caller Resident(int64_t household) const {
    auth::Caller caller;
    caller.user_id = absl::StrCat("resident-", household);
    caller.role = auth::Role::kResident;
    caller.village_id = village_.village_id;
    caller.household_id = household;
    return caller;
  }

  void OpenQ3Window() {
    const absl::StatusOr<WindowRecord> opened = windows_->OpenWindow(
        Admin(), village_.village_id, "2025Q3", base_, base_ + absl::Hours(24 * 7));
    ASSERT_TRUE(opened.ok()) << opened.status();
  }

  // The village's window as stored.
  WindowRecord Stored(int64_t village) {
    const absl::StatusOr<std::optional<WindowRecord>> window =
        repository_->GetWindow(village, "2025Q3");
    EXPECT_TRUE(window.ok() && window->has_value()) << window.status();
    return window.ok() && window->has_value() ? **window : WindowRecord();
  }
  WindowState StateNow(int64_t village) { return StateAt(Stored(village), now_); }

  ObjectionStatus StoredStatus(int64_t objection_id) {
    const absl::StatusOr<std::optional<ObjectionRecord>> stored =
        repository_->GetObjection(objection_id);
    EXPECT_TRUE(stored.ok() && stored->has_value()) << stored.status();
    return stored.ok() && stored->has_value() ? (*stored)->status : ObjectionStatus::kPending;
  }

  std::vector<ObjectionRecord> StoredObjections() {
    const absl::StatusOr<std::vector<ObjectionRecord>> stored =
        repository_->ListObjections(village_.village_id, "2025Q3", 0, 100);
    EXPECT_TRUE(stored.ok()) << stored.status();
    return stored.ok() ? *stored : std::vector<ObjectionRecord>();
  }

  // The audit records publicity wrote with `action` for the village (its outbox).
  std::vector<jifen::testing::OutboxAudit> Audits(int64_t village, const std::string& action) {
    std::vector<jifen::testing::OutboxAudit> found;
    for (jifen::testing::OutboxAudit& row : jifen::testing::AuditOutboxAfter(*admin_pool_, 0)) {
      EXPECT_TRUE(row.parsed);
      if (row.village_id == village && row.record.action() == action) found.push_back(row);
    }
    return found;
  }

  // A restored backup, or an instance whose position is older: the follower reads the whole
  // ledger again.
  void RewindWindowFeed() {
    ASSERT_TRUE(mysql::RunWithConnection(*admin_pool_, [](sql::Connection& c) {
                  Statement(c, "UPDATE window_feed SET last_sequence = 0 WHERE feed_id = ?")
                      .Bind(1)
                      .Update();
                  return absl::OkStatus();
                }).ok());
  }

  // Waits until the clock scoring records entries by has passed `at` (same machine, same clock),
  // so that the next entry is recorded after it.
  static void LetTheClockPass(absl::Time at) {
    while (absl::Now() <= at + absl::Milliseconds(1)) absl::SleepFor(absl::Milliseconds(1));
  }

  inline static mysql::ConnectionPool* service_pool_ = nullptr;
  inline static mysql::ConnectionPool* admin_pool_ = nullptr;

  const absl::Time q3_end_ = ParsePeriod("2025Q3")->End();
  absl::Time base_;
  absl::Time now_;
  const PublicityWindows::Clock clock_ = [this] { return now_; };
  absl::Time last_recorded_ = absl::InfinitePast();
  SeededVillage village_;
  int64_t mine_ = 0, other_ = 0, third_ = 0;
  int64_t deduction_ = 0, second_ = 0, others_ = 0, reversal_ = 0;
  std::unique_ptr<MySqlWindowRepository> repository_;
  std::unique_ptr<GrpcLedgerCommands> ledger_;
  std::unique_ptr<GrpcVillageDirectory> villages_;
  std::unique_ptr<GrpcLedgerSource> stream_;
  std::unique_ptr<PublicityWindows> windows_;
};

TEST_F(WindowsTest, OnlyTheVillageAdminOpensAWindowThatOutlastsTheQuarter) {
  const int64_t village = village_.village_id;
  EXPECT_EQ(
      windows_->OpenWindow(AdminOf(village + 1), village, "2025Q3", base_, base_ + absl::Hours(48))
          .status()
          .code(),
      absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(windows_
                ->OpenWindow(Admin(), village, "2025Q3", q3_end_ - absl::Hours(72),
                             q3_end_ - absl::Hours(1))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  OpenQ3Window();
  EXPECT_EQ(windows_->OpenWindow(Admin(), village, "2025Q3", base_, base_ + absl::Hours(48))
                .status()
                .code(),
            absl::StatusCode::kAlreadyExists);
}

// Opened when it is nearly over (or already over), a window would make the quarter final before
// anyone could object.
TEST_F(WindowsTest, AWindowLeavesResidentsADayToObject) {
  const int64_t village = village_.village_id;
  now_ = base_ + absl::Hours(24 * 10);
  const absl::Status past =
      windows_->OpenWindow(Admin(), village, "2025Q3", base_, base_ + absl::Hours(24 * 7)).status();
  EXPECT_EQ(past.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(past.message().find("ends_at_ms"), absl::string_view::npos) << past.message();
  EXPECT_EQ(windows_->OpenWindow(Admin(), village, "2025Q3", base_, now_ + absl::Hours(23))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(windows_->OpenWindow(Admin(), village, "2025Q3", base_, now_ + absl::Hours(24)).ok());
}

TEST_F(WindowsTest, ObjectionsOnlyForOwnEntriesWhileTheWindowIsOpen) {
  OpenQ3Window();
  EXPECT_EQ(windows_->FileObjection(Resident(mine_), others_, "不是我家").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(windows_->FileObjection(Resident(mine_), reversal_, "x").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(windows_->FileObjection(Resident(mine_), deduction_, "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(windows_->FileObjection(Admin(), deduction_, "x").status().code(),
            absl::StatusCode::kPermissionDenied);
  absl::StatusOr<ObjectionRecord> filed =
      windows_->FileObjection(Resident(mine_), deduction_, "已经整改");
  ASSERT_TRUE(filed.ok()) << filed.status();
  EXPECT_EQ(filed->status, ObjectionStatus::kPending);
  EXPECT_EQ(windows_->FileObjection(Resident(mine_), deduction_, "again").status().code(),
            absl::StatusCode::kAlreadyExists);
  // The phone retried what it sent: the same objection, not a refusal.
  absl::StatusOr<ObjectionRecord> retried =
      windows_->FileObjection(Resident(mine_), deduction_, "已经整改");
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->objection_id, filed->objection_id);
  now_ = base_ + absl::Hours(24 * 8);
  EXPECT_EQ(windows_->FileObjection(Resident(mine_), second_, "too late").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// Scoring is down when the admin upholds: the objection stays "upholding" and the retry, with
// scoring back, reverses the entry once under the objection's correction id.
TEST_F(WindowsTest, UpheldObjectionReversesOnceEvenWhenRetried) {
  OpenQ3Window();
  const ObjectionRecord filed = *windows_->FileObjection(Resident(mine_), deduction_, "已经整改");
  StopScoring();
  EXPECT_EQ(windows_->ResolveObjection(Admin(), filed.objection_id, true, "").status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(StoredStatus(filed.objection_id), ObjectionStatus::kUpholding);
  RestartScoring();
  ASSERT_FALSE(HasFatalFailure());
  absl::StatusOr<ObjectionRecord> upheld =
      windows_->ResolveObjection(Admin(), filed.objection_id, true, "");
  ASSERT_TRUE(upheld.ok()) << upheld.status();
  EXPECT_EQ(upheld->status, ObjectionStatus::kUpheld);
  const std::optional<StoredReversal> reversal = ReversalOf(deduction_);
  ASSERT_TRUE(reversal.has_value());
  EXPECT_EQ(upheld->correction_sequence, reversal->sequence);
  EXPECT_EQ(reversal->correction_id, absl::StrCat("objection-", filed.objection_id));
  // Upholding again is a no-op; rejecting now is refused.
  EXPECT_TRUE(windows_->ResolveObjection(Admin(), filed.objection_id, true, "").ok());
  EXPECT_EQ(windows_->ResolveObjection(Admin(), filed.objection_id, false, "no").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(
      windows_->ResolveObjection(AdminOf(village_.village_id + 1), filed.objection_id, true, "")
          .status()
          .code(),
      absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ReversalsOf(deduction_), 1);
}

// The admin reversed the entry directly while its objection was pending: upholding finds the work
// done and finishes (it stayed "upholding" for ever, and the quarter could never settle).
TEST_F(WindowsTest, UpholdingAnEntryAlreadyReversedFinishesAndTheQuarterSettles) {
  OpenQ3Window();
  const ObjectionRecord filed = *windows_->FileObjection(Resident(mine_), deduction_, "已经整改");
  Reverse(village_, deduction_, "admin-correction");
  absl::StatusOr<ObjectionRecord> upheld =
      windows_->ResolveObjection(Admin(), filed.objection_id, true, "");
  ASSERT_TRUE(upheld.ok()) << upheld.status();
  EXPECT_EQ(upheld->status, ObjectionStatus::kUpheld);
  EXPECT_EQ(upheld->correction_sequence, 0);  // the correction was not the objection's
  EXPECT_EQ(ReversalsOf(deduction_), 1);
  now_ = base_ + absl::Hours(24 * 8);
  int settled = 0;
  ASSERT_TRUE(windows_->RunDueWork(&settled).ok());
  ASSERT_TRUE(windows_->RunDueWork(&settled).ok());
  EXPECT_EQ(StateNow(village_.village_id), WindowState::kSettled);
  EXPECT_TRUE(Settled(village_.village_id));
  EXPECT_EQ(Audits(village_.village_id, "window.settle").size(), 1u);
}

// Chinese input methods type the full-width space (U+3000); phones paste no-break spaces.
TEST_F(WindowsTest, ABlankReasonIsNoReason) {
  OpenQ3Window();
  for (const char* blank : {"   ", "\xE3\x80\x80\xE3\x80\x80", " \xC2\xA0\xE3\x80\x80\t"}) {
    const absl::Status refused =
        windows_->FileObjection(Resident(mine_), deduction_, blank).status();
    EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument) << blank;
    EXPECT_TRUE(absl::StartsWith(refused.message(), "reason:")) << refused.message();
  }
  EXPECT_TRUE(StoredObjections().empty());
  const ObjectionRecord filed = *windows_->FileObjection(Resident(mine_), deduction_, "已经整改");
  for (const char* blank : {" \t", "\xE3\x80\x80\xE3\x80\x80"}) {
    EXPECT_EQ(windows_->ResolveObjection(Admin(), filed.objection_id, false, blank).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(StoredStatus(filed.objection_id), ObjectionStatus::kPending);
  // Upholding needs no reason: a blank one is none, and the correction carries the default.
  absl::StatusOr<ObjectionRecord> upheld =
      windows_->ResolveObjection(Admin(), filed.objection_id, true, "\xE3\x80\x80");
  ASSERT_TRUE(upheld.ok()) << upheld.status();
  EXPECT_EQ(upheld->status, ObjectionStatus::kUpheld);
  EXPECT_EQ(upheld->resolution_reason, "");
  const std::optional<StoredReversal> reversal = ReversalOf(deduction_);
  ASSERT_TRUE(reversal.has_value());
  EXPECT_TRUE(absl::StartsWith(reversal->reason, "异议成立")) << reversal->reason;
}

std::string Repeat(absl::string_view character, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) absl::StrAppend(&out, character);
  return out;
}

// The columns hold 500 characters; 501 Chinese characters are 1,503 bytes, which a limit in bytes
// let through to a database refusal (HTTP 500).
TEST_F(WindowsTest, AReasonHoldsAtMost500CharactersNotBytes) {
  OpenQ3Window();
  const absl::Status too_long =
      windows_->FileObjection(Resident(mine_), deduction_, Repeat("错", 501)).status();
  EXPECT_EQ(too_long.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(too_long.message(), "REASON_TOO_LONG: reason: at most 500"))
      << too_long.message();
  EXPECT_TRUE(StoredObjections().empty());
  absl::StatusOr<ObjectionRecord> filed =
      windows_->FileObjection(Resident(mine_), deduction_, Repeat("错", 500));
  ASSERT_TRUE(filed.ok()) << filed.status();

  for (const bool uphold : {false, true}) {
    const absl::Status refused =
        windows_->ResolveObjection(Admin(), filed->objection_id, uphold, Repeat("准", 501))
            .status();
    EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument) << uphold;
    EXPECT_TRUE(absl::StartsWith(refused.message(), "REASON_TOO_LONG: reason:")) << uphold;
    EXPECT_EQ(StoredStatus(filed->objection_id), ObjectionStatus::kPending);
  }
  EXPECT_EQ(ReversalsOf(deduction_), 0);
  absl::StatusOr<ObjectionRecord> rejected =
      windows_->ResolveObjection(Admin(), filed->objection_id, false, Repeat("准", 500));
  ASSERT_TRUE(rejected.ok()) << rejected.status();
  EXPECT_EQ(rejected->status, ObjectionStatus::kRejected);
  EXPECT_EQ(rejected->resolution_reason, Repeat("准", 500));
}

TEST_F(WindowsTest, APendingObjectionHoldsSettlementWhichThenHappensOnce) {
  OpenQ3Window();
  const ObjectionRecord filed = *windows_->FileObjection(Resident(mine_), deduction_, "已经整改");
  now_ = base_ + absl::Hours(24 * 8);
  int settled = 0;
  ASSERT_TRUE(windows_->RunDueWork(&settled).ok());
  EXPECT_EQ(StateNow(village_.village_id), WindowState::kClosed);
  EXPECT_FALSE(Settled(village_.village_id));

  ASSERT_TRUE(windows_->ResolveObjection(Admin(), filed.objection_id, false, "证据充分").ok());
  ASSERT_TRUE(windows_->RunDueWork(&settled).ok());
  ASSERT_TRUE(windows_->RunDueWork(&settled).ok());
  EXPECT_TRUE(Settled(village_.village_id));
  EXPECT_EQ(Audits(village_.village_id, "window.settle").size(), 1u);
  const WindowRecord window = *windows_->GetWindow(Resident(mine_), village_.village_id, "2025Q3");
  EXPECT_EQ(StateAt(window, now_), WindowState::kSettled);
  // Only `third_` ends the quarter above zero (HJ-03, +5).
  EXPECT_EQ(window.households_credited, 1);
  EXPECT_EQ(window.points_credited, 5);
}

// Scoring had already settled the quarter when publicity asked (an instance settled it and died
// before recording it, or two instances claimed the window): the window records what scoring
// credited then. It recorded 0 households and 0 points, as scoring's answer to a repeat carried
// no numbers; the fake ledger answered every settlement alike and hid that.
TEST_F(WindowsTest, AQuarterScoringSettledBeforeIsRecordedWithWhatItCredited) {
  OpenQ3Window();
  now_ = base_ + absl::Hours(24 * 8);
  // What the instance that died got from scoring.
  const absl::StatusOr<Settlement> first =
      ledger_->SettlePeriod(village_.village_id, "2025Q3", base_ + absl::Hours(24 * 6));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->households_credited, 1);  // `third_` (HJ-03, +5)
  EXPECT_EQ(first->points_credited, 5);
  int settled = 0;
  ASSERT_TRUE(windows_->RunDueWork(&settled).ok());
  const WindowRecord window = Stored(village_.village_id);
  EXPECT_EQ(StateAt(window, now_), WindowState::kSettled);
  EXPECT_EQ(window.households_credited, 1);
  EXPECT_EQ(window.points_credited, 5);
  const std::vector<jifen::testing::OutboxAudit> audits =
      Audits(village_.village_id, "window.settle");
  ASSERT_EQ(audits.size(), 1u);
  EXPECT_TRUE(absl::StrContains(audits[0].record.after(), "settled: 1 households, 5 points"))
      << audits[0].record.after();
}

// Settlement asks scoring to refuse entries recorded after the window's end less the time every
// household must have to object: a window ending a millisecond too soon for the village's latest
// entry is refused, one ending exactly a day after it is not. With that time set to zero nothing
// is asked.
TEST_F(WindowsTest, SettlementRefusesEntriesTooRecentForTheirHouseholdToHaveObjected) {
  const absl::Time latest = last_recorded_;
  now_ = latest - absl::Hours(1);
  const absl::Time end = latest + kWindowLengthMin - absl::Milliseconds(1);
  ASSERT_TRUE(
      windows_->OpenWindow(Admin(), village_.village_id, "2025Q3", latest - absl::Hours(48), end)
          .ok());
  now_ = end;
  int settled = 0;
  const absl::Status refused = windows_->RunDueWork(&settled);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  EXPECT_TRUE(absl::StrContains(refused.message(), "LATE_ENTRIES")) << refused;
  EXPECT_EQ(StateNow(village_.village_id), WindowState::kSettling);
  EXPECT_FALSE(Settled(village_.village_id));

  PublicityWindows unchecked(*repository_, *ledger_, *villages_, clock_, absl::ZeroDuration());
  ASSERT_TRUE(unchecked.RunDueWork(&settled).ok());
  EXPECT_EQ(StateNow(village_.village_id), WindowState::kSettled);
  EXPECT_TRUE(Settled(village_.village_id));

  const SeededVillage exact = NewVillage(1);
  const absl::Time recorded =
      absl::FromUnixMillis(Inspect(exact, exact.household_ids[0], "HJ-04").recorded_at_ms());
  now_ = recorded - absl::Hours(1);
  ASSERT_TRUE(windows_
                  ->OpenWindow(AdminOf(exact.village_id), exact.village_id, "2025Q3",
                               recorded - absl::Hours(48), recorded + kWindowLengthMin)
                  .ok());
  now_ = recorded + kWindowLengthMin;
  const absl::Status done = windows_->RunDueWork(&settled);
  ASSERT_TRUE(done.ok()) << done;
  EXPECT_EQ(StateNow(exact.village_id), WindowState::kSettled);
  EXPECT_TRUE(Settled(exact.village_id));
}

// The QA case: a deduction recorded when its window had less than a day left, while another
// household's objection was still pending. It was settled without its household ever being able
// to object; now the quarter waits, and the window opens again for a day from the entry. (Scoring
// records at real time, so the window is placed to end a day after the village's entries, and
// the late entry is recorded after that.)
TEST_F(WindowsTest, ALateEntryReopensTheWindowSoItsHouseholdCanObjectBeforeSettlement) {
  const int64_t village = village_.village_id;
  const absl::Time early = last_recorded_;
  const absl::Time first_end = early + kWindowLengthMin;
  now_ = early;
  ASSERT_TRUE(
      windows_->OpenWindow(Admin(), village, "2025Q3", early - absl::Hours(48), first_end).ok());
  const ObjectionRecord first = *windows_->FileObjection(Resident(mine_), deduction_, "已经整改");
  now_ = first_end;
  int settled = 0;
  ASSERT_TRUE(windows_->RunDueWork(&settled).ok());  // held by the pending objection
  EXPECT_EQ(StateNow(village), WindowState::kClosed);

  LetTheClockPass(early);
  const scoring::v1::LedgerEntry late = Inspect(village_, other_, "LJ-02");
  const absl::Time late_recorded = absl::FromUnixMillis(late.recorded_at_ms());
  ASSERT_GT(late_recorded, early);
  EXPECT_EQ(windows_->FileObjection(Resident(other_), late.sequence(), "没有乱堆").status().code(),
            absl::StatusCode::kFailedPrecondition);  // the window is closed

  // The objection is resolved before the follower has seen the entry: scoring refuses to settle.
  ASSERT_TRUE(windows_->ResolveObjection(Admin(), first.objection_id, false, "有照片").ok());
  const absl::Status refused = windows_->RunDueWork(&settled);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  EXPECT_TRUE(absl::StrContains(refused.message(), "LATE_ENTRIES")) << refused;
  EXPECT_FALSE(Settled(village));
  EXPECT_EQ(StateNow(village), WindowState::kSettling);

  WindowFollower follower(*repository_, *stream_, kWindowLengthMin, clock_);
  ASSERT_TRUE(follower.CatchUp().ok());
  const WindowRecord reopened = *windows_->GetWindow(Resident(other_), village, "2025Q3");
  EXPECT_EQ(StateAt(reopened, now_), WindowState::kOpen);
  EXPECT_EQ(reopened.ends_at, late_recorded + kWindowLengthMin);
  const std::vector<jifen::testing::OutboxAudit> extended = Audits(village, "window.extend");
  ASSERT_EQ(extended.size(), 1u);
  EXPECT_EQ(extended[0].record.actor_role(), "service");
  EXPECT_EQ(extended[0].record.object_type(), "window");
  EXPECT_EQ(extended[0].record.object_id(), "2025Q3");
  // ends_at_ms= is for audit's close_burst rule, as on every window record.
  EXPECT_TRUE(absl::StrContains(extended[0].record.after(),
                                absl::StrCat("ends_at_ms=", absl::ToUnixMillis(reopened.ends_at))))
      << extended[0].record.after();
  EXPECT_GE(*repository_->WindowFeedPosition(), late.sequence());
  // Read again (a restart, another instance), the stream changes nothing more.
  ASSERT_TRUE(follower.CatchUp().ok());
  RewindWindowFeed();
  WindowFollower replay(*repository_, *stream_, kWindowLengthMin, clock_);
  ASSERT_TRUE(replay.CatchUp().ok());
  EXPECT_EQ(Audits(village, "window.extend").size(), 1u);
  EXPECT_EQ(Stored(village).ends_at, reopened.ends_at);

  absl::StatusOr<ObjectionRecord> objected =
      windows_->FileObjection(Resident(other_), late.sequence(), "没有乱堆");
  ASSERT_TRUE(objected.ok()) << objected.status();
  now_ = reopened.ends_at + absl::Hours(1);
  ASSERT_TRUE(windows_->RunDueWork(&settled).ok());
  EXPECT_FALSE(Settled(village));  // now held by the late entry's own objection
  ASSERT_TRUE(windows_->ResolveObjection(Admin(), objected->objection_id, true, "").ok());
  // Settled with the cutoff at the new end less a day: the late entry's own recording time.
  const absl::Status done = windows_->RunDueWork(&settled);
  ASSERT_TRUE(done.ok()) << done;
  EXPECT_TRUE(Settled(village));
  EXPECT_EQ(StateNow(village), WindowState::kSettled);
  EXPECT_EQ(Audits(village, "window.settle").size(), 1u);
}

// An entry recorded with a day of its window left (the village's latest) and a correction recorded
// after it move nothing; the follower still notes that it has read them.
TEST_F(WindowsTest, OnlyObjectableEntriesWithTooLittleOfTheWindowLeftMoveIt) {
  const int64_t village = village_.village_id;
  const absl::Time end = last_recorded_ + kWindowLengthMin;
  now_ = last_recorded_;
  ASSERT_TRUE(
      windows_->OpenWindow(Admin(), village, "2025Q3", last_recorded_ - absl::Hours(48), end).ok());
  LetTheClockPass(last_recorded_);
  const scoring::v1::LedgerEntry correction = Reverse(village_, second_, "admin-late-correction");
  ASSERT_GT(absl::FromUnixMillis(correction.recorded_at_ms()), last_recorded_);
  WindowFollower follower(*repository_, *stream_, kWindowLengthMin, clock_);
  ASSERT_TRUE(follower.CatchUp().ok());
  EXPECT_EQ(Stored(village).ends_at, end);
  EXPECT_TRUE(Audits(village, "window.extend").empty());
  EXPECT_GE(*repository_->WindowFeedPosition(), correction.sequence());  // not to be read again
}

TEST_F(WindowsTest, ResidentsSeeOnlyTheirOwnObjections) {
  OpenQ3Window();
  ASSERT_TRUE(windows_->FileObjection(Resident(mine_), deduction_, "a").ok());
  ASSERT_TRUE(windows_->FileObjection(Resident(other_), others_, "b").ok());
  EXPECT_EQ(windows_->ListObjections(Resident(mine_), village_.village_id, "2025Q3", 0)->size(),
            1u);
  EXPECT_EQ(windows_->ListObjections(Admin(), village_.village_id, "2025Q3", 0)->size(), 2u);
}

}  // namespace
}  // namespace jifen::publicity
