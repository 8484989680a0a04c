#include "services/audit/domain/chain.h"

#include <string>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"

namespace jifen::audit {
namespace {

void PutInt64(int64_t value, std::string* out) {
  const uint64_t v = static_cast<uint64_t>(value);
  char bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((v >> (56 - 8 * i)) & 0xff);
  out->append(bytes, 8);
}

void PutString(absl::string_view value, std::string* out) {
  const uint32_t n = static_cast<uint32_t>(value.size());
  char bytes[4] = {static_cast<char>(n >> 24), static_cast<char>((n >> 16) & 0xff),
                   static_cast<char>((n >> 8) & 0xff), static_cast<char>(n & 0xff)};
  out->append(bytes, 4);
  out->append(value.data(), value.size());
}

absl::Status CheckSize(absl::string_view field, absl::string_view value, size_t max,
                       bool required) {
  if (required && value.empty())
    return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
  if (value.size() > max) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is longer than ", max, " bytes"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateReported(const TrailRecord& r) {
  if (r.outbox_id <= 0) return absl::InvalidArgumentError("outbox_id must be > 0");
  if (r.village_id < 0) return absl::InvalidArgumentError("village_id must be >= 0");
  if (r.occurred_at_ms <= 0) return absl::InvalidArgumentError("occurred_at_ms must be > 0");
  for (const auto& [field, value, max, required] :
       {std::make_tuple("source_service", &r.source_service, kMaxNameBytes, true),
        std::make_tuple("action", &r.action, kMaxNameBytes, true),
        std::make_tuple("object_type", &r.object_type, kMaxNameBytes, true),
        std::make_tuple("actor_role", &r.actor_role, kMaxNameBytes, false),
        std::make_tuple("object_id", &r.object_id, kMaxIdBytes, true),
        std::make_tuple("actor_user_id", &r.actor_user_id, kMaxIdBytes, false),
        std::make_tuple("request_id", &r.request_id, kMaxIdBytes, false),
        std::make_tuple("before", &r.before, kMaxStateBytes, false),
        std::make_tuple("after", &r.after, kMaxStateBytes, false)}) {
    absl::Status status = CheckSize(field, *value, max, required);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

void AppendCanonicalBytes(const TrailRecord& r, std::string* out) {
  PutInt64(r.sequence, out);
  PutString(r.source_service, out);
  PutInt64(r.outbox_id, out);
  PutInt64(r.village_id, out);
  PutString(r.actor_user_id, out);
  PutString(r.actor_role, out);
  PutString(r.action, out);
  PutString(r.object_type, out);
  PutString(r.object_id, out);
  PutString(r.before, out);
  PutString(r.after, out);
  PutInt64(r.occurred_at_ms, out);
  PutString(r.request_id, out);
  PutInt64(r.received_at_ms, out);
}

RawHash ChainHash(const Hasher& hasher, const RawHash& previous, const TrailRecord& record) {
  std::string bytes;
  bytes.reserve(256);
  AppendCanonicalBytes(record, &bytes);
  return hasher.Sha256(
      absl::string_view(reinterpret_cast<const char*>(previous.data()), previous.size()), bytes);
}

std::string ToHex(const RawHash& hash) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex(64, '0');
  for (size_t i = 0; i < hash.size(); ++i) {
    hex[2 * i] = kDigits[hash[i] >> 4];
    hex[2 * i + 1] = kDigits[hash[i] & 0xf];
  }
  return hex;
}

bool FromHex(absl::string_view hex, RawHash* out) {
  if (hex.size() != 64) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (size_t i = 0; i < 32; ++i) {
    const int hi = nibble(hex[2 * i]);
    const int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    (*out)[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

ChainVerifier::ChainVerifier(const Hasher& hasher) : hasher_(hasher) { previous_.fill(0); }

ChainVerifier::ChainVerifier(const Hasher& hasher, int64_t after_sequence,
                             const RawHash& after_hash)
    : hasher_(hasher), previous_(after_hash), expected_sequence_(after_sequence + 1) {
  result_.head_sequence = after_sequence;
  result_.head_hash = ToHex(after_hash);
}

void ChainVerifier::WatchPosition(int64_t sequence) { watched_.emplace(sequence, ""); }

std::string ChainVerifier::WatchedHash(int64_t sequence) const {
  auto it = watched_.find(sequence);
  return it == watched_.end() ? "" : it->second;
}

void ChainVerifier::Break(Breakage kind, int64_t position, int64_t found, std::string detail) {
  result_.intact = false;
  result_.breakage = kind;
  result_.first_bad_position = position;
  result_.found_sequence = found;
  result_.detail = std::move(detail);
}

bool ChainVerifier::Feed(const TrailRecord& record) {
  if (broken()) return false;
  if (record.sequence != expected_sequence_) {
    Break(Breakage::kSequenceGap, expected_sequence_, record.sequence,
          absl::StrCat("expected sequence ", expected_sequence_, " but found ", record.sequence,
                       record.sequence > expected_sequence_ ? " (records missing)"
                                                            : " (records out of order)"));
    return false;
  }
  scratch_.clear();
  AppendCanonicalBytes(record, &scratch_);
  const RawHash computed = hasher_.Sha256(
      absl::string_view(reinterpret_cast<const char*>(previous_.data()), previous_.size()),
      scratch_);
  RawHash stored;
  if (!FromHex(record.hash, &stored) || stored != computed) {
    Break(Breakage::kHashMismatch, expected_sequence_, record.sequence,
          absl::StrCat("hash mismatch at sequence ", record.sequence,
                       ": the record or its hash was altered"));
    return false;
  }
  previous_ = computed;
  ++result_.records_checked;
  result_.head_sequence = record.sequence;
  result_.head_hash = record.hash;
  if (!watched_.empty()) {
    auto it = watched_.find(record.sequence);
    if (it != watched_.end()) it->second = record.hash;
  }
  ++expected_sequence_;
  return true;
}

}  // namespace jifen::audit
