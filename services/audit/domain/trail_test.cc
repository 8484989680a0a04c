#include "services/audit/domain/trail.h"

#include <memory>
#include <string>
#include <vector>

#include "common/auth/test_keys.h"
#include "gtest/gtest.h"
#include "services/audit/crypto/openssl_crypto.h"
#include "services/audit/domain/fake_trail_repository.h"

namespace jifen::audit {
namespace {

auth::Caller Service(const std::string& name) {
  auth::Caller caller;
  caller.user_id = name;
  caller.role = auth::Role::kService;
  return caller;
}

TrailRecord Reported(int64_t outbox_id) {
  TrailRecord r;
  r.source_service = "ignored: taken from the caller";
  r.outbox_id = outbox_id;
  r.village_id = 3;
  r.actor_user_id = "admin-1";
  r.actor_role = "village_admin";
  r.action = "publish";
  r.object_type = "rulebook";
  r.object_id = "rb-" + std::to_string(outbox_id);
  r.occurred_at_ms = 1'700'000'000'000;
  return r;
}

class TrailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_ = auth::GenerateTestKeyPair();
    signer_ = *EcdsaSigner::FromPrivateKeyPem(keys_.private_key_pem);
    verifier_ = *EcdsaVerifier::FromPublicKeyPem(keys_.public_key_pem);
    trail_ =
        std::make_unique<AuditTrail>(repository_, hasher_, signer_.get(), [this] { return now_; });
  }

  void AppendAt(const std::string& date_time, std::vector<int64_t> ids) {
    std::string error;
    ASSERT_TRUE(absl::ParseTime("%Y-%m-%d %H:%M", date_time, ShanghaiZone(), &now_, &error));
    std::vector<TrailRecord> batch;
    for (int64_t id : ids) batch.push_back(Reported(id));
    ASSERT_TRUE(trail_->Append(Service("scoring"), batch).ok());
  }

  FakeTrailRepository repository_;
  OpenSslHasher hasher_;
  auth::TestKeyPair keys_;
  std::unique_ptr<EcdsaSigner> signer_;
  std::unique_ptr<EcdsaVerifier> verifier_;
  absl::Time now_ = absl::FromUnixSeconds(1'700'000'000);
  std::unique_ptr<AuditTrail> trail_;
};

TEST_F(TrailTest, OnlyServicesAppendAndTheSourceIsTheCaller) {
  auth::Caller admin;
  admin.role = auth::Role::kDistrictOfficial;
  EXPECT_EQ(trail_->Append(admin, {Reported(1)}).status().code(),
            absl::StatusCode::kPermissionDenied);
  ASSERT_TRUE(trail_->Append(Service("redemption"), {Reported(1)}).ok());
  EXPECT_EQ(repository_.records.at(0).source_service, "redemption");
}

TEST_F(TrailTest, DuplicatesAreAcknowledgedAndDroppedPerService) {
  absl::StatusOr<AppendOutcome> first =
      trail_->Append(Service("scoring"), {Reported(1), Reported(2), Reported(2)});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->appended, 2);
  EXPECT_EQ(first->duplicates, 1);
  absl::StatusOr<AppendOutcome> again =
      trail_->Append(Service("scoring"), {Reported(2), Reported(3)});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->appended, 1);
  EXPECT_EQ(again->duplicates, 1);
  EXPECT_EQ(again->head_sequence, 3);
  // The same outbox id from another service is another record.
  absl::StatusOr<AppendOutcome> other = trail_->Append(Service("publicity"), {Reported(1)});
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->appended, 1);
}

TEST_F(TrailTest, AnInvalidRecordRejectsTheWholeBatch) {
  TrailRecord bad = Reported(2);
  bad.object_id = "";
  absl::StatusOr<AppendOutcome> outcome = trail_->Append(Service("scoring"), {Reported(1), bad});
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(outcome.status().message().find("item 1"), absl::string_view::npos);
  EXPECT_TRUE(repository_.records.empty());
  EXPECT_FALSE(trail_->Append(Service("scoring"), {}).ok());
}

TEST_F(TrailTest, DailyCheckpointCoversTheDayAndVerifies) {
  AppendAt("2026-11-27 10:00", {1, 2, 3});
  AppendAt("2026-11-27 23:59", {4});
  AppendAt("2026-11-28 00:01", {5, 6});
  EXPECT_EQ(trail_->CreateCheckpoint("2026-11-28").status().code(),
            absl::StatusCode::kFailedPrecondition)
      << "the day has not ended";
  EXPECT_EQ(trail_->CreateCheckpoint("2026-13-01").status().code(),
            absl::StatusCode::kInvalidArgument);

  absl::StatusOr<Checkpoint> checkpoint = trail_->EnsureYesterdaysCheckpoint();
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  EXPECT_EQ(checkpoint->date, "2026-11-27");
  EXPECT_EQ(checkpoint->record_count, 4);
  EXPECT_EQ(checkpoint->head_hash, repository_.records[3].hash);
  EXPECT_TRUE(verifier_->Verify(CheckpointText(*checkpoint), checkpoint->signature));
  // Idempotent: the stored one comes back.
  absl::StatusOr<Checkpoint> again = trail_->CreateCheckpoint("2026-11-27");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->signature, checkpoint->signature);

  absl::StatusOr<VerifyResult> result = VerifyTrail(repository_, hasher_, verifier_.get());
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->intact) << result->detail;
  EXPECT_EQ(result->records_checked, 6);
}

TEST_F(TrailTest, CuttingOffTheTailIsCaughtByTheCheckpoint) {
  AppendAt("2026-11-27 10:00", {1, 2, 3, 4});
  AppendAt("2026-11-28 09:00", {5});
  ASSERT_TRUE(trail_->CreateCheckpoint("2026-11-27").ok());
  repository_.records.resize(2);  // the last records deleted: the chain itself stays consistent
  absl::StatusOr<VerifyResult> result = VerifyTrail(repository_, hasher_, verifier_.get());
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->intact);
  EXPECT_EQ(result->breakage, Breakage::kCheckpointMismatch);
  EXPECT_EQ(result->first_bad_position, 4);
}

TEST_F(TrailTest, AForgedCheckpointIsCaught) {
  AppendAt("2026-11-27 10:00", {1, 2});
  AppendAt("2026-11-28 09:00", {3});
  ASSERT_TRUE(trail_->CreateCheckpoint("2026-11-27").ok());
  repository_.checkpoints["2026-11-27"].record_count = 1;  // rewritten without the key
  absl::StatusOr<VerifyResult> result = VerifyTrail(repository_, hasher_, verifier_.get());
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->breakage, Breakage::kBadSignature);
}

TEST_F(TrailTest, VerifyReportsTheFirstTamperedRecord) {
  AppendAt("2026-11-27 10:00", {1, 2, 3, 4, 5});
  repository_.records[2].actor_user_id = "someone-else";
  absl::StatusOr<VerifyResult> result = VerifyTrail(repository_, hasher_, nullptr);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->breakage, Breakage::kHashMismatch);
  EXPECT_EQ(result->first_bad_position, 3);
}

TEST(DateTest, ParsesOnlyRealDays) {
  absl::Time start;
  EXPECT_TRUE(ParseDate("2024-02-29", &start).ok());
  EXPECT_EQ(DateOf(start), "2024-02-29");
  EXPECT_FALSE(ParseDate("2023-02-29", &start).ok());
  EXPECT_FALSE(ParseDate("2023-2-1", &start).ok());
}

}  // namespace
}  // namespace jifen::audit
