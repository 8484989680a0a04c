#include "services/redemption/domain/errors.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace jifen::redemption {

absl::Status CodedError(absl::StatusCode status_code, absl::string_view code,
                        absl::string_view text) {
  return absl::Status(status_code, absl::StrCat(code, ": ", text));
}

absl::string_view MachineCodeOf(const absl::Status& status) {
  return MachineCodeOf(status.message());
}

absl::string_view MachineCodeOf(absl::string_view message) {
  const size_t colon = message.find(": ");
  if (colon == absl::string_view::npos || colon == 0) return {};
  for (char c : message.substr(0, colon)) {
    if (!absl::ascii_isupper(c) && c != '_') return {};
  }
  return message.substr(0, colon);
}

}  // namespace jifen::redemption
