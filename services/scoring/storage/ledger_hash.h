// The per-village hash chain: hash = SHA-256(prev_hash || canonical bytes of the entry), hex.
// The sequence is not hashed (it is assigned by the insert); order is fixed by prev_hash links.
#pragma once

#include <string>

#include "services/scoring/domain/ledger_entry.h"

namespace jifen::scoring {

// Unambiguous: every field length-prefixed, integers in decimal.
std::string CanonicalBytes(const NewEntry& entry, int64_t recorded_at_ms);
std::string ChainHash(const std::string& prev_hash, const NewEntry& entry, int64_t recorded_at_ms);

}  // namespace jifen::scoring
