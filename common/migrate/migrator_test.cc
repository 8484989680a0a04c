// Integration tests of ApplyMigrations against the fixture's MariaDB; one database per test.
#include "common/migrate/migrator.h"

#include <cppconn/connection.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "common/migrate/migration_files.h"
#include "common/mysql/transaction.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/testenv.h"

namespace jifen::migrate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const std::vector<std::pair<std::string, std::string>> kVariables = {{"SERVICE_USER", "svc"}};

mysql::MySqlConfig ConfigFor(const std::string& database) {
  const testing::MySqlServer& server = testing::TestMySql();
  mysql::MySqlConfig config;
  config.host = server.host;
  config.port = server.port;
  config.user = server.user;
  config.password = server.password;
  config.database = database;
  config.pool_size = 2;
  return config;
}

std::string TestData(const std::string& name) {
  return testing::SourcePath("common/migrate/testdata/" + name);
}

// A writable copy of a testdata folder, for tests that edit migrations.
std::string CopyOf(const std::string& name, const std::string& copy_name) {
  const std::filesystem::path copy =
      std::filesystem::path(::testing::TempDir()) / ("migrator_test_" + copy_name);
  std::filesystem::remove_all(copy);
  std::filesystem::copy(TestData(name), copy);
  return copy.string();
}

std::string QueryString(mysql::ConnectionPool& pool, const std::string& query) {
  std::string value;
  absl::Status status = mysql::RunWithConnection(pool, [&](sql::Connection& c) {
    std::unique_ptr<sql::Statement> statement(c.createStatement());
    std::unique_ptr<sql::ResultSet> row(statement->executeQuery(query));
    value = row->next() ? std::string(row->getString(1)) : "<no row>";
    return absl::OkStatus();
  });
  EXPECT_TRUE(status.ok()) << status;
  return value;
}

bool TableExists(mysql::ConnectionPool& pool, const std::string& table) {
  bool exists = false;
  absl::Status status = mysql::RunWithConnection(pool, [&](sql::Connection& c) {
    std::unique_ptr<sql::PreparedStatement> select(c.prepareStatement(
        "SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND "
        "table_name = ?"));
    select->setString(1, table);
    std::unique_ptr<sql::ResultSet> row(select->executeQuery());
    exists = row->next();
    return absl::OkStatus();
  });
  EXPECT_TRUE(status.ok()) << status;
  return exists;
}

class MigratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    pool_ = std::make_unique<mysql::ConnectionPool>(
        ConfigFor(testing::CreateFreshDatabase("migrate_" + test.substr(0, 30))));
  }
  std::unique_ptr<mysql::ConnectionPool> pool_;
};

TEST_F(MigratorTest, AppliesInOrderRecordsAndIsIdempotent) {
  absl::StatusOr<MigrationResult> first = ApplyMigrations(*pool_, TestData("ok"), kVariables);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_THAT(first->applied, ElementsAre("0001_create_items.sql", "0002_add_tags.sql"));
  EXPECT_THAT(first->already, IsEmpty());

  EXPECT_EQ(QueryString(*pool_,
                        "SELECT table_comment FROM information_schema.tables WHERE "
                        "table_schema = DATABASE() AND table_name = 'tags'"),
            "owned by svc");
  EXPECT_EQ(QueryString(*pool_, "SELECT GROUP_CONCAT(name ORDER BY id) FROM items"),
            "first; not the end of a statement,second");
  const absl::StatusOr<std::vector<MigrationFile>> files = ListMigrations(TestData("ok"));
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(QueryString(*pool_,
                        "SELECT GROUP_CONCAT(version, ':', name, ':', checksum ORDER BY "
                        "version SEPARATOR ' ') FROM schema_migrations"),
            "1:0001_create_items.sql:" + (*files)[0].checksum +
                " 2:0002_add_tags.sql:" + (*files)[1].checksum);

  absl::StatusOr<MigrationResult> second = ApplyMigrations(*pool_, TestData("ok"), kVariables);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_THAT(second->applied, IsEmpty());
  EXPECT_THAT(second->already, ElementsAre("0001_create_items.sql", "0002_add_tags.sql"));
  EXPECT_EQ(QueryString(*pool_, "SELECT COUNT(*) FROM items"), "2");
}

TEST_F(MigratorTest, RefusesAnAppliedMigrationThatWasEdited) {
  const std::string folder = CopyOf("ok", "edited");
  ASSERT_TRUE(ApplyMigrations(*pool_, folder, kVariables).ok());
  std::ofstream(folder + "/0001_create_items.sql", std::ios::app) << "-- an innocent edit\n";
  // A new migration next to the edited one must not run either: the check comes first.
  std::ofstream(folder + "/0003_more.sql") << "CREATE TABLE more_items (id INT PRIMARY KEY);\n";

  absl::StatusOr<MigrationResult> result = ApplyMigrations(*pool_, folder, kVariables);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(result.status().message(), HasSubstr("0001_create_items.sql"));
  EXPECT_THAT(result.status().message(), HasSubstr("edited"));
  EXPECT_FALSE(TableExists(*pool_, "more_items"));
}

TEST_F(MigratorTest, RefusesAGapAndAppliesNothing) {
  absl::StatusOr<MigrationResult> result = ApplyMigrations(*pool_, TestData("gap"));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("version 2 is missing"));
  EXPECT_FALSE(TableExists(*pool_, "first_table"));
}

TEST_F(MigratorTest, RefusesADatabaseNewerThanTheFolder) {
  ASSERT_TRUE(ApplyMigrations(*pool_, TestData("ok"), kVariables).ok());
  const std::string folder = CopyOf("ok", "older");
  std::filesystem::remove(folder + "/0002_add_tags.sql");
  absl::StatusOr<MigrationResult> result = ApplyMigrations(*pool_, folder, kVariables);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(result.status().message(), HasSubstr("0002_add_tags.sql"));
}

TEST_F(MigratorTest, PartiallyFailedFileNamesTheStatementAndStaysUnrecorded) {
  absl::StatusOr<MigrationResult> result = ApplyMigrations(*pool_, TestData("broken"));
  ASSERT_FALSE(result.ok());
  const std::string message(result.status().message());
  EXPECT_THAT(message, HasSubstr("0002_fails_halfway.sql: statement 2 of 3 (line 5"));
  EXPECT_THAT(message, HasSubstr("statements 1..1 of this file were applied"));
  EXPECT_THAT(message, HasSubstr("applied before it: 0001_fine.sql"));
  EXPECT_TRUE(TableExists(*pool_, "half"));
  EXPECT_FALSE(TableExists(*pool_, "never_reached"));
  EXPECT_EQ(QueryString(*pool_, "SELECT GROUP_CONCAT(name) FROM schema_migrations"),
            "0001_fine.sql");
}

TEST_F(MigratorTest, MissingPlaceholderValueNamesFileAndPlaceholder) {
  absl::StatusOr<MigrationResult> result = ApplyMigrations(*pool_, TestData("ok"));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("0002_add_tags.sql"));
  EXPECT_THAT(result.status().message(), HasSubstr("${SERVICE_USER}"));
  // Placeholders are checked in every pending file before the first one runs.
  EXPECT_FALSE(TableExists(*pool_, "items"));
}

TEST_F(MigratorTest, ConcurrentRunnersApplyEachFileOnce) {
  mysql::ConnectionPool other(pool_->config());
  absl::StatusOr<MigrationResult> a;
  absl::StatusOr<MigrationResult> b;
  std::thread ta([&] { a = ApplyMigrations(*pool_, TestData("ok"), kVariables); });
  std::thread tb([&] { b = ApplyMigrations(other, TestData("ok"), kVariables); });
  ta.join();
  tb.join();
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(a->applied.size() + b->applied.size(), 2u);
  EXPECT_EQ(a->already.size() + b->already.size(), 2u);
  EXPECT_EQ(QueryString(*pool_, "SELECT COUNT(*) FROM items"), "2");
}

}  // namespace
}  // namespace jifen::migrate
