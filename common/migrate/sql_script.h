// Turning a migration file's text into the statements to execute.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jifen::migrate {

struct SqlStatement {
  std::string text;    // without the terminating ';'
  int first_line = 0;  // 1-based line of the file where the statement starts, for error messages
};

// Splits `script` into statements. A statement ends at a line whose last non-blank character is
// ';'. Lines holding only a `--` comment, and blank lines between statements, are dropped. Text
// after the last ';' counts as one more statement. There is no DELIMITER support and a ';' at the
// end of a line inside a string literal would split it: migrations don't need either.
std::vector<SqlStatement> SplitStatements(absl::string_view script);

// Replaces every ${NAME} in `script` with its value from `variables`. INVALID_ARGUMENT naming the
// placeholder if one has no value. Values are pasted verbatim: they must be trusted and validated
// by the caller (jifen-migrate accepts only [A-Za-z0-9_] user names).
absl::StatusOr<std::string> SubstituteVariables(
    absl::string_view script, const std::vector<std::pair<std::string, std::string>>& variables);

}  // namespace jifen::migrate
