// The audit trail's rules: who may append, dedupe by (service, outbox id), chain verification over
// a repository, and signed daily checkpoints.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/auth/caller.h"
#include "common/time/shanghai.h"
#include "services/audit/domain/chain.h"

namespace jifen::audit {

struct Checkpoint {
  std::string date;  // "YYYY-MM-DD", Asia/Shanghai
  int64_t record_count = 0;
  std::string head_hash;  // hex; kZeroHashHex for an empty chain
  int64_t signed_at_ms = 0;
  std::string signature;  // DER ECDSA P-256 / SHA-256 over CheckpointText
};

// "jifen-audit-checkpoint/v1\n<date>\n<count>\n<head_hash>\n": the exact bytes that are signed.
std::string CheckpointText(const Checkpoint& checkpoint);

class Signer {
 public:
  virtual ~Signer() = default;
  virtual absl::StatusOr<std::string> Sign(absl::string_view text) const = 0;
  virtual std::string PublicKeyPem() const = 0;
};

class SignatureVerifier {
 public:
  virtual ~SignatureVerifier() = default;
  virtual bool Verify(absl::string_view text, absl::string_view signature) const = 0;
};

struct AppendOutcome {
  int64_t appended = 0;
  int64_t duplicates = 0;
  int64_t head_sequence = 0;
};

struct ChainHead {
  int64_t sequence = 0;  // 0: empty
  std::string hash;      // kZeroHashHex when empty
};

struct RecordFilter {
  std::vector<int64_t> village_ids;  // empty: every village
  std::string object_type;           // "": any
  std::string object_id;             // "": any
  int64_t after_sequence = 0;
  int limit = 100;
};

// Storage of the trail (services/audit/storage: MariaDB).
class TrailRepository {
 public:
  virtual ~TrailRepository() = default;
  // In one transaction and under the chain lock: every record whose (source_service, outbox_id) is
  // not yet stored gets the next sequence, received_at_ms = max(now_ms, the head's), and its
  // ChainHash; the rest count as duplicates. UNAVAILABLE/ABORTED are worth retrying.
  virtual absl::StatusOr<AppendOutcome> Append(const std::vector<TrailRecord>& records,
                                               int64_t now_ms, const Hasher& hasher) = 0;
  // Calls `visit` for every record with sequence > after_sequence, ascending, until it returns
  // false. Reads in pages; a concurrent append may or may not be seen.
  virtual absl::Status Scan(int64_t after_sequence,
                            const std::function<bool(const TrailRecord&)>& visit) = 0;
  virtual absl::StatusOr<std::optional<TrailRecord>> Get(int64_t sequence) = 0;
  virtual absl::StatusOr<std::vector<TrailRecord>> List(const RecordFilter& filter) = 0;
  // The last record received before `before_ms` (empty head if none).
  virtual absl::StatusOr<ChainHead> HeadBefore(int64_t before_ms) = 0;
  // ALREADY_EXISTS if the date has one.
  virtual absl::Status InsertCheckpoint(const Checkpoint& checkpoint) = 0;
  virtual absl::StatusOr<std::optional<Checkpoint>> GetCheckpoint(const std::string& date) = 0;
  // Newest first; dates inclusive ("" = unbounded).
  virtual absl::StatusOr<std::vector<Checkpoint>> ListCheckpoints(const std::string& from_date,
                                                                  const std::string& to_date,
                                                                  int limit) = 0;
};

using ::jifen::time::ShanghaiTime;
std::string DateOf(absl::Time time);  // "YYYY-MM-DD" in Shanghai
// INVALID_ARGUMENT unless `date` is a real "YYYY-MM-DD" day; *start is its midnight in Shanghai.
absl::Status ParseDate(absl::string_view date, absl::Time* start);

// Checks the whole chain (or from `after_sequence`, trusting the stored hash of that record) and
// every stored checkpoint: each checkpoint's count must be within the chain and its head hash must
// equal the record's at that position; with a verifier, each signature must verify. Returns the
// first breakage found in chain order; checkpoint problems come after an intact chain.
absl::StatusOr<VerifyResult> VerifyTrail(TrailRepository& repository, const Hasher& hasher,
                                         const SignatureVerifier* verifier,
                                         int64_t after_sequence = 0);

class AuditTrail final {
 public:
  // `signer` may be null (then checkpoints cannot be made). All must outlive this.
  AuditTrail(TrailRepository& repository, const Hasher& hasher, const Signer* signer,
             std::function<absl::Time()> clock)
      : repository_(repository), hasher_(hasher), signer_(signer), clock_(std::move(clock)) {}

  // PERMISSION_DENIED unless the caller is a service; the caller's name becomes source_service.
  // INVALID_ARGUMENT for an empty or oversized batch or an invalid record (nothing is stored then).
  absl::StatusOr<AppendOutcome> Append(const auth::Caller& caller,
                                       std::vector<TrailRecord> records);

  // The signed checkpoint of `date`, made now if missing. INVALID_ARGUMENT for a malformed date;
  // FAILED_PRECONDITION if the day has not ended yet or there is no signing key.
  absl::StatusOr<Checkpoint> CreateCheckpoint(const std::string& date);
  // Makes yesterday's checkpoint if it is missing (the background job).
  absl::StatusOr<Checkpoint> EnsureYesterdaysCheckpoint();

  static constexpr int kMaxBatch = 500;

 private:
  TrailRepository& repository_;
  const Hasher& hasher_;
  const Signer* signer_;
  std::function<absl::Time()> clock_;
};

}  // namespace jifen::audit
