// A correction: the reversing entry that takes back a score entry (ReverseEntry). What its request
// must carry, checked before the ledger is read or written.
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace jifen::scoring {

// INVALID_ARGUMENT naming the field unless `sequence` > 0, `correction_id` is a client id as
// ValidateClientId has it (8..64 characters of [A-Za-z0-9_-]: the idempotency key within the
// village of the entry, stored as the reversing entry's source_id) and `reason` is not blank and
// has at most kReasonMaxCharacters characters (REASON_TOO_LONG). The household is shown the reason:
// one of spaces only, ASCII or the full-width ones Chinese input methods type, is none.
absl::Status ValidateCorrection(int64_t sequence, absl::string_view correction_id,
                                absl::string_view reason);

}  // namespace jifen::scoring
