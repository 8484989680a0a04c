#include "services/scoring/storage/audit_outbox.h"

#include <openssl/sha.h>

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/outbox/outbox.h"
#include "services/scoring/storage/digests.h"
#include "jifen/audit/v1/audit.pb.h"

namespace jifen::scoring {

std::string AuditState(absl::string_view state) {
  const bool printable = std::all_of(state.begin(), state.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 || c == '\n';
  });
  if (state.size() <= 512 && printable) return std::string(state);
  return absl::StrCat("sha256:", Sha256Hex(state));
}

std::string AuditRecordBytes(const AuditFacts& facts) {
  audit::v1::AuditRecord record;
  record.set_village_id(facts.village_id);
  record.set_actor_user_id(facts.actor_user_id);
  record.set_actor_role(facts.actor_role);
  record.set_action(facts.action);
  record.set_object_type(facts.object_type);
  record.set_object_id(facts.object_id);
  record.set_before(facts.before);
  record.set_after(facts.after);
  record.set_occurred_at_ms(absl::ToUnixMillis(absl::Now()));
  return record.SerializeAsString();
}

absl::Status RecordAudit(sql::Connection& connection, const AuditFacts& facts) {
  return outbox::Append(connection, facts.village_id, kAuditTopic, AuditRecordBytes(facts));
}

}  // namespace jifen::scoring
