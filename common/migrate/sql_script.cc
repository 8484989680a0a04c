#include "common/migrate/sql_script.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace jifen::migrate {

std::vector<SqlStatement> SplitStatements(absl::string_view script) {
  std::vector<SqlStatement> statements;
  std::string current;
  int current_first_line = 0;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(script, '\n')) {
    ++line_number;
    const absl::string_view stripped = absl::StripAsciiWhitespace(line);
    if (absl::StartsWith(stripped, "--")) continue;
    if (current.empty()) {
      if (stripped.empty()) continue;
      current_first_line = line_number;
    } else {
      current.push_back('\n');
    }
    absl::StrAppend(&current, absl::StripTrailingAsciiWhitespace(line));
    if (absl::EndsWith(stripped, ";")) {
      current.pop_back();  // the ';' ends the statement; it is not part of it
      statements.push_back(
          {std::string(absl::StripTrailingAsciiWhitespace(current)), current_first_line});
      current.clear();
    }
  }
  if (!absl::StripAsciiWhitespace(current).empty()) {
    statements.push_back(
        {std::string(absl::StripTrailingAsciiWhitespace(current)), current_first_line});
  }
  return statements;
}

absl::StatusOr<std::string> SubstituteVariables(
    absl::string_view script, const std::vector<std::pair<std::string, std::string>>& variables) {
  std::string result;
  while (true) {
    const size_t start = script.find("${");
    if (start == absl::string_view::npos) break;
    const size_t end = script.find('}', start + 2);
    if (end == absl::string_view::npos) {
      return absl::InvalidArgumentError("unterminated ${ placeholder");
    }
    const absl::string_view name = script.substr(start + 2, end - start - 2);
    const std::string* value = nullptr;
    for (const auto& [key, candidate] : variables) {
      if (key == name) value = &candidate;
    }
    if (value == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("no value for placeholder ${", name, "}"));
    }
    absl::StrAppend(&result, script.substr(0, start), *value);
    script.remove_prefix(end + 1);
  }
  absl::StrAppend(&result, script);
  return result;
}

}  // namespace jifen::migrate
