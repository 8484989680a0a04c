#include "common/migrate/migration_files.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jifen::migrate {
namespace {

using ::testing::HasSubstr;

std::string TestData(const std::string& name) {
  const char* source = std::getenv("JIFEN_SOURCE_DIR");
  return std::string(source == nullptr ? "." : source) + "/common/migrate/testdata/" + name;
}

// A folder of its own for one test, with the given files (name -> content).
std::string MakeFolder(const std::string& test,
                       const std::vector<std::pair<std::string, std::string>>& files) {
  const std::filesystem::path folder =
      std::filesystem::path(::testing::TempDir()) / ("migration_files_test_" + test);
  std::filesystem::remove_all(folder);
  std::filesystem::create_directories(folder);
  for (const auto& [name, content] : files) std::ofstream(folder / name) << content;
  return folder.string();
}

TEST(Sha256HexTest, KnownVector) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("").size(), 64u);
}

TEST(ListMigrationsTest, ReadsInVersionOrderWithChecksums) {
  absl::StatusOr<std::vector<MigrationFile>> files = ListMigrations(TestData("ok"));
  ASSERT_TRUE(files.ok()) << files.status();
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ((*files)[0].name, "0001_create_items.sql");
  EXPECT_EQ((*files)[0].version, 1);
  EXPECT_EQ((*files)[1].name, "0002_add_tags.sql");
  EXPECT_EQ((*files)[1].checksum, Sha256Hex((*files)[1].content));
}

TEST(ListMigrationsTest, GapIsInvalidArgumentNamingTheMissingVersion) {
  absl::StatusOr<std::vector<MigrationFile>> files = ListMigrations(TestData("gap"));
  EXPECT_EQ(files.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(files.status().message(), HasSubstr("version 2 is missing"));
  EXPECT_THAT(files.status().message(), HasSubstr("0003_third.sql"));
}

TEST(ListMigrationsTest, BadNamesDuplicatesAndEmptyFoldersAreRefused) {
  EXPECT_THAT(
      ListMigrations(MakeFolder("bad_name", {{"1_short.sql", "SELECT 1;"}})).status().message(),
      HasSubstr("1_short.sql"));
  EXPECT_EQ(ListMigrations(MakeFolder("bad_char", {{"0001_a-b.sql", ""}})).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::Status duplicate =
      ListMigrations(MakeFolder("duplicate", {{"0001_a.sql", ""}, {"0001_b.sql", ""}})).status();
  EXPECT_EQ(duplicate.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(duplicate.message(), HasSubstr("share a version"));
  EXPECT_EQ(ListMigrations(MakeFolder("empty", {{"README.md", "x"}})).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ListMigrations(MakeFolder("no_first", {{"0002_b.sql", ""}})).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ListMigrations("/nonexistent/folder").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ListMigrationsTest, IgnoresFilesThatAreNotSql) {
  absl::StatusOr<std::vector<MigrationFile>> files =
      ListMigrations(MakeFolder("readme", {{"README.md", "x"}, {"0001_a.sql", "SELECT 1;"}}));
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_EQ(files->size(), 1u);
}

}  // namespace
}  // namespace jifen::migrate
