// Test-only helpers shared by the audit integration tests: a fresh audit schema with its
// migrations applied and a service user holding exactly the migrations' grants.
#pragma once

#include <cppconn/connection.h>
#include <cppconn/statement.h>

#include <unistd.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/auth/test_keys.h"
#include "common/mysql/connection_pool.h"
#include "common/mysql/transaction.h"
#include "gtest/gtest.h"
#include "tests/support/service_database.h"
#include "tests/support/service_process.h"
#include "tests/support/testenv.h"

namespace jifen::audit::testing {

struct AuditDb {
  std::string database;
  std::string user;  // the service's own account (no UPDATE/DELETE on the trail)
  std::string password;
  std::unique_ptr<mysql::ConnectionPool> admin;    // every privilege: setup and tampering
  std::unique_ptr<mysql::ConnectionPool> service;  // as the service runs
};

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
  const jifen::testing::ServiceDatabase created =
      jifen::testing::CreateServiceDatabase(suite, "services/audit/migrations");
  ASSERT_FALSE(::testing::Test::HasFailure());
  db->database = created.database;
  db->user = created.user;
  db->password = created.password;
  db->admin = std::make_unique<mysql::ConnectionPool>(created.AdminConfig());
  db->service = std::make_unique<mysql::ConnectionPool>(created.ServiceConfig(4));
}

// A jifen-audit process on `db`, trusting tokens signed for `token_public_key_path`, with a
// fresh signing key of its own (written under TempDir as `<pid>-<name>.key.pem`). Its checks and
// dashboards do not run in the background: only the test runs them. Not started yet.
inline std::unique_ptr<jifen::testing::ServiceProcess> NewAuditProcess(
    const AuditDb& db, const std::string& token_public_key_path, const std::string& name) {
  const jifen::testing::MySqlServer& server = jifen::testing::TestMySql();
  const std::string key_path =
      absl::StrCat(::testing::TempDir(), "/", getpid(), "-", name, ".key.pem");
  std::ofstream(key_path) << auth::GenerateTestKeyPair().private_key_pem;
  return std::make_unique<jifen::testing::ServiceProcess>(
      "audit", "services/audit/jifen-audit",
      std::vector<std::string>{
          absl::StrCat("--mysql_host=", server.host), absl::StrCat("--mysql_port=", server.port),
          "--mysql_user=" + db.user, "--mysql_password=" + db.password,
          "--mysql_database=" + db.database, "--token_public_key=" + token_public_key_path,
          "--audit_signing_key=" + key_path, "--checks_interval=0s", "--dashboard_interval=0s"});
}

}  // namespace jifen::audit::testing
