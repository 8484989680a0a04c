#include "services/scoring/storage/audit_outbox.h"

#include "common/audit/state_digest.h"

namespace jifen::scoring {

std::string AuditState(absl::string_view state) { return audit::StateDigest(state); }

}  // namespace jifen::scoring
