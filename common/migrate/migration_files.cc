#include "common/migrate/migration_files.h"

#include <openssl/evp.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"

namespace jifen::migrate {
namespace {

// NNNN_name.sql -> NNNN, or -1 if the name does not have that shape.
int VersionOf(absl::string_view file_name) {
  if (!absl::ConsumeSuffix(&file_name, ".sql")) return -1;
  const size_t underscore = file_name.find('_');
  if (underscore == absl::string_view::npos || underscore < 4) return -1;
  const absl::string_view digits = file_name.substr(0, underscore);
  const absl::string_view rest = file_name.substr(underscore + 1);
  if (rest.empty()) return -1;
  for (char c : digits) {
    if (!absl::ascii_isdigit(c)) return -1;
  }
  for (char c : rest) {
    if (!absl::ascii_isalnum(c) && c != '_') return -1;
  }
  int version = 0;
  if (!absl::SimpleAtoi(digits, &version)) return -1;
  return version;
}

absl::StatusOr<std::string> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) return absl::InvalidArgumentError(absl::StrCat("can't open ", path.string()));
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return absl::InvalidArgumentError(absl::StrCat("can't read ", path.string()));
  return content.str();
}

}  // namespace

std::string Sha256Hex(absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  // One-shot EVP_Digest cannot fail for SHA-256 on in-memory data short of allocation failure.
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
}

absl::StatusOr<std::vector<MigrationFile>> ListMigrations(const std::string& folder) {
  std::error_code error;
  std::filesystem::directory_iterator entries(folder, error);
  if (error) {
    return absl::InvalidArgumentError(
        absl::StrCat("can't read migrations folder ", folder, ": ", error.message()));
  }
  std::vector<MigrationFile> files;
  for (const std::filesystem::directory_entry& entry : entries) {
    const std::string name = entry.path().filename().string();
    if (!absl::EndsWith(name, ".sql")) continue;
    const int version = VersionOf(name);
    if (version < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("migration file name ", name, " in ", folder, " is not NNNN_name.sql"));
    }
    absl::StatusOr<std::string> content = ReadFile(entry.path());
    if (!content.ok()) return content.status();
    const std::string checksum = Sha256Hex(*content);
    files.push_back({version, name, *std::move(content), checksum});
  }
  if (files.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("no NNNN_name.sql files in ", folder));
  }
  std::sort(files.begin(), files.end(),
            [](const MigrationFile& a, const MigrationFile& b) { return a.version < b.version; });
  for (size_t i = 0; i < files.size(); ++i) {
    const int expected = static_cast<int>(i) + 1;
    if (files[i].version == expected) continue;
    if (i > 0 && files[i].version == files[i - 1].version) {
      return absl::InvalidArgumentError(absl::StrCat(files[i - 1].name, " and ", files[i].name,
                                                     " in ", folder, " share a version"));
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "migration version ", expected, " is missing in ", folder, " (",
        i == 0 ? "the first file is " : absl::StrCat("after ", files[i - 1].name, " comes "),
        files[i].name, "); versions must be 1, 2, 3, ... without gaps"));
  }
  return files;
}

}  // namespace jifen::migrate
