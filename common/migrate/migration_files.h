// Reading a service's migrations folder: names, order, contents and checksums.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jifen::migrate {

struct MigrationFile {
  int version = 0;       // the NNNN prefix
  std::string name;      // file name, e.g. "0002_add_outbox.sql"
  std::string content;   // raw bytes, before placeholder substitution
  std::string checksum;  // lowercase hex SHA-256 of `content`
};

// Lists `folder`'s *.sql files sorted by version. Other files (README.md) are ignored.
// INVALID_ARGUMENT if the folder can't be read or holds no migration, if a *.sql name is not
// NNNN_name.sql (4+ digits, then [A-Za-z0-9_]), if two files share a version, or if the versions
// are not 1, 2, 3, ... without a gap (the message names the missing version).
absl::StatusOr<std::vector<MigrationFile>> ListMigrations(const std::string& folder);

// Lowercase hex SHA-256 (64 characters).
std::string Sha256Hex(absl::string_view data);

}  // namespace jifen::migrate
