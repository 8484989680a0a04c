// The facts a producing service puts into an audit record's `after` so that audit's anomaly rules
// (domain/checks.h) can read them: short "key=value" pairs separated by spaces. Producers link this
// small library (Abseil only) and write awards with FormatAward, so the writer and the reader of
// the convention cannot drift apart.
//
// `after` travels as text only up to 512 bytes (StateDigest in common/audit/state_digest.h and
// scoring's AuditState turn anything longer into "sha256:<hex>", which the rules cannot read), so
// FormatAward never exceeds kMaxFactsBytes: it lists as many photos as fit and always says how many
// there were.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace jifen::audit {

inline constexpr size_t kMaxFactsBytes = 512;  // the inline limit of StateDigest

// An award (or deduction) as scoring reports it.
struct AwardFacts {
  int64_t household_id = 0;
  int64_t points = 0;                   // signed total of the change
  std::string steward_user_id;          // the household's steward (户管家) at the time; "" none
  std::vector<std::string> photo_refs;  // the gateway's content-addressed SHA-256 hex digests
  bool scorer_is_member = false;        // the scorer is linked to a member of the household
};

// "household=<id> points=<n>[ <extra>][ steward=<user>][ scorer_member=1] photos=<k>
// [ photo=<sha256>]...":
// `extra` is the producer's own short context (e.g. "entries=2"); photos are the distinct valid
// digests (lowercased), listed in order while the text stays within kMaxFactsBytes; photos=<k>
// counts every distinct reference given, so a reader can tell that some were left out.
std::string FormatAward(const AwardFacts& facts, absl::string_view extra = "");

// Whether `ref` is a SHA-256 hex digest (64 hex digits, either case).
bool IsPhotoDigest(absl::string_view ref);

}  // namespace jifen::audit
