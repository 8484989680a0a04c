// The outbox (Append, AppendAll, Relay) delivering to its production receiver: AuditSink calling a
// real jifen-audit, which dedupes by (service, outbox id) and chains what it keeps. Faults are
// real: audit killed and started again on its port, the producer's account losing UPDATE on its
// outbox. The suite shares one audit process and database and one producer database; each test
// relays a topic of its own under a service name of its own, and reads back only those.
#include <cppconn/connection.h>
#include <cppconn/statement.h>
#include <grpcpp/channel.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/auth/test_keys.h"
#include "common/auth/token.h"
#include "common/grpc/client.h"
#include "common/mysql/statement.h"
#include "common/mysql/transaction.h"
#include "common/outbox/outbox.h"
#include "gtest/gtest.h"
#include "jifen/audit/v1/audit.grpc.pb.h"
#include "services/audit/audit_test_support.h"
#include "services/audit/client/audit_sink.h"
#include "services/audit/crypto/openssl_crypto.h"
#include "tests/support/service_database.h"
#include "tests/support/service_process.h"
#include "tests/support/testenv.h"

namespace jifen::outbox {
namespace {

using audit::AuditSink;
using audit::AuditSinkOptions;

std::string PayloadFor(int i) { return absl::StrCat("payload ", i, std::string(1, '\0'), "end"); }

// Polls `condition` (bounded) until it holds.
bool Eventually(const std::function<bool()>& condition) {
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

// A record as audit chained it.
struct Kept {
  int64_t outbox_id = 0;
  int64_t village_id = 0;
  std::string action;
  std::string after;
  int64_t occurred_at_ms = 0;
};

class OutboxRelayTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    audit_db_ = new audit::testing::AuditDb();
    audit::testing::SetUpAuditDb("relay_audit", audit_db_);
    const auth::TestKeyPair keys = auth::GenerateTestKeyPair();
    tokens_ = auth::TokenSigner::FromPrivateKeyPem(keys.private_key_pem, auth::TokenSettings())
                  ->release();
    const std::string public_key =
        absl::StrCat(::testing::TempDir(), "/", getpid(), "-relay-token.pub.pem");
    std::ofstream(public_key) << keys.public_key_pem;
    audit_ = audit::testing::NewAuditProcess(*audit_db_, public_key, "relay-audit").release();
    ASSERT_TRUE(audit_->Start());

    // The producer: the canonical outbox and the grants a service gives its own account on it.
    const std::filesystem::path folder =
        std::filesystem::path(::testing::TempDir()) / absl::StrCat("relay-producer-", getpid());
    std::filesystem::remove_all(folder);
    std::filesystem::create_directories(folder);
    std::filesystem::copy_file(jifen::testing::SourcePath("common/outbox/outbox_table.sql"),
                               folder / "0001_outbox.sql");
    std::ofstream(folder / "0002_grants.sql")
        << "GRANT SELECT, INSERT, UPDATE ON outbox "
           "TO '${SERVICE_USER}'@'127.0.0.1', '${SERVICE_USER}'@'localhost';\n";
    producer_db_ = new jifen::testing::ServiceDatabase(
        jifen::testing::CreateServiceDatabase("relay_producer", folder.string()));
    producer_ = new mysql::ConnectionPool(producer_db_->ServiceConfig(4));
  }

  static void TearDownTestSuite() {
    delete producer_;
    delete producer_db_;
    delete audit_;
    delete audit_db_;
    delete tokens_;
  }

  void SetUp() override {
    const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    topic_ = absl::StrCat("audit.", test.substr(0, 40));
    source_ = absl::StrCat("relay-", test.substr(0, 40));
  }

  // Every test leaves audit running and the producer's grants whole for the next.
  void TearDown() override {
    if (!audit_->running()) {
      EXPECT_TRUE(audit_->Restart());
    }
    SetOutboxUpdate(true);
  }

  std::string Token() const {
    auth::Caller caller;
    caller.user_id = source_;
    caller.role = auth::Role::kService;
    return *tokens_->Sign(caller, absl::Now(), absl::Hours(1));
  }
  AuditSinkOptions SinkOptions() const { return {audit_->address(), Token(), absl::Seconds(5)}; }

  RelayOptions FastOptions() const {
    RelayOptions options;
    options.topic = topic_;
    options.batch_size = 4;
    options.poll_interval = absl::Milliseconds(20);
    options.initial_backoff = absl::Milliseconds(2);
    options.max_backoff = absl::Milliseconds(20);
    return options;
  }
  std::string OtherTopic() const { return topic_ + ".other"; }

  // Appends records [from, to), each a change's AuditRecord, in transactions of five with a record
  // of another topic in each. Returns the ids of this test's topic so far.
  std::vector<int64_t> AppendRange(int from, int to) {
    for (int start = from; start < to; start += 5) {
      const absl::Status status = mysql::RunInTransaction(*producer_, [&](sql::Connection& c) {
        for (int i = start; i < std::min(to, start + 5); ++i) {
          audit::v1::AuditRecord record;
          record.set_actor_user_id("grid-1");
          record.set_actor_role("grid_worker");
          record.set_action("create");
          record.set_object_type("thing");
          record.set_object_id(absl::StrCat(i));
          record.set_after(PayloadFor(i));
          record.set_occurred_at_ms(absl::ToUnixMillis(absl::Now()));
          absl::Status appended = Append(c, 1000 + i, topic_, audit::MakeAuditPayload(record));
          if (!appended.ok()) return appended;
        }
        return Append(c, 1, OtherTopic(), "not for this relay");
      });
      EXPECT_TRUE(status.ok()) << status;
    }
    return IdsOf(topic_);
  }

  std::vector<int64_t> IdsOf(const std::string& topic, bool undelivered_only = false) {
    std::vector<int64_t> ids;
    EXPECT_TRUE(mysql::RunWithConnection(*producer_, [&](sql::Connection& c) {
                  auto rows = mysql::Statement(c,
                                               "SELECT id FROM outbox WHERE topic = ? AND "
                                               "(delivered_at IS NULL OR ?) ORDER BY id")
                                  .Bind(topic)
                                  .Bind(!undelivered_only)
                                  .Query();
                  while (rows->next()) ids.push_back(rows->getInt64(1));
                  return absl::OkStatus();
                }).ok());
    return ids;
  }
  size_t Undelivered(const std::string& topic) { return IdsOf(topic, true).size(); }

  // What audit chained from this test's service, in chain order.
  std::vector<Kept> KeptByAudit() {
    std::vector<Kept> kept;
    EXPECT_TRUE(mysql::RunWithConnection(*audit_db_->admin, [&](sql::Connection& c) {
                  auto rows = mysql::Statement(c,
                                               "SELECT outbox_id, village_id, action, after_state, "
                                               "occurred_at_ms FROM audit_record "
                                               "WHERE source_service = ? ORDER BY sequence")
                                  .Bind(source_)
                                  .Query();
                  while (rows->next()) {
                    kept.push_back({rows->getInt64(1), rows->getInt64(2), rows->getString(3),
                                    rows->getString(4), rows->getInt64(5)});
                  }
                  return absl::OkStatus();
                }).ok());
    return kept;
  }
  static std::vector<int64_t> OutboxIds(const std::vector<Kept>& kept) {
    std::vector<int64_t> ids;
    for (const Kept& record : kept) ids.push_back(record.outbox_id);
    return ids;
  }

  // Grants or revokes the producer account's UPDATE on its outbox, which marking delivery needs.
  // Account management is DDL, which takes no parameters: the names are ours.
  static void SetOutboxUpdate(bool allowed) {
    mysql::ConnectionPool admin(producer_db_->AdminConfig(1));
    ASSERT_TRUE(
        mysql::RunWithConnection(admin, [&](sql::Connection& c) {
          std::unique_ptr<sql::Statement> statement(c.createStatement());
          for (const char* host : {"127.0.0.1", "localhost"}) {
            const std::string account = absl::StrCat("'", producer_db_->user, "'@'", host, "'");
            statement->execute(allowed ? absl::StrCat("GRANT UPDATE ON outbox TO ", account)
                                       : absl::StrCat("REVOKE UPDATE ON outbox FROM ", account));
          }
          return absl::OkStatus();
        }).ok());
  }

  inline static audit::testing::AuditDb* audit_db_ = nullptr;
  inline static auth::TokenSigner* tokens_ = nullptr;
  inline static jifen::testing::ServiceProcess* audit_ = nullptr;
  inline static jifen::testing::ServiceDatabase* producer_db_ = nullptr;
  inline static mysql::ConnectionPool* producer_ = nullptr;
  std::string topic_;
  std::string source_;
};

// Waits (bounded) until `channel` is in `wanted`.
bool WaitForState(grpc::Channel& channel, grpc_connectivity_state wanted) {
  const auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(30);
  grpc_connectivity_state state = channel.GetState(false);
  while (state != wanted) {
    if (!channel.WaitForStateChange(state, deadline)) return false;
    state = channel.GetState(false);
  }
  return true;
}

TEST_F(OutboxRelayTest, DeliversEveryRecordOnceInOrderAcrossFailuresAndARelayRestart) {
  // Audit is down when the relay starts. The sink's channel is the test's, so that the relay's
  // attempts can be seen: connecting is tried only for a call.
  audit_->Kill();
  std::vector<int64_t> ids = AppendRange(0, 8);
  ASSERT_EQ(ids.size(), 8u);
  std::shared_ptr<grpc::Channel> channel = grpc_util::NewChannel(audit_->address(), 4 << 20);
  AuditSink sink(SinkOptions(), audit::v1::AuditService::NewStub(channel));
  auto first = std::make_unique<Relay>(*producer_, sink.AsReceiver(), FastOptions());
  first->Start();
  ASSERT_TRUE(WaitForState(*channel, GRPC_CHANNEL_TRANSIENT_FAILURE)) << "the relay never called";
  EXPECT_EQ(Undelivered(topic_), 8u);

  // Audit is back on its port: the relay, still retrying, goes on from the first record. While
  // the relay's calls fail fast nothing polls the channel's reconnection, which gRPC then notices
  // only at its backup poll (every 5 s); waiting for the channel here polls it.
  ASSERT_TRUE(audit_->Restart());
  ASSERT_TRUE(
      channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(30)));
  ASSERT_TRUE(Eventually([&] { return Undelivered(topic_) == 0; }));
  EXPECT_EQ(KeptByAudit().size(), 8u);

  // The producer's account loses UPDATE on its outbox: audit keeps the next batch and acknowledges
  // it, but the relay cannot mark it delivered and retries only the marking. It is stopped
  // mid-way, as a process is, with those records kept by audit and still undelivered.
  SetOutboxUpdate(false);
  ids = AppendRange(8, 20);
  first->Notify();
  ASSERT_TRUE(Eventually([&] { return KeptByAudit().size() >= 12; }));
  first->Stop();
  first.reset();
  EXPECT_EQ(KeptByAudit().size(), 12u) << "8 delivered, then one batch of 4 kept";
  EXPECT_EQ(Undelivered(topic_), 12u);

  // More records arrive; a new relay (as after a process restart) takes over. It sends the kept
  // batch again: only its acknowledgement lets the relay mark those rows, and audit keeps each
  // record once.
  SetOutboxUpdate(true);
  ids = AppendRange(20, 30);
  ASSERT_EQ(ids.size(), 30u);
  Relay second(*producer_, sink.AsReceiver(), FastOptions());
  second.Start();
  second.Notify();
  ASSERT_TRUE(Eventually([&] { return Undelivered(topic_) == 0; }));
  second.Stop();

  const std::vector<Kept> kept = KeptByAudit();
  EXPECT_EQ(OutboxIds(kept), ids) << "each id kept once, in id order";
  EXPECT_EQ(Undelivered(OtherTopic()), IdsOf(OtherTopic()).size()) << "other topics untouched";
  EXPECT_EQ(IdsOf(OtherTopic()).size(), 7u);
  for (size_t i = 0; i < kept.size() && i < ids.size(); ++i) {
    EXPECT_EQ(kept[i].after, PayloadFor(static_cast<int>(i)));
    EXPECT_EQ(kept[i].village_id, 1000 + static_cast<int64_t>(i));
  }
}

TEST_F(OutboxRelayTest, NotifyWakesAnIdleRelayBeforeThePollInterval) {
  std::unique_ptr<AuditSink> sink = AuditSink::Create(SinkOptions());
  RelayOptions options = FastOptions();
  options.poll_interval = absl::Hours(1);
  Relay relay(*producer_, sink->AsReceiver(), options);
  relay.Start();
  const std::vector<int64_t> ids = AppendRange(0, 3);
  relay.Notify();
  ASSERT_TRUE(Eventually([&] { return KeptByAudit().size() >= 3; }))
      << "the relay stayed asleep after Notify()";
  EXPECT_EQ(OutboxIds(KeptByAudit()), ids);
}

TEST_F(OutboxRelayTest, DrainOnceDeliversEverythingPendingSynchronously) {
  std::unique_ptr<AuditSink> sink = AuditSink::Create(SinkOptions());
  Relay relay(*producer_, sink->AsReceiver(), FastOptions());
  const std::vector<int64_t> ids = AppendRange(0, 11);
  ASSERT_TRUE(relay.DrainOnce().ok());
  EXPECT_EQ(OutboxIds(KeptByAudit()), ids);
  EXPECT_EQ(Undelivered(topic_), 0u);

  audit_->Kill();
  AppendRange(11, 12);
  EXPECT_EQ(relay.DrainOnce().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Undelivered(topic_), 1u);
}

// Bytes that are no AuditRecord reach the trail as their SHA-256 (AuditSink sets them aside), so
// the digests show each payload arrived byte for byte, and the records' times show when each row
// was written.
TEST_F(OutboxRelayTest, AppendAllKeepsOrderAndBinaryPayloads) {
  // Byte 0 first: field number 0 is never valid protobuf, so no payload parses as a record.
  std::string every_byte;
  for (int byte = 0; byte < 256; ++byte) every_byte.push_back(static_cast<char>(byte));
  std::vector<NewRecord> records;
  for (int i = 0; i < 7; ++i) {
    records.push_back({2000 + i, topic_, absl::StrCat(every_byte, PayloadFor(i))});
  }
  ASSERT_TRUE(mysql::RunInTransaction(*producer_, [&](sql::Connection& c) {
                return AppendAll(c, records);
              }).ok());
  std::unique_ptr<AuditSink> sink = AuditSink::Create(SinkOptions());
  Relay relay(*producer_, sink->AsReceiver(), FastOptions());
  ASSERT_TRUE(relay.DrainOnce().ok());
  const std::vector<int64_t> ids = IdsOf(topic_);
  ASSERT_EQ(ids.size(), records.size());
  const std::vector<Kept> kept = KeptByAudit();
  ASSERT_EQ(OutboxIds(kept), ids);
  for (size_t i = 0; i < kept.size(); ++i) {
    EXPECT_EQ(kept[i].village_id, records[i].village_id) << "records keep the order given";
    EXPECT_EQ(kept[i].action, "malformed_payload");
    EXPECT_TRUE(absl::StartsWith(
        kept[i].after, absl::StrCat("sha256:", audit::Sha256Hex(records[i].payload), " ")))
        << kept[i].after;
    // created_at is an instant: the session's +08:00 must not shift it.
    EXPECT_LT(absl::AbsDuration(absl::Now() - absl::FromUnixMillis(kept[i].occurred_at_ms)),
              absl::Minutes(1));
  }
}

}  // namespace
}  // namespace jifen::outbox
