// Integration tests of the outbox (Append + Relay) against the fixture's MariaDB.
#include <cppconn/connection.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/migrate/migrator.h"
#include "common/mysql/transaction.h"
#include "common/outbox/outbox.h"
#include "gtest/gtest.h"
#include "tests/support/testenv.h"

namespace jifen::outbox {
namespace {

constexpr char kTopic[] = "audit";

// A receiver that dedupes by id as the audit service does, and can be told to fail.
class FakeReceiver {
 public:
  enum class Mode {
    kRefuse,       // fails without keeping anything (the receiver is down)
    kAccept,       // keeps the batch and acknowledges it
    kKeepButFail,  // keeps the batch, then fails (the acknowledgement is lost)
  };
  struct Counts {
    int calls = 0;
    int calls_keep_but_fail = 0;
    int deliveries = 0;  // records received, resends included
    size_t unique = 0;   // distinct ids received
  };

  Receiver AsReceiver() {
    return [this](const std::vector<OutboxRecord>& batch) { return Receive(batch); };
  }
  // In kAccept, once `accept_limit` distinct ids were kept, further batches are handled as in
  // kKeepButFail: the switch happens at a known point, however fast the relay runs.
  void SetMode(Mode mode, size_t accept_limit = SIZE_MAX) {
    absl::MutexLock lock(&mu_);
    mode_ = mode;
    accept_limit_ = accept_limit;
  }
  Counts counts() {
    absl::MutexLock lock(&mu_);
    return counts_;
  }
  // Waits (bounded) until `condition` holds, re-checking whenever the receiver is called.
  bool WaitFor(const std::function<bool(const Counts&)>& condition,
               absl::Duration timeout = absl::Seconds(30)) {
    const absl::Time deadline = absl::Now() + timeout;
    absl::MutexLock lock(&mu_);
    while (!condition(counts_)) {
      if (changed_.WaitWithDeadline(&mu_, deadline)) return condition(counts_);
    }
    return true;
  }
  std::vector<int64_t> FirstSeenOrder() {
    absl::MutexLock lock(&mu_);
    return first_seen_order_;
  }
  std::map<int64_t, OutboxRecord> Kept() {
    absl::MutexLock lock(&mu_);
    return kept_;
  }

 private:
  absl::Status Receive(const std::vector<OutboxRecord>& batch) {
    absl::MutexLock lock(&mu_);
    ++counts_.calls;
    changed_.SignalAll();
    if (mode_ == Mode::kRefuse) return absl::UnavailableError("receiver down");
    const Mode mode = kept_.size() >= accept_limit_ ? Mode::kKeepButFail : mode_;
    for (const OutboxRecord& record : batch) {
      ++counts_.deliveries;
      if (kept_.emplace(record.id, record).second) first_seen_order_.push_back(record.id);
    }
    counts_.unique = kept_.size();
    if (mode == Mode::kKeepButFail) {
      ++counts_.calls_keep_but_fail;
      return absl::DeadlineExceededError("ack lost");
    }
    return absl::OkStatus();
  }

  absl::Mutex mu_;
  absl::CondVar changed_;
  Mode mode_ ABSL_GUARDED_BY(mu_) = Mode::kAccept;
  size_t accept_limit_ ABSL_GUARDED_BY(mu_) = SIZE_MAX;
  Counts counts_ ABSL_GUARDED_BY(mu_);
  std::map<int64_t, OutboxRecord> kept_ ABSL_GUARDED_BY(mu_);
  std::vector<int64_t> first_seen_order_ ABSL_GUARDED_BY(mu_);
};

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const testing::MySqlServer& server = testing::TestMySql();
    mysql::MySqlConfig config;
    config.host = server.host;
    config.port = server.port;
    config.user = server.user;
    config.password = server.password;
    const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    config.database = testing::CreateFreshDatabase("outbox_" + test.substr(0, 30));
    pool_ = std::make_unique<mysql::ConnectionPool>(config);
    // The canonical DDL, applied the way a service's migrations apply their copy of it.
    const std::filesystem::path folder =
        std::filesystem::path(::testing::TempDir()) / ("outbox_migrations_" + test);
    std::filesystem::remove_all(folder);
    std::filesystem::create_directories(folder);
    std::filesystem::copy_file(testing::SourcePath("common/outbox/outbox_table.sql"),
                               folder / "0001_outbox.sql");
    absl::StatusOr<migrate::MigrationResult> migrated =
        migrate::ApplyMigrations(*pool_, folder.string());
    ASSERT_TRUE(migrated.ok()) << migrated.status();
  }

  static std::string PayloadFor(int i) {
    return absl::StrCat("payload ", i, std::string(1, '\0'), "end");
  }

  // Appends records [from, to) in transactions of `per_transaction`, with an unrelated topic mixed
  // in. Returns the ids of kTopic's records.
  std::vector<int64_t> AppendRange(int from, int to, int per_transaction = 5) {
    for (int start = from; start < to; start += per_transaction) {
      absl::Status status = mysql::RunInTransaction(*pool_, [&](sql::Connection& c) {
        for (int i = start; i < std::min(to, start + per_transaction); ++i) {
          absl::Status appended = Append(c, 1000 + i, kTopic, PayloadFor(i));
          if (!appended.ok()) return appended;
        }
        return Append(c, 1, "other", "not for this relay");
      });
      EXPECT_TRUE(status.ok()) << status;
    }
    return IdsOf(kTopic);
  }

  std::vector<int64_t> IdsOf(const std::string& topic, bool undelivered_only = false) {
    std::vector<int64_t> ids;
    EXPECT_TRUE(mysql::RunWithConnection(*pool_, [&](sql::Connection& c) {
                  std::unique_ptr<sql::PreparedStatement> select(c.prepareStatement(
                      "SELECT id FROM outbox WHERE topic = ? AND (delivered_at IS NULL OR ?) "
                      "ORDER BY id"));
                  select->setString(1, topic);
                  select->setBoolean(2, !undelivered_only);
                  std::unique_ptr<sql::ResultSet> rows(select->executeQuery());
                  while (rows->next()) ids.push_back(rows->getInt64(1));
                  return absl::OkStatus();
                }).ok());
    return ids;
  }

  static RelayOptions FastOptions() {
    RelayOptions options;
    options.topic = kTopic;
    options.batch_size = 4;
    options.poll_interval = absl::Milliseconds(20);
    options.initial_backoff = absl::Milliseconds(2);
    options.max_backoff = absl::Milliseconds(20);
    return options;
  }

  std::unique_ptr<mysql::ConnectionPool> pool_;
};

TEST_F(OutboxTest, DeliversEveryRecordOnceInOrderAcrossFailuresAndARelayRestart) {
  using Mode = FakeReceiver::Mode;
  FakeReceiver receiver;
  std::vector<int64_t> ids = AppendRange(0, 20);
  ASSERT_EQ(ids.size(), 20u);

  // The receiver is down for a while: the relay keeps retrying, backing off.
  receiver.SetMode(Mode::kRefuse);
  auto first = std::make_unique<Relay>(*pool_, receiver.AsReceiver(), FastOptions());
  first->Start();
  ASSERT_TRUE(receiver.WaitFor([](const FakeReceiver::Counts& c) { return c.calls >= 5; }));
  EXPECT_EQ(receiver.counts().unique, 0u);

  // It recovers and the relay goes on from the first record; after 8 records acknowledgements get
  // lost, and the relay is stopped mid-way: what the receiver kept after that is not marked
  // delivered and must come again.
  receiver.SetMode(Mode::kAccept, /*accept_limit=*/8);
  ASSERT_TRUE(
      receiver.WaitFor([](const FakeReceiver::Counts& c) { return c.calls_keep_but_fail >= 2; }));
  first->Stop();
  first.reset();
  EXPECT_EQ(receiver.counts().unique, 12u) << "8 acknowledged, then one batch of 4 kept";
  EXPECT_EQ(IdsOf(kTopic, /*undelivered_only=*/true).size(), 12u);

  // More records arrive; a new relay (as after a process restart) takes over.
  ids = AppendRange(20, 30);
  ASSERT_EQ(ids.size(), 30u);
  receiver.SetMode(Mode::kAccept);
  Relay second(*pool_, receiver.AsReceiver(), FastOptions());
  second.Start();
  second.Notify();
  ASSERT_TRUE(receiver.WaitFor([](const FakeReceiver::Counts& c) { return c.unique >= 30; }));
  second.Stop();

  EXPECT_EQ(receiver.FirstSeenOrder(), ids) << "each id received, in id order";
  EXPECT_GT(receiver.counts().deliveries, 30) << "the lost acknowledgements caused resends";
  EXPECT_TRUE(IdsOf(kTopic, /*undelivered_only=*/true).empty());
  EXPECT_EQ(IdsOf("other", /*undelivered_only=*/true).size(), 6u) << "other topics untouched";
  const std::map<int64_t, OutboxRecord> kept = receiver.Kept();
  for (size_t i = 0; i < ids.size(); ++i) {
    const OutboxRecord& record = kept.at(ids[i]);
    EXPECT_EQ(record.payload, PayloadFor(static_cast<int>(i)));
    EXPECT_EQ(record.village_id, 1000 + static_cast<int64_t>(i));
    EXPECT_EQ(record.topic, kTopic);
    // created_at is an instant: the session's +08:00 must not shift it.
    EXPECT_LT(absl::AbsDuration(absl::Now() - record.created_at), absl::Minutes(1));
  }
}

TEST_F(OutboxTest, NotifyWakesAnIdleRelayBeforeThePollInterval) {
  FakeReceiver receiver;
  RelayOptions options = FastOptions();
  options.poll_interval = absl::Hours(1);
  Relay relay(*pool_, receiver.AsReceiver(), options);
  relay.Start();
  const std::vector<int64_t> ids = AppendRange(0, 3);
  relay.Notify();
  ASSERT_TRUE(receiver.WaitFor([](const FakeReceiver::Counts& c) { return c.unique >= 3; }))
      << "the relay stayed asleep after Notify()";
  EXPECT_EQ(receiver.FirstSeenOrder(), ids);
}

TEST_F(OutboxTest, DrainOnceDeliversEverythingPendingSynchronously) {
  FakeReceiver receiver;
  Relay relay(*pool_, receiver.AsReceiver(), FastOptions());
  const std::vector<int64_t> ids = AppendRange(0, 11);
  ASSERT_TRUE(relay.DrainOnce().ok());
  EXPECT_EQ(receiver.FirstSeenOrder(), ids);
  EXPECT_TRUE(IdsOf(kTopic, /*undelivered_only=*/true).empty());

  receiver.SetMode(FakeReceiver::Mode::kRefuse);
  AppendRange(11, 12);
  EXPECT_EQ(relay.DrainOnce().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(IdsOf(kTopic, /*undelivered_only=*/true).size(), 1u);
}

TEST_F(OutboxTest, AppendAllKeepsOrderAndBinaryPayloads) {
  std::vector<NewRecord> records;
  std::string every_byte;
  for (int byte = 0; byte < 256; ++byte) every_byte.push_back(static_cast<char>(byte));
  for (int i = 0; i < 7; ++i) {
    records.push_back({2000 + i, kTopic, absl::StrCat(PayloadFor(i), every_byte)});
  }
  ASSERT_TRUE(mysql::RunInTransaction(*pool_, [&](sql::Connection& c) {
                return AppendAll(c, records);
              }).ok());
  FakeReceiver receiver;
  Relay relay(*pool_, receiver.AsReceiver(), FastOptions());
  ASSERT_TRUE(relay.DrainOnce().ok());
  const std::vector<int64_t> ids = IdsOf(kTopic);
  ASSERT_EQ(ids.size(), records.size());
  const std::map<int64_t, OutboxRecord> kept = receiver.Kept();
  for (size_t i = 0; i < ids.size(); ++i) {
    const OutboxRecord& record = kept.at(ids[i]);
    EXPECT_EQ(record.village_id, records[i].village_id) << "records keep the order given";
    EXPECT_EQ(record.payload, records[i].payload);
  }
}

}  // namespace
}  // namespace jifen::outbox
