// The supervision rules that are functions of values: the finding life cycle, visits, governance
// models, town documents. Who may read which villages (over the directory in MariaDB) is tested in
// services/audit/storage/mysql_village_directory_test.cc.
#include "services/audit/domain/supervision.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace jifen::audit {
namespace {

Finding OpenFinding() {
  Finding f;
  f.finding_id = 5;
  f.area = CheckArea::kLedger;
  f.severity = Severity::kMajor;
  f.description = "台账缺少照片";
  f.deadline_date = "2026-12-31";
  f.status = FindingStatus::kOpen;
  return f;
}

TEST(FindingRulesTest, OpenRectifiedClosedAndBack) {
  Finding f = OpenFinding();
  EXPECT_EQ(ReviewRectification(true, "", f).code(), absl::StatusCode::kFailedPrecondition)
      << "nothing to review yet";
  EXPECT_EQ(RecordRectification("", "2026-12-01", f).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RecordRectification(" \xE3\x80\x80 ", "2026-12-01", f).code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(RecordRectification("补齐照片", "2026-12-01", f).ok());
  EXPECT_EQ(f.status, FindingStatus::kRectified);
  EXPECT_EQ(f.rectified_on, "2026-12-01");
  EXPECT_EQ(RecordRectification("again", "2026-12-02", f).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReviewRectification(false, "", f).code(), absl::StatusCode::kInvalidArgument)
      << "a rejection needs a reason";
  // Full-width spaces (U+3000, what a Chinese input method types) are no reason either.
  EXPECT_EQ(ReviewRectification(false, "\xE3\x80\x80\xE3\x80\x80", f).code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(ReviewRectification(false, "照片不清楚", f).ok());
  EXPECT_EQ(f.status, FindingStatus::kOpen);
  ASSERT_TRUE(RecordRectification("重新拍照", "2026-12-03", f).ok());
  ASSERT_TRUE(ReviewRectification(true, "", f).ok());
  EXPECT_EQ(f.status, FindingStatus::kClosed);
}

TEST(FindingRulesTest, OverdueMeansNotClosedPastTheDeadline) {
  Finding f = OpenFinding();
  MarkOverdue("2026-12-31", f);
  EXPECT_FALSE(f.overdue) << "the deadline day itself is allowed";
  MarkOverdue("2027-01-01", f);
  EXPECT_TRUE(f.overdue);
  f.status = FindingStatus::kClosed;
  MarkOverdue("2027-01-01", f);
  EXPECT_FALSE(f.overdue);
}

TEST(VisitRulesTest, AVisitClosesOnlyWhenEveryFindingIsClosed) {
  Visit visit;
  visit.status = VisitStatus::kOpen;
  visit.findings = {OpenFinding()};
  EXPECT_EQ(CloseVisit("2026-12-01", visit).code(), absl::StatusCode::kFailedPrecondition);
  visit.findings[0].status = FindingStatus::kClosed;
  ASSERT_TRUE(CloseVisit("2026-12-01", visit).ok());
  EXPECT_EQ(visit.status, VisitStatus::kClosed);
  EXPECT_EQ(visit.closed_on, "2026-12-01");
  EXPECT_TRUE(CloseVisit("2026-12-05", visit).ok()) << "a retry";
  EXPECT_EQ(visit.closed_on, "2026-12-01");

  Finding late = OpenFinding();
  EXPECT_EQ(ValidateNewFinding(visit, late).code(), absl::StatusCode::kFailedPrecondition)
      << "no findings on a closed visit";
}

TEST(VisitRulesTest, NewVisitsAndFindingsAreValidated) {
  Visit visit;
  visit.client_visit_id = "v-1";
  visit.village_id = 11;
  visit.visit_date = "2026-11-20";
  visit.checks = {{CheckArea::kScoring, CheckResult::kPass, ""},
                  {CheckArea::kLedger, CheckResult::kFail, "缺页"}};
  EXPECT_TRUE(ValidateNewVisit(visit, "2026-11-29").ok());
  EXPECT_FALSE(ValidateNewVisit(visit, "2026-11-19").ok()) << "in the future";
  visit.checks.push_back({CheckArea::kLedger, CheckResult::kPass, ""});
  EXPECT_FALSE(ValidateNewVisit(visit, "2026-11-29").ok()) << "an area twice";
  visit.checks.pop_back();
  visit.checks.push_back({CheckArea::kPublicity, CheckResult::kUnspecified, ""});
  EXPECT_FALSE(ValidateNewVisit(visit, "2026-11-29").ok()) << "no result";

  visit.checks.pop_back();
  visit.status = VisitStatus::kOpen;
  Finding f = OpenFinding();
  EXPECT_TRUE(ValidateNewFinding(visit, f).ok());
  f.deadline_date = "2026-11-01";
  EXPECT_FALSE(ValidateNewFinding(visit, f).ok()) << "deadline before the visit";
  f = OpenFinding();
  f.severity = Severity::kUnspecified;
  EXPECT_FALSE(ValidateNewFinding(visit, f).ok());
}

TEST(GovernanceTest, NamedModelsTakeThePolicyNameAndOwnModelsNeedOne) {
  GovernanceModel model{11, ModelKind::kHomeAutonomyFund, "whatever", "2025-03-01", ""};
  ASSERT_TRUE(ValidateModel(model, "2026-11-29").ok());
  EXPECT_EQ(model.name, "家园自治金");
  GovernanceModel own{11, ModelKind::kOwn, "", "2025-03-01", ""};
  EXPECT_FALSE(ValidateModel(own, "2026-11-29").ok());
  own.name = "积分银行";
  EXPECT_TRUE(ValidateModel(own, "2026-11-29").ok());
  own.since_date = "2025-02-30";
  EXPECT_FALSE(ValidateModel(own, "2026-11-29").ok());
}

TEST(GovernanceTest, ShareAgainstTheHalfTarget) {
  TownCoverage half{1, 8, 4, 0, false};
  ComputeShare(half);
  EXPECT_EQ(half.share_permille, 500);
  EXPECT_TRUE(half.meets_target);
  TownCoverage short_of{2, 7, 3, 0, false};
  ComputeShare(short_of);
  EXPECT_EQ(short_of.share_permille, 428);
  EXPECT_FALSE(short_of.meets_target);
  TownCoverage odd{3, 7, 4, 0, false};
  ComputeShare(odd);
  EXPECT_TRUE(odd.meets_target);
  TownCoverage none{4, 0, 0, 0, false};
  ComputeShare(none);
  EXPECT_EQ(none.share_permille, 0);
  EXPECT_FALSE(none.meets_target);
}

TEST(TownDocumentTest, OnTimeMeansIssuedByTheEndOfMay) {
  TownDocument document;
  document.town_id = 1;
  document.year = 2025;
  document.document_number = "〔2025〕1号";
  document.title = "实施方案";
  document.issued_date = "2025-05-31";
  ASSERT_TRUE(ValidateTownDocument(document, "2025-11-29").ok());
  EXPECT_TRUE(document.on_time);
  document.issued_date = "2025-06-01";
  ASSERT_TRUE(ValidateTownDocument(document, "2025-11-29").ok());
  EXPECT_FALSE(document.on_time);
}

TEST(TownDocumentTest, RefusesDatesOutsideTheYearOrInTheFuture) {
  TownDocument document;
  document.town_id = 1;
  document.year = 2025;
  document.document_number = "n";
  document.title = "t";
  document.issued_date = "2026-01-05";
  EXPECT_EQ(ValidateTownDocument(document, "2026-02-01").code(),
            absl::StatusCode::kInvalidArgument);
  document.issued_date = "2025-12-01";
  EXPECT_EQ(ValidateTownDocument(document, "2025-11-29").code(),
            absl::StatusCode::kInvalidArgument);
  document.issued_date = "2025-11-29";
  EXPECT_TRUE(ValidateTownDocument(document, "2025-11-29").ok());
  document.document_number = "";
  EXPECT_EQ(ValidateTownDocument(document, "2025-11-29").code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace jifen::audit
