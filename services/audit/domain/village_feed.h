// The audit service's village directory is fed by scoring's own audit records: scoring writes
// "create_village" with "town_id=<id> name=<name>" into its outbox in the village's transaction,
// and the relay retries until audit has it, so a village created while audit is down arrives later
// and is never lost (architecture: "Change -> audit").
#pragma once

#include <optional>

#include "services/audit/domain/chain.h"
#include "services/audit/domain/supervision.h"

namespace jifen::audit {

// The village a trail record registers, or nullopt when the record is not scoring's
// create_village (or its state text cannot be read).
std::optional<VillageInfo> VillageFromRecord(const TrailRecord& record);

}  // namespace jifen::audit
