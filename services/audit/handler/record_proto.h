// An audit record as the contract carries it, turned into the domain's TrailRecord: used by the
// service's Append and by the sink that checks a record before sending it.
#pragma once

#include <cstdint>

#include "jifen/audit/v1/audit.pb.h"
#include "services/audit/domain/chain.h"

namespace jifen::audit {

TrailRecord FromProto(const v1::AuditRecord& record, int64_t outbox_id);

}  // namespace jifen::audit
