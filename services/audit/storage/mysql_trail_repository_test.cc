// The trail in MariaDB: append-only grants, dedupe under concurrency, and tampering (one byte, a
// deleted row, swapped rows, a cut-off tail) found with its position, by VerifyTrail and by the
// jifen-audit-verify command.
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

}  // namespace
}  // namespace jifen::audit
