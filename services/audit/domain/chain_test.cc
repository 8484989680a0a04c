#include "services/audit/domain/chain.h"

#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "services/audit/crypto/openssl_crypto.h"

namespace jifen::audit {
namespace {

TrailRecord Reported(int i) {
  TrailRecord r;
  r.source_service = "scoring";
  r.outbox_id = 100 + i;
  r.village_id = 7;
  r.actor_user_id = "u" + std::to_string(i);
  r.actor_role = "grid_worker";
  r.action = "create";
  r.object_type = "inspection";
  r.object_id = "insp-" + std::to_string(i);
  r.before = "";
  r.after = std::string("{\"points\":") + std::to_string(i) + "}";
  r.occurred_at_ms = 1'700'000'000'000 + i;
  r.request_id = "req-" + std::to_string(i);
  return r;
}

std::vector<TrailRecord> MakeChain(int n) {
  OpenSslHasher hasher;
  std::vector<TrailRecord> chain;
  RawHash previous{};
  for (int i = 1; i <= n; ++i) {
    TrailRecord r = Reported(i);
    r.sequence = i;
    r.received_at_ms = 1'700'000'001'000 + i;
    previous = ChainHash(hasher, previous, r);
    r.hash = ToHex(previous);
    chain.push_back(std::move(r));
  }
  return chain;
}

VerifyResult Verify(const std::vector<TrailRecord>& chain) {
  OpenSslHasher hasher;
  ChainVerifier verifier(hasher);
  for (const TrailRecord& r : chain) verifier.Feed(r);
  return verifier.result();
}

TEST(ChainTest, Sha256MatchesTheStandardVector) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  OpenSslHasher hasher;
  EXPECT_EQ(ToHex(hasher.Sha256("a", "bc")), Sha256Hex("abc"));
}

TEST(ChainTest, CanonicalBytesAreLengthPrefixedSoFieldsCannotRunTogether) {
  TrailRecord a = Reported(1);
  TrailRecord b = a;
  a.object_type = "ab";
  a.object_id = "c";
  b.object_type = "a";
  b.object_id = "bc";
  std::string bytes_a, bytes_b;
  AppendCanonicalBytes(a, &bytes_a);
  AppendCanonicalBytes(b, &bytes_b);
  EXPECT_NE(bytes_a, bytes_b);
}

TEST(ChainTest, HexRoundTripsAndRejectsGarbage) {
  RawHash h{};
  h[0] = 0xab;
  h[31] = 0x01;
  RawHash back{};
  ASSERT_TRUE(FromHex(ToHex(h), &back));
  EXPECT_EQ(back, h);
  EXPECT_FALSE(FromHex("zz", &back));
  EXPECT_FALSE(FromHex(std::string(64, 'G'), &back));
}

TEST(ChainTest, AnIntactChainVerifies) {
  std::vector<TrailRecord> chain = MakeChain(50);
  VerifyResult result = Verify(chain);
  EXPECT_TRUE(result.intact) << result.detail;
  EXPECT_EQ(result.records_checked, 50);
  EXPECT_EQ(result.head_sequence, 50);
  EXPECT_EQ(result.head_hash, chain.back().hash);
}

TEST(ChainTest, OneAlteredByteIsFoundAtItsPosition) {
  std::vector<TrailRecord> chain = MakeChain(20);
  chain[11].after[3] ^= 0x01;  // sequence 12
  VerifyResult result = Verify(chain);
  EXPECT_FALSE(result.intact);
  EXPECT_EQ(result.breakage, Breakage::kHashMismatch);
  EXPECT_EQ(result.first_bad_position, 12);
  EXPECT_EQ(result.records_checked, 11);
}

TEST(ChainTest, AnAlteredHashIsFoundAtItsPosition) {
  std::vector<TrailRecord> chain = MakeChain(5);
  chain[2].hash[0] = chain[2].hash[0] == 'a' ? 'b' : 'a';
  VerifyResult result = Verify(chain);
  EXPECT_EQ(result.breakage, Breakage::kHashMismatch);
  EXPECT_EQ(result.first_bad_position, 3);
}

TEST(ChainTest, ADeletedRecordIsFoundAtItsPosition) {
  std::vector<TrailRecord> chain = MakeChain(20);
  chain.erase(chain.begin() + 6);  // sequence 7 gone
  VerifyResult result = Verify(chain);
  EXPECT_EQ(result.breakage, Breakage::kSequenceGap);
  EXPECT_EQ(result.first_bad_position, 7);
  EXPECT_EQ(result.found_sequence, 8);
}

TEST(ChainTest, ADeletedRecordWithRenumberedSuccessorsIsStillFound) {
  std::vector<TrailRecord> chain = MakeChain(20);
  chain.erase(chain.begin() + 6);
  for (size_t i = 6; i < chain.size(); ++i) chain[i].sequence -= 1;
  VerifyResult result = Verify(chain);
  EXPECT_EQ(result.breakage, Breakage::kHashMismatch);
  EXPECT_EQ(result.first_bad_position, 7);
}

TEST(ChainTest, SwappedRowsAreFound) {
  // Two whole rows exchanged in storage order.
  std::vector<TrailRecord> chain = MakeChain(20);
  std::swap(chain[4], chain[5]);
  VerifyResult result = Verify(chain);
  EXPECT_EQ(result.breakage, Breakage::kSequenceGap);
  EXPECT_EQ(result.first_bad_position, 5);
  EXPECT_EQ(result.found_sequence, 6);

  // Contents (and hashes) exchanged while each row keeps its sequence number.
  chain = MakeChain(20);
  std::swap(chain[4], chain[5]);
  std::swap(chain[4].sequence, chain[5].sequence);
  result = Verify(chain);
  EXPECT_EQ(result.breakage, Breakage::kHashMismatch);
  EXPECT_EQ(result.first_bad_position, 5);
}

TEST(ChainTest, VerificationCanStartAfterATrustedRecord) {
  std::vector<TrailRecord> chain = MakeChain(10);
  OpenSslHasher hasher;
  RawHash trusted;
  ASSERT_TRUE(FromHex(chain[3].hash, &trusted));
  ChainVerifier verifier(hasher, 4, trusted);
  verifier.WatchPosition(8);
  for (size_t i = 4; i < chain.size(); ++i) ASSERT_TRUE(verifier.Feed(chain[i]));
  EXPECT_EQ(verifier.result().records_checked, 6);
  EXPECT_EQ(verifier.WatchedHash(8), chain[7].hash);
  EXPECT_EQ(verifier.WatchedHash(9), "");
}

TEST(ChainTest, ValidationNamesTheBadField) {
  TrailRecord r = Reported(1);
  EXPECT_TRUE(ValidateReported(r).ok());
  r.action = "";
  EXPECT_NE(ValidateReported(r).message().find("action"), absl::string_view::npos);
  r = Reported(1);
  r.after = std::string(kMaxStateBytes + 1, 'x');
  EXPECT_NE(ValidateReported(r).message().find("after"), absl::string_view::npos);
  r = Reported(1);
  r.outbox_id = 0;
  EXPECT_FALSE(ValidateReported(r).ok());
}

}  // namespace
}  // namespace jifen::audit
