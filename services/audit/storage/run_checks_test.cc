// RunChecks over the trail in MariaDB, on records as the services write them today (the texts are
// those of services/audit/domain/checks_test.cc, which reads them one by one). The suite shares one
// trail: each test has a village of its own and checks only the records it appended, while the
// chain is still verified whole.
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/audit/audit_test_support.h"
#include "services/audit/crypto/openssl_crypto.h"
#include "services/audit/domain/checks.h"
#include "services/audit/domain/record_facts.h"
#include "services/audit/storage/mysql_trail_repository.h"

namespace jifen::audit {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr int64_t kCloseMs = 1'791'993'600'000;  // 2026-10-15 00:00 Asia/Shanghai

std::string Digest(char c) { return std::string(64, c); }
std::string Evidence(int64_t sequence) { return absl::StrCat("audit:", sequence); }

TrailRecord Record(const std::string& source, const std::string& actor, const std::string& action,
                   const std::string& object_type, const std::string& after,
                   int64_t at_ms = kCloseMs - 86'400'000 * 3) {
  TrailRecord record;
  record.source_service = source;
  record.actor_user_id = actor;
  record.actor_role = "grid_worker";
  record.action = action;
  record.object_type = object_type;
  record.after = after;
  record.occurred_at_ms = at_ms;
  return record;
}

// services/scoring/storage/mysql_inspections.cc, Submit.
TrailRecord Inspection(const std::string& scorer, int64_t household, const std::string& steward,
                       std::vector<std::string> photos, int64_t at_ms = kCloseMs - 86'400'000 * 3) {
  return Record("scoring", scorer, "submit_inspection", "inspection",
                FormatAward({household, 50, steward, std::move(photos)}, "entries=1"), at_ms);
}

class RunChecksTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_ = new testing::AuditDb();
    testing::SetUpAuditDb("run_checks", db_);
    trail_ = new MySqlTrailRepository(*db_->service);
  }
  static void TearDownTestSuite() {
    delete trail_;
    trail_ = nullptr;
    delete db_;
    db_ = nullptr;
  }

  void SetUp() override {
    village_ = ++last_village_;
    absl::StatusOr<ChainHead> head = trail_->HeadBefore(std::numeric_limits<int64_t>::max());
    ASSERT_TRUE(head.ok()) << head.status();
    after_sequence_ = head->sequence;
  }

  // Appends `record` as received at its own time, in this test's village; returns its sequence.
  int64_t Add(TrailRecord record) {
    record.village_id = village_;
    record.outbox_id = ++last_outbox_id_;
    if (record.object_id.empty()) record.object_id = absl::StrCat("obj-", record.outbox_id);
    absl::StatusOr<AppendOutcome> appended =
        trail_->Append({record}, record.occurred_at_ms, hasher_);
    EXPECT_TRUE(appended.ok() && appended->appended == 1) << appended.status();
    return appended.ok() ? appended->head_sequence : 0;
  }

  // The flags over this test's records, each checked to be of this test's village.
  std::vector<FlagDraft> Run() {
    absl::StatusOr<CheckRun> run = RunChecks(*trail_, hasher_, after_sequence_);
    EXPECT_TRUE(run.ok()) << run.status();
    if (!run.ok()) return {};
    for (const FlagDraft& flag : run->flags) {
      EXPECT_EQ(flag.village_id, village_) << flag.rule << " " << flag.subject;
    }
    return run->flags;
  }

  inline static testing::AuditDb* db_ = nullptr;
  inline static MySqlTrailRepository* trail_ = nullptr;
  inline static int64_t last_village_ = 100;
  inline static int64_t last_outbox_id_ = 0;
  OpenSslHasher hasher_;
  int64_t village_ = 0;
  int64_t after_sequence_ = 0;
};

TEST_F(RunChecksTest, StewardScoringTheirOwnHouseholdIsFlaggedWithItsRecords) {
  Add(Inspection("grid-1", 101, "cadre-9", {Digest('1')}));  // the steward is someone else
  Add(Inspection("admin-7", 102, "", {Digest('2')}));        // no steward
  EXPECT_THAT(Run(), IsEmpty()) << "clean: quiet";

  const int64_t own = Add(Inspection("cadre-9", 101, "cadre-9", {Digest('3')}));
  std::vector<FlagDraft> flags = Run();
  ASSERT_THAT(flags, SizeIs(1));
  EXPECT_EQ(flags[0].rule, "self_award");
  EXPECT_EQ(flags[0].subject, "scorer cadre-9 household 101");
  EXPECT_THAT(flags[0].evidence, ElementsAre(Evidence(own)));
}

TEST_F(RunChecksTest, SharedPhotoAcrossHouseholdsNamesTheRecordsAndThePhoto) {
  Add(Inspection("grid-1", 101, "", {Digest('a')}));
  const int64_t first_use = Add(Inspection("grid-1", 102, "", {Digest('b')}));
  EXPECT_THAT(Run(), IsEmpty());
  const int64_t second_use = Add(Inspection("grid-1", 103, "", {Digest('b'), Digest('c')}));
  std::vector<FlagDraft> flags = Run();
  ASSERT_THAT(flags, SizeIs(1));
  EXPECT_EQ(flags[0].rule, "shared_photo");
  EXPECT_THAT(flags[0].evidence,
              ElementsAre(Evidence(first_use), Evidence(second_use), "photo:" + Digest('b')));
}

TEST_F(RunChecksTest, BurstBeforeAWindowClosesIsFlaggedWithTheWindowRecord) {
  // Three inspections a day for the week before; the window record (publicity) says when it ends.
  for (int day = 1; day <= 7; ++day) {
    for (int i = 0; i < 3; ++i) {
      Add(Inspection("grid-1", 100 + i, "", {}, kCloseMs - day * 86'400'000 - 3'600'000));
    }
  }
  const int64_t window = Add(Record("publicity", "admin-7", "window.open", "window",
                                    absl::StrCat("open 2026-10-08T00:00:00+08:00 .. "
                                                 "2026-10-15T00:00:00+08:00 ends_at_ms=",
                                                 kCloseMs),
                                    kCloseMs - 7 * 86'400'000));
  EXPECT_THAT(Run(), IsEmpty()) << "steady scoring: quiet";

  int64_t burst_start = 0;
  for (int i = 0; i < 20; ++i) {
    const int64_t sequence = Add(Inspection("grid-1", 200 + i, "", {}, kCloseMs - 3'600'000));
    if (i == 0) burst_start = sequence;
  }
  // The close is stated again by the close record: still one flag for this window.
  Add(Record("publicity", "publicity", "window.close", "window",
             absl::StrCat("settling: ended with no objection pending ends_at_ms=", kCloseMs),
             kCloseMs + 60'000));
  std::vector<FlagDraft> flags = Run();
  ASSERT_THAT(flags, SizeIs(1));
  EXPECT_EQ(flags[0].rule, "close_burst");
  EXPECT_EQ(flags[0].subject, "window closing 2026-10-15");
  EXPECT_THAT(flags[0].evidence, SizeIs(21));
  EXPECT_EQ(flags[0].evidence.back(), Evidence(window));
  EXPECT_THAT(flags[0].evidence, Contains(Evidence(burst_start)));
}

// The rule is about padding a quarter before it becomes final: when 2026Q3's window closes, the
// grid workers' ordinary 2026Q4 work of that day is no burst; the same rush of 2026Q3 deeds is.
TEST_F(RunChecksTest, OnlyTheClosingQuartersDeedsCountTowardsABurst) {
  const auto inspection = [&](int64_t household, const std::string& period, int64_t at_ms) {
    return Record("scoring", "grid-1", "submit_inspection", "inspection",
                  FormatAward({household, 50, "", {}},
                              absl::StrCat("entries=1 period=", period)),
                  at_ms);
  };
  for (int day = 1; day <= 7; ++day) {
    Add(inspection(100 + day, "2026Q3", kCloseMs - day * 86'400'000 - 3'600'000));
  }
  TrailRecord window = Record("publicity", "admin-7", "window.open", "window",
                              absl::StrCat("open 2026-10-08T00:00:00+08:00 .. "
                                           "2026-10-15T00:00:00+08:00 ends_at_ms=",
                                           kCloseMs),
                              kCloseMs - 7 * 86'400'000);
  window.object_id = "window/2026Q3";
  Add(window);
  for (int i = 0; i < 20; ++i) Add(inspection(300 + i, "2026Q4", kCloseMs - 3'600'000));
  EXPECT_THAT(Run(), IsEmpty()) << "the current quarter's work before an old window closes";

  int64_t padding = 0;
  for (int i = 0; i < 20; ++i) {
    const int64_t sequence = Add(inspection(200 + i, "2026Q3", kCloseMs - 3'600'000));
    if (i == 0) padding = sequence;
  }
  std::vector<FlagDraft> flags = Run();
  ASSERT_THAT(flags, SizeIs(1));
  EXPECT_EQ(flags[0].rule, "close_burst");
  EXPECT_THAT(flags[0].evidence, Contains(Evidence(padding)));
  EXPECT_THAT(flags[0].evidence, SizeIs(21));  // the 20 deeds of 2026Q3 and the window record
}

TEST_F(RunChecksTest, ConfirmedOrdersSpikeIsFlagged) {
  // services/redemption/storage/mysql_store_repository.cc OrderJson, cut to the keys read.
  const std::string order =
      absl::StrCat("{\"order_id\":\"o\",\"status\":2,\"village_id\":", village_, "}");
  for (int day = 1; day <= 7; ++day) {
    Add(Record("redemption", "r", "confirm", "order", order,
               kCloseMs - day * 86'400'000 + 3'600'000));
  }
  EXPECT_THAT(Run(), IsEmpty());
  for (int i = 0; i < 12; ++i) {
    Add(Record("redemption", "r", "reserve", "order", order, kCloseMs + 3'600'000));
    Add(Record("redemption", "r", "confirm", "order", order, kCloseMs + 3'600'000));
  }
  std::vector<FlagDraft> flags = Run();
  ASSERT_THAT(flags, SizeIs(1));
  EXPECT_EQ(flags[0].rule, "redemption_spike");
  EXPECT_THAT(flags[0].evidence, SizeIs(12)) << "confirmations only";
}

}  // namespace
}  // namespace jifen::audit
