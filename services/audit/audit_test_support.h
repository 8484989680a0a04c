// Test-only helpers shared by the audit integration tests: a fresh audit schema with its
// migrations applied and a service user holding exactly the migrations' grants.
#pragma once

#include <cppconn/connection.h>
#include <cppconn/statement.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/migrate/migrator.h"
#include "common/mysql/connection_pool.h"
#include "common/mysql/transaction.h"
#include "gtest/gtest.h"
#include "tests/support/testenv.h"

namespace jifen::audit::testing {

struct AuditDb {
  std::string database;
  std::string user;  // the service's own account (no UPDATE/DELETE on the trail)
  std::string password;
  std::unique_ptr<mysql::ConnectionPool> admin;    // every privilege: setup and tampering
  std::unique_ptr<mysql::ConnectionPool> service;  // as the service runs
};

inline mysql::MySqlConfig ConfigFor(const std::string& database, const std::string& user,
                                    const std::string& password) {
  const jifen::testing::MySqlServer& server = jifen::testing::TestMySql();
  mysql::MySqlConfig config;
  config.host = server.host;
  config.port = server.port;
  config.user = user;
  config.password = password;
  config.database = database;
  config.pool_size = 4;
  return config;
}

// Runs fixed test SQL (no parameters) as the admin.
inline absl::Status Exec(mysql::ConnectionPool& pool, const std::string& statement_text) {
  return mysql::RunWithConnection(pool, [&](sql::Connection& c) {
    std::unique_ptr<sql::Statement> statement(c.createStatement());
    statement->execute(statement_text);
    return absl::OkStatus();
  });
}

// `suite`: letters, digits and '_' only.
inline void SetUpAuditDb(const std::string& suite, AuditDb* db) {
  const jifen::testing::MySqlServer& server = jifen::testing::TestMySql();
  db->database = jifen::testing::CreateFreshDatabase(suite);
  db->user = absl::StrCat("au", getpid(), "_", absl::AsciiStrToLower(suite)).substr(0, 60);
  db->password = "pw-" + db->user;
  db->admin = std::make_unique<mysql::ConnectionPool>(
      ConfigFor(db->database, server.user, server.password));
  for (const char* host : {"127.0.0.1", "localhost"}) {
    ASSERT_TRUE(
        Exec(*db->admin, absl::StrCat("DROP USER IF EXISTS '", db->user, "'@'", host, "'")).ok());
    ASSERT_TRUE(Exec(*db->admin, absl::StrCat("CREATE USER '", db->user, "'@'", host,
                                              "' IDENTIFIED BY '", db->password, "'"))
                    .ok());
  }
  absl::StatusOr<migrate::MigrationResult> migrated =
      migrate::ApplyMigrations(*db->admin, jifen::testing::SourcePath("services/audit/migrations"),
                               {{"SERVICE_USER", db->user}});
  ASSERT_TRUE(migrated.ok()) << migrated.status();
  db->service =
      std::make_unique<mysql::ConnectionPool>(ConfigFor(db->database, db->user, db->password));
}

}  // namespace jifen::audit::testing
