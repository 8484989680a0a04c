#include "services/scoring/domain/registry_roster.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jifen::scoring {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

constexpr char kToday[] = "2026-03-15";  // Shanghai; bounds consent dates
constexpr char kHeader[] = "村民小组,门牌号,户主,成员,手机号,户籍类型,同意日期,出租\n";

ParsedRoster Parse(const std::string& csv) {
  absl::StatusOr<ParsedRoster> parsed = ParseRoster(csv, kToday);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return parsed.ok() ? *std::move(parsed) : ParsedRoster{};
}

std::string ErrorAt(const ParsedRoster& parsed, int line) {
  for (const RosterRowReport& row : parsed.rows) {
    if (row.line == line) return row.ok ? "<ok>" : row.error;
  }
  return "<no such line>";
}

TEST(SplitCsvTest, QuotesCommasAndLineBreaks) {
  const std::vector<CsvRecord> records =
      SplitCsv("a,\"b,c\",\"say \"\"hi\"\"\"\r\n\"multi\nline\",x\nlast,");
  ASSERT_THAT(records, SizeIs(3));
  EXPECT_THAT(records[0].fields, ElementsAre("a", "b,c", "say \"hi\""));
  EXPECT_EQ(records[0].line, 1);
  EXPECT_THAT(records[1].fields, ElementsAre("multi\nline", "x"));
  EXPECT_EQ(records[1].line, 2);
  EXPECT_THAT(records[2].fields, ElementsAre("last", ""));
  EXPECT_EQ(records[2].line, 4);  // the quoted line break moved it down one line
}

TEST(SplitCsvTest, MalformedQuotes) {
  const std::vector<CsvRecord> stray = SplitCsv("\"a\"b,c\nd,e\n");
  ASSERT_THAT(stray, SizeIs(2));
  EXPECT_FALSE(stray[0].error.empty());
  EXPECT_TRUE(stray[1].error.empty());
  EXPECT_EQ(stray[1].line, 2);
  const std::vector<CsvRecord> open = SplitCsv("a,b\n\"c,d\ne,f\n");
  ASSERT_THAT(open, SizeIs(2));
  EXPECT_THAT(open[1].error, HasSubstr("引号未闭合"));
  EXPECT_EQ(open[1].line, 2);
}

TEST(ParseRosterTest, GroupsRowsIntoHouseholds) {
  const ParsedRoster parsed = Parse(std::string("\xEF\xBB\xBF") + kHeader +
                                    "第1组,1号,张建华,张建华,13812345678,本村,,否\r\n"
                                    "第1组,1号,张建华,李梅,,,,\r\n"
                                    "第2组,1号,王芳,王芳,139-1234-5678,非本村,2024/5/1,是\r\n"
                                    "\r\n"
                                    "第1组,2号,赵四,赵四,,,,\r\n"
                                    "第1组,1号,,张小明,,,,\r\n");
  ASSERT_TRUE(parsed.all_ok) << ErrorAt(parsed, 7);
  ASSERT_THAT(parsed.rows, SizeIs(5));
  EXPECT_EQ(parsed.rows[3].line, 6);  // the blank line 5 is skipped but counted
  ASSERT_THAT(parsed.plan.households, SizeIs(3));
  const RosterHousehold& zhang = parsed.plan.households[0];
  EXPECT_EQ(zhang.group_name, "第1组");
  EXPECT_EQ(zhang.first_line, 2);
  EXPECT_TRUE(zhang.registered);
  ASSERT_THAT(zhang.members, SizeIs(3));
  EXPECT_TRUE(zhang.members[0].is_head);
  EXPECT_EQ(zhang.members[0].phone, "13812345678");
  EXPECT_FALSE(zhang.members[1].is_head);
  EXPECT_EQ(zhang.members[2].line, 7);
  const RosterHousehold& wang = parsed.plan.households[1];
  EXPECT_FALSE(wang.registered);
  EXPECT_EQ(wang.consent_date, "2024-05-01");
  EXPECT_TRUE(wang.rents_out_rooms);
  EXPECT_EQ(wang.members[0].phone, "13912345678");
}

TEST(ParseRosterTest, LaterRowsMustRepeatOrOmitTheHead) {
  const ParsedRoster parsed = Parse(std::string(kHeader) +
                                    "第1组,1号,张建华,张建华,,,,\n"
                                    "第1组,1号,张华,李梅,,,,\n");
  EXPECT_FALSE(parsed.all_ok);
  EXPECT_THAT(ErrorAt(parsed, 3), HasSubstr("与第2行同户的户主不一致"));
  const ParsedRoster headless = Parse(std::string(kHeader) + "第1组,1号,,李梅,,,,\n");
  EXPECT_THAT(ErrorAt(headless, 2), HasSubstr("户主不能为空"));
}

TEST(ParseRosterTest, EnglishHeadersInAnyOrder) {
  const ParsedRoster parsed = Parse(
      "Member_Name,phone,house_number,group,head_name,kind,consent_date,rents_out,grid,steward,"
      "staff_user_id\n"
      "Li Lei,13812345678,3,G1,Li Lei,non_registered,2024-01-02,yes,北片,u-7,grid-3\n");
  ASSERT_TRUE(parsed.all_ok) << ErrorAt(parsed, 2);
  ASSERT_THAT(parsed.plan.households, SizeIs(1));
  EXPECT_EQ(parsed.plan.households[0].grid_name, "北片");
  EXPECT_EQ(parsed.plan.households[0].steward_user_id, "u-7");
  ASSERT_THAT(parsed.plan.households[0].members, SizeIs(1));
  EXPECT_EQ(parsed.plan.households[0].members[0].staff_user_id, "grid-3");
  EXPECT_FALSE(parsed.plan.households[0].registered);
}

TEST(ParseRosterTest, ReportsEveryBadRowByLineAndReason) {
  const ParsedRoster parsed = Parse(std::string(kHeader) +
                                    "第1组,1号,张建华,张建华,13812345678,本村,,否\n"  // 2 ok
                                    "第1组,2号,王芳,王芳,12345,本村,,否\n"            // 3 phone
                                    "第1组,3号,李四,李四,,外地,,否\n"                 // 4 kind
                                    "第1组,4号,赵六,赵六,,非本村,,否\n"               // 5 consent
                                    "第1组,5号,钱七,钱七,,本村,2024-02-30,否\n"       // 6 date
                                    "第1组,6号,孙八,孙八,,本村,,也许\n"               // 7 rents
                                    ",7号,周九,周九,,本村,,否\n"                      // 8 group
                                    "第1组,8号,吴十,吴十\n"                           // 9 columns
                                    "第1组,1号,张建华,张建华,,,,\n"                   // 10 twin
                                    "第1组,9号,郑一,郑一,,非本村,,否\n"               // 11 consent
                                    "第1组,9号,郑一,郑二,,,2024-01-01,\n");           // 12
  EXPECT_FALSE(parsed.all_ok);
  ASSERT_THAT(parsed.rows, SizeIs(11));
  EXPECT_EQ(ErrorAt(parsed, 2), "<ok>");
  EXPECT_THAT(ErrorAt(parsed, 3), HasSubstr("手机号"));
  EXPECT_THAT(ErrorAt(parsed, 4), HasSubstr("户籍类型"));
  EXPECT_THAT(ErrorAt(parsed, 5), HasSubstr("同意日期"));
  EXPECT_THAT(ErrorAt(parsed, 6), HasSubstr("日期"));
  EXPECT_THAT(ErrorAt(parsed, 7), HasSubstr("出租"));
  EXPECT_THAT(ErrorAt(parsed, 8), HasSubstr("村民小组"));
  EXPECT_THAT(ErrorAt(parsed, 9), HasSubstr("列数"));
  EXPECT_THAT(ErrorAt(parsed, 10), HasSubstr("与第2行重复"));
  // The consent date on a later row does not cure the household's first row.
  EXPECT_THAT(ErrorAt(parsed, 11), HasSubstr("非本村居民须填写同意日期"));
  EXPECT_THAT(ErrorAt(parsed, 12), HasSubstr("同意日期不一致"));
  // Every household the file names stays in the plan, to be checked against the registry; a row
  // whose group or house number is unusable (line 8) or whose cells can't be told apart (line 9)
  // names none. Nothing is written: all_ok is false.
  EXPECT_THAT(parsed.plan.households, SizeIs(7));
}

// A village admin fixing a file wants every problem of a row at once, not the first one per
// upload: the row's own cells and how it disagrees with its household.
TEST(ParseRosterTest, ARowIsReportedWithEveryProblemItHas) {
  const ParsedRoster parsed =
      Parse(std::string(kHeader) +
            "第1组,1号,张建华,张建华,13812345678,本村,,否\n"        // 2 ok
            "第1组,1号,张华,张建华,12345,非本村,2024-02-30,也许\n"  // 3 six problems
            "第2组,1号,,赵四,abc,,,\n"                              // 4 phone, no head
            "第3组,1号,王芳,王芳,,外地,,否\n"                       // 5 kind
            "第3组,1号,,李梅,,非本村,,\n");                         // 6 ok itself
  EXPECT_FALSE(parsed.all_ok);
  const std::string three = ErrorAt(parsed, 3);
  for (const char* reason : {"手机号", "日期", "出租“也许”", "与第2行同户的户主不一致",
                             "与第2行同户的户籍类型不一致", "成员“张建华”与第2行重复"}) {
    EXPECT_THAT(three, HasSubstr(reason));
  }
  EXPECT_THAT(ErrorAt(parsed, 4), HasSubstr("手机号"));
  EXPECT_THAT(ErrorAt(parsed, 4), HasSubstr("户主不能为空"));
  // A refused cell is no value to disagree with: line 6 gives the kind line 5 could not, and the
  // household's first row then lacks the consent date a non-registered household needs.
  EXPECT_THAT(ErrorAt(parsed, 5), HasSubstr("户籍类型“外地”无效"));
  EXPECT_THAT(ErrorAt(parsed, 5), Not(HasSubstr("不一致")));
  EXPECT_EQ(ErrorAt(parsed, 6), "<ok>");
  EXPECT_THAT(ErrorAt(parsed, 5), HasSubstr("非本村居民须填写同意日期"));
  // Each household once, for the registry check; only rows without problems are members.
  ASSERT_THAT(parsed.plan.households, SizeIs(3));
  EXPECT_THAT(parsed.plan.households[0].members, SizeIs(1));
  EXPECT_EQ(parsed.plan.households[2].first_line, 5);
  EXPECT_FALSE(parsed.plan.households[2].registered);
}

TEST(ParseRosterTest, HeaderProblemsAreReportedOnLineOne) {
  const ParsedRoster missing = Parse("村民小组,门牌号,户主,电话号码\n第1组,1号,张三,138\n");
  EXPECT_FALSE(missing.all_ok);
  ASSERT_THAT(missing.rows, SizeIs(1));
  EXPECT_EQ(missing.rows[0].line, 1);
  EXPECT_THAT(missing.rows[0].error, HasSubstr("未知的列“电话号码”"));
  EXPECT_THAT(missing.rows[0].error, HasSubstr("缺少必填列“成员”"));

  const ParsedRoster duplicate = Parse("村民小组,group,门牌号,户主,成员\n");
  EXPECT_THAT(duplicate.rows[0].error, HasSubstr("重复"));

  const ParsedRoster empty = Parse("\xEF\xBB\xBF");
  EXPECT_FALSE(empty.all_ok);
  EXPECT_THAT(empty.rows[0].error, HasSubstr("文件为空"));

  const ParsedRoster header_only = Parse(kHeader);
  EXPECT_FALSE(header_only.all_ok);
  EXPECT_THAT(header_only.rows[0].error, HasSubstr("没有成员行"));
}

TEST(ParseRosterTest, RefusesGbk) {
  // "张三" in GBK on line 2.
  const ParsedRoster parsed = Parse(std::string(kHeader) + "\xD5\xC5\xC8\xFD,1,2,3\n");
  EXPECT_FALSE(parsed.all_ok);
  ASSERT_THAT(parsed.rows, SizeIs(1));
  EXPECT_EQ(parsed.rows[0].line, 2);
  EXPECT_THAT(parsed.rows[0].error, HasSubstr("UTF-8"));
}

TEST(ParseRosterTest, TrailingEmptyCellsAreIgnored) {
  const ParsedRoster parsed = Parse("村民小组,门牌号,户主,成员,,\n第1组,1号,张三,张三,,,\n");
  EXPECT_TRUE(parsed.all_ok) << ErrorAt(parsed, 2);
}

TEST(ParseRosterTest, LimitsAreErrors) {
  EXPECT_EQ(ParseRoster(std::string(kRosterBytesMax + 1, 'a'), kToday).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::string many = "村民小组,门牌号,户主,成员\n";
  for (int i = 0; i <= kRosterRowsMax; ++i) {
    many += "第1组," + std::to_string(i) + "号,张三,张三\n";
  }
  const absl::Status too_many = ParseRoster(many, kToday).status();
  EXPECT_EQ(too_many.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(too_many.message()), ::testing::StartsWith("csv: "));
}

TEST(ParseRosterTest, ConflictsMarkTheirRows) {
  ParsedRoster parsed = Parse(std::string(kHeader) + "第1组,1号,张建华,张建华,,,,\n");
  ASSERT_TRUE(parsed.all_ok);
  AddRosterConflicts({{2, "第1组1号已登记"}}, parsed.rows);
  EXPECT_EQ(ErrorAt(parsed, 2), "第1组1号已登记");
}

// The database's unique keys ignore ASCII letter case and trailing spaces: rows that differ from an
// earlier row only so passed here and failed the whole import at commit. Each is refused on its
// line, naming the earlier spelling.
TEST(ParseRosterTest, NamesDifferingOnlyInLetterCaseAreTheSameName) {
  const ParsedRoster parsed = Parse(std::string(kHeader) +
                                    "QA-A-组x,A1,Tom,Tom,,,,\n"
                                    "QA-A-组x,a1,,Ann,,,,\n"  // the same house, spelled otherwise
                                    "QA-A-组x,A1,,tom,,,,\n"  // the same member as line 2
                                    "qa-a-组X,B2,Kim,Kim,,,,\n"  // the group of line 2
                                    "QA-A-组x,A1,,Lee,,,,\n");
  EXPECT_FALSE(parsed.all_ok);
  EXPECT_EQ(ErrorAt(parsed, 2), "<ok>");
  EXPECT_THAT(ErrorAt(parsed, 3), HasSubstr("门牌号“a1”与第2行的“A1”仅大小写或空格不同"));
  EXPECT_THAT(ErrorAt(parsed, 4), HasSubstr("成员“tom”与第2行的“Tom”仅大小写或空格不同"));
  EXPECT_THAT(ErrorAt(parsed, 5), HasSubstr("村民小组“qa-a-组X”与第2行的“QA-A-组x”"));
  EXPECT_EQ(ErrorAt(parsed, 6), "<ok>");
  // One group, one household A1 (and B2, in the group as first spelled).
  ASSERT_THAT(parsed.plan.households, SizeIs(2));
  EXPECT_EQ(parsed.plan.households[0].house_number, "A1");
  ASSERT_THAT(parsed.plan.households[0].members, SizeIs(2));
  EXPECT_EQ(parsed.plan.households[0].members[1].name, "Lee");
  EXPECT_EQ(parsed.plan.households[1].group_name, "QA-A-组x");
}

// The head is found among the members as any name is told apart in the roster, letter case aside.
TEST(ParseRosterTest, TheHeadIsTheMemberOfTheSameNameWhateverItsCase) {
  const ParsedRoster parsed = Parse(std::string(kHeader) + "第1组,A1,Tom Li,ann,,,,\n"
                                                           "第1组,A1,,tom li,,,,\n");
  ASSERT_TRUE(parsed.all_ok) << ErrorAt(parsed, 2) << ErrorAt(parsed, 3);
  ASSERT_THAT(parsed.plan.households, SizeIs(1));
  ASSERT_THAT(parsed.plan.households[0].members, SizeIs(2));
  EXPECT_FALSE(parsed.plan.households[0].members[0].is_head);
  EXPECT_TRUE(parsed.plan.households[0].members[1].is_head);
}

// Consent is recorded after it was given: a date after today (Shanghai) is a typing error.
TEST(ParseRosterTest, AConsentDateAfterTodayIsRefused) {
  const ParsedRoster parsed = Parse(std::string(kHeader) +
                                    "第1组,1号,王芳,王芳,,非本村,2099-01-01,否\n"
                                    "第1组,2号,李四,李四,,非本村,2026-03-16,否\n"
                                    "第1组,3号,赵六,赵六,,非本村,2026/3/15,否\n");
  EXPECT_THAT(ErrorAt(parsed, 2), HasSubstr("同意日期“2099-01-01”晚于今天（2026-03-15）"));
  EXPECT_THAT(ErrorAt(parsed, 3), HasSubstr("晚于今天"));
  EXPECT_EQ(ErrorAt(parsed, 4), "<ok>");
}

}  // namespace
}  // namespace jifen::scoring
