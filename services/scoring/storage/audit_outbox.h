// Writes the audit record of a change into the outbox, inside the change's own transaction, so
// that the audit trail gets every change exactly when the change commits.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace sql {
class Connection;
}

namespace jifen::scoring {

inline constexpr char kAuditTopic[] = "audit";

struct AuditFacts {
  int64_t village_id = 0;
  std::string actor_user_id;
  std::string actor_role;
  std::string action;       // "submit_inspection", "debit", "publish_rulebook", ...
  std::string object_type;  // "inspection", "ledger_entry", "rulebook", ...
  std::string object_id;
  std::string before;       // the state before (text or a digest); empty when new
  std::string after;        // the state after: small text as is, larger as "sha256:<hex>"
};

// Appends a jifen.audit.v1.AuditRecord to the outbox on `connection`.
absl::Status RecordAudit(sql::Connection& connection, const AuditFacts& facts);

// The serialized jifen.audit.v1.AuditRecord of `facts`, for writers that append outbox rows in
// bulk.
std::string AuditRecordBytes(const AuditFacts& facts);

// "sha256:<hex>" of the bytes, or the bytes themselves when short text.
std::string AuditState(absl::string_view state);

}  // namespace jifen::scoring
