#include "services/audit/handler/record_proto.h"

namespace jifen::audit {

TrailRecord FromProto(const v1::AuditRecord& in, int64_t outbox_id) {
  TrailRecord r;
  r.outbox_id = outbox_id;
  r.village_id = in.village_id();
  r.actor_user_id = in.actor_user_id();
  r.actor_role = in.actor_role();
  r.action = in.action();
  r.object_type = in.object_type();
  r.object_id = in.object_id();
  r.before = in.before();
  r.after = in.after();
  r.occurred_at_ms = in.occurred_at_ms();
  r.request_id = in.request_id();
  return r;
}

}  // namespace jifen::audit
