// A service's audit outbox as tests read it: the rows of topic "audit" a change wrote, with their
// raw bytes (for checks that no secret reaches the trail) and the jifen.audit.v1.AuditRecord each
// carries. Read with an account that may SELECT the service's outbox (e.g. AdminConfigFor).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/mysql/connection_pool.h"
#include "jifen/audit/v1/audit.pb.h"

namespace jifen::testing {

struct OutboxAudit {
  int64_t outbox_id = 0;
  int64_t village_id = 0;  // the row's, which the relay sends as the record's village
  std::string payload;     // the serialized record, byte for byte
  audit::v1::AuditRecord record;
  bool parsed = false;  // false: the payload is not an AuditRecord
};

// The highest outbox id so far, 0 for an empty outbox: read a change's records after it.
int64_t LastOutboxId(mysql::ConnectionPool& pool);

// The audit rows with id > after_id, in id order. Fails the current test on a database error.
std::vector<OutboxAudit> AuditOutboxAfter(mysql::ConnectionPool& pool, int64_t after_id);

}  // namespace jifen::testing
