// jifen-migrate --service_hosts against the fixture's MariaDB: the service's account on a further
// host has exactly the privileges the migrations gave its @'127.0.0.1' account, after every run.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/mysql/connection_pool.h"
#include "common/mysql/statement.h"
#include "common/mysql/transaction.h"
#include "tests/support/service_database.h"
#include "tests/support/testenv.h"

namespace jifen::testing {
namespace {

class ServiceHostsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = CreateFreshDatabase("migrate_hosts");
    user_ = database_ + "_svc";
    folder_ = std::filesystem::temp_directory_path() / (database_ + "_migrations");
    std::filesystem::remove_all(folder_);
    std::filesystem::create_directories(folder_);
    admin_ = std::make_unique<mysql::ConnectionPool>(AdminConfigFor(database_));
  }

  void TearDown() override {
    for (const std::string& host : Hosts()) {
      Execute(absl::StrCat("DROP USER IF EXISTS '", user_, "'@'", host, "'"));
    }
    std::filesystem::remove_all(folder_);
  }

  // A migration granting `privileges` on a new table `table`, as the services' migrations grant:
  // to the account @'127.0.0.1' and @'localhost'.
  void AddMigration(const std::string& file, const std::string& table,
                    const std::string& privileges) {
    std::ofstream(folder_ / file) << "CREATE TABLE " << table << " (id INT PRIMARY KEY);\n"
                                  << "GRANT " << privileges << " ON " << table
                                  << " TO '${SERVICE_USER}'@'127.0.0.1';\n"
                                  << "GRANT " << privileges << " ON " << table
                                  << " TO '${SERVICE_USER}'@'localhost';\n";
  }

  // Runs jifen-migrate on the test database; returns its exit code, its stderr in `err`.
  int Migrate(const std::string& extra_flags, std::string* err = nullptr) {
    const std::string err_file = folder_.string() + ".err";
    const std::string command = absl::StrCat(
        BinaryPath("tools/migrate/jifen-migrate"), " --mysql_host=", TestMySql().host,
        " --mysql_port=", TestMySql().port, " --mysql_user=", TestMySql().user,
        " --mysql_password='", TestMySql().password, "' --database=", database_,
        " --folder=", folder_.string(), " --service_user=", user_,
        " --service_password=svc-pw ", extra_flags, " >/dev/null 2>", err_file);
    const int status = std::system(command.c_str());
    if (err != nullptr) {
      std::ifstream in(err_file);
      err->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    std::filesystem::remove(err_file);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  // "table:PRIVILEGE" for every table privilege of the account `user_`@`host`.
  std::set<std::string> TablePrivileges(const std::string& host) {
    std::set<std::string> privileges;
    absl::Status read = mysql::RunWithConnection(*admin_, [&](sql::Connection& c) {
      auto rows = mysql::Statement(c,
                                   "SELECT TABLE_NAME, PRIVILEGE_TYPE FROM "
                                   "information_schema.TABLE_PRIVILEGES WHERE GRANTEE = ? "
                                   "AND TABLE_SCHEMA = ?")
                      .Bind(absl::StrCat("'", user_, "'@'", host, "'"))
                      .Bind(database_)
                      .Query();
      while (rows->next()) {
        privileges.insert(absl::StrCat(rows->getString(1).asStdString(), ":",
                                       rows->getString(2).asStdString()));
      }
      return absl::OkStatus();
    });
    EXPECT_TRUE(read.ok()) << read;
    return privileges;
  }

  std::set<std::string> Hosts() {
    std::set<std::string> hosts;
    absl::Status read = mysql::RunWithConnection(*admin_, [&](sql::Connection& c) {
      auto rows = mysql::Statement(c, "SELECT Host FROM mysql.user WHERE User = ?")
                      .Bind(user_)
                      .Query();
      while (rows->next()) hosts.insert(rows->getString(1).asStdString());
      return absl::OkStatus();
    });
    EXPECT_TRUE(read.ok()) << read;
    return hosts;
  }

  void Execute(const std::string& sql) {
    absl::Status done = mysql::RunWithConnection(*admin_, [&](sql::Connection& c) {
      std::unique_ptr<sql::Statement>(c.createStatement())->execute(sql);
      return absl::OkStatus();
    });
    ASSERT_TRUE(done.ok()) << sql << ": " << done;
  }

  std::string database_;
  std::string user_;
  std::filesystem::path folder_;
  std::unique_ptr<mysql::ConnectionPool> admin_;
};

TEST_F(ServiceHostsTest, WithoutServiceHostsTheAccountIsLocalOnly) {
  AddMigration("0001_t.sql", "t", "SELECT, INSERT");
  ASSERT_EQ(Migrate(""), 0);
  EXPECT_EQ(Hosts(), (std::set<std::string>{"127.0.0.1", "localhost"}));
}

TEST_F(ServiceHostsTest, FurtherHostsGetThePrivilegesOfTheLocalAccountAfterEveryRun) {
  AddMigration("0001_t.sql", "t", "SELECT, INSERT");
  ASSERT_EQ(Migrate("--service_hosts=10.9.8.%,%"), 0);
  EXPECT_EQ(Hosts(), (std::set<std::string>{"127.0.0.1", "localhost", "10.9.8.%", "%"}));
  const std::set<std::string> first = {"t:INSERT", "t:SELECT"};
  EXPECT_EQ(TablePrivileges("127.0.0.1"), first);
  EXPECT_EQ(TablePrivileges("10.9.8.%"), first);
  EXPECT_EQ(TablePrivileges("%"), first);

  // A later migration's grant reaches the further hosts; a privilege given there by hand, which
  // the local account does not have, is taken away.
  AddMigration("0002_u.sql", "u", "SELECT, UPDATE");
  Execute(absl::StrCat("GRANT DELETE ON ", database_, ".t TO '", user_, "'@'%'"));
  ASSERT_EQ(Migrate("--service_hosts=10.9.8.%,%"), 0);
  const std::set<std::string> second = {"t:INSERT", "t:SELECT", "u:SELECT", "u:UPDATE"};
  EXPECT_EQ(TablePrivileges("127.0.0.1"), second);
  EXPECT_EQ(TablePrivileges("10.9.8.%"), second);
  EXPECT_EQ(TablePrivileges("%"), second);
}

TEST_F(ServiceHostsTest, ABadHostPatternIsRefusedBeforeAnythingIsMade) {
  AddMigration("0001_t.sql", "t", "SELECT");
  std::string err;
  EXPECT_EQ(Migrate("\"--service_hosts=10.0.0.1'@'%\"", &err), 1);
  EXPECT_NE(err.find("--service_hosts"), std::string::npos) << err;
  EXPECT_TRUE(Hosts().empty());
  EXPECT_TRUE(TablePrivileges("127.0.0.1").empty());
}

// The stack runner and the container's init give jifen-migrate its passwords in the environment,
// where `ps` does not show them: JIFEN_MYSQL_PASSWORD (the admin's) and JIFEN_SERVICE_PASSWORD
// (the new service account's) stand in for the flags.
TEST_F(ServiceHostsTest, PasswordsComeFromTheEnvironmentWithoutFlags) {
  AddMigration("0001_t.sql", "t", "SELECT");
  const std::string command = absl::StrCat(
      "JIFEN_MYSQL_PASSWORD='", TestMySql().password, "' JIFEN_SERVICE_PASSWORD=svc-env-pw ",
      BinaryPath("tools/migrate/jifen-migrate"), " --mysql_host=", TestMySql().host,
      " --mysql_port=", TestMySql().port, " --mysql_user=", TestMySql().user,
      " --database=", database_, " --folder=", folder_.string(), " --service_user=", user_,
      " >/dev/null 2>&1");
  const int status = std::system(command.c_str());
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << command;
  EXPECT_EQ(TablePrivileges("127.0.0.1"), (std::set<std::string>{"t:SELECT"}));
  // The service account signs in with the password from the environment.
  mysql::MySqlConfig service = AdminConfigFor(database_, 1);
  service.user = user_;
  service.password = "svc-env-pw";
  mysql::ConnectionPool pool(service);
  EXPECT_TRUE(mysql::RunWithConnection(pool, [](sql::Connection&) {
                return absl::OkStatus();
              }).ok());
}

}  // namespace
}  // namespace jifen::testing
