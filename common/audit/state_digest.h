// The form a state takes in an audit record (jifen.audit.v1.AuditRecord.before / after), shared by
// every service that writes records into its audit outbox, so that the trail reads the same
// whichever service wrote it.
#pragma once

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace jifen::audit {

// States up to this size travel as text (the most an audit record takes, audit.proto): the audit
// service's anomaly rules read facts from them, and people read what changed and why. A reason of
// 500 Chinese characters with an item's description is well over 1 KiB; at 512 bytes such states
// went onto the trail as a hash, and a correction's reason survived nowhere else.
inline constexpr size_t kMaxInlineStateBytes = 4096;

// The state itself when it is at most kMaxInlineStateBytes of text (no control bytes but line
// feeds), otherwise "sha256:<64 lowercase hex>" of its bytes. Never longer than
// kMaxInlineStateBytes.
std::string StateDigest(absl::string_view state);

}  // namespace jifen::audit
