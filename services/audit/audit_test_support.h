// Test-only helpers shared by the audit integration tests: a fresh audit schema with its
// migrations applied and a service user holding exactly the migrations' grants.
#pragma once

#include <cppconn/connection.h>
#include <cppconn/statement.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/mysql/connection_pool.h"
#include "common/mysql/transaction.h"
#include "gtest/gtest.h"
#include "tests/support/service_database.h"
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

}  // namespace jifen::audit::testing
