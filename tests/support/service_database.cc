#include "tests/support/service_database.h"

#include <cppconn/connection.h>
#include <cppconn/statement.h>

#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/migrate/migrator.h"
#include "common/mysql/transaction.h"
#include "gtest/gtest.h"
#include "tests/support/testenv.h"

namespace jifen::testing {
namespace {

mysql::MySqlConfig ConfigFor(const std::string& database, const std::string& user,
                             const std::string& password, int pool_size) {
  const MySqlServer& server = TestMySql();
  mysql::MySqlConfig config;
  config.host = server.host;
  config.port = server.port;
  config.user = user;
  config.password = password;
  config.database = database;
  config.pool_size = pool_size;
  return config;
}

}  // namespace

mysql::MySqlConfig ServiceDatabase::ServiceConfig(int pool_size) const {
  return ConfigFor(database, user, password, pool_size);
}

mysql::MySqlConfig ServiceDatabase::AdminConfig(int pool_size) const {
  return AdminConfigFor(database, pool_size);
}

mysql::MySqlConfig AdminConfigFor(const std::string& database, int pool_size) {
  return ConfigFor(database, TestMySql().user, TestMySql().password, pool_size);
}

std::vector<std::string> ServiceDatabase::MySqlFlags() const {
  return {absl::StrCat("--mysql_host=", TestMySql().host),
          absl::StrCat("--mysql_port=", TestMySql().port), "--mysql_user=" + user,
          "--mysql_password=" + password, "--mysql_database=" + database};
}

ServiceDatabase CreateServiceDatabase(const std::string& suite,
                                      const std::string& migrations_folder) {
  ServiceDatabase created;
  created.database = CreateFreshDatabase(suite);
  created.user = created.database.substr(0, 60);  // MariaDB's limit for a user name is 80
  created.password = absl::StrCat("pw-", created.database);
  mysql::ConnectionPool admin(created.AdminConfig(1));
  // Account management is DDL, which takes no parameters: the names are ours, not user input.
  const absl::Status accounts = mysql::RunWithConnection(admin, [&](sql::Connection& connection) {
    std::unique_ptr<sql::Statement> statement(connection.createStatement());
    for (const char* host : {"127.0.0.1", "localhost"}) {
      const std::string account = absl::StrCat("'", created.user, "'@'", host, "'");
      statement->execute(absl::StrCat("DROP USER IF EXISTS ", account));
      statement->execute(
          absl::StrCat("CREATE USER ", account, " IDENTIFIED BY '", created.password, "'"));
    }
    return absl::OkStatus();
  });
  if (!accounts.ok()) {
    ADD_FAILURE() << "creating the account of " << created.database << ": " << accounts;
    return created;
  }
  const std::string folder =
      absl::StartsWith(migrations_folder, "/") ? migrations_folder : SourcePath(migrations_folder);
  const absl::StatusOr<migrate::MigrationResult> migrated =
      migrate::ApplyMigrations(admin, folder, {{"SERVICE_USER", created.user}});
  if (!migrated.ok()) {
    ADD_FAILURE() << "migrating " << created.database << " from " << migrations_folder << ": "
                  << migrated.status();
  }
  return created;
}

}  // namespace jifen::testing
