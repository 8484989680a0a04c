// Writes the audit record of a change into the writing service's outbox, inside the change's own
// transaction, so that the audit trail gets every change exactly when the change commits. Shared by
// every service with an audit outbox, so that records are built one way.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace sql {
class Connection;
}

namespace jifen::audit {

// The outbox topic the services' audit relays deliver.
inline constexpr char kAuditTopic[] = "audit";

// One change as jifen.audit.v1.AuditRecord records it.
struct AuditFacts {
  int64_t village_id = 0;
  std::string actor_user_id;
  std::string actor_role;
  std::string action;       // "submit_inspection", "create", "place_order", ...
  std::string object_type;  // "inspection", "staff_account", "order", ...
  std::string object_id;
  std::string before;  // the state before, already in the trail's form (StateDigest); "" when new
  std::string after;   // the state after, likewise
};

// Where and when, for writers that know more than "this request, now".
struct AuditOrigin {
  std::string request_id;      // the request that caused the change; "" when not known
  int64_t occurred_at_ms = 0;  // 0: now
};

// The serialized jifen.audit.v1.AuditRecord of `facts`, for writers that append outbox rows in
// bulk.
std::string AuditRecordBytes(const AuditFacts& facts, const AuditOrigin& origin = {});

// Appends the record of `facts` to the outbox on `connection` (topic kAuditTopic).
absl::Status RecordAudit(sql::Connection& connection, const AuditFacts& facts,
                         const AuditOrigin& origin = {});

}  // namespace jifen::audit
