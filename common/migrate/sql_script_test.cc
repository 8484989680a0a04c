#include "common/migrate/sql_script.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jifen::migrate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> Texts(const std::vector<SqlStatement>& statements) {
  std::vector<std::string> texts;
  for (const SqlStatement& s : statements) texts.push_back(s.text);
  return texts;
}

TEST(SplitStatementsTest, SplitsOnSemicolonAtEndOfLine) {
  const auto statements = SplitStatements(
      "-- header comment\n"
      "CREATE TABLE a (\n"
      "  id INT -- inline comment stays\n"
      ");\n"
      "\n"
      "  -- indented comment line\n"
      "INSERT INTO a VALUES (1); \n"
      "SELECT 'x;y' FROM a;\r\n");
  EXPECT_THAT(Texts(statements),
              ElementsAre("CREATE TABLE a (\n  id INT -- inline comment stays\n)",
                          "INSERT INTO a VALUES (1)", "SELECT 'x;y' FROM a"));
  EXPECT_EQ(statements[0].first_line, 2);
  EXPECT_EQ(statements[1].first_line, 7);
  EXPECT_EQ(statements[2].first_line, 8);
}

TEST(SplitStatementsTest, CommentLinesInsideAStatementAreDropped) {
  EXPECT_THAT(Texts(SplitStatements("SELECT\n-- why\n1;\n")), ElementsAre("SELECT\n1"));
}

TEST(SplitStatementsTest, TextAfterTheLastSemicolonIsAStatement) {
  EXPECT_THAT(Texts(SplitStatements("SELECT 1;\nSELECT 2\n")), ElementsAre("SELECT 1", "SELECT 2"));
}

TEST(SplitStatementsTest, OnlyCommentsMeansNoStatements) {
  EXPECT_TRUE(SplitStatements("-- nothing\n\n-- here\n").empty());
  EXPECT_TRUE(SplitStatements("").empty());
}

TEST(SubstituteVariablesTest, ReplacesEveryPlaceholder) {
  absl::StatusOr<std::string> result = SubstituteVariables(
      "GRANT SELECT ON t TO '${SERVICE_USER}'@'localhost', '${SERVICE_USER}'@'${HOST}'",
      {{"SERVICE_USER", "scoring"}, {"HOST", "127.0.0.1"}});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, "GRANT SELECT ON t TO 'scoring'@'localhost', 'scoring'@'127.0.0.1'");
}

TEST(SubstituteVariablesTest, MissingValueNamesThePlaceholder) {
  absl::StatusOr<std::string> result = SubstituteVariables("x ${SERVICE_USER} y", {});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("${SERVICE_USER}"));
  EXPECT_EQ(SubstituteVariables("x ${OOPS", {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SubstituteVariablesTest, TextWithoutPlaceholdersIsUnchanged) {
  EXPECT_EQ(*SubstituteVariables("SELECT '$' , '{}'", {{"A", "b"}}), "SELECT '$' , '{}'");
}

}  // namespace
}  // namespace jifen::migrate
