// jifen-migrate: creates a service's database and database user if missing, then applies the
// service's migrations folder (common/migrate/migrator.h). Used by the stack runner, deploys and
// anyone setting up a database by hand:
//
//   jifen-migrate --mysql_host=127.0.0.1 --mysql_port=3306 --mysql_user=root --mysql_password=...
//       --database=jifen_scoring --folder=services/scoring/migrations
//       --service_user=scoring --service_password=... [--service_hosts=10.0.0.%]
//
// The two passwords may come from the environment instead, JIFEN_MYSQL_PASSWORD and
// JIFEN_SERVICE_PASSWORD, where `ps` does not show them to other users (the stack runner does
// so); a flag on the command line wins.
//
// Prints one line per applied file; on error prints the reason (naming the file) and exits 1.
// The migrations grant the service user its table privileges @'127.0.0.1' and @'localhost'; with
// --service_hosts the account on those hosts gets the same privileges (service_account.h).
#include <cppconn/connection.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/statement.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/migrate/migrator.h"
#include "common/mysql/connection_pool.h"
#include "common/mysql/transaction.h"
#include "tools/migrate/service_account.h"

ABSL_FLAG(std::string, mysql_host, "127.0.0.1", "MySQL/MariaDB server host");
ABSL_FLAG(int, mysql_port, 3306, "MySQL/MariaDB server port");
ABSL_FLAG(std::string, mysql_user, "root", "admin account: creates databases and users, runs DDL");
ABSL_FLAG(std::string, mysql_password, "", "password of --mysql_user");
ABSL_FLAG(std::string, database, "", "the service's database; created (utf8mb4) if missing");
ABSL_FLAG(std::string, folder, "", "the service's migrations folder (NNNN_name.sql files)");
ABSL_FLAG(std::string, service_user, "",
          "the service's own account, created @'127.0.0.1' and @'localhost' if missing; "
          "substituted for ${SERVICE_USER} in the migrations");
ABSL_FLAG(std::string, service_password, "", "password for a newly created --service_user");
ABSL_FLAG(std::vector<std::string>, service_hosts, {},
          "further hosts (MariaDB host patterns, comma-separated, e.g. 10.0.0.% or %) the service "
          "connects from; its account there gets the privileges of its @'127.0.0.1' account");

namespace {

// Identifiers are pasted into SQL (a database name can't be a statement parameter, and the user
// name goes into the migrations' GRANTs), so only plain names are accepted.
absl::Status CheckPlainName(const std::string& flag, const std::string& value, size_t max_length) {
  bool plain = !value.empty() && value.size() <= max_length;
  for (char c : value) plain = plain && (absl::ascii_isalnum(c) || c == '_');
  if (plain) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("--", flag, "=", value, " must be 1..", max_length,
                                                 " characters of [A-Za-z0-9_]"));
}

jifen::mysql::MySqlConfig AdminConfig(std::string database) {
  jifen::mysql::MySqlConfig config;
  config.host = absl::GetFlag(FLAGS_mysql_host);
  config.port = absl::GetFlag(FLAGS_mysql_port);
  config.user = absl::GetFlag(FLAGS_mysql_user);
  config.password = absl::GetFlag(FLAGS_mysql_password);
  config.database = std::move(database);
  config.pool_size = 1;
  // Migrations may rebuild big tables; a statement is allowed to run for an hour.
  config.io_timeout = absl::Hours(1);
  return config;
}

absl::Status CreateDatabase(sql::Connection& connection, const std::string& database) {
  std::unique_ptr<sql::Statement> statement(connection.createStatement());
  statement->execute(absl::StrCat("CREATE DATABASE IF NOT EXISTS `", database,
                                  "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"));
  return absl::OkStatus();
}

absl::Status Run() {
  const std::string database = absl::GetFlag(FLAGS_database);
  const std::string folder = absl::GetFlag(FLAGS_folder);
  const std::string service_user = absl::GetFlag(FLAGS_service_user);
  const std::string service_password = absl::GetFlag(FLAGS_service_password);
  if (absl::Status s = CheckPlainName("database", database, 64); !s.ok()) return s;
  if (folder.empty()) return absl::InvalidArgumentError("--folder is required");
  const std::vector<std::string> service_hosts = absl::GetFlag(FLAGS_service_hosts);
  if (!service_user.empty()) {
    if (absl::Status s = CheckPlainName("service_user", service_user, 80); !s.ok()) return s;
    if (service_password.empty()) {
      return absl::InvalidArgumentError("--service_password is required with --service_user");
    }
  } else if (!service_hosts.empty()) {
    return absl::InvalidArgumentError("--service_hosts needs --service_user");
  }
  std::vector<std::string> hosts = {jifen::migrate_tool::kGrantedHost, "localhost"};
  for (const std::string& host : service_hosts) {
    if (absl::Status s = jifen::migrate_tool::CheckHostPattern(host); !s.ok()) return s;
    hosts.push_back(host);
  }

  {
    jifen::mysql::ConnectionPool admin(AdminConfig(""));
    absl::Status status = jifen::mysql::RunWithConnection(admin, [&](sql::Connection& c) {
      absl::Status created = CreateDatabase(c, database);
      for (size_t i = 0; created.ok() && !service_user.empty() && i < hosts.size(); ++i) {
        created = jifen::migrate_tool::CreateServiceUser(c, service_user, hosts[i],
                                                         service_password);
      }
      return created;
    });
    if (!status.ok()) {
      return absl::Status(status.code(),
                          absl::StrCat("preparing database ", database, ": ", status.message()));
    }
  }

  jifen::mysql::ConnectionPool pool(AdminConfig(database));
  std::vector<std::pair<std::string, std::string>> variables;
  if (!service_user.empty()) variables.emplace_back("SERVICE_USER", service_user);
  absl::StatusOr<jifen::migrate::MigrationResult> result =
      jifen::migrate::ApplyMigrations(pool, folder, variables);
  if (!result.ok()) return result.status();
  absl::Status mirrored = jifen::mysql::RunWithConnection(pool, [&](sql::Connection& c) {
    absl::Status status;
    for (size_t i = 0; status.ok() && i < service_hosts.size(); ++i) {
      status = jifen::migrate_tool::MirrorGrants(c, service_user, service_hosts[i]);
    }
    return status;
  });
  if (!mirrored.ok()) {
    return absl::Status(mirrored.code(), absl::StrCat("granting ", service_user, " on its other "
                                                      "hosts: ", mirrored.message()));
  }
  for (const std::string& name : result->applied) std::printf("applied %s\n", name.c_str());
  std::printf("%s: %zu migrations applied now, %zu already\n", database.c_str(),
              result->applied.size(), result->already.size());
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  // Set before parsing, so that a flag on the command line overrides them.
  if (const char* password = std::getenv("JIFEN_MYSQL_PASSWORD")) {
    absl::SetFlag(&FLAGS_mysql_password, password);
  }
  if (const char* password = std::getenv("JIFEN_SERVICE_PASSWORD")) {
    absl::SetFlag(&FLAGS_service_password, password);
  }
  absl::ParseCommandLine(argc, argv);
  const absl::Status status = Run();
  if (!status.ok()) {
    std::fprintf(stderr, "jifen-migrate: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
