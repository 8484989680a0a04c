// The Chinese messages cover every code the services put at the start of a status message, and a
// refusal that names a field says which.
#include "services/gateway/http/errors.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace jifen::gateway {
namespace {

// The C++ sources of the services, without tests and the command-line tools (whose output is no
// status).
std::vector<std::filesystem::path> ServiceSources(const std::filesystem::path& root) {
  std::vector<std::filesystem::path> sources;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    const std::string path = entry.path().string();
    if (entry.is_regular_file() && !absl::EndsWith(path, "_test.cc") &&
        !absl::StrContains(path, "/tools/") &&
        (absl::EndsWith(path, ".cc") || absl::EndsWith(path, ".h"))) {
      sources.push_back(entry.path());
    }
  }
  return sources;
}

// The codes the sources emit: a string literal starting "CODE:" (absl::...Error("SOLD_OUT: ..."),
// StrCat("PERIOD_NOT_OVER: ", ...)), or a code constant (redemption's errors.h); comments skipped.
std::set<std::string> CodesInSources(const std::filesystem::path& root) {
  static const std::regex kLiteral(R"re("([A-Z][A-Z0-9_]{2,}):)re");
  static const std::regex kConstant(
      R"re(constexpr absl::string_view k[A-Za-z]+ = "([A-Z][A-Z0-9_]{2,})")re");
  std::set<std::string> codes;
  for (const std::filesystem::path& source : ServiceSources(root)) {
    std::ifstream file(source);
    std::string line;
    while (std::getline(file, line)) {
      line = line.substr(0, line.find("//"));  // comments quote codes too
      for (const std::regex* pattern : {&kLiteral, &kConstant}) {
        for (std::sregex_iterator it(line.begin(), line.end(), *pattern), end; it != end; ++it) {
          codes.insert((*it)[1].str());
        }
      }
    }
  }
  return codes;
}

TEST(ErrorsTest, EveryCodeTheServicesSendHasAChineseMessage) {
  const char* source_dir = getenv("JIFEN_SOURCE_DIR");
  ASSERT_NE(source_dir, nullptr) << "run under ctest";
  const std::set<std::string> codes =
      CodesInSources(std::filesystem::path(source_dir) / "services");
  // The scan itself works: codes of each service are found.
  for (const char* known : {"WALLET_INSUFFICIENT", "SOLD_OUT", "VOTE_MISSING", "PASSWORD_TOO_SHORT",
                            "NOT_CANCELLABLE"}) {
    EXPECT_TRUE(codes.count(known)) << known << " not found by the scan";
  }
  std::vector<std::string> missing;
  for (const std::string& code : codes) {
    if (!HasChineseMessage(code)) missing.push_back(code);
  }
  EXPECT_TRUE(missing.empty()) << "codes without a Chinese message in errors.cc: "
                               << absl::StrJoin(missing, ", ");
}

// Refusals of permission that start with a domain code ("FORBIDDEN: ..."), across line breaks
// (absl::PermissionDeniedError(\n absl::StrCat("CODE: ", ...))).
std::vector<std::string> PermissionRefusalsWithACode(const std::filesystem::path& root) {
  static const std::regex kCodedDenial(
      R"re(PermissionDeniedError\(\s*(absl::StrCat\(\s*)?"([A-Z][A-Z0-9_]{2,}):)re");
  std::vector<std::string> found;
  for (const std::filesystem::path& source : ServiceSources(root)) {
    std::ifstream file(source);
    std::string text;
    std::string line;
    while (std::getline(file, line)) text += line.substr(0, line.find("//")) + "\n";
    for (std::sregex_iterator it(text.begin(), text.end(), kCodedDenial), end; it != end; ++it) {
      found.push_back(absl::StrCat(source.string(), ": ", (*it)[2].str()));
    }
  }
  return found;
}

// "You may not do this" has one code: the gRPC status's own name, PERMISSION_DENIED. A domain code
// on a permission refusal (scoring used to send FORBIDDEN) would give clients a second one; only a
// code that says something else may ride on a 403.
TEST(ErrorsTest, APermissionRefusalHasOneCode) {
  const char* source_dir = getenv("JIFEN_SOURCE_DIR");
  ASSERT_NE(source_dir, nullptr) << "run under ctest";
  // ROLE_NOT_ALLOWED: the rulebook gives the item to other roles (pick another item), whoever asks.
  // NOT_GROUP_REPRESENTATIVE: the group rates through the representative its village admin named
  // (ask them), though the caller is of the group.
  const std::set<std::string> distinct_meanings = {"ROLE_NOT_ALLOWED", "NOT_GROUP_REPRESENTATIVE"};
  for (const char* tree : {"services", "common"}) {
    std::vector<std::string> coded;
    for (const std::string& found :
         PermissionRefusalsWithACode(std::filesystem::path(source_dir) / tree)) {
      const std::string code = found.substr(found.rfind(' ') + 1);
      if (!distinct_meanings.count(code)) coded.push_back(found);
    }
    EXPECT_TRUE(coded.empty()) << "PERMISSION_DENIED with a domain code: "
                               << absl::StrJoin(coded, "; ");
  }
  const HttpError error =
      MapStatus(absl::PermissionDeniedError("grid_worker may not list households of another grid"));
  EXPECT_EQ(error.http_status, 403);
  EXPECT_EQ(error.code, "PERMISSION_DENIED");
  EXPECT_FALSE(HasChineseMessage("FORBIDDEN")) << "a second code for the same refusal";
}

// A database error that a service passed on as it was must not show its SQL, tables or keys.
TEST(ErrorsTest, ADatabaseErrorsTextIsNotShown) {
  const HttpError duplicate = MapStatus(absl::AlreadyExistsError(
      "mysql error 1062 (23000): Duplicate entry '7-x' for key 'client_requests.PRIMARY'"));
  EXPECT_EQ(duplicate.http_status, 409);
  EXPECT_EQ(duplicate.code, "ALREADY_EXISTS");
  EXPECT_EQ(duplicate.detail, "");
  EXPECT_EQ(duplicate.field, "");
  const HttpError check = MapStatus(absl::FailedPreconditionError(
      "while cancelling: mysql error 4025 (23000): CONSTRAINT `orders.balance` failed"));
  EXPECT_EQ(check.http_status, 412);
  EXPECT_EQ(check.detail, "");
  // A service's own refusal keeps its detail.
  EXPECT_EQ(MapStatus(absl::AlreadyExistsError("ORDER_CONFLICT: order_id: another payload")).detail,
            "order_id: another payload");
}

TEST(ErrorsTest, ARefusalThatNamesAFieldSetsField) {
  EXPECT_EQ(MapStatus(absl::InvalidArgumentError("village_id: must be a positive id")).field,
            "village_id");
  // As scoring and publicity word them.
  EXPECT_EQ(MapStatus(absl::InvalidArgumentError("occurred_at_ms: lies in the future")).field,
            "occurred_at_ms");
  EXPECT_EQ(MapStatus(absl::InvalidArgumentError("period: \"2026q4\" is not YYYYQn")).field,
            "period");
  EXPECT_EQ(MapStatus(absl::InvalidArgumentError("valid_hours must be 1..720")).field,
            "valid_hours");
  EXPECT_EQ(MapStatus(absl::InvalidArgumentError("username: 3..64 characters")).field, "username");
  EXPECT_EQ(
      MapStatus(absl::InvalidArgumentError("PASSWORD_TOO_SHORT: password: at least 10")).field,
      "password");
  EXPECT_EQ(MapStatus(absl::InvalidArgumentError("issued_date is in the future")).field,
            "issued_date");
  // Text that names no field, and refusals that are not about the request's input.
  EXPECT_EQ(MapStatus(absl::InvalidArgumentError("malformed JSON")).field, "");
  EXPECT_EQ(MapStatus(absl::InvalidArgumentError("unknown field x")).field, "");
  EXPECT_EQ(MapStatus(absl::FailedPreconditionError("household_id: closed")).field, "");
  EXPECT_EQ(MapStatus(absl::NotFoundError("household_id: 9")).field, "");

  const HttpError error = MapStatus(absl::InvalidArgumentError("grid_id: needs a grid"));
  const std::string body = ErrorBody(error, "rid");
  EXPECT_TRUE(absl::StrContains(body, R"("field":"grid_id")")) << body;
  EXPECT_TRUE(absl::StrContains(ErrorBody(error, "rid", "other"), R"("field":"other")"));
}

// What the QA pass of the resident's journeys met, as the services now word it: each refusal a
// resident can correct has its own code and a Chinese message saying what to do (not the generic
// INVALID_ARGUMENT one), and names its field.
TEST(ErrorsTest, AResidentsCorrectableRefusalsSayWhatToDo) {
  const std::string generic = MapStatus(absl::InvalidArgumentError("x")).message;
  struct Case {
    absl::Status status;
    std::string code;
    std::string message;
    std::string field;
  };
  const std::vector<Case> cases = {
      {absl::InvalidArgumentError("OCCURRED_IN_FUTURE: occurred_at_ms: lies in the future"),
       "OCCURRED_IN_FUTURE", "发生时间不能晚于现在，请核对日期和时间后再提交", "occurred_at_ms"},
      {absl::InvalidArgumentError("NOTE_TOO_LONG: note: at most 500 characters"), "NOTE_TOO_LONG",
       "备注太长，请精简后再提交", "note"},
      {absl::InvalidArgumentError("TOO_MANY_PHOTOS: photo_refs: at most 9 photos per item, not 10"),
       "TOO_MANY_PHOTOS", "照片太多，每个项目最多 9 张，请删去几张后再提交", "photo_refs"},
      {absl::InvalidArgumentError(
           "RATING_OUT_OF_RANGE: ratings[2].score: 101 for group 7 on \"环境\" is outside 0..100"),
       "RATING_OUT_OF_RANGE", "评分须在 0 到 100 分之间，请修改后再提交", "ratings[2].score"},
      {absl::InvalidArgumentError("ITEM_NOT_DECLARABLE: item_code: item HJ-01 (x) cannot be "
                                  "self-declared; it is scored by inspection"),
       "ITEM_NOT_DECLARABLE", "该项目不能由农户自行申报，请选择其他项目", "item_code"},
      {absl::InvalidArgumentError("REASON_TOO_LONG: reason: at most 500 characters"),
       "REASON_TOO_LONG", "理由太长，最多 500 字，请精简后再提交", "reason"},
  };
  for (const Case& c : cases) {
    const HttpError error = MapStatus(c.status);
    EXPECT_EQ(error.http_status, 400) << c.code;
    EXPECT_EQ(error.code, c.code);
    EXPECT_EQ(error.message, c.message);
    EXPECT_NE(error.message, generic);
    EXPECT_EQ(error.field, c.field) << c.code;
  }
  // An inspection's photos name their outcome.
  EXPECT_EQ(MapStatus(absl::InvalidArgumentError(
                          "TOO_MANY_PHOTOS: outcomes[1].photo_refs: at most 9 photos per item"))
                .field,
            "outcomes[1].photo_refs");
}

// The status kinds each code is sent with ("InvalidArgument", "FailedPrecondition", ...), across
// line breaks as PermissionRefusalsWithACode reads them.
std::map<std::string, std::set<std::string>> StatusKindsOfCodes(const std::filesystem::path& root) {
  static const std::regex kCoded(
      R"re((\w+)Error\(\s*(absl::StrCat\(\s*)?"([A-Z][A-Z0-9_]{2,}):)re");
  std::map<std::string, std::set<std::string>> kinds;
  for (const std::filesystem::path& source : ServiceSources(root)) {
    std::ifstream file(source);
    std::string text;
    std::string line;
    while (std::getline(file, line)) text += line.substr(0, line.find("//")) + "\n";
    for (std::sregex_iterator it(text.begin(), text.end(), kCoded), end; it != end; ++it) {
      kinds[(*it)[3].str()].insert((*it)[1].str());
    }
  }
  return kinds;
}

// One code, one meaning: RATINGS_INCOMPLETE was a 400 for a rater's submission lacking a pair and
// a 412 for closing a round some group had not rated in, one Chinese message for both. A code sent
// with two statuses is two meanings under one message.
TEST(ErrorsTest, ACodeIsSentWithOneStatus) {
  const char* source_dir = getenv("JIFEN_SOURCE_DIR");
  ASSERT_NE(source_dir, nullptr) << "run under ctest";
  const auto kinds = StatusKindsOfCodes(std::filesystem::path(source_dir) / "services");
  EXPECT_TRUE(kinds.count("RATINGS_INCOMPLETE")) << "the scan finds codes";
  // All event-stream slots taken (503) or the caller's own share of them (429): either way "try
  // again later", which the one message says.
  const std::set<std::string> one_meaning_two_statuses = {"TOO_MANY_STREAMS"};
  std::vector<std::string> doubled;
  for (const auto& [code, statuses] : kinds) {
    if (statuses.size() > 1 && !one_meaning_two_statuses.count(code)) {
      doubled.push_back(absl::StrCat(code, " (", absl::StrJoin(statuses, ", "), ")"));
    }
  }
  EXPECT_TRUE(doubled.empty()) << "codes sent with more than one status: "
                               << absl::StrJoin(doubled, "; ");
}

// QA found one Chinese message told for several meanings: approving a rejected declaration said it
// had been scored; reversing a reversal was told to refund an order; an admin closing a round was
// told to rate every group. Each meaning now has its own code, its message says what to do, and
// the detail keeps the English particulars (the groups, the entries).
TEST(ErrorsTest, EachMeaningHasItsOwnCodeAndMessage) {
  struct Case {
    absl::Status status;
    int http_status;
    std::string code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {absl::FailedPreconditionError("DECLARATION_REJECTED: the declaration was rejected and "
                                     "nothing was scored; the household may declare again"),
       412, "DECLARATION_REJECTED", "该申报已被驳回，不能再审核通过；如需记分，请农户重新提交申报"},
      {absl::FailedPreconditionError("DECLARATION_REVIEWED: the declaration was approved and "
                                     "scored; correct its entry through an objection instead"),
       412, "DECLARATION_REVIEWED",
       "该申报已审核通过并记分，不能再驳回；如需更正，请更正对应的积分记录"},
      {absl::FailedPreconditionError("REVERSAL_NOT_REVERSIBLE: entry 9 is itself the reversal of "
                                     "entry 7; a reversal is never reversed, score the deed again"),
       412, "REVERSAL_NOT_REVERSIBLE", "这是一条更正记录，不能再更正；如更正有误，请重新录入评分"},
      {absl::FailedPreconditionError("NOT_REVERSIBLE: entry 9 is a wallet movement (settlement, "
                                     "redemption or refund)"),
       412, "NOT_REVERSIBLE",
       "只有评分记录可以更正；积分结算、兑换和退回记录不能更正，兑换可通过取消订单退回积分"},
      {absl::FailedPreconditionError("GROUPS_NOT_SUBMITTED: groups 3, 5 have not submitted their "
                                     "ratings; a village admin may enter them for a group"),
       412, "GROUPS_NOT_SUBMITTED",
       "还有小组未提交互评评分，不能结束本轮；请等这些小组提交，或由村管理员代为录入其纸质评分后再"
       "结束"},
      {absl::InvalidArgumentError("RATINGS_INCOMPLETE: group 3 is not rated on \"环境\"; every "
                                  "other group must be rated on every criterion"),
       400, "RATINGS_INCOMPLETE", "请为其他每个小组的每一项都打分后再提交"},
      {absl::AlreadyExistsError("CORRECTION_ID_REUSED: correction fix-0001 reversed entry 7 with "
                                "another reason"),
       409, "CORRECTION_ID_REUSED",
       "该更正已提交过且内容不同（更正的记录或理由不一致），请刷新后核对"},
  };
  for (const Case& c : cases) {
    const HttpError error = MapStatus(c.status);
    EXPECT_EQ(error.http_status, c.http_status) << c.code;
    EXPECT_EQ(error.code, c.code);
    EXPECT_EQ(error.message, c.message) << c.code;
  }
  EXPECT_EQ(MapStatus(cases[4].status).detail,
            "groups 3, 5 have not submitted their ratings; a village admin may enter them for a "
            "group");
}

// Period and round errors as scoring words them now name their field.
TEST(ErrorsTest, PeriodAndCriteriaErrorsNameTheirField) {
  for (const char* text : {"period: year 1999 of \"1999Q1\" is outside 2000..2100",
                           "period: \"2026q4\" must have a capital Q, as in 2026Q4",
                           "period: quarter 5 of \"2026Q5\" is outside 1..4"}) {
    EXPECT_EQ(MapStatus(absl::InvalidArgumentError(text)).field, "period") << text;
  }
  EXPECT_EQ(MapStatus(absl::InvalidArgumentError("criteria: \"环境\" appears twice")).field,
            "criteria");
  EXPECT_EQ(MapStatus(absl::InvalidArgumentError("correction_id must be 8-64 characters of "
                                                 "letters, digits, '-' or '_' (a UUID)"))
                .field,
            "correction_id");
}

// Ordering more than is left: "sold out" only when nothing is left; otherwise order fewer, and the
// detail says how many remain.
TEST(ErrorsTest, FewerLeftThanOrderedIsNotSoldOut) {
  const HttpError fewer =
      MapStatus(absl::FailedPreconditionError("OUT_OF_STOCK: only 3 of \"洗衣液 2kg\" left"));
  EXPECT_EQ(fewer.http_status, 412);
  EXPECT_EQ(fewer.code, "OUT_OF_STOCK");
  EXPECT_EQ(fewer.message, "库存不足，请减少兑换数量");
  EXPECT_EQ(fewer.detail, "only 3 of \"洗衣液 2kg\" left");
  const HttpError none =
      MapStatus(absl::FailedPreconditionError("SOLD_OUT: \"洗衣液 2kg\" is sold out"));
  EXPECT_EQ(none.code, "SOLD_OUT");
  EXPECT_EQ(none.message, "商品已兑完");
}

}  // namespace
}  // namespace jifen::gateway
