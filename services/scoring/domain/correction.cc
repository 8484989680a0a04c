#include "services/scoring/domain/correction.h"

#include "absl/strings/str_cat.h"
#include "common/text/text.h"
#include "services/scoring/domain/inspection_rules.h"

namespace jifen::scoring {

absl::Status ValidateCorrection(int64_t sequence, absl::string_view correction_id,
                                absl::string_view reason) {
  if (sequence <= 0) return absl::InvalidArgumentError("sequence is required");
  // The rule of every other client-chosen id: "x" or "1" is no key a client generates, and a
  // short one typed by hand would meet another correction of the village by chance.
  if (absl::Status id = ValidateClientId("correction_id", correction_id); !id.ok()) return id;
  if (text::IsBlank(reason)) {
    return absl::InvalidArgumentError("reason: required, not blank: the household sees it");
  }
  // The ledger's reason column holds kReasonMaxCharacters characters; a longer one must not reach
  // it as a database error.
  const int characters = text::Utf8Length(reason);
  if (characters < 0) return absl::InvalidArgumentError("reason: not valid UTF-8 text");
  if (characters > kReasonMaxCharacters) {
    return absl::InvalidArgumentError(absl::StrCat("REASON_TOO_LONG: reason: at most ",
                                                   kReasonMaxCharacters, " characters (字), got ",
                                                   characters));
  }
  return absl::OkStatus();
}

}  // namespace jifen::scoring
