// The trail in MariaDB: who may append, dedupe per service, whole batches refused, append-only
// grants, dedupe under concurrency, signed daily checkpoints, and tampering (one byte, a deleted
// row, swapped rows, a cut-off tail, a rewritten checkpoint) found with its position, by
// VerifyTrail and by the jifen-audit-verify command.
#include "services/audit/storage/mysql_trail_repository.h"

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/auth/test_keys.h"
#include "common/mysql/statement.h"
#include "common/mysql/transaction.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/audit/audit_test_support.h"
#include "services/audit/crypto/openssl_crypto.h"
#include "services/audit/domain/trail.h"

namespace jifen::audit {
namespace {

using ::testing::HasSubstr;

auth::Caller Service(const std::string& name) {
  auth::Caller caller;
  caller.user_id = name;
  caller.role = auth::Role::kService;
  return caller;
}

TrailRecord Reported(int64_t outbox_id) {
  TrailRecord r;
  r.outbox_id = outbox_id;
  r.village_id = 1 + outbox_id % 3;
  r.actor_user_id = absl::StrCat("user-", outbox_id);
  r.actor_role = "grid_worker";
  r.action = "create";
  r.object_type = "inspection";
  r.object_id = absl::StrCat("insp-", outbox_id);
  r.after = absl::StrCat("{\"points\":", outbox_id, ",\"bytes\":\"", std::string(1, '\0'), "\"}");
  r.occurred_at_ms = 1'700'000'000'000 + outbox_id;
  r.request_id = absl::StrCat("req-", outbox_id);
  return r;
}

// Runs the CLI against the database; returns its exit status and output.
std::pair<int, std::string> RunVerifyCli(const testing::AuditDb& db, const std::string& extra) {
  const jifen::testing::MySqlServer& server = jifen::testing::TestMySql();
  const std::string command = absl::StrCat(
      jifen::testing::BinaryPath("services/audit/jifen-audit-verify"),
      " --mysql_host=", server.host, " --mysql_port=", server.port, " --mysql_user=", db.user,
      " --mysql_password=", db.password, " --mysql_database=", db.database, " ", extra, " 2>&1");
  FILE* pipe = popen(command.c_str(), "r");
  std::string output;
  char buffer[512];
  while (pipe != nullptr && fgets(buffer, sizeof(buffer), pipe) != nullptr) output += buffer;
  const int status = pipe == nullptr ? -1 : pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

// The append rules need no chain of their own: the suite shares one database, and each test takes
// outbox ids no other test uses and reads back only what it appended.
class TrailAppendTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_ = new testing::AuditDb();
    testing::SetUpAuditDb("trail_append", db_);
    repository_ = new MySqlTrailRepository(*db_->service);
  }
  static void TearDownTestSuite() {
    delete repository_;
    repository_ = nullptr;
    delete db_;
    db_ = nullptr;
  }

  // A record of a rulebook publication with an outbox id of its own; the source it names is
  // ignored, as the trail takes it from the caller.
  static TrailRecord Publication(int64_t outbox_id) {
    TrailRecord r;
    r.source_service = "ignored: taken from the caller";
    r.outbox_id = outbox_id;
    r.village_id = 3;
    r.actor_user_id = "admin-1";
    r.actor_role = "village_admin";
    r.action = "publish";
    r.object_type = "rulebook";
    r.object_id = absl::StrCat("rb-", outbox_id);
    r.occurred_at_ms = 1'700'000'000'000;
    return r;
  }
  static int64_t NewOutboxId() { return ++last_outbox_id_; }

  std::vector<TrailRecord> Stored(const std::string& object_id) {
    RecordFilter filter;
    filter.object_type = "rulebook";
    filter.object_id = object_id;
    absl::StatusOr<std::vector<TrailRecord>> records = repository_->List(filter);
    EXPECT_TRUE(records.ok()) << records.status();
    return records.ok() ? *records : std::vector<TrailRecord>();
  }

  inline static testing::AuditDb* db_ = nullptr;
  inline static MySqlTrailRepository* repository_ = nullptr;
  inline static int64_t last_outbox_id_ = 0;
  OpenSslHasher hasher_;
  AuditTrail trail_{*repository_, hasher_, nullptr,
                    [] { return absl::FromUnixSeconds(1'800'000'000); }};
};

TEST_F(TrailAppendTest, OnlyServicesAppendAndTheSourceIsTheCaller) {
  const int64_t id = NewOutboxId();
  auth::Caller official;
  official.user_id = "dist-1";
  official.role = auth::Role::kDistrictOfficial;
  EXPECT_EQ(trail_.Append(official, {Publication(id)}).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(Stored(absl::StrCat("rb-", id)).empty());
  ASSERT_TRUE(trail_.Append(Service("redemption"), {Publication(id)}).ok());
  const std::vector<TrailRecord> stored = Stored(absl::StrCat("rb-", id));
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].source_service, "redemption");
}

TEST_F(TrailAppendTest, DuplicatesAreAcknowledgedAndDroppedPerService) {
  const int64_t first_id = NewOutboxId(), second_id = NewOutboxId(), third_id = NewOutboxId();
  absl::StatusOr<AppendOutcome> first = trail_.Append(
      Service("scoring"), {Publication(first_id), Publication(second_id), Publication(second_id)});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->appended, 2);
  EXPECT_EQ(first->duplicates, 1);
  absl::StatusOr<AppendOutcome> again =
      trail_.Append(Service("scoring"), {Publication(second_id), Publication(third_id)});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->appended, 1);
  EXPECT_EQ(again->duplicates, 1);
  EXPECT_EQ(again->head_sequence, first->head_sequence + 1);
  EXPECT_EQ(Stored(absl::StrCat("rb-", second_id)).size(), 1u);
  // The same outbox id from another service is another record.
  absl::StatusOr<AppendOutcome> other =
      trail_.Append(Service("publicity"), {Publication(first_id)});
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(other->appended, 1);
  EXPECT_EQ(Stored(absl::StrCat("rb-", first_id)).size(), 2u);
}

TEST_F(TrailAppendTest, AnInvalidRecordRejectsTheWholeBatch) {
  const int64_t good_id = NewOutboxId(), bad_id = NewOutboxId();
  TrailRecord bad = Publication(bad_id);
  bad.object_id = "";
  absl::StatusOr<AppendOutcome> outcome =
      trail_.Append(Service("scoring"), {Publication(good_id), bad});
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(outcome.status().message().find("item 1"), absl::string_view::npos);
  EXPECT_TRUE(Stored(absl::StrCat("rb-", good_id)).empty()) << "nothing of the batch is stored";
  EXPECT_FALSE(trail_.Append(Service("scoring"), {}).ok());
}

// The chain is one per database, and these tests count, checkpoint or tamper with the whole of it:
// each has a database of its own.
class MySqlTrailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    testing::SetUpAuditDb("trail_" + test.substr(0, 24), &db_);
    repository_ = std::make_unique<MySqlTrailRepository>(*db_.service, /*scan_page_rows=*/7);
    trail_ = std::make_unique<AuditTrail>(*repository_, hasher_, nullptr, [this] { return now_; });
  }

  void AppendRange(int from, int to) {
    std::vector<TrailRecord> batch;
    for (int i = from; i < to; ++i) batch.push_back(Reported(i));
    absl::StatusOr<AppendOutcome> outcome = trail_->Append(Service("scoring"), batch);
    ASSERT_TRUE(outcome.ok()) << outcome.status();
  }

  // Checkpoints are signed from here on.
  void UseSigningKey() {
    keys_ = auth::GenerateTestKeyPair();
    signer_ = *EcdsaSigner::FromPrivateKeyPem(keys_.private_key_pem);
    verifier_ = *EcdsaVerifier::FromPublicKeyPem(keys_.public_key_pem);
    trail_ =
        std::make_unique<AuditTrail>(*repository_, hasher_, signer_.get(), [this] { return now_; });
  }

  // Appends records [from, to) at `date_time` ("YYYY-MM-DD HH:MM", Shanghai).
  void AppendAt(const std::string& date_time, int from, int to) {
    std::string error;
    ASSERT_TRUE(absl::ParseTime("%Y-%m-%d %H:%M", date_time, ShanghaiTime(), &now_, &error))
        << error;
    AppendRange(from, to);
  }

  VerifyResult VerifyNow() {
    absl::StatusOr<VerifyResult> result = VerifyTrail(*repository_, hasher_, nullptr);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : VerifyResult();
  }

  testing::AuditDb db_;
  OpenSslHasher hasher_;
  absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
  std::unique_ptr<MySqlTrailRepository> repository_;
  std::unique_ptr<AuditTrail> trail_;
  auth::TestKeyPair keys_;
  std::unique_ptr<EcdsaSigner> signer_;
  std::unique_ptr<EcdsaVerifier> verifier_;
};

TEST_F(MySqlTrailTest, TheServiceUserCanAppendButNeverRewrite) {
  AppendRange(1, 4);
  EXPECT_EQ(
      testing::Exec(*db_.service, "UPDATE audit_record SET action = 'x' WHERE sequence = 1").code(),
      absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(testing::Exec(*db_.service, "DELETE FROM audit_record WHERE sequence = 1").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(testing::Exec(*db_.service, "DELETE FROM audit_checkpoint").code(),
            absl::StatusCode::kPermissionDenied);
  VerifyResult result = VerifyNow();
  EXPECT_TRUE(result.intact) << result.detail;
  EXPECT_EQ(result.records_checked, 3);
}

TEST_F(MySqlTrailTest, ConcurrentRelaysStoreEachRecordOnceInOneChain) {
  // Four relays deliver overlapping batches at once (as after a crash with several replicas).
  std::vector<std::thread> relays;
  for (int t = 0; t < 4; ++t) {
    relays.emplace_back([this, t] {
      for (int start = 1; start <= 60; start += 10) {
        std::vector<TrailRecord> batch;
        for (int i = start; i < start + 10; ++i) batch.push_back(Reported(i));
        if (t % 2 == 1) std::reverse(batch.begin(), batch.end());
        absl::StatusOr<AppendOutcome> outcome = trail_->Append(Service("scoring"), batch);
        EXPECT_TRUE(outcome.ok()) << outcome.status();
      }
    });
  }
  for (std::thread& relay : relays) relay.join();
  VerifyResult result = VerifyNow();
  EXPECT_TRUE(result.intact) << result.detail;
  EXPECT_EQ(result.records_checked, 60);
  RecordFilter filter;
  filter.limit = 1000;
  absl::StatusOr<std::vector<TrailRecord>> all = repository_->List(filter);
  ASSERT_TRUE(all.ok());
  std::set<int64_t> outbox_ids;
  for (const TrailRecord& r : *all) outbox_ids.insert(r.outbox_id);
  EXPECT_EQ(outbox_ids.size(), 60u);
}

TEST_F(MySqlTrailTest, BinaryStatesRoundTripExactly) {
  AppendRange(1, 3);
  absl::StatusOr<std::optional<TrailRecord>> stored = repository_->Get(2);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->after, Reported(2).after);
  EXPECT_EQ((*stored)->source_service, "scoring");
}

TEST_F(MySqlTrailTest, OneAlteredByteIsFoundWithItsPosition) {
  AppendRange(1, 21);
  auto [intact_code, intact_output] = RunVerifyCli(db_, "");
  EXPECT_EQ(intact_code, 0) << intact_output;
  EXPECT_THAT(intact_output, HasSubstr("intact: 20 records"));

  ASSERT_TRUE(
      testing::Exec(*db_.admin,
                    "UPDATE audit_record SET actor_user_id = 'user-13X' WHERE sequence = 13")
          .ok());
  VerifyResult result = VerifyNow();
  EXPECT_FALSE(result.intact);
  EXPECT_EQ(result.breakage, Breakage::kHashMismatch);
  EXPECT_EQ(result.first_bad_position, 13);
  auto [code, output] = RunVerifyCli(db_, "");
  EXPECT_EQ(code, 1) << output;
  EXPECT_THAT(output, HasSubstr("hash_mismatch at position 13"));
}

TEST_F(MySqlTrailTest, ADeletedRowIsFoundWithItsPosition) {
  AppendRange(1, 21);
  ASSERT_TRUE(testing::Exec(*db_.admin, "DELETE FROM audit_record WHERE sequence = 9").ok());
  VerifyResult result = VerifyNow();
  EXPECT_EQ(result.breakage, Breakage::kSequenceGap);
  EXPECT_EQ(result.first_bad_position, 9);
  EXPECT_EQ(result.found_sequence, 10);
  auto [code, output] = RunVerifyCli(db_, "");
  EXPECT_EQ(code, 1);
  EXPECT_THAT(output, HasSubstr("sequence_gap at position 9 (found sequence 10)"));
}

TEST_F(MySqlTrailTest, SwappedRowsAreFoundWithTheirPosition) {
  AppendRange(1, 21);
  // Rows 5 and 6 exchange places: each keeps its content and hash but takes the other's number.
  // Through a free number, as a primary key cannot hold two rows with one value even briefly.
  ASSERT_TRUE(
      testing::Exec(*db_.admin, "UPDATE audit_record SET sequence = 0 WHERE sequence = 5").ok());
  ASSERT_TRUE(
      testing::Exec(*db_.admin, "UPDATE audit_record SET sequence = 5 WHERE sequence = 6").ok());
  ASSERT_TRUE(
      testing::Exec(*db_.admin, "UPDATE audit_record SET sequence = 6 WHERE sequence = 0").ok());
  VerifyResult result = VerifyNow();
  EXPECT_EQ(result.breakage, Breakage::kHashMismatch);
  EXPECT_EQ(result.first_bad_position, 5);
  auto [code, output] = RunVerifyCli(db_, "");
  EXPECT_EQ(code, 1);
  EXPECT_THAT(output, HasSubstr("at position 5"));
}

TEST_F(MySqlTrailTest, SignedCheckpointsCatchACutOffTailAndAreCheckedOffline) {
  auth::TestKeyPair keys = auth::GenerateTestKeyPair();
  std::unique_ptr<EcdsaSigner> signer = *EcdsaSigner::FromPrivateKeyPem(keys.private_key_pem);
  std::unique_ptr<EcdsaVerifier> verifier = *EcdsaVerifier::FromPublicKeyPem(keys.public_key_pem);
  trail_ =
      std::make_unique<AuditTrail>(*repository_, hasher_, signer.get(), [this] { return now_; });
  AppendRange(1, 11);
  now_ += absl::Hours(24);
  absl::StatusOr<Checkpoint> checkpoint = trail_->EnsureYesterdaysCheckpoint();
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  EXPECT_EQ(checkpoint->record_count, 10);
  AppendRange(11, 13);

  const std::string key_file = ::testing::TempDir() + "/audit-checkpoint.pub.pem";
  std::ofstream(key_file) << keys.public_key_pem;
  const std::string downloaded =
      absl::StrCat("--audit_public_key=", key_file, " --checkpoint_date=", checkpoint->date,
                   " --checkpoint_count=", checkpoint->record_count,
                   " --checkpoint_head=", checkpoint->head_hash,
                   " --checkpoint_signature=", absl::Base64Escape(checkpoint->signature));
  auto [ok_code, ok_output] = RunVerifyCli(db_, downloaded);
  EXPECT_EQ(ok_code, 0) << ok_output;
  EXPECT_THAT(ok_output, HasSubstr("signature verifies; the trail matches"));
  EXPECT_THAT(ok_output, HasSubstr("1 checkpoints (signatures verified)"));

  // The last five records are removed: the remaining chain is self-consistent, but the signed
  // checkpoint says there were ten records by that day.
  ASSERT_TRUE(testing::Exec(*db_.admin, "DELETE FROM audit_record WHERE sequence > 7").ok());
  absl::StatusOr<VerifyResult> result = VerifyTrail(*repository_, hasher_, verifier.get());
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->breakage, Breakage::kCheckpointMismatch);
  EXPECT_EQ(result->first_bad_position, 10);
  auto [code, output] = RunVerifyCli(db_, downloaded);
  EXPECT_EQ(code, 1);
  EXPECT_THAT(output, HasSubstr("does NOT match"));
  EXPECT_THAT(output, HasSubstr("checkpoint_mismatch"));
}

// The day's checkpoint counts what was received by its midnight, whatever came after.
TEST_F(MySqlTrailTest, DailyCheckpointCoversTheDayAndVerifies) {
  UseSigningKey();
  AppendAt("2026-11-27 10:00", 1, 4);
  AppendAt("2026-11-27 23:59", 4, 5);
  AppendAt("2026-11-28 00:01", 5, 7);
  EXPECT_EQ(trail_->CreateCheckpoint("2026-11-28").status().code(),
            absl::StatusCode::kFailedPrecondition)
      << "the day has not ended";
  EXPECT_EQ(trail_->CreateCheckpoint("2026-13-01").status().code(),
            absl::StatusCode::kInvalidArgument);

  absl::StatusOr<Checkpoint> checkpoint = trail_->EnsureYesterdaysCheckpoint();
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  EXPECT_EQ(checkpoint->date, "2026-11-27");
  EXPECT_EQ(checkpoint->record_count, 4);
  absl::StatusOr<std::optional<TrailRecord>> fourth = repository_->Get(4);
  ASSERT_TRUE(fourth.ok() && fourth->has_value());
  EXPECT_EQ(checkpoint->head_hash, (*fourth)->hash);
  EXPECT_TRUE(verifier_->Verify(CheckpointText(*checkpoint), checkpoint->signature));
  // Idempotent: the stored one comes back.
  absl::StatusOr<Checkpoint> again = trail_->CreateCheckpoint("2026-11-27");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->signature, checkpoint->signature);

  absl::StatusOr<VerifyResult> result = VerifyTrail(*repository_, hasher_, verifier_.get());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->intact) << result->detail;
  EXPECT_EQ(result->records_checked, 6);
}

TEST_F(MySqlTrailTest, AForgedCheckpointIsCaught) {
  UseSigningKey();
  AppendAt("2026-11-27 10:00", 1, 3);
  AppendAt("2026-11-28 09:00", 3, 4);
  ASSERT_TRUE(trail_->CreateCheckpoint("2026-11-27").ok());
  // Rewritten by someone with database access but without the signing key.
  ASSERT_TRUE(mysql::RunWithConnection(*db_.admin, [](sql::Connection& c) {
                mysql::Statement(c,
                                 "UPDATE audit_checkpoint SET record_count = ? "
                                 "WHERE checkpoint_date = ?")
                    .Bind(int64_t{1})
                    .Bind("2026-11-27")
                    .Update();
                return absl::OkStatus();
              }).ok());
  absl::StatusOr<VerifyResult> result = VerifyTrail(*repository_, hasher_, verifier_.get());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->intact);
  EXPECT_EQ(result->breakage, Breakage::kBadSignature);
}

}  // namespace
}  // namespace jifen::audit
