// Acceptance against the real jifen-audit process: a producer changes state with its audit record
// in the same transaction (an outbox in a scratch schema), an outbox::Relay delivers through the
// AuditSink; the audit process is SIGKILLed mid-way and started again, and in the end every change
// has exactly one audit record and the chain verifies. Also: tokens and roles at the RPC boundary,
// tampering seen by the Verify RPC, graceful SIGTERM.
#include <cppconn/connection.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <sys/wait.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/audit/state_digest.h"
#include "common/auth/test_keys.h"
#include "common/auth/token.h"
#include "common/grpc/client.h"
#include "common/migrate/migrator.h"
#include "common/outbox/outbox.h"
#include "common/time/shanghai.h"
#include "gtest/gtest.h"
#include "jifen/audit/v1/audit.grpc.pb.h"
#include "services/audit/audit_test_support.h"
#include "services/audit/client/audit_sink.h"
#include "services/audit/crypto/openssl_crypto.h"
#include "tests/support/service_process.h"

namespace jifen::audit {
namespace {

std::string WriteTemp(const std::string& name, const std::string& contents) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/", getpid(), "-", name);
  std::ofstream(path) << contents;
  return path;
}

// Polls `condition` until it holds or `timeout` passes.
bool Eventually(const std::function<bool()>& condition,
                absl::Duration timeout = absl::Seconds(60)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return condition();
}

int64_t CountRows(mysql::ConnectionPool& pool, const std::string& query) {
  int64_t count = -1;
  absl::Status status = mysql::RunWithConnection(pool, [&](sql::Connection& c) {
    std::unique_ptr<sql::PreparedStatement> select(c.prepareStatement(query));
    std::unique_ptr<sql::ResultSet> rows(select->executeQuery());
    if (rows->next()) count = rows->getInt64(1);
    return absl::OkStatus();
  });
  return status.ok() ? count : -1;
}

class AuditProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::SetUpAuditDb("audit_process", &db_);
    token_keys_ = auth::GenerateTestKeyPair();
    signing_keys_ = auth::GenerateTestKeyPair();
    token_signer_ =
        *auth::TokenSigner::FromPrivateKeyPem(token_keys_.private_key_pem, auth::TokenSettings());
    const jifen::testing::MySqlServer& server = jifen::testing::TestMySql();
    flags_ = {absl::StrCat("--mysql_host=", server.host),
              absl::StrCat("--mysql_port=", server.port),
              "--mysql_user=" + db_.user,
              "--mysql_password=" + db_.password,
              "--mysql_database=" + db_.database,
              "--token_public_key=" + WriteTemp("token.pub.pem", token_keys_.public_key_pem),
              "--audit_signing_key=" + WriteTemp("audit.key.pem", signing_keys_.private_key_pem),
              "--drain_timeout=5s"};
    process_ = std::make_unique<jifen::testing::ServiceProcess>(
        "audit", "services/audit/jifen-audit", flags_);
    ASSERT_TRUE(process_->Start());
  }

  std::string Token(auth::Role role, const std::string& user) {
    auth::Caller caller;
    caller.user_id = user;
    caller.role = role;
    return *token_signer_->Sign(caller, absl::Now(), absl::Hours(1));
  }

  std::unique_ptr<v1::AuditService::Stub> Stub() {
    return v1::AuditService::NewStub(grpc_util::NewChannel(process_->address(), 4 << 20));
  }

  testing::AuditDb db_;
  auth::TestKeyPair token_keys_;
  auth::TestKeyPair signing_keys_;
  std::unique_ptr<auth::TokenSigner> token_signer_;
  std::vector<std::string> flags_;
  std::unique_ptr<jifen::testing::ServiceProcess> process_;
};

// The producer: a scratch schema with an outbox and a table whose rows it changes.
class Producer {
 public:
  void SetUp() {
    const std::string database = jifen::testing::CreateFreshDatabase("audit_producer");
    pool_ = std::make_unique<mysql::ConnectionPool>(jifen::testing::AdminConfigFor(database));
    const std::filesystem::path folder =
        std::filesystem::path(::testing::TempDir()) / absl::StrCat("producer-", getpid());
    std::filesystem::remove_all(folder);
    std::filesystem::create_directories(folder);
    std::filesystem::copy_file(jifen::testing::SourcePath("common/outbox/outbox_table.sql"),
                               folder / "0001_outbox.sql");
    std::ofstream(folder / "0002_thing.sql")
        << "CREATE TABLE thing (village_id BIGINT NOT NULL, thing_id BIGINT NOT NULL, "
           "points BIGINT NOT NULL, PRIMARY KEY (village_id, thing_id));\n";
    absl::StatusOr<migrate::MigrationResult> migrated =
        migrate::ApplyMigrations(*pool_, folder.string());
    ASSERT_TRUE(migrated.ok()) << migrated.status();
  }

  // One change of state with its audit record, in one transaction.
  absl::Status Change(int i) {
    return mysql::RunInTransaction(*pool_, [&](sql::Connection& c) -> absl::Status {
      std::unique_ptr<sql::PreparedStatement> insert(
          c.prepareStatement("INSERT INTO thing (village_id, thing_id, points) VALUES (?, ?, ?)"));
      insert->setInt64(1, 1 + i % 4);
      insert->setInt64(2, i);
      insert->setInt64(3, i * 10);
      insert->executeUpdate();
      v1::AuditRecord record;
      record.set_village_id(1 + i % 4);
      record.set_actor_user_id(absl::StrCat("grid-", i % 7));
      record.set_actor_role("grid_worker");
      record.set_action("create");
      record.set_object_type("thing");
      record.set_object_id(absl::StrCat(i));
      record.set_after(StateDigest(absl::StrCat("{\"points\":", i * 10, "}")));
      record.set_occurred_at_ms(absl::ToUnixMillis(absl::Now()));
      record.set_request_id(absl::StrCat("req-", i));
      return outbox::Append(c, 1 + i % 4, "audit", MakeAuditPayload(record));
    });
  }

  int64_t Undelivered() {
    return CountRows(*pool_, "SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL");
  }
  std::vector<int64_t> OutboxIds() {
    std::vector<int64_t> ids;
    EXPECT_TRUE(mysql::RunWithConnection(*pool_, [&](sql::Connection& c) {
                  std::unique_ptr<sql::PreparedStatement> select(
                      c.prepareStatement("SELECT id FROM outbox ORDER BY id"));
                  std::unique_ptr<sql::ResultSet> rows(select->executeQuery());
                  while (rows->next()) ids.push_back(rows->getInt64(1));
                  return absl::OkStatus();
                }).ok());
    return ids;
  }
  mysql::ConnectionPool& pool() { return *pool_; }

 private:
  std::unique_ptr<mysql::ConnectionPool> pool_;
};

TEST_F(AuditProcessTest, EveryChangeHasExactlyOneRecordAcrossAnAuditCrash) {
  Producer producer;
  producer.SetUp();
  if (HasFatalFailure()) return;

  // The relay's receiver: the sink for wherever the audit service currently listens.
  absl::Mutex mu;
  std::unique_ptr<AuditSink> sink;
  auto connect = [&] {
    absl::MutexLock lock(&mu);
    sink = AuditSink::Create(
        {process_->address(), Token(auth::Role::kService, "scoring"), absl::Seconds(5)});
  };
  connect();
  outbox::RelayOptions options;
  options.topic = "audit";
  options.batch_size = 7;
  options.poll_interval = absl::Milliseconds(10);
  options.initial_backoff = absl::Milliseconds(10);
  options.max_backoff = absl::Milliseconds(100);
  outbox::Relay relay(
      producer.pool(),
      [&](const std::vector<outbox::OutboxRecord>& batch) {
        absl::MutexLock lock(&mu);
        return sink->Deliver(batch);
      },
      options);
  relay.Start();

  // Changes keep coming throughout; from change kHalf on, only once the audit service is down
  // (so some changes are certainly made while it is dead, whatever the machine's speed).
  constexpr int kChanges = 300;
  constexpr int kHalf = 150;
  absl::Notification killed;
  std::atomic<int> made{0};
  std::thread changes([&] {
    for (int i = 1; i <= kChanges; ++i) {
      if (i == kHalf) killed.WaitForNotificationWithTimeout(absl::Seconds(60));
      ASSERT_TRUE(producer.Change(i).ok());
      relay.Notify();
      made = i;
    }
  });

  // Kill the audit service while records are flowing (SIGKILL: no drain, batches cut mid-way).
  ASSERT_TRUE(
      Eventually([&] { return CountRows(*db_.admin, "SELECT COUNT(*) FROM audit_record") >= 40; }));
  process_->Kill();
  const int made_at_kill = made.load();
  killed.Notify();
  changes.join();
  EXPECT_LT(made_at_kill, kChanges) << "the kill should land while changes are being made";
  EXPECT_GT(producer.Undelivered(), 0) << "audit was down: records wait in the outbox";

  // Start it again (new port); the relay delivers the rest.
  process_ = std::make_unique<jifen::testing::ServiceProcess>("audit", "services/audit/jifen-audit",
                                                              flags_);
  ASSERT_TRUE(process_->Start());
  connect();
  relay.Notify();
  ASSERT_TRUE(Eventually([&] { return producer.Undelivered() == 0; }))
      << producer.Undelivered() << " still undelivered";
  relay.Stop();

  // Exactly one record per change, none extra, none missing.
  const std::vector<int64_t> outbox_ids = producer.OutboxIds();
  ASSERT_EQ(outbox_ids.size(), static_cast<size_t>(kChanges));
  std::map<int64_t, int> seen;
  ASSERT_TRUE(mysql::RunWithConnection(*db_.admin, [&](sql::Connection& c) {
                std::unique_ptr<sql::PreparedStatement> select(c.prepareStatement(
                    "SELECT outbox_id FROM audit_record WHERE source_service = 'scoring'"));
                std::unique_ptr<sql::ResultSet> rows(select->executeQuery());
                while (rows->next()) ++seen[rows->getInt64(1)];
                return absl::OkStatus();
              }).ok());
  EXPECT_EQ(seen.size(), outbox_ids.size());
  for (int64_t id : outbox_ids) EXPECT_EQ(seen[id], 1) << "outbox id " << id;
  EXPECT_EQ(CountRows(*db_.admin, "SELECT COUNT(*) FROM audit_record"), kChanges);

  // The chain verifies through the RPC.
  auto stub = Stub();
  v1::VerifyResponse verified;
  auto context = grpc_util::NewClientContext(absl::Seconds(30),
                                             Token(auth::Role::kDistrictInspector, "insp-1"));
  ASSERT_TRUE(stub->Verify(context.get(), v1::VerifyRequest(), &verified).ok());
  EXPECT_TRUE(verified.intact()) << verified.detail();
  EXPECT_EQ(verified.records_checked(), kChanges);

  // Graceful stop.
  const int status = process_->Terminate();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST_F(AuditProcessTest, CallersAreCheckedAndTamperingIsReportedByVerify) {
  auto stub = Stub();
  v1::AppendRequest request;
  for (int i = 1; i <= 5; ++i) {
    v1::AppendItem* item = request.add_items();
    item->set_outbox_id(i);
    item->mutable_record()->set_village_id(2);
    item->mutable_record()->set_action("update");
    item->mutable_record()->set_object_type("household");
    item->mutable_record()->set_object_id(absl::StrCat("h", i));
    item->mutable_record()->set_occurred_at_ms(1'800'000'000'000);
  }
  v1::AppendResponse response;
  {
    auto context = grpc_util::NewClientContext(absl::Seconds(10), "");
    EXPECT_EQ(stub->Append(context.get(), request, &response).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    auto context =
        grpc_util::NewClientContext(absl::Seconds(10), Token(auth::Role::kVillageAdmin, "admin-2"));
    EXPECT_EQ(stub->Append(context.get(), request, &response).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto context =
        grpc_util::NewClientContext(absl::Seconds(10), Token(auth::Role::kService, "publicity"));
    ASSERT_TRUE(stub->Append(context.get(), request, &response).ok());
    EXPECT_EQ(response.appended(), attempt == 0 ? 5 : 0);
    EXPECT_EQ(response.duplicates(), attempt == 0 ? 0 : 5);
    EXPECT_EQ(response.head_sequence(), 5);
  }
  {
    auto context =
        grpc_util::NewClientContext(absl::Seconds(10), Token(auth::Role::kVillageAdmin, "admin-2"));
    v1::VerifyResponse verified;
    EXPECT_EQ(stub->Verify(context.get(), v1::VerifyRequest(), &verified).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }

  ASSERT_TRUE(
      testing::Exec(*db_.admin, "UPDATE audit_record SET object_id = 'h9' WHERE sequence = 4")
          .ok());
  auto context = grpc_util::NewClientContext(absl::Seconds(10),
                                             Token(auth::Role::kDistrictOfficial, "dist-1"));
  v1::VerifyResponse verified;
  ASSERT_TRUE(stub->Verify(context.get(), v1::VerifyRequest(), &verified).ok());
  EXPECT_FALSE(verified.intact());
  EXPECT_EQ(verified.breakage(), v1::BREAKAGE_HASH_MISMATCH);
  EXPECT_EQ(verified.first_bad_position(), 4);
}

TEST_F(AuditProcessTest, AMalformedPayloadIsChainedNotDroppedAndTheRelayMovesOn) {
  Producer producer;
  producer.SetUp();
  if (HasFatalFailure()) return;
  ASSERT_TRUE(mysql::RunInTransaction(producer.pool(), [](sql::Connection& c) {
                return outbox::Append(c, 3, "audit", std::string("\xff\xfe") + " not a record");
              }).ok());
  ASSERT_TRUE(producer.Change(1).ok());
  std::unique_ptr<AuditSink> sink =
      AuditSink::Create({process_->address(), Token(auth::Role::kService, "publicity")});
  outbox::RelayOptions options;
  options.topic = "audit";
  outbox::Relay relay(producer.pool(), sink->AsReceiver(), options);
  ASSERT_TRUE(relay.DrainOnce().ok());
  EXPECT_EQ(producer.Undelivered(), 0);

  v1::ListRecordsRequest request;
  v1::ListRecordsResponse records;
  auto context = grpc_util::NewClientContext(absl::Seconds(10),
                                             Token(auth::Role::kDistrictOfficial, "dist-1"));
  ASSERT_TRUE(Stub()->ListRecords(context.get(), request, &records).ok());
  ASSERT_EQ(records.records_size(), 2);
  EXPECT_EQ(records.records(0).record().action(), "malformed_payload");
  EXPECT_EQ(records.records(0).record().village_id(), 3);
  EXPECT_EQ(records.records(0).record().after().substr(0, 7), "sha256:");
  EXPECT_EQ(records.records(0).source_service(), "publicity");
  EXPECT_EQ(records.records(1).record().object_type(), "thing");
}

// A well-formed record that breaks audit's field rules (here a negative village id, as a
// producer's unchecked input once wrote) was refused on every retry and stopped the producer's
// whole trail; it is chained as malformed_payload with the reason instead.
TEST_F(AuditProcessTest, ARecordAuditWouldRefuseIsChainedWithTheReasonAndTheRelayMovesOn) {
  Producer producer;
  producer.SetUp();
  if (HasFatalFailure()) return;
  v1::AuditRecord refused;
  refused.set_actor_user_id("staff-1");
  refused.set_actor_role("district_official");
  refused.set_action("create");
  refused.set_object_type("staff_account");
  refused.set_object_id("14");
  refused.set_occurred_at_ms(absl::ToUnixMillis(absl::Now()));
  ASSERT_TRUE(mysql::RunInTransaction(producer.pool(), [&](sql::Connection& c) {
                return outbox::Append(c, -5, "audit", MakeAuditPayload(refused));
              }).ok());
  ASSERT_TRUE(producer.Change(1).ok());
  std::unique_ptr<AuditSink> sink =
      AuditSink::Create({process_->address(), Token(auth::Role::kService, "gateway")});
  outbox::RelayOptions options;
  options.topic = "audit";
  outbox::Relay relay(producer.pool(), sink->AsReceiver(), options);
  const absl::Status drained = relay.DrainOnce();
  ASSERT_TRUE(drained.ok()) << drained;
  EXPECT_EQ(producer.Undelivered(), 0);

  v1::ListRecordsResponse records;
  auto context = grpc_util::NewClientContext(absl::Seconds(10),
                                             Token(auth::Role::kDistrictOfficial, "dist-1"));
  ASSERT_TRUE(Stub()->ListRecords(context.get(), v1::ListRecordsRequest(), &records).ok());
  ASSERT_EQ(records.records_size(), 2);
  const v1::AuditRecord& set_aside = records.records(0).record();
  EXPECT_EQ(set_aside.action(), "malformed_payload");
  EXPECT_EQ(set_aside.village_id(), 0);
  EXPECT_NE(set_aside.after().find("village_id must be >= 0"), std::string::npos)
      << set_aside.after();
  EXPECT_EQ(records.records(1).record().object_type(), "thing");
}

TEST_F(AuditProcessTest, ADailyCheckpointIsSignedAndDownloadable) {
  const std::string yesterday =
      absl::FormatTime("%Y-%m-%d", absl::Now() - absl::Hours(24), jifen::time::ShanghaiTime());
  auto stub = Stub();
  // The service makes yesterday's checkpoint by itself at start; fetching it needs no creation.
  v1::GetCheckpointRequest get;
  get.set_date(yesterday);
  v1::Checkpoint checkpoint;
  grpc::Status status;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  do {
    auto context = grpc_util::NewClientContext(absl::Seconds(10),
                                               Token(auth::Role::kDistrictInspector, "insp-1"));
    status = stub->GetCheckpoint(context.get(), get, &checkpoint);
  } while (status.error_code() == grpc::StatusCode::NOT_FOUND && absl::Now() < deadline &&
           (absl::SleepFor(absl::Milliseconds(20)), true));
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(checkpoint.date(), yesterday);
  EXPECT_EQ(checkpoint.record_count(), 0);
  EXPECT_EQ(checkpoint.signed_text(), absl::StrCat("jifen-audit-checkpoint/v1\n", yesterday,
                                                   "\n0\n", std::string(64, '0'), "\n"));

  v1::GetSigningKeyResponse key;
  auto context = grpc_util::NewClientContext(absl::Seconds(10),
                                             Token(auth::Role::kDistrictOfficial, "dist-1"));
  ASSERT_TRUE(stub->GetSigningKey(context.get(), v1::GetSigningKeyRequest(), &key).ok());
  std::unique_ptr<EcdsaVerifier> verifier = *EcdsaVerifier::FromPublicKeyPem(key.public_key_pem());
  std::string signature;
  ASSERT_TRUE(absl::Base64Unescape(checkpoint.signature_base64(), &signature));
  EXPECT_TRUE(verifier->Verify(checkpoint.signed_text(), signature));
  EXPECT_FALSE(verifier->Verify(checkpoint.signed_text() + " ", signature));

  // Today has not ended: no checkpoint for it yet.
  v1::CreateCheckpointRequest create;
  create.set_date(absl::FormatTime("%Y-%m-%d", absl::Now(), jifen::time::ShanghaiTime()));
  context = grpc_util::NewClientContext(absl::Seconds(10),
                                        Token(auth::Role::kDistrictOfficial, "dist-1"));
  EXPECT_EQ(stub->CreateCheckpoint(context.get(), create, &checkpoint).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

}  // namespace
}  // namespace jifen::audit
