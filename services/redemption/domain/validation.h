// What the store accepts from the people who type it: names and notes from phones (Chinese input
// methods type U+3000 for a space; pasted text brings control characters, which a name on a
// printed shelf label or in the ledger CSV can't show), photo references, item fields. Limits are
// told to people in characters (字), so they count characters, not UTF-8 bytes.
//
// Every function returns INVALID_ARGUMENT "<field>: <why>" for what it refuses.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/redemption/domain/model.h"

namespace jifen::redemption {

// A one-line name (item, funding source, donor): 1..max_chars characters once the spaces at both
// ends are trimmed, valid UTF-8, no control characters. Returns the trimmed name.
absl::StatusOr<std::string> CleanName(absl::string_view field, absl::string_view text,
                                      int max_chars);

// Free text (a description, note or reason), kept as typed: at most max_chars characters, valid
// UTF-8, no control characters but line breaks and tabs; when `required`, not blank.
absl::Status CheckText(absl::string_view field, absl::string_view text, int max_chars,
                       bool required);

// The fields of an item to create or update, except that its funding source exists (the
// repository knows). Trims the name in place.
absl::Status ValidateItem(StoreItem& item);

}  // namespace jifen::redemption
