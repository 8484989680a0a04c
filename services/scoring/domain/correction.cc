#include "services/scoring/domain/correction.h"

#include "absl/strings/str_cat.h"
#include "common/text/text.h"
#include "services/scoring/domain/inspection_rules.h"

namespace jifen::scoring {

absl::Status ValidateCorrection(int64_t sequence, absl::string_view correction_id,
                                absl::string_view reason) {
  if (sequence <= 0) return absl::InvalidArgumentError("sequence is required");
  if (correction_id.empty() || correction_id.size() > 80) {
    return absl::InvalidArgumentError("correction_id is required (at most 80 characters)");
  }
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
