// The form a state takes in an audit record (jifen.audit.v1.AuditRecord.before / after), shared by
// every service that writes records into its audit outbox, so that the trail reads the same
// whichever service wrote it.
#pragma once

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace jifen::audit {

// States up to this size travel as text; the audit service's anomaly rules read facts from them.
inline constexpr size_t kMaxInlineStateBytes = 512;

// The state itself when it is at most kMaxInlineStateBytes without NUL bytes, otherwise
// "sha256:<64 lowercase hex>" of its bytes. Never longer than kMaxInlineStateBytes.
std::string StateDigest(absl::string_view state);

}  // namespace jifen::audit
