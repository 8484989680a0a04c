// Writes the audit record of a change into the outbox, inside the change's own transaction, so
// that the audit trail gets every change exactly when the change commits.
#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "common/audit/audit_outbox.h"

namespace jifen::scoring {

// Records are built by common/audit (the same for every service).
using audit::AuditFacts;
using audit::AuditOrigin;
using audit::AuditRecordBytes;
using audit::kAuditTopic;
using audit::RecordAudit;

// "sha256:<hex>" of the bytes, or the bytes themselves when short text.
std::string AuditState(absl::string_view state);

}  // namespace jifen::scoring
