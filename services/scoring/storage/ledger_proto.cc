#include "services/scoring/storage/ledger_proto.h"

namespace jifen::scoring {

void ToProto(const StoredEntry& entry, v1::LedgerEntry* out) {
  out->set_sequence(entry.sequence);
  out->set_village_id(entry.village_id);
  out->set_household_id(entry.household_id);
  out->set_group_id(entry.group_id);
  out->set_account(static_cast<v1::Account>(entry.account));
  out->set_points(entry.points);
  out->set_period(entry.period);
  out->set_item_code(entry.item_code);
  out->set_category(entry.category);
  out->set_reason(entry.reason);
  out->set_source(static_cast<v1::EntrySource>(entry.source));
  out->set_source_id(entry.source_id);
  out->set_reverses_sequence(entry.reverses_sequence);
  out->set_actor_user_id(entry.actor_user_id);
  out->set_actor_role(entry.actor_role);
  out->set_occurred_at_ms(entry.occurred_at_ms);
  out->set_recorded_at_ms(entry.recorded_at_ms);
  out->set_hash(entry.hash);
}

}  // namespace jifen::scoring
