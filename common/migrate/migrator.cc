#include "common/migrate/migrator.h"

#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/migrate/migration_files.h"
#include "common/migrate/sql_script.h"
#include "common/mysql/sql_error.h"
#include "common/mysql/transaction.h"
#include "common/status/status_macros.h"

namespace jifen::migrate {
namespace {

constexpr char kCreateMigrationsTable[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INT NOT NULL PRIMARY KEY,"
    " name VARCHAR(255) NOT NULL,"
    " checksum CHAR(64) NOT NULL,"
    " applied_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";

struct AppliedRecord {
  std::string name;
  std::string checksum;
};
using AppliedRecords = std::map<int, AppliedRecord>;

// Lock names are per database so that services migrating their own schemas don't wait on each
// other. MySQL caps lock names at 64 characters; longer database names are hashed.
std::string LockName(const std::string& database) {
  std::string name = absl::StrCat("jifen_migrate.", database);
  if (name.size() > 64) name = absl::StrCat("jifen_migrate.", Sha256Hex(database).substr(0, 48));
  return name;
}

// Waiting for another runner must end before the client's read timeout would cut the connection.
int LockWaitSeconds(const mysql::MySqlConfig& config) {
  const int64_t io_seconds = absl::ToInt64Seconds(config.io_timeout);
  return static_cast<int>(std::clamp<int64_t>(io_seconds - 2, 1, 600));
}

std::string CurrentDatabase(sql::Connection& connection) {
  std::unique_ptr<sql::Statement> statement(connection.createStatement());
  std::unique_ptr<sql::ResultSet> row(statement->executeQuery("SELECT DATABASE()"));
  if (!row->next() || row->isNull(1)) return "";
  return row->getString(1);
}

absl::Status GetLock(sql::Connection& connection, const std::string& name, int wait_seconds) {
  std::unique_ptr<sql::PreparedStatement> statement(
      connection.prepareStatement("SELECT GET_LOCK(?, ?)"));
  statement->setString(1, name);
  statement->setInt(2, wait_seconds);
  std::unique_ptr<sql::ResultSet> row(statement->executeQuery());
  if (row->next() && !row->isNull(1) && row->getInt(1) == 1) return absl::OkStatus();
  return absl::DeadlineExceededError(
      absl::StrCat("another migration runner held lock ", name, " for ", wait_seconds, " s"));
}

// Releases the migration lock however the run ends. If the connection broke, the server already
// released it with the session.
class LockRelease final {
 public:
  LockRelease(sql::Connection& connection, std::string name)
      : connection_(connection), name_(std::move(name)) {}
  ~LockRelease() {
    try {
      std::unique_ptr<sql::PreparedStatement> statement(
          connection_.prepareStatement("SELECT RELEASE_LOCK(?)"));
      statement->setString(1, name_);
      std::unique_ptr<sql::ResultSet> row(statement->executeQuery());
    } catch (const sql::SQLException&) {
    }
  }

 private:
  sql::Connection& connection_;
  std::string name_;
};

AppliedRecords ReadApplied(sql::Connection& connection) {
  std::unique_ptr<sql::Statement> statement(connection.createStatement());
  statement->execute(kCreateMigrationsTable);
  std::unique_ptr<sql::ResultSet> rows(
      statement->executeQuery("SELECT version, name, checksum FROM schema_migrations"));
  AppliedRecords applied;
  while (rows->next()) {
    applied[rows->getInt(1)] = {rows->getString(2), rows->getString(3)};
  }
  return applied;
}

// Compares the folder with what the database recorded, before anything runs: an edited or missing
// migration must stop the run even if newer files are pending. Returns the files still to apply.
absl::StatusOr<std::vector<const MigrationFile*>> PlanPending(
    const std::vector<MigrationFile>& files, const AppliedRecords& applied,
    std::vector<std::string>* already) {
  if (!applied.empty() && applied.rbegin()->first > static_cast<int>(files.size())) {
    const auto& [version, record] = *applied.rbegin();
    return absl::FailedPreconditionError(
        absl::StrCat("the database has migration ", record.name, " (version ", version,
                     ") applied but the folder ends at version ", files.size(),
                     ": the database is newer than these migrations"));
  }
  std::vector<const MigrationFile*> pending;
  for (const MigrationFile& file : files) {
    auto it = applied.find(file.version);
    if (it == applied.end()) {
      pending.push_back(&file);
      continue;
    }
    if (!pending.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat(pending.front()->name, " is not applied but the later ", file.name,
                       " is: the database's migration history has a hole"));
    }
    if (it->second.name != file.name) {
      return absl::FailedPreconditionError(absl::StrCat(file.name, ": version ", file.version,
                                                        " was applied as ", it->second.name,
                                                        "; applied migrations are never renamed"));
    }
    if (it->second.checksum != file.checksum) {
      return absl::FailedPreconditionError(
          absl::StrCat(file.name, " was edited after it was applied (recorded sha256 ",
                       it->second.checksum, ", file sha256 ", file.checksum,
                       "); applied migrations are never edited, write a new one"));
    }
    already->push_back(file.name);
  }
  return pending;
}

std::string Abbreviate(const std::string& statement) {
  std::string one_line = absl::StrJoin(absl::StrSplit(statement, '\n'), " ");
  if (one_line.size() > 160) one_line = absl::StrCat(one_line.substr(0, 157), "...");
  return one_line;
}

struct PreparedFile {
  const MigrationFile* file;
  std::vector<SqlStatement> statements;
};

// Substitutes placeholders in every pending file before the first one runs, so that a missing
// variable cannot stop a run half-way.
absl::StatusOr<std::vector<PreparedFile>> Prepare(
    const std::vector<const MigrationFile*>& pending,
    const std::vector<std::pair<std::string, std::string>>& variables) {
  std::vector<PreparedFile> prepared;
  for (const MigrationFile* file : pending) {
    absl::StatusOr<std::string> script = SubstituteVariables(file->content, variables);
    if (!script.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(file->name, ": ", script.status().message()));
    }
    prepared.push_back({file, SplitStatements(*script)});
  }
  return prepared;
}

// Runs one file's statements, then records it. DDL commits implicitly in MariaDB, so a failure
// part-way leaves the earlier statements applied; the message says exactly where it stopped.
absl::Status ApplyFile(sql::Connection& connection, const PreparedFile& prepared) {
  const MigrationFile& file = *prepared.file;
  const std::vector<SqlStatement>& statements = prepared.statements;
  for (size_t i = 0; i < statements.size(); ++i) {
    try {
      std::unique_ptr<sql::Statement> statement(connection.createStatement());
      if (statement->execute(statements[i].text)) {
        std::unique_ptr<sql::ResultSet> ignored(statement->getResultSet());
      }
    } catch (const sql::SQLException& e) {
      const absl::Status status = mysql::StatusFromSqlException(e);
      return absl::Status(
          status.code(),
          absl::StrCat(file.name, ": statement ", i + 1, " of ", statements.size(), " (line ",
                       statements[i].first_line, ": ", Abbreviate(statements[i].text),
                       ") failed: ", status.message(),
                       i == 0 ? "; nothing of this file was applied"
                              : absl::StrCat("; statements 1..", i,
                                             " of this file were applied and stay applied (DDL is "
                                             "not transactional): revert them by hand before "
                                             "running again")));
    }
  }
  try {
    std::unique_ptr<sql::PreparedStatement> record(connection.prepareStatement(
        "INSERT INTO schema_migrations (version, name, checksum, applied_at) "
        "VALUES (?, ?, ?, NOW(6))"));
    record->setInt(1, file.version);
    record->setString(2, file.name);
    record->setString(3, file.checksum);
    record->executeUpdate();
  } catch (const sql::SQLException& e) {
    const absl::Status status = mysql::StatusFromSqlException(e);
    return absl::Status(status.code(),
                        absl::StrCat(file.name, ": its statements ran but recording it failed: ",
                                     status.message()));
  }
  return absl::OkStatus();
}

absl::Status ApplyAll(sql::Connection& connection, const mysql::MySqlConfig& config,
                      const std::vector<MigrationFile>& files,
                      const std::vector<std::pair<std::string, std::string>>& variables,
                      MigrationResult& result) {
  const std::string database = CurrentDatabase(connection);
  if (database.empty()) {
    return absl::FailedPreconditionError("the connection pool has no database selected");
  }
  const std::string lock_name = LockName(database);
  RETURN_IF_ERROR(GetLock(connection, lock_name, LockWaitSeconds(config)));
  LockRelease release(connection, lock_name);
  // Read only under the lock: a runner that waited sees what the other one applied.
  ASSIGN_OR_RETURN(std::vector<const MigrationFile*> pending,
                   PlanPending(files, ReadApplied(connection), &result.already));
  ASSIGN_OR_RETURN(const std::vector<PreparedFile> prepared, Prepare(pending, variables));
  for (const PreparedFile& file : prepared) {
    absl::Status status = ApplyFile(connection, file);
    if (!status.ok()) {
      if (result.applied.empty()) return status;
      return absl::Status(status.code(), absl::StrCat(status.message(), " (applied before it: ",
                                                      absl::StrJoin(result.applied, ", "), ")"));
    }
    result.applied.push_back(file.file->name);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<MigrationResult> ApplyMigrations(
    mysql::ConnectionPool& pool, const std::string& folder,
    const std::vector<std::pair<std::string, std::string>>& variables) {
  ASSIGN_OR_RETURN(const std::vector<MigrationFile> files, ListMigrations(folder));
  MigrationResult result;
  // One connection for the whole run: GET_LOCK belongs to the session that took it.
  RETURN_IF_ERROR(mysql::RunWithConnection(pool, [&](sql::Connection& connection) {
    return ApplyAll(connection, pool.config(), files, variables, result);
  }));
  return result;
}

}  // namespace jifen::migrate
