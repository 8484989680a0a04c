#include "services/scoring/storage/ledger_hash.h"

#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "services/scoring/storage/digests.h"

namespace jifen::scoring {
namespace {

void AppendField(std::string& out, absl::string_view value) {
  absl::StrAppend(&out, value.size(), ":", value, ";");
}

}  // namespace

std::string CanonicalBytes(const NewEntry& entry, int64_t recorded_at_ms) {
  std::string out = "jifen-ledger-v1;";
  AppendField(out, absl::StrCat(entry.village_id));
  AppendField(out, absl::StrCat(entry.household_id));
  AppendField(out, absl::StrCat(entry.group_id));
  AppendField(out, absl::StrCat(static_cast<int>(entry.account)));
  AppendField(out, absl::StrCat(entry.points));
  AppendField(out, entry.period);
  AppendField(out, entry.item_code);
  AppendField(out, entry.category);
  AppendField(out, entry.reason);
  AppendField(out, absl::StrCat(static_cast<int>(entry.source)));
  AppendField(out, entry.source_id);
  AppendField(out, absl::StrCat(entry.reverses_sequence));
  AppendField(out, entry.actor_user_id);
  AppendField(out, entry.actor_role);
  AppendField(out, absl::StrCat(entry.occurred_at_ms));
  AppendField(out, absl::StrCat(recorded_at_ms));
  return out;
}

std::string ChainHash(const std::string& prev_hash, const NewEntry& entry,
                      int64_t recorded_at_ms) {
  return Sha256Hex(absl::StrCat(prev_hash, "|", CanonicalBytes(entry, recorded_at_ms)));
}

}  // namespace jifen::scoring
