#include "services/publicity/domain/windows.h"

#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "services/publicity/domain/memory_ledger.h"
#include "services/publicity/domain/period.h"
#include "services/publicity/domain/window_follower.h"

namespace jifen::publicity {
namespace {

class FakeWindowRepository final : public WindowRepository {
 public:
  absl::Status CreateWindow(const WindowRecord& window, const AuditEvent& audit) override {
    const auto key = std::make_pair(window.village_id, window.period);
    if (windows.count(key)) return absl::AlreadyExistsError("window exists");
    windows[key] = window;
    audits.push_back(audit.action);
    return absl::OkStatus();
  }
  absl::StatusOr<std::optional<WindowRecord>> GetWindow(int64_t village,
                                                        const std::string& period) override {
    auto it = windows.find({village, period});
    if (it == windows.end()) return std::optional<WindowRecord>();
    WindowRecord window = it->second;
    window.pending_objections = Pending(village, period);
    return std::optional<WindowRecord>(window);
  }
  absl::StatusOr<ObjectionRecord> FileObjection(const ObjectionRecord& objection, absl::Time now,
                                                AuditEvent audit) override {
    auto it = windows.find({objection.village_id, objection.period});
    if (it == windows.end() || now < it->second.starts_at ||
        StateAt(it->second, now) != WindowState::kOpen) {
      return absl::FailedPreconditionError("no open window");
    }
    for (const auto& [id, existing] : objections) {
      if (existing.entry_sequence == objection.entry_sequence) {
        return absl::AlreadyExistsError("entry has an objection");
      }
    }
    ObjectionRecord stored = objection;
    stored.objection_id = ++last_id;
    objections[stored.objection_id] = stored;
    audits.push_back(audit.action);
    return stored;
  }
  absl::StatusOr<std::optional<ObjectionRecord>> GetObjection(int64_t id) override {
    auto it = objections.find(id);
    if (it == objections.end()) return std::optional<ObjectionRecord>();
    return std::optional<ObjectionRecord>(it->second);
  }
  absl::StatusOr<ObjectionRecord> TransitionObjection(const ObjectionRecord& update,
                                                      const std::vector<ObjectionStatus>& from,
                                                      const AuditEvent& audit) override {
    ObjectionRecord& stored = objections.at(update.objection_id);
    if (std::find(from.begin(), from.end(), stored.status) == from.end()) {
      return absl::FailedPreconditionError("status changed");
    }
    stored = update;
    audits.push_back(audit.action);
    return stored;
  }
  absl::StatusOr<std::vector<ObjectionRecord>> ListObjections(int64_t village,
                                                              const std::string& period,
                                                              int64_t household,
                                                              int limit) override {
    std::vector<ObjectionRecord> out;
    for (const auto& [id, objection] : objections) {
      if (objection.village_id == village && objection.period == period &&
          (household == 0 || objection.household_id == household)) {
        out.push_back(objection);
      }
    }
    return out;
  }
  absl::StatusOr<std::vector<ObjectionRecord>> ListUpholding(int limit) override {
    std::vector<ObjectionRecord> out;
    for (const auto& [id, objection] : objections) {
      if (objection.status == ObjectionStatus::kUpholding) out.push_back(objection);
    }
    return out;
  }
  absl::StatusOr<std::vector<WindowRecord>> ClaimSettleable(absl::Time now, int limit) override {
    std::vector<WindowRecord> out;
    for (auto& [key, window] : windows) {
      if (window.stored_state == StoredWindowState::kOpen && now >= window.ends_at &&
          Pending(key.first, key.second) == 0) {
        window.stored_state = StoredWindowState::kSettling;
      }
      if (window.stored_state == StoredWindowState::kSettling) out.push_back(window);
    }
    return out;
  }
  absl::Status MarkSettled(int64_t village, const std::string& period, const Settlement& s,
                           absl::Time at, const AuditEvent& audit) override {
    WindowRecord& window = windows.at({village, period});
    window.stored_state = StoredWindowState::kSettled;
    window.households_credited = s.households_credited;
    audits.push_back(audit.action);
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<WindowRecord>> ExtendWindows(
      const std::vector<WindowDeadline>& deadlines, int64_t through_sequence,
      absl::Time now) override {
    std::vector<WindowRecord> moved;
    for (const WindowDeadline& deadline : deadlines) {
      auto it = windows.find({deadline.village_id, deadline.period});
      if (it == windows.end()) continue;
      const std::optional<absl::Time> new_end = ExtendedEnd(it->second, deadline.object_until);
      if (!new_end.has_value()) continue;
      extension_audits.push_back(ExtensionAudit(it->second, deadline, *new_end, now));
      audits.push_back(extension_audits.back().action);
      it->second.ends_at = *new_end;
      it->second.stored_state = StoredWindowState::kOpen;
      moved.push_back(it->second);
    }
    if (!moved.empty()) feed_position = std::max(feed_position, through_sequence);
    return moved;
  }
  absl::StatusOr<int64_t> WindowFeedPosition() override { return feed_position; }
  absl::Status SaveWindowFeedPosition(int64_t through_sequence) override {
    feed_position = std::max(feed_position, through_sequence);
    return absl::OkStatus();
  }
  absl::StatusOr<ListRules> GetListRules(int64_t village) override {
    ListRules rules;
    rules.village_id = village;
    return rules;
  }
  absl::Status PutListRules(const ListRules&, const AuditEvent&) override {
    return absl::OkStatus();
  }

  int64_t Pending(int64_t village, const std::string& period) const {
    int64_t pending = 0;
    for (const auto& [id, objection] : objections) {
      if (objection.village_id == village && objection.period == period &&
          (objection.status == ObjectionStatus::kPending ||
           objection.status == ObjectionStatus::kUpholding)) {
        ++pending;
      }
    }
    return pending;
  }

  std::map<std::pair<int64_t, std::string>, WindowRecord> windows;
  std::map<int64_t, ObjectionRecord> objections;
  std::vector<std::string> audits;
  std::vector<AuditEvent> extension_audits;
  int64_t last_id = 0;
  int64_t feed_position = 0;
};

class FakeLedger final : public LedgerCommands {
 public:
  absl::StatusOr<std::optional<BoardEntry>> FindEntry(int64_t household,
                                                      int64_t sequence) override {
    auto it = entries.find(sequence);
    if (it == entries.end() || it->second.household_id != household) {
      return std::optional<BoardEntry>();
    }
    return std::optional<BoardEntry>(it->second);
  }
  absl::StatusOr<int64_t> ReverseEntry(int64_t sequence, const std::string& correction_id,
                                       const std::string& reason, const std::string&) override {
    if (reverse_failures > 0) {
      --reverse_failures;
      return absl::UnavailableError("scoring down");
    }
    auto it = reversals.find(correction_id);
    if (it != reversals.end()) return it->second;
    // As scoring: an entry is reversed at most once, whichever correction did it.
    for (const auto& [id, reversal] : reversals) {
      if (reversal == 1000 + sequence) {
        return absl::FailedPreconditionError(absl::StrCat(
            "ALREADY_REVERSED: entry ", sequence, " was reversed by entry ", reversal));
      }
    }
    reversals[correction_id] = 1000 + sequence;
    reversal_reasons[sequence] = reason;
    return 1000 + sequence;
  }
  // As scoring: refused while an objectable entry of the quarter is more recent than the cutoff.
  absl::StatusOr<Settlement> SettlePeriod(int64_t village, const std::string& period,
                                          absl::Time refuse_recorded_after) override {
    settle_cutoffs.push_back(refuse_recorded_after);
    for (const auto& [sequence, entry] : entries) {
      if (entry.village_id == village && entry.period == period && IsObjectable(entry) &&
          absl::FromUnixMillis(entry.recorded_at_ms) > refuse_recorded_after) {
        return absl::FailedPreconditionError(
            absl::StrCat("LATE_ENTRIES: entry ", sequence, " was recorded too recently"));
      }
    }
    settle_calls.push_back(absl::StrCat(village, "/", period));
    return Settlement{3, 42};
  }

  std::map<int64_t, BoardEntry> entries;
  std::map<std::string, int64_t> reversals;
  std::map<int64_t, std::string> reversal_reasons;  // by the sequence reversed
  std::vector<std::string> settle_calls;   // the settlements made
  std::vector<absl::Time> settle_cutoffs;  // of every settlement asked for
  int reverse_failures = 0;
};

class FakeVillages final : public VillageDirectory {
 public:
  absl::StatusOr<int64_t> TownOf(int64_t village) override {
    if (village == 1) return 100;
    return absl::NotFoundError("no village");
  }
  absl::StatusOr<int64_t> VillageOfGroup(int64_t) override {
    return absl::NotFoundError("no group");
  }
  absl::StatusOr<absl::flat_hash_map<int64_t, int64_t>> AllVillages() override {
    return absl::flat_hash_map<int64_t, int64_t>{{1, 100}};
  }
};

auth::Caller Admin(int64_t village = 1) {
  auth::Caller caller;
  caller.user_id = "admin-1";
  caller.role = auth::Role::kVillageAdmin;
  caller.village_id = village;
  return caller;
}

auth::Caller Resident(int64_t household) {
  auth::Caller caller;
  caller.user_id = absl::StrCat("resident-", household);
  caller.role = auth::Role::kResident;
  caller.village_id = 1;
  caller.household_id = household;
  return caller;
}

class WindowsTest : public ::testing::Test {
 protected:
  WindowsTest() : windows_(repository_, ledger_, villages_, [this] { return now_; }) {
    BoardEntry deduction;
    deduction.sequence = 5;
    deduction.village_id = 1;
    deduction.household_id = 10;
    deduction.score_account = true;
    deduction.points = -3;
    deduction.period = "2025Q3";
    ledger_.entries[5] = deduction;
    BoardEntry other = deduction;
    other.sequence = 6;
    other.household_id = 11;
    ledger_.entries[6] = other;
    BoardEntry reversal = deduction;
    reversal.sequence = 7;
    reversal.reverses_sequence = 3;
    ledger_.entries[7] = reversal;
  }

  void OpenQ3Window() {
    ASSERT_TRUE(
        windows_.OpenWindow(Admin(), 1, "2025Q3", q3_end_, q3_end_ + absl::Hours(24 * 7)).ok());
  }

  const absl::Time q3_end_ = ParsePeriod("2025Q3")->End();
  absl::Time now_ = q3_end_ + absl::Hours(1);
  FakeWindowRepository repository_;
  FakeLedger ledger_;
  FakeVillages villages_;
  PublicityWindows windows_;
};

TEST_F(WindowsTest, OnlyTheVillageAdminOpensAWindowThatOutlastsTheQuarter) {
  EXPECT_EQ(windows_.OpenWindow(Admin(2), 1, "2025Q3", q3_end_, q3_end_ + absl::Hours(48))
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(
      windows_.OpenWindow(Admin(), 1, "2025Q3", q3_end_ - absl::Hours(72), q3_end_ - absl::Hours(1))
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
  OpenQ3Window();
  EXPECT_EQ(
      windows_.OpenWindow(Admin(), 1, "2025Q3", q3_end_, q3_end_ + absl::Hours(48)).status().code(),
      absl::StatusCode::kAlreadyExists);
}

// Opened when it is nearly over (or already over), a window would make the quarter final before
// anyone could object.
TEST_F(WindowsTest, AWindowLeavesResidentsADayToObject) {
  now_ = q3_end_ + absl::Hours(24 * 10);
  const absl::Status past =
      windows_.OpenWindow(Admin(), 1, "2025Q3", q3_end_, q3_end_ + absl::Hours(24 * 7)).status();
  EXPECT_EQ(past.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(past.message().find("ends_at_ms"), absl::string_view::npos) << past.message();
  EXPECT_EQ(windows_.OpenWindow(Admin(), 1, "2025Q3", q3_end_, now_ + absl::Hours(23))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(windows_.OpenWindow(Admin(), 1, "2025Q3", q3_end_, now_ + absl::Hours(24)).ok());
}

TEST_F(WindowsTest, ObjectionsOnlyForOwnEntriesWhileTheWindowIsOpen) {
  OpenQ3Window();
  EXPECT_EQ(windows_.FileObjection(Resident(10), 6, "不是我家").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(windows_.FileObjection(Resident(10), 7, "x").status().code(),
            absl::StatusCode::kFailedPrecondition);  // a reversal
  EXPECT_EQ(windows_.FileObjection(Resident(10), 5, "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(windows_.FileObjection(Admin(), 5, "x").status().code(),
            absl::StatusCode::kPermissionDenied);
  absl::StatusOr<ObjectionRecord> filed = windows_.FileObjection(Resident(10), 5, "已经整改");
  ASSERT_TRUE(filed.ok()) << filed.status();
  EXPECT_EQ(filed->status, ObjectionStatus::kPending);
  EXPECT_EQ(windows_.FileObjection(Resident(10), 5, "again").status().code(),
            absl::StatusCode::kAlreadyExists);
  // The phone retried what it sent: the same objection, not a refusal.
  absl::StatusOr<ObjectionRecord> retried = windows_.FileObjection(Resident(10), 5, "已经整改");
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->objection_id, filed->objection_id);
  now_ = q3_end_ + absl::Hours(24 * 8);
  ledger_.entries[6].household_id = 10;
  EXPECT_EQ(windows_.FileObjection(Resident(10), 6, "too late").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(WindowsTest, UpheldObjectionReversesOnceEvenWhenRetried) {
  OpenQ3Window();
  const ObjectionRecord filed = *windows_.FileObjection(Resident(10), 5, "已经整改");
  ledger_.reverse_failures = 1;
  EXPECT_EQ(windows_.ResolveObjection(Admin(), filed.objection_id, true, "").status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(repository_.objections[filed.objection_id].status, ObjectionStatus::kUpholding);
  absl::StatusOr<ObjectionRecord> upheld =
      windows_.ResolveObjection(Admin(), filed.objection_id, true, "");
  ASSERT_TRUE(upheld.ok()) << upheld.status();
  EXPECT_EQ(upheld->status, ObjectionStatus::kUpheld);
  EXPECT_EQ(upheld->correction_sequence, 1005);
  EXPECT_EQ(ledger_.reversals.size(), 1u);
  EXPECT_EQ(ledger_.reversals.begin()->first, absl::StrCat("objection-", filed.objection_id));
  // Upholding again is a no-op; rejecting now is refused.
  EXPECT_TRUE(windows_.ResolveObjection(Admin(), filed.objection_id, true, "").ok());
  EXPECT_EQ(windows_.ResolveObjection(Admin(), filed.objection_id, false, "no").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(windows_.ResolveObjection(Admin(2), filed.objection_id, true, "").status().code(),
            absl::StatusCode::kPermissionDenied);
}

// The admin reversed the entry directly while its objection was pending: upholding finds the work
// done and finishes (it stayed "upholding" for ever, and the quarter could never settle).
TEST_F(WindowsTest, UpholdingAnEntryAlreadyReversedFinishesAndTheQuarterSettles) {
  OpenQ3Window();
  const ObjectionRecord filed = *windows_.FileObjection(Resident(10), 5, "已经整改");
  ASSERT_TRUE(ledger_.ReverseEntry(5, "admin-correction", "录入错误", "").ok());
  absl::StatusOr<ObjectionRecord> upheld =
      windows_.ResolveObjection(Admin(), filed.objection_id, true, "");
  ASSERT_TRUE(upheld.ok()) << upheld.status();
  EXPECT_EQ(upheld->status, ObjectionStatus::kUpheld);
  EXPECT_EQ(upheld->correction_sequence, 0);  // the correction was not the objection's
  now_ = q3_end_ + absl::Hours(24 * 8);
  int settled = 0;
  ASSERT_TRUE(windows_.RunDueWork(&settled).ok());
  ASSERT_TRUE(windows_.RunDueWork(&settled).ok());
  EXPECT_EQ(settled, 1);
}

// Chinese input methods type the full-width space (U+3000); phones paste no-break spaces.
TEST_F(WindowsTest, ABlankReasonIsNoReason) {
  OpenQ3Window();
  for (const char* blank : {"   ", "\xE3\x80\x80\xE3\x80\x80", " \xC2\xA0\xE3\x80\x80\t"}) {
    const absl::Status refused = windows_.FileObjection(Resident(10), 5, blank).status();
    EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument) << blank;
    EXPECT_TRUE(absl::StartsWith(refused.message(), "reason:")) << refused.message();
  }
  EXPECT_TRUE(repository_.objections.empty());
  const ObjectionRecord filed = *windows_.FileObjection(Resident(10), 5, "已经整改");
  for (const char* blank : {" \t", "\xE3\x80\x80\xE3\x80\x80"}) {
    EXPECT_EQ(windows_.ResolveObjection(Admin(), filed.objection_id, false, blank).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(repository_.objections[filed.objection_id].status, ObjectionStatus::kPending);
  // Upholding needs no reason: a blank one is none, and the correction carries the default.
  absl::StatusOr<ObjectionRecord> upheld =
      windows_.ResolveObjection(Admin(), filed.objection_id, true, "\xE3\x80\x80");
  ASSERT_TRUE(upheld.ok()) << upheld.status();
  EXPECT_EQ(upheld->status, ObjectionStatus::kUpheld);
  EXPECT_EQ(upheld->resolution_reason, "");
  EXPECT_TRUE(absl::StartsWith(ledger_.reversal_reasons.at(5), "异议成立"));
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
  const absl::Status too_long = windows_.FileObjection(Resident(10), 5, Repeat("错", 501)).status();
  EXPECT_EQ(too_long.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(too_long.message(), "REASON_TOO_LONG: reason: at most 500"))
      << too_long.message();
  EXPECT_TRUE(repository_.objections.empty());
  absl::StatusOr<ObjectionRecord> filed =
      windows_.FileObjection(Resident(10), 5, Repeat("错", 500));
  ASSERT_TRUE(filed.ok()) << filed.status();

  for (const bool uphold : {false, true}) {
    const absl::Status refused =
        windows_.ResolveObjection(Admin(), filed->objection_id, uphold, Repeat("准", 501)).status();
    EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument) << uphold;
    EXPECT_TRUE(absl::StartsWith(refused.message(), "REASON_TOO_LONG: reason:")) << uphold;
    EXPECT_EQ(repository_.objections[filed->objection_id].status, ObjectionStatus::kPending);
  }
  EXPECT_TRUE(ledger_.reversals.empty());
  absl::StatusOr<ObjectionRecord> rejected =
      windows_.ResolveObjection(Admin(), filed->objection_id, false, Repeat("准", 500));
  ASSERT_TRUE(rejected.ok()) << rejected.status();
  EXPECT_EQ(rejected->status, ObjectionStatus::kRejected);
}

TEST_F(WindowsTest, APendingObjectionHoldsSettlementWhichThenHappensOnce) {
  OpenQ3Window();
  const ObjectionRecord filed = *windows_.FileObjection(Resident(10), 5, "已经整改");
  now_ = q3_end_ + absl::Hours(24 * 8);
  int settled = 0;
  ASSERT_TRUE(windows_.RunDueWork(&settled).ok());
  EXPECT_EQ(settled, 0);
  EXPECT_TRUE(ledger_.settle_calls.empty());
  EXPECT_EQ(StateAt(*windows_.GetWindow(Admin(), 1, "2025Q3"), now_), WindowState::kClosed);

  ASSERT_TRUE(windows_.ResolveObjection(Admin(), filed.objection_id, false, "证据充分").ok());
  ASSERT_TRUE(windows_.RunDueWork(&settled).ok());
  ASSERT_TRUE(windows_.RunDueWork(&settled).ok());
  EXPECT_EQ(settled, 1);
  EXPECT_EQ(ledger_.settle_calls, std::vector<std::string>{"1/2025Q3"});
  const WindowRecord window = *windows_.GetWindow(Resident(10), 1, "2025Q3");
  EXPECT_EQ(StateAt(window, now_), WindowState::kSettled);
  EXPECT_EQ(window.households_credited, 3);
}

// Settlement asks scoring to refuse entries recorded after the window's end less the time every
// household must have to object; with that time set to zero nothing is asked.
TEST_F(WindowsTest, SettlementRefusesEntriesTooRecentForTheirHouseholdToHaveObjected) {
  OpenQ3Window();
  now_ = q3_end_ + absl::Hours(24 * 8);
  int settled = 0;
  ASSERT_TRUE(windows_.RunDueWork(&settled).ok());
  ASSERT_EQ(ledger_.settle_cutoffs.size(), 1u);
  EXPECT_EQ(ledger_.settle_cutoffs[0], q3_end_ + absl::Hours(24 * 7) - kWindowLengthMin);

  FakeWindowRepository repository;
  FakeLedger ledger;
  const PublicityWindows::Clock clock = [this] { return now_; };
  PublicityWindows unchecked(repository, ledger, villages_, clock, absl::ZeroDuration());
  ASSERT_TRUE(unchecked.OpenWindow(Admin(), 1, "2025Q3", q3_end_, q3_end_ + absl::Hours(48)).ok());
  ASSERT_TRUE(unchecked.RunDueWork(&settled).ok());
  ASSERT_EQ(ledger.settle_cutoffs.size(), 1u);
  EXPECT_EQ(ledger.settle_cutoffs[0], absl::InfiniteFuture());
}

// The QA case: a deduction recorded after the window had ended, while another household's
// objection was still pending. It was settled without its household ever being able to object;
// now the quarter waits, and the window opens again for a day from the entry.
TEST_F(WindowsTest, ALateEntryReopensTheWindowSoItsHouseholdCanObjectBeforeSettlement) {
  OpenQ3Window();
  const absl::Time first_end = q3_end_ + absl::Hours(24 * 7);
  const ObjectionRecord first = *windows_.FileObjection(Resident(10), 5, "已经整改");
  now_ = first_end + absl::Hours(1);
  int settled = 0;
  ASSERT_TRUE(windows_.RunDueWork(&settled).ok());  // held by the pending objection

  BoardEntry late = ledger_.entries[6];
  late.sequence = 8;
  late.village_id = 1;
  late.household_id = 11;
  late.recorded_at_ms = absl::ToUnixMillis(now_);
  ledger_.entries[8] = late;
  MemoryLedger stream;
  for (const auto& [sequence, entry] : ledger_.entries) stream.entries.push_back(entry);
  EXPECT_EQ(windows_.FileObjection(Resident(11), 8, "没有乱堆").status().code(),
            absl::StatusCode::kFailedPrecondition);  // the window is closed

  // The objection is resolved before the follower has seen the entry: scoring refuses to settle.
  ASSERT_TRUE(windows_.ResolveObjection(Admin(), first.objection_id, false, "有照片").ok());
  EXPECT_EQ(windows_.RunDueWork(&settled).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(settled, 0);
  EXPECT_TRUE(ledger_.settle_calls.empty());
  EXPECT_EQ(StateAt(*windows_.GetWindow(Admin(), 1, "2025Q3"), now_), WindowState::kSettling);

  WindowFollower follower(repository_, stream, kWindowLengthMin, [this] { return now_; });
  ASSERT_TRUE(follower.CatchUp().ok());
  const WindowRecord reopened = *windows_.GetWindow(Resident(11), 1, "2025Q3");
  EXPECT_EQ(StateAt(reopened, now_), WindowState::kOpen);
  EXPECT_EQ(reopened.ends_at, now_ + kWindowLengthMin);
  ASSERT_EQ(repository_.extension_audits.size(), 1u);
  const AuditEvent& audit = repository_.extension_audits[0];
  EXPECT_EQ(audit.action, "window.extend");
  EXPECT_EQ(audit.subject, "window/2025Q3");
  EXPECT_NE(audit.after.find(absl::StrCat("ends_at_ms=", absl::ToUnixMillis(reopened.ends_at))),
            std::string::npos)
      << audit.after;
  EXPECT_EQ(repository_.feed_position, 8);
  // Read again (a restart, another instance), the stream changes nothing more.
  ASSERT_TRUE(follower.CatchUp().ok());
  WindowFollower replay(repository_, stream, kWindowLengthMin, [this] { return now_; });
  repository_.feed_position = 0;
  ASSERT_TRUE(replay.CatchUp().ok());
  EXPECT_EQ(repository_.extension_audits.size(), 1u);

  absl::StatusOr<ObjectionRecord> objected = windows_.FileObjection(Resident(11), 8, "没有乱堆");
  ASSERT_TRUE(objected.ok()) << objected.status();
  now_ = reopened.ends_at + absl::Hours(1);
  ASSERT_TRUE(windows_.RunDueWork(&settled).ok());
  EXPECT_EQ(settled, 0);  // now held by the late entry's own objection
  ASSERT_TRUE(windows_.ResolveObjection(Admin(), objected->objection_id, true, "").ok());
  ASSERT_TRUE(windows_.RunDueWork(&settled).ok());
  EXPECT_EQ(settled, 1);
  EXPECT_EQ(ledger_.settle_calls, std::vector<std::string>{"1/2025Q3"});
  EXPECT_EQ(ledger_.settle_cutoffs.back(), reopened.ends_at - kWindowLengthMin);
}

// An entry recorded with at least a day of its window left, a correction, and an entry of a
// settled quarter move nothing.
TEST_F(WindowsTest, OnlyObjectableEntriesWithTooLittleOfTheWindowLeftMoveIt) {
  OpenQ3Window();
  const absl::Time end = q3_end_ + absl::Hours(24 * 7);
  BoardEntry early = ledger_.entries[5];
  early.sequence = 20;
  early.recorded_at_ms = absl::ToUnixMillis(end - kWindowLengthMin);
  BoardEntry correction = early;
  correction.sequence = 21;
  correction.reverses_sequence = 20;
  correction.recorded_at_ms = absl::ToUnixMillis(end + absl::Hours(2));
  MemoryLedger stream;
  stream.entries = {early, correction};
  WindowFollower follower(repository_, stream, kWindowLengthMin, [this] { return now_; });
  ASSERT_TRUE(follower.CatchUp().ok());
  EXPECT_EQ(windows_.GetWindow(Admin(), 1, "2025Q3")->ends_at, end);
  EXPECT_TRUE(repository_.extension_audits.empty());
  EXPECT_EQ(repository_.feed_position, 21);  // read, and not to be read again

  WindowRecord settled = *windows_.GetWindow(Admin(), 1, "2025Q3");
  settled.stored_state = StoredWindowState::kSettled;
  EXPECT_FALSE(ExtendedEnd(settled, end + absl::Hours(48)).has_value());
  WindowRecord settling = settled;
  settling.stored_state = StoredWindowState::kSettling;
  EXPECT_EQ(ExtendedEnd(settling, end + absl::Hours(48)), end + absl::Hours(48));
  EXPECT_FALSE(ExtendedEnd(settling, end).has_value());
}

TEST_F(WindowsTest, ResidentsSeeOnlyTheirOwnObjections) {
  OpenQ3Window();
  ledger_.entries[6].village_id = 1;
  ASSERT_TRUE(windows_.FileObjection(Resident(10), 5, "a").ok());
  ASSERT_TRUE(windows_.FileObjection(Resident(11), 6, "b").ok());
  EXPECT_EQ(windows_.ListObjections(Resident(10), 1, "2025Q3", 0)->size(), 1u);
  EXPECT_EQ(windows_.ListObjections(Admin(), 1, "2025Q3", 0)->size(), 2u);
}

}  // namespace
}  // namespace jifen::publicity
