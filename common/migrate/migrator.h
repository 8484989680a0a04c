// Versioned SQL migrations: files NNNN_name.sql in a folder, applied once each, in order, recorded
// in the schema's `schema_migrations` table with a SHA-256 checksum of the file.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/mysql/connection_pool.h"

namespace jifen::migrate {

struct MigrationResult {
  std::vector<std::string> applied;  // file names applied by this call, in order
  std::vector<std::string> already;  // file names found already applied and unchanged
};

// Applies every not-yet-applied migration in `folder` to the pool's database. Each file may hold
// several statements separated by lines ending in ';' (no DELIMITER support needed: we use no
// stored procedures). A file whose checksum differs from the recorded one is FAILED_PRECONDITION
// naming the file: applied migrations are never edited, write a new one. A gap or a name that does
// not match NNNN_*.sql is INVALID_ARGUMENT. Concurrent runners are serialised with GET_LOCK.
// Placeholders ${NAME} in a file are replaced from `variables` (used for grants to the service's
// own database user, e.g. ${SERVICE_USER}).
//
// Everything that can be checked is checked before the first statement runs: names, gaps, edited
// or renamed applied files (FAILED_PRECONDITION), applied versions beyond the folder's last one
// (FAILED_PRECONDITION: the database is newer than the code), placeholders without a value
// (INVALID_ARGUMENT naming file and placeholder). MariaDB DDL is not transactional, so each file is
// recorded right after its statements succeed; a statement that fails returns its mapped SQL error
// whose message names the file, the statement's number and line, what of the file was already
// applied, and which files this call applied before it. Waiting longer than the connection's
// io_timeout (at most 10 min) for another runner's lock is DEADLINE_EXCEEDED.
absl::StatusOr<MigrationResult> ApplyMigrations(
    mysql::ConnectionPool& pool, const std::string& folder,
    const std::vector<std::pair<std::string, std::string>>& variables = {});

}  // namespace jifen::migrate
