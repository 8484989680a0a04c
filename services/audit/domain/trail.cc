#include "services/audit/domain/trail.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"

namespace jifen::audit {

std::string CheckpointText(const Checkpoint& c) {
  return absl::StrCat("jifen-audit-checkpoint/v1\n", c.date, "\n", c.record_count, "\n",
                      c.head_hash, "\n");
}

std::string DateOf(absl::Time time) { return absl::FormatTime("%Y-%m-%d", time, ShanghaiTime()); }

absl::Status ParseDate(absl::string_view date, absl::Time* start) {
  std::string error;
  if (date.size() != 10 || !absl::ParseTime("%Y-%m-%d", date, ShanghaiTime(), start, &error) ||
      DateOf(*start) != date) {
    return absl::InvalidArgumentError(absl::StrCat("not a date (YYYY-MM-DD): \"", date, "\""));
  }
  return absl::OkStatus();
}

absl::StatusOr<VerifyResult> VerifyTrail(TrailRepository& repository, const Hasher& hasher,
                                         const SignatureVerifier* verifier,
                                         int64_t after_sequence) {
  std::unique_ptr<ChainVerifier> chain;
  if (after_sequence <= 0) {
    chain = std::make_unique<ChainVerifier>(hasher);
  } else {
    ASSIGN_OR_RETURN(std::optional<TrailRecord> start, repository.Get(after_sequence));
    RawHash start_hash;
    if (!start.has_value() || !FromHex(start->hash, &start_hash)) {
      return absl::NotFoundError(absl::StrCat("no record at sequence ", after_sequence));
    }
    chain = std::make_unique<ChainVerifier>(hasher, after_sequence, start_hash);
  }
  ASSIGN_OR_RETURN(std::vector<Checkpoint> checkpoints, repository.ListCheckpoints("", "", 100000));
  for (const Checkpoint& checkpoint : checkpoints) chain->WatchPosition(checkpoint.record_count);

  RETURN_IF_ERROR(repository.Scan(after_sequence,
                                  [&](const TrailRecord& record) { return chain->Feed(record); }));
  VerifyResult result = chain->result();
  if (!result.intact) return result;
  result.checkpoints_checked = static_cast<int64_t>(checkpoints.size());

  // Oldest checkpoint first, so the first problem reported is the earliest.
  for (auto it = checkpoints.rbegin(); it != checkpoints.rend(); ++it) {
    const Checkpoint& checkpoint = *it;
    if (verifier != nullptr &&
        !verifier->Verify(CheckpointText(checkpoint), checkpoint.signature)) {
      result.intact = false;
      result.breakage = Breakage::kBadSignature;
      result.first_bad_position = checkpoint.record_count;
      result.detail = absl::StrCat("checkpoint ", checkpoint.date, ": signature does not verify");
      return result;
    }
    if (checkpoint.record_count < after_sequence) continue;  // before the verified range
    std::string actual;
    if (checkpoint.record_count == 0) {
      actual = kZeroHashHex;
    } else if (checkpoint.record_count == after_sequence) {
      ASSIGN_OR_RETURN(std::optional<TrailRecord> start, repository.Get(after_sequence));
      actual = start.has_value() ? start->hash : "";
    } else {
      actual = chain->WatchedHash(checkpoint.record_count);
    }
    if (checkpoint.record_count > result.head_sequence || actual != checkpoint.head_hash) {
      result.intact = false;
      result.breakage = Breakage::kCheckpointMismatch;
      result.first_bad_position = checkpoint.record_count;
      result.detail =
          checkpoint.record_count > result.head_sequence
              ? absl::StrCat("checkpoint ", checkpoint.date, " covers ", checkpoint.record_count,
                             " records but the chain ends at ", result.head_sequence,
                             " (records removed from the end)")
              : absl::StrCat("checkpoint ", checkpoint.date, ": head hash differs at sequence ",
                             checkpoint.record_count);
      return result;
    }
  }
  return result;
}

absl::StatusOr<AppendOutcome> AuditTrail::Append(const auth::Caller& caller,
                                                 std::vector<TrailRecord> records) {
  if (!caller.IsService()) return absl::PermissionDeniedError("only services append audit records");
  if (records.empty()) return absl::InvalidArgumentError("no records");
  if (records.size() > static_cast<size_t>(kMaxBatch)) {
    return absl::InvalidArgumentError(absl::StrCat("more than ", kMaxBatch, " records"));
  }
  std::vector<TrailRecord> unique;
  unique.reserve(records.size());
  absl::flat_hash_set<int64_t> seen;
  int64_t in_batch_duplicates = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    TrailRecord& record = records[i];
    record.source_service = caller.user_id;
    absl::Status valid = ValidateReported(record);
    if (!valid.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("item ", i, ": ", valid.message()));
    }
    if (!seen.insert(record.outbox_id).second) {
      ++in_batch_duplicates;
      continue;
    }
    unique.push_back(std::move(record));
  }
  ASSIGN_OR_RETURN(AppendOutcome outcome,
                   repository_.Append(unique, absl::ToUnixMillis(clock_()), hasher_));
  outcome.duplicates += in_batch_duplicates;
  return outcome;
}

absl::StatusOr<Checkpoint> AuditTrail::CreateCheckpoint(const std::string& date) {
  absl::Time start;
  RETURN_IF_ERROR(ParseDate(date, &start));
  ASSIGN_OR_RETURN(std::optional<Checkpoint> existing, repository_.GetCheckpoint(date));
  if (existing.has_value()) return *existing;
  const absl::Time end = start + absl::Hours(24);
  const absl::Time now = clock_();
  if (now < end) {
    return absl::FailedPreconditionError(absl::StrCat("the day ", date, " has not ended"));
  }
  if (signer_ == nullptr) return absl::FailedPreconditionError("no audit signing key configured");
  ASSIGN_OR_RETURN(ChainHead head, repository_.HeadBefore(absl::ToUnixMillis(end)));
  Checkpoint checkpoint;
  checkpoint.date = date;
  checkpoint.record_count = head.sequence;
  checkpoint.head_hash = head.sequence == 0 ? std::string(kZeroHashHex) : head.hash;
  checkpoint.signed_at_ms = absl::ToUnixMillis(now);
  ASSIGN_OR_RETURN(checkpoint.signature, signer_->Sign(CheckpointText(checkpoint)));
  absl::Status inserted = repository_.InsertCheckpoint(checkpoint);
  if (absl::IsAlreadyExists(inserted)) {
    // Another replica or call made it first; theirs is the one.
    ASSIGN_OR_RETURN(existing, repository_.GetCheckpoint(date));
    if (existing.has_value()) return *existing;
  }
  RETURN_IF_ERROR(inserted);
  return checkpoint;
}

absl::StatusOr<Checkpoint> AuditTrail::EnsureYesterdaysCheckpoint() {
  return CreateCheckpoint(DateOf(clock_() - absl::Hours(24)));
}

}  // namespace jifen::audit
