// Ledger entries to their wire form.
#pragma once

#include "jifen/scoring/v1/ledger.pb.h"
#include "services/scoring/domain/ledger_entry.h"

namespace jifen::scoring {

void ToProto(const StoredEntry& entry, v1::LedgerEntry* out);

}  // namespace jifen::scoring
