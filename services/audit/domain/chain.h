// The audit trail's hash chain: what a stored record is, its canonical bytes, its hash, and a
// streaming verifier that names the first broken position. Plain C++ and Abseil; the SHA-256 itself
// comes through the Hasher interface (OpenSSL in production, see services/audit/crypto).
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace jifen::audit {

// One record as the audit service stores it. Strings are opaque bytes.
struct TrailRecord {
  int64_t sequence = 0;  // 1-based position in the chain
  std::string source_service;
  int64_t outbox_id = 0;
  int64_t village_id = 0;
  std::string actor_user_id;
  std::string actor_role;
  std::string action;
  std::string object_type;
  std::string object_id;
  std::string before;
  std::string after;
  int64_t occurred_at_ms = 0;
  std::string request_id;
  int64_t received_at_ms = 0;
  std::string hash;  // lowercase hex SHA-256, 64 characters
};

using RawHash = std::array<uint8_t, 32>;

class Hasher {
 public:
  virtual ~Hasher() = default;
  // SHA-256 of `a` followed by `b`.
  virtual RawHash Sha256(absl::string_view a, absl::string_view b) const = 0;
};

// Field limits (bytes), checked by ValidateReported.
inline constexpr size_t kMaxNameBytes = 64;     // source_service, action, object_type, actor_role
inline constexpr size_t kMaxIdBytes = 128;      // actor_user_id, object_id, request_id
inline constexpr size_t kMaxStateBytes = 4096;  // before, after

// INVALID_ARGUMENT naming the field when a reported record (before chaining) breaks the limits in
// proto/jifen/audit/v1/audit.proto: action, object type and id required, occurred_at_ms > 0,
// outbox_id > 0, sizes within bounds.
absl::Status ValidateReported(const TrailRecord& record);

// The bytes a record's hash covers: every field but `hash`, in a fixed order; integers as 8 bytes
// big-endian, strings as a 4-byte big-endian length then the bytes. Appends to *out.
void AppendCanonicalBytes(const TrailRecord& record, std::string* out);

// Hash of the record that follows `previous` (32 zero bytes before the first record).
RawHash ChainHash(const Hasher& hasher, const RawHash& previous, const TrailRecord& record);

std::string ToHex(const RawHash& hash);
// False unless `hex` is exactly 64 lowercase hex digits.
bool FromHex(absl::string_view hex, RawHash* out);
inline constexpr char kZeroHashHex[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

enum class Breakage {
  kNone = 0,
  kHashMismatch = 1,        // stored hash != SHA-256(prev || bytes): record or hash altered
  kSequenceGap = 2,         // the sequence at this position is not the expected one
  kCheckpointMismatch = 3,  // a checkpoint names a count or head hash the chain does not have
  kBadSignature = 4,        // a checkpoint's signature does not verify
};

struct VerifyResult {
  bool intact = true;
  int64_t records_checked = 0;
  int64_t head_sequence = 0;
  std::string head_hash;  // "" for an empty chain
  Breakage breakage = Breakage::kNone;
  int64_t first_bad_position = 0;  // the 1-based position (= expected sequence) of the break
  int64_t found_sequence = 0;      // the sequence found there (0: none)
  std::string detail;
  int64_t checkpoints_checked = 0;  // set by VerifyTrail
};

// Feeds records in stored order (ascending sequence) and checks each against its predecessor.
// Stops checking at the first breakage (later Feed calls are ignored and return false).
class ChainVerifier final {
 public:
  // Starts at the beginning of the chain.
  explicit ChainVerifier(const Hasher& hasher);
  // Starts after a trusted record: `sequence` and its stored hex hash (e.g. a checkpoint head).
  ChainVerifier(const Hasher& hasher, int64_t after_sequence, const RawHash& after_hash);

  // False once the chain is broken (at this record or before).
  bool Feed(const TrailRecord& record);
  // The hex hash of the record at `sequence`, if it has been fed and verified; "" otherwise. Only
  // positions registered with WatchPosition are kept.
  void WatchPosition(int64_t sequence);
  std::string WatchedHash(int64_t sequence) const;

  const VerifyResult& result() const { return result_; }
  bool broken() const { return !result_.intact; }

 private:
  void Break(Breakage kind, int64_t position, int64_t found, std::string detail);

  const Hasher& hasher_;
  RawHash previous_{};
  int64_t expected_sequence_ = 1;
  std::string scratch_;
  absl::flat_hash_map<int64_t, std::string> watched_;  // sequence -> hex hash once verified
  VerifyResult result_;
};

}  // namespace jifen::audit
