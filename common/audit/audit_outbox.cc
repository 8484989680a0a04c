#include "common/audit/audit_outbox.h"

#include "absl/time/clock.h"
#include "common/outbox/outbox.h"
#include "jifen/audit/v1/audit.pb.h"

namespace jifen::audit {

std::string AuditRecordBytes(const AuditFacts& facts, const AuditOrigin& origin) {
  v1::AuditRecord record;
  record.set_village_id(facts.village_id);
  record.set_actor_user_id(facts.actor_user_id);
  record.set_actor_role(facts.actor_role);
  record.set_action(facts.action);
  record.set_object_type(facts.object_type);
  record.set_object_id(facts.object_id);
  record.set_before(facts.before);
  record.set_after(facts.after);
  record.set_request_id(origin.request_id);
  record.set_occurred_at_ms(origin.occurred_at_ms != 0 ? origin.occurred_at_ms
                                                       : absl::ToUnixMillis(absl::Now()));
  return record.SerializeAsString();
}

absl::Status RecordAudit(sql::Connection& connection, const AuditFacts& facts,
                         const AuditOrigin& origin) {
  return outbox::Append(connection, facts.village_id, kAuditTopic, AuditRecordBytes(facts, origin));
}

}  // namespace jifen::audit
