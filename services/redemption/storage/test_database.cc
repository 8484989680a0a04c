#include "services/redemption/storage/test_database.h"

#include <cppconn/connection.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/statement.h>
#include <gtest/gtest.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "common/migrate/migrator.h"
#include "common/mysql/transaction.h"
#include "tests/support/testenv.h"

namespace jifen::redemption::testing {

MigratedDatabase CreateMigratedDatabase(const std::string& suite, const std::string& migrations,
                                        const std::string& service_user) {
  const jifen::testing::MySqlServer& server = jifen::testing::TestMySql();
  MigratedDatabase db;
  db.name = jifen::testing::CreateFreshDatabase(suite);
  db.admin.host = server.host;
  db.admin.port = server.port;
  db.admin.user = server.user;
  db.admin.password = server.password;
  db.admin.database = db.name;
  db.admin.pool_size = 4;
  db.service = db.admin;
  db.service.user = service_user;
  db.service.password = "test-password";
  db.service.pool_size = 64;

  mysql::ConnectionPool admin(db.admin);
  const absl::Status created = mysql::RunWithConnection(admin, [&](sql::Connection& c) {
    std::unique_ptr<sql::Statement> statement(c.createStatement());
    for (const char* host : {"127.0.0.1", "localhost"}) {
      // The user name is a fixed test identifier; the password a constant.
      statement->execute(absl::StrCat("CREATE USER IF NOT EXISTS '", service_user, "'@'", host,
                                      "' IDENTIFIED BY 'test-password'"));
    }
    return absl::OkStatus();
  });
  EXPECT_TRUE(created.ok()) << created;
  absl::StatusOr<migrate::MigrationResult> applied = migrate::ApplyMigrations(
      admin, jifen::testing::SourcePath(migrations), {{"SERVICE_USER", service_user}});
  EXPECT_TRUE(applied.ok()) << applied.status();
  return db;
}

}  // namespace jifen::redemption::testing
