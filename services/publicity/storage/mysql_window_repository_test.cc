// MySqlWindowRepository against the fixture's MariaDB, on a fresh database migrated with
// services/publicity/migrations, used through the service's own restricted account.
#include "services/publicity/storage/mysql_window_repository.h"

#include <cppconn/connection.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/mysql/transaction.h"
#include "gtest/gtest.h"
#include "services/publicity/domain/period.h"
#include "tests/support/service_database.h"
#include "tests/support/testenv.h"

namespace jifen::publicity {
namespace {

class MySqlWindowRepositoryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const jifen::testing::ServiceDatabase schema =
        jifen::testing::CreateServiceDatabase("publicity_repo", "services/publicity/migrations");
    ASSERT_FALSE(HasFailure());
    database_ = new std::string(schema.database);
    admin_ = new mysql::ConnectionPool(schema.AdminConfig());
    service_ = new mysql::ConnectionPool(schema.ServiceConfig(4));
  }

  int64_t OutboxRows() {
    int64_t rows = -1;
    EXPECT_TRUE(mysql::RunWithConnection(*admin_, [&](sql::Connection& connection) {
                  std::unique_ptr<sql::Statement> statement(connection.createStatement());
                  std::unique_ptr<sql::ResultSet> result(statement->executeQuery(
                      "SELECT COUNT(*) AS n FROM outbox WHERE topic = 'audit'"));
                  result->next();
                  rows = result->getInt64("n");
                  return absl::OkStatus();
                }).ok());
    return rows;
  }

  int64_t OutboxRowsOf(int64_t village_id) {
    int64_t rows = -1;
    EXPECT_TRUE(mysql::RunWithConnection(*admin_, [&](sql::Connection& connection) {
                  std::unique_ptr<sql::PreparedStatement> statement(connection.prepareStatement(
                      "SELECT COUNT(*) AS n FROM outbox WHERE topic = 'audit' AND village_id = ?"));
                  statement->setInt64(1, village_id);
                  std::unique_ptr<sql::ResultSet> result(statement->executeQuery());
                  result->next();
                  rows = result->getInt64("n");
                  return absl::OkStatus();
                }).ok());
    return rows;
  }

  static AuditEvent Audit(const std::string& action) {
    AuditEvent event;
    event.action = action;
    event.actor_user_id = "admin-1";
    event.actor_role = "village_admin";
    event.village_id = 1;
    event.at = absl::Now();
    return event;
  }

  static std::string* database_;
  static mysql::ConnectionPool* admin_;
  static mysql::ConnectionPool* service_;
};

std::string* MySqlWindowRepositoryTest::database_ = nullptr;
mysql::ConnectionPool* MySqlWindowRepositoryTest::admin_ = nullptr;
mysql::ConnectionPool* MySqlWindowRepositoryTest::service_ = nullptr;

TEST_F(MySqlWindowRepositoryTest, WindowObjectionSettlementLifecycle) {
  MySqlWindowRepository repository(*service_);
  const int64_t outbox_before = OutboxRows();
  const absl::Time q3_end = ParsePeriod("2025Q3")->End();
  WindowRecord window;
  window.village_id = 7;
  window.period = "2025Q3";
  window.starts_at = q3_end;
  window.ends_at = q3_end + absl::Hours(24 * 7);
  window.opened_by_user_id = "admin-7";
  ASSERT_TRUE(repository.CreateWindow(window, Audit("window.open")).ok());
  EXPECT_EQ(repository.CreateWindow(window, Audit("window.open")).code(),
            absl::StatusCode::kAlreadyExists);

  ObjectionRecord objection;
  objection.village_id = 7;
  objection.period = "2025Q3";
  objection.household_id = 70;
  objection.entry_sequence = 1234;
  objection.reason = "已经整改";
  objection.filed_by_user_id = "resident-70";
  // Before the window starts, and after it ends: refused.
  EXPECT_EQ(
      repository.FileObjection(objection, q3_end - absl::Hours(1), Audit("f")).status().code(),
      absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(repository.FileObjection(objection, window.ends_at, Audit("f")).status().code(),
            absl::StatusCode::kFailedPrecondition);
  const absl::Time during = q3_end + absl::Hours(2);
  absl::StatusOr<ObjectionRecord> filed = repository.FileObjection(objection, during, Audit("f"));
  ASSERT_TRUE(filed.ok()) << filed.status();
  EXPECT_GT(filed->objection_id, 0);
  EXPECT_EQ(repository.FileObjection(objection, during, Audit("f")).status().code(),
            absl::StatusCode::kAlreadyExists);

  // Pending: nothing to settle even after the end.
  const absl::Time after = window.ends_at + absl::Hours(1);
  absl::StatusOr<std::vector<WindowRecord>> due = repository.ClaimSettleable(after, 10);
  ASSERT_TRUE(due.ok()) << due.status();
  EXPECT_TRUE(due->empty());
  absl::StatusOr<std::optional<WindowRecord>> stored = repository.GetWindow(7, "2025Q3");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->pending_objections, 1);

  ObjectionRecord rejected = *filed;
  rejected.status = ObjectionStatus::kRejected;
  rejected.resolution_reason = "照片清楚";
  rejected.resolved_by_user_id = "admin-7";
  rejected.resolved_at = after;
  absl::StatusOr<ObjectionRecord> resolved =
      repository.TransitionObjection(rejected, {ObjectionStatus::kPending}, Audit("r"));
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(resolved->status, ObjectionStatus::kRejected);
  EXPECT_EQ(resolved->resolution_reason, "照片清楚");
  EXPECT_EQ(repository.TransitionObjection(rejected, {ObjectionStatus::kPending}, Audit("r"))
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);

  due = repository.ClaimSettleable(after, 10);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].stored_state, StoredWindowState::kSettling);
  // Still settling (not confirmed): claimed again, so a crash before MarkSettled is retried.
  EXPECT_EQ(repository.ClaimSettleable(after, 10)->size(), 1u);
  ASSERT_TRUE(repository.MarkSettled(7, "2025Q3", Settlement{2, 30}, after, Audit("s")).ok());
  EXPECT_TRUE(repository.ClaimSettleable(after, 10)->empty());
  stored = repository.GetWindow(7, "2025Q3");
  EXPECT_EQ((*stored)->stored_state, StoredWindowState::kSettled);
  EXPECT_EQ((*stored)->points_credited, 30);

  absl::StatusOr<std::vector<ObjectionRecord>> listed =
      repository.ListObjections(7, "2025Q3", 70, 100);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 1u);
  EXPECT_TRUE(repository.ListObjections(7, "2025Q3", 71, 100)->empty());
  // Every change above wrote its audit record in its own transaction.
  EXPECT_EQ(OutboxRows() - outbox_before, 5);
}

// The domain's limit (kReasonCharactersMax) is the columns' own: the longest reason it lets
// through, in three-byte Chinese characters, is stored whole, and one character more is not.
TEST_F(MySqlWindowRepositoryTest, ReasonsOfTheLongestAllowedLengthFitTheColumns) {
  MySqlWindowRepository repository(*service_);
  const absl::Time q3_end = ParsePeriod("2025Q3")->End();
  WindowRecord window;
  window.village_id = 8;
  window.period = "2025Q3";
  window.starts_at = q3_end;
  window.ends_at = q3_end + absl::Hours(24 * 7);
  window.opened_by_user_id = "admin-8";
  ASSERT_TRUE(repository.CreateWindow(window, Audit("window.open")).ok());
  std::string longest;
  for (int i = 0; i < kReasonCharactersMax; ++i) longest += "错";
  ObjectionRecord objection;
  objection.village_id = 8;
  objection.period = "2025Q3";
  objection.household_id = 80;
  objection.entry_sequence = 8080;
  objection.reason = longest;
  objection.filed_by_user_id = "resident-80";
  const absl::Time during = q3_end + absl::Hours(2);
  absl::StatusOr<ObjectionRecord> filed = repository.FileObjection(objection, during, Audit("f"));
  ASSERT_TRUE(filed.ok()) << filed.status();
  ObjectionRecord rejected = *filed;
  rejected.status = ObjectionStatus::kRejected;
  rejected.resolution_reason = longest;
  rejected.resolved_by_user_id = "admin-8";
  rejected.resolved_at = during;
  absl::StatusOr<ObjectionRecord> resolved =
      repository.TransitionObjection(rejected, {ObjectionStatus::kPending}, Audit("r"));
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(resolved->reason, longest);
  EXPECT_EQ(resolved->resolution_reason, longest);

  objection.entry_sequence = 8081;
  objection.reason = longest + "错";
  EXPECT_FALSE(repository.FileObjection(objection, during, Audit("f")).ok());
}

// A late entry moves its window's end out, audited, with the feed's position in the same
// transaction; a settling window opens again; nothing else moves, and the position never goes back.
TEST_F(MySqlWindowRepositoryTest, LateEntriesMoveWindowsOutWithTheFeedsPosition) {
  MySqlWindowRepository repository(*service_);
  ASSERT_EQ(*repository.WindowFeedPosition(), 0);
  const absl::Time q3_end = ParsePeriod("2025Q3")->End();
  WindowRecord window;
  window.village_id = 9;
  window.period = "2025Q3";
  window.starts_at = q3_end;
  window.ends_at = q3_end + absl::Hours(24 * 7);
  window.opened_by_user_id = "admin-9";
  ASSERT_TRUE(repository.CreateWindow(window, Audit("window.open")).ok());
  const int64_t outbox_before = OutboxRowsOf(9);

  WindowDeadline early{9, "2025Q3", 100, window.ends_at - absl::Hours(48),
                       window.ends_at - absl::Hours(24)};
  WindowDeadline no_window{9, "2025Q4", 101, window.ends_at, window.ends_at + absl::Hours(24)};
  absl::StatusOr<std::vector<WindowRecord>> moved =
      repository.ExtendWindows({early, no_window}, 101, absl::Now());
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_TRUE(moved->empty());
  EXPECT_EQ(*repository.WindowFeedPosition(), 0);  // saved later, by the follower
  EXPECT_EQ(OutboxRowsOf(9), outbox_before);

  // Claims every due window of the suite's database; this test's own must be among them.
  const auto claim = [&](absl::Time now) {
    const absl::StatusOr<std::vector<WindowRecord>> due = repository.ClaimSettleable(now, 100);
    EXPECT_TRUE(due.ok()) << due.status();
    if (!due.ok()) return false;
    return std::any_of(due->begin(), due->end(), [](const WindowRecord& window) {
      return window.village_id == 9 && window.period == "2025Q3";
    });
  };
  // Ended, settling, then an entry recorded an hour before the end arrives.
  const absl::Time after = window.ends_at + absl::Hours(2);
  ASSERT_TRUE(claim(after));
  const WindowDeadline late{9, "2025Q3", 102, window.ends_at - absl::Hours(1),
                            window.ends_at + absl::Hours(23)};
  moved = repository.ExtendWindows({late}, 102, after);
  ASSERT_TRUE(moved.ok()) << moved.status();
  ASSERT_EQ(moved->size(), 1u);
  absl::StatusOr<std::optional<WindowRecord>> stored = repository.GetWindow(9, "2025Q3");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->stored_state, StoredWindowState::kOpen);
  EXPECT_EQ((*stored)->ends_at, late.object_until);
  EXPECT_EQ(StateAt(**stored, after), WindowState::kOpen);
  EXPECT_EQ(*repository.WindowFeedPosition(), 102);
  EXPECT_EQ(OutboxRowsOf(9), outbox_before + 2);  // window.close, window.extend
  // The same deadline again (a replay) moves nothing.
  moved = repository.ExtendWindows({late}, 102, after);
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_TRUE(moved->empty());

  ASSERT_TRUE(repository.SaveWindowFeedPosition(150).ok());
  ASSERT_TRUE(repository.SaveWindowFeedPosition(120).ok());
  EXPECT_EQ(*repository.WindowFeedPosition(), 150);

  // Settled: final, never moved again.
  const absl::Time later = late.object_until + absl::Hours(1);
  ASSERT_TRUE(claim(later));
  ASSERT_TRUE(repository.MarkSettled(9, "2025Q3", Settlement{1, 5}, later, Audit("s")).ok());
  const WindowDeadline too_late{9, "2025Q3", 160, later, later + absl::Hours(24)};
  moved = repository.ExtendWindows({too_late}, 160, later);
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_TRUE(moved->empty());
  EXPECT_EQ((*repository.GetWindow(9, "2025Q3"))->ends_at, late.object_until);
}

TEST_F(MySqlWindowRepositoryTest, ListRulesDefaultThenStored) {
  MySqlWindowRepository repository(*service_);
  absl::StatusOr<ListRules> rules = repository.GetListRules(9);
  ASSERT_TRUE(rules.ok());
  EXPECT_EQ(rules->red_top_n, 10);
  ListRules changed = *rules;
  changed.red_top_n = 3;
  changed.black_categories = {"garbage_sorting", "rental_housing"};
  ASSERT_TRUE(repository.PutListRules(changed, Audit("list_rules.set")).ok());
  changed.red_min_points = 5;
  ASSERT_TRUE(repository.PutListRules(changed, Audit("list_rules.set")).ok());
  rules = repository.GetListRules(9);
  EXPECT_EQ(rules->red_top_n, 3);
  EXPECT_EQ(rules->red_min_points, 5);
  EXPECT_EQ(rules->black_categories, changed.black_categories);
}

}  // namespace
}  // namespace jifen::publicity
