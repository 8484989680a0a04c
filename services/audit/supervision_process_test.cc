// Supervision end to end against the real jifen-audit process: a district visit with findings,
// rectification by the village, review and closing by the inspector, a notice to the town, scope
// checks for every role, governance-model coverage, the dashboard, the audit records of all of it,
// and an anomaly flag raised by the automatic checks with its evidence.
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/auth/test_keys.h"
#include "common/auth/token.h"
#include "common/grpc/client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jifen/audit/v1/audit.grpc.pb.h"
#include "jifen/audit/v1/supervision.grpc.pb.h"
#include "services/audit/audit_test_support.h"
#include "tests/support/service_process.h"

namespace jifen::audit {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

std::string WriteTemp(const std::string& name, const std::string& contents) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/", getpid(), "-", name);
  std::ofstream(path) << contents;
  return path;
}

class SupervisionProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::SetUpAuditDb("supervision_process", &db_);
    token_keys_ = auth::GenerateTestKeyPair();
    const auth::TestKeyPair signing_keys = auth::GenerateTestKeyPair();
    tokens_ =
        *auth::TokenSigner::FromPrivateKeyPem(token_keys_.private_key_pem, auth::TokenSettings());
    const jifen::testing::MySqlServer& server = jifen::testing::TestMySql();
    process_ = std::make_unique<jifen::testing::ServiceProcess>(
        "audit", "services/audit/jifen-audit",
        std::vector<std::string>{
            absl::StrCat("--mysql_host=", server.host), absl::StrCat("--mysql_port=", server.port),
            "--mysql_user=" + db_.user, "--mysql_password=" + db_.password,
            "--mysql_database=" + db_.database,
            "--token_public_key=" + WriteTemp("s-token.pub.pem", token_keys_.public_key_pem),
            "--audit_signing_key=" + WriteTemp("s-audit.key.pem", signing_keys.private_key_pem)});
    ASSERT_TRUE(process_->Start());
    auto channel = grpc_util::NewChannel(process_->address(), 4 << 20);
    supervision_ = v1::SupervisionService::NewStub(channel);
    audit_ = v1::AuditService::NewStub(channel);
  }

  std::unique_ptr<grpc::ClientContext> As(auth::Role role, int64_t town = 0, int64_t village = 0,
                                          const std::string& user = "") {
    auth::Caller caller;
    caller.user_id = user.empty() ? std::string(auth::RoleName(role)) : user;
    caller.role = role;
    caller.town_id = town;
    caller.village_id = village;
    return grpc_util::NewClientContext(absl::Seconds(30),
                                       *tokens_->Sign(caller, absl::Now(), absl::Hours(1)));
  }
  std::unique_ptr<grpc::ClientContext> Inspector() {
    return As(auth::Role::kDistrictInspector, 0, 0, "insp-9");
  }

  void Register(int64_t village, int64_t town, const std::string& name) {
    v1::RegisterVillageRequest request;
    request.mutable_village()->set_village_id(village);
    request.mutable_village()->set_town_id(town);
    request.mutable_village()->set_name(name);
    v1::VillageInfo response;
    ASSERT_TRUE(
        supervision_
            ->RegisterVillage(As(auth::Role::kService, 0, 0, "scoring").get(), request, &response)
            .ok());
  }

  testing::AuditDb db_;
  auth::TestKeyPair token_keys_;
  std::unique_ptr<auth::TokenSigner> tokens_;
  std::unique_ptr<jifen::testing::ServiceProcess> process_;
  std::unique_ptr<v1::SupervisionService::Stub> supervision_;
  std::unique_ptr<v1::AuditService::Stub> audit_;
};

TEST_F(SupervisionProcessTest, AVisitFromFindingsToNoticeToClosing) {
  Register(11, 1, "革新村");
  Register(12, 1, "永联村");
  Register(21, 2, "芦胜村");

  // The inspector records a visit; a retry of the same client id returns the same visit.
  v1::CreateVisitRequest create;
  create.set_client_visit_id("insp-9/2026-01-10/11");
  create.set_village_id(11);
  create.set_visit_date("2026-01-10");
  create.set_summary("台账检查");
  auto* check = create.add_checks();
  check->set_area(v1::CHECK_AREA_LEDGER);
  check->set_result(v1::CHECK_RESULT_FAIL);
  check = create.add_checks();
  check->set_area(v1::CHECK_AREA_PUBLICITY);
  check->set_result(v1::CHECK_RESULT_PASS);
  v1::Visit visit, again;
  ASSERT_TRUE(supervision_->CreateVisit(Inspector().get(), create, &visit).ok());
  ASSERT_TRUE(supervision_->CreateVisit(Inspector().get(), create, &again).ok());
  EXPECT_EQ(again.visit_id(), visit.visit_id());
  EXPECT_EQ(visit.town_id(), 1);
  EXPECT_EQ(visit.checks_size(), 2);
  create.set_village_id(12);
  EXPECT_EQ(supervision_->CreateVisit(Inspector().get(), create, &again).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(supervision_->CreateVisit(As(auth::Role::kDistrictOfficial).get(), create, &again)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // Two findings: one due at the end of the year, one whose deadline has passed.
  v1::AddFindingRequest add;
  add.set_visit_id(visit.visit_id());
  add.set_area(v1::CHECK_AREA_LEDGER);
  add.set_severity(v1::SEVERITY_MAJOR);
  add.set_description("台账缺少检查照片");
  add.set_deadline_date("2099-12-31");
  v1::Finding first, second;
  ASSERT_TRUE(supervision_->AddFinding(Inspector().get(), add, &first).ok());
  add.set_description("公示栏未更新");
  add.set_area(v1::CHECK_AREA_PUBLICITY);
  add.set_deadline_date("2026-02-01");
  ASSERT_TRUE(supervision_->AddFinding(Inspector().get(), add, &second).ok());
  EXPECT_EQ(first.status(), v1::FINDING_STATUS_OPEN);
  // Overdue is computed the same in every answer, this one included.
  EXPECT_FALSE(first.overdue());
  EXPECT_TRUE(second.overdue());

  // Only the village's own admin rectifies.
  v1::RecordRectificationRequest rectify;
  rectify.set_finding_id(first.finding_id());
  rectify.set_rectification("已补拍照片并归档");
  v1::Finding updated;
  EXPECT_EQ(supervision_
                ->RecordRectification(As(auth::Role::kVillageAdmin, 0, 12).get(), rectify, &updated)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(
      supervision_
          ->RecordRectification(As(auth::Role::kVillageAdmin, 0, 11).get(), rectify, &updated)
          .ok());
  EXPECT_EQ(updated.status(), v1::FINDING_STATUS_RECTIFIED);

  // The visit can't close while findings are unresolved.
  v1::CloseVisitRequest close;
  close.set_visit_id(visit.visit_id());
  v1::Visit closed;
  EXPECT_EQ(supervision_->CloseVisit(Inspector().get(), close, &closed).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  // The inspector rejects, the village fixes it again, the inspector accepts.
  v1::ReviewRectificationRequest review;
  review.set_finding_id(first.finding_id());
  review.set_accept(false);
  review.set_note("照片不清晰");
  ASSERT_TRUE(supervision_->ReviewRectification(Inspector().get(), review, &updated).ok());
  EXPECT_EQ(updated.status(), v1::FINDING_STATUS_OPEN);
  ASSERT_TRUE(
      supervision_
          ->RecordRectification(As(auth::Role::kVillageAdmin, 0, 11).get(), rectify, &updated)
          .ok());
  review.set_accept(true);
  review.set_note("");
  ASSERT_TRUE(supervision_->ReviewRectification(Inspector().get(), review, &updated).ok());
  EXPECT_EQ(updated.status(), v1::FINDING_STATUS_CLOSED);

  // Overdue findings, seen by the town; another town's official sees none of them.
  v1::ListFindingsRequest overdue;
  overdue.set_overdue_only(true);
  v1::ListFindingsResponse findings;
  ASSERT_TRUE(
      supervision_->ListFindings(As(auth::Role::kTownOfficial, 1).get(), overdue, &findings).ok());
  ASSERT_EQ(findings.findings_size(), 1);
  EXPECT_EQ(findings.findings(0).finding_id(), second.finding_id());
  EXPECT_TRUE(findings.findings(0).overdue());
  ASSERT_TRUE(
      supervision_->ListFindings(As(auth::Role::kTownOfficial, 2).get(), overdue, &findings).ok());
  EXPECT_EQ(findings.findings_size(), 0);
  overdue.set_village_id(11);
  EXPECT_EQ(supervision_->ListFindings(As(auth::Role::kTownOfficial, 2).get(), overdue, &findings)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // A notice to town 1 lists both findings; a finding of town 1 can't go to town 2.
  v1::IssueNoticeRequest notice_request;
  notice_request.set_town_id(1);
  notice_request.set_title("关于革新村积分制台账问题的通报");
  notice_request.add_finding_ids(first.finding_id());
  notice_request.add_finding_ids(second.finding_id());
  v1::Notice notice;
  ASSERT_TRUE(supervision_->IssueNotice(Inspector().get(), notice_request, &notice).ok());
  ASSERT_EQ(notice.findings_size(), 2);
  for (const v1::Finding& listed : notice.findings()) {
    EXPECT_EQ(listed.overdue(), listed.finding_id() == second.finding_id()) << listed.finding_id();
  }
  notice_request.set_town_id(2);
  EXPECT_EQ(supervision_->IssueNotice(Inspector().get(), notice_request, &notice).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::ListNoticesResponse notices;
  ASSERT_TRUE(
      supervision_
          ->ListNotices(As(auth::Role::kTownOfficial, 1).get(), v1::ListNoticesRequest(), &notices)
          .ok());
  EXPECT_EQ(notices.notices_size(), 1);
  ASSERT_TRUE(
      supervision_
          ->ListNotices(As(auth::Role::kTownOfficial, 2).get(), v1::ListNoticesRequest(), &notices)
          .ok());
  EXPECT_EQ(notices.notices_size(), 0);

  // The second finding is resolved; the visit closes.
  rectify.set_finding_id(second.finding_id());
  ASSERT_TRUE(
      supervision_
          ->RecordRectification(As(auth::Role::kVillageAdmin, 0, 11).get(), rectify, &updated)
          .ok());
  review.set_finding_id(second.finding_id());
  ASSERT_TRUE(supervision_->ReviewRectification(Inspector().get(), review, &updated).ok());
  ASSERT_TRUE(supervision_->CloseVisit(Inspector().get(), close, &closed).ok());
  EXPECT_EQ(closed.status(), v1::VISIT_STATUS_CLOSED);
  EXPECT_FALSE(closed.closed_on().empty());

  // Every one of these changes is on the trail, attributed, and the chain verifies.
  v1::ListRecordsRequest records_request;
  records_request.set_object_type("finding");
  records_request.set_object_id(absl::StrCat(first.finding_id()));
  v1::ListRecordsResponse records;
  ASSERT_TRUE(
      audit_->ListRecords(As(auth::Role::kVillageAdmin, 0, 11).get(), records_request, &records)
          .ok());
  std::vector<std::string> actions;
  for (const auto& record : records.records()) {
    actions.push_back(record.record().action());
    EXPECT_EQ(record.source_service(), "audit");
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"create", "rectify", "reject_rectification",
                                               "rectify", "accept_rectification"}));
  EXPECT_EQ(records.records(0).record().actor_user_id(), "insp-9");
  EXPECT_EQ(records.records(1).record().actor_role(), "village_admin");
  ASSERT_TRUE(
      audit_->ListRecords(As(auth::Role::kVillageAdmin, 0, 12).get(), records_request, &records)
          .ok());
  EXPECT_EQ(records.records_size(), 0) << "another village's admin sees nothing of village 11";
  v1::VerifyResponse verified;
  ASSERT_TRUE(audit_->Verify(Inspector().get(), v1::VerifyRequest(), &verified).ok());
  EXPECT_TRUE(verified.intact()) << verified.detail();

  v1::Dashboard dashboard;
  ASSERT_TRUE(supervision_
                  ->GetDashboard(As(auth::Role::kTownOfficial, 1).get(), v1::GetDashboardRequest(),
                                 &dashboard)
                  .ok());
  EXPECT_EQ(dashboard.villages(), 2);
  EXPECT_EQ(dashboard.visits(), 1);
  EXPECT_EQ(dashboard.open_findings(), 0);
  EXPECT_GT(dashboard.audit_records(), 5);
}

TEST_F(SupervisionProcessTest, GovernanceModelCoveragePerTown) {
  Register(11, 1, "革新村");
  Register(12, 1, "永联村");
  Register(21, 2, "芦胜村");
  Register(22, 2, "勤劳村");
  Register(23, 2, "汇北村");

  v1::SetGovernanceModelRequest set;
  set.mutable_model()->set_village_id(11);
  set.mutable_model()->set_kind(v1::MODEL_KIND_HOME_AUTONOMY_FUND);
  set.mutable_model()->set_since_date("2025-05-01");
  v1::GovernanceModel model;
  ASSERT_TRUE(
      supervision_->SetGovernanceModel(As(auth::Role::kVillageAdmin, 0, 11).get(), set, &model)
          .ok());
  EXPECT_EQ(model.name(), "家园自治金");
  set.mutable_model()->set_village_id(21);
  set.mutable_model()->set_kind(v1::MODEL_KIND_OWN);
  set.mutable_model()->set_name("积分银行");
  EXPECT_EQ(
      supervision_->SetGovernanceModel(As(auth::Role::kVillageAdmin, 0, 11).get(), set, &model)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(supervision_->SetGovernanceModel(As(auth::Role::kTownOfficial, 1).get(), set, &model)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(
      supervision_->SetGovernanceModel(As(auth::Role::kTownOfficial, 2).get(), set, &model).ok());

  v1::GetModelCoverageRequest coverage_request;
  v1::GetModelCoverageResponse coverage;
  ASSERT_TRUE(
      supervision_
          ->GetModelCoverage(As(auth::Role::kDistrictOfficial).get(), coverage_request, &coverage)
          .ok());
  ASSERT_EQ(coverage.towns_size(), 2);
  EXPECT_EQ(coverage.towns(0).town_id(), 1);
  EXPECT_EQ(coverage.towns(0).share_permille(), 500);
  EXPECT_TRUE(coverage.towns(0).meets_target());
  EXPECT_EQ(coverage.towns(1).villages(), 3);
  EXPECT_EQ(coverage.towns(1).villages_with_model(), 1);
  EXPECT_FALSE(coverage.towns(1).meets_target());

  coverage_request.set_as_of_date("2025-01-01");  // before any model was in use
  ASSERT_TRUE(
      supervision_
          ->GetModelCoverage(As(auth::Role::kTownOfficial, 2).get(), coverage_request, &coverage)
          .ok());
  ASSERT_EQ(coverage.towns_size(), 1) << "a town official sees their own town";
  EXPECT_EQ(coverage.towns(0).villages_with_model(), 0);

  v1::ListGovernanceModelsRequest list;
  list.set_village_id(21);
  v1::ListGovernanceModelsResponse models;
  ASSERT_TRUE(
      supervision_->ListGovernanceModels(As(auth::Role::kDistrictInspector).get(), list, &models)
          .ok());
  ASSERT_EQ(models.models_size(), 1);
  EXPECT_EQ(models.models(0).name(), "积分银行");
}

TEST_F(SupervisionProcessTest, TownDocumentsAreJudgedAgainstTheEndOfMay) {
  Register(11, 1, "革新村");
  Register(21, 2, "芦胜村");
  const auto record = [&](std::unique_ptr<grpc::ClientContext> context, int64_t town,
                          const std::string& number, const std::string& title,
                          const std::string& issued, v1::TownDocument* stored) {
    v1::RecordTownDocumentRequest request;
    request.mutable_document()->set_town_id(town);
    request.mutable_document()->set_year(2025);
    request.mutable_document()->set_document_number(number);
    request.mutable_document()->set_title(title);
    request.mutable_document()->set_issued_date(issued);
    return supervision_->RecordTownDocument(context.get(), request, stored).error_code();
  };
  v1::TownDocument stored;
  ASSERT_EQ(record(As(auth::Role::kTownOfficial, 1), 1, "华漕〔2025〕12号",
                   "2025年农村人居环境积分制实施方案", "2025-05-20", &stored),
            grpc::StatusCode::OK);
  EXPECT_TRUE(stored.on_time());
  EXPECT_EQ(stored.recorded_by_user_id(), "town_official");
  // A retry is answered the same; the number with other content is refused.
  EXPECT_EQ(record(As(auth::Role::kTownOfficial, 1), 1, "华漕〔2025〕12号",
                   "2025年农村人居环境积分制实施方案", "2025-05-20", &stored),
            grpc::StatusCode::OK);
  EXPECT_EQ(record(As(auth::Role::kTownOfficial, 1), 1, "华漕〔2025〕12号", "另一个标题",
                   "2025-05-20", &stored),
            grpc::StatusCode::ALREADY_EXISTS);
  // A town official records for their own town only; residents not at all.
  EXPECT_EQ(record(As(auth::Role::kTownOfficial, 1), 2, "x", "t", "2025-05-01", &stored),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(record(As(auth::Role::kResident, 1, 11), 1, "x", "t", "2025-05-01", &stored),
            grpc::StatusCode::PERMISSION_DENIED);
  // Bad input names its field and writes nothing.
  EXPECT_EQ(record(As(auth::Role::kTownOfficial, 1), 1, "y", "t", "2025-02-30", &stored),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(record(As(auth::Role::kTownOfficial, 1), 1, "y", "t", "2024-12-30", &stored),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(record(As(auth::Role::kTownOfficial, 1), 1, "y", "", "2025-03-01", &stored),
            grpc::StatusCode::INVALID_ARGUMENT);
  // The district records a late one for town 2.
  ASSERT_EQ(record(As(auth::Role::kDistrictOfficial), 2, "新虹〔2025〕3号", "实施细则",
                   "2025-06-10", &stored),
            grpc::StatusCode::OK);
  EXPECT_FALSE(stored.on_time());

  v1::GetModelCoverageRequest coverage_request;
  coverage_request.set_as_of_date("2025-12-31");
  v1::GetModelCoverageResponse coverage;
  ASSERT_TRUE(
      supervision_
          ->GetModelCoverage(As(auth::Role::kDistrictOfficial).get(), coverage_request, &coverage)
          .ok());
  ASSERT_EQ(coverage.towns_size(), 2);
  EXPECT_EQ(coverage.towns(0).documents(), 1);
  EXPECT_TRUE(coverage.towns(0).document_by_deadline());
  EXPECT_EQ(coverage.towns(1).documents(), 1);
  EXPECT_FALSE(coverage.towns(1).document_by_deadline());

  v1::ListTownDocumentsRequest list;
  list.set_year(2025);
  v1::ListTownDocumentsResponse documents;
  ASSERT_TRUE(
      supervision_->ListTownDocuments(As(auth::Role::kTownOfficial, 2).get(), list, &documents)
          .ok());
  ASSERT_EQ(documents.documents_size(), 1) << "a town official sees their own town";
  EXPECT_EQ(documents.documents(0).document_number(), "新虹〔2025〕3号");
  v1::ListTownDocumentsResponse every_town;
  ASSERT_TRUE(
      supervision_->ListTownDocuments(As(auth::Role::kDistrictInspector).get(), list, &every_town)
          .ok());
  ASSERT_EQ(every_town.documents_size(), 2);
  EXPECT_EQ(every_town.documents(0).town_id(), 1);
  EXPECT_TRUE(every_town.documents(0).on_time());
  EXPECT_EQ(
      supervision_->ListTownDocuments(As(auth::Role::kVillageAdmin, 1, 11).get(), list, &documents)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(SupervisionProcessTest, AutomaticChecksFlagAnOutlierScorerWithEvidence) {
  // Scoring reports inspections: four scorers alike, one far above them.
  v1::AppendRequest append;
  int64_t outbox_id = 0;
  auto report = [&](const std::string& scorer, int points) {
    v1::AppendItem* item = append.add_items();
    item->set_outbox_id(++outbox_id);
    v1::AuditRecord* record = item->mutable_record();
    record->set_village_id(11);
    record->set_actor_user_id(scorer);
    record->set_actor_role("grid_worker");
    record->set_action("create");
    record->set_object_type("ledger_entry");
    record->set_object_id(absl::StrCat(outbox_id));
    record->set_after(absl::StrCat("household_id=", 100 + outbox_id, " points=", points));
    record->set_occurred_at_ms(absl::ToUnixMillis(absl::Now()));
  };
  for (const char* scorer : {"a", "b", "c", "d"}) {
    for (int i = 0; i < 4; ++i) report(scorer, 5);
  }
  v1::AppendResponse appended;
  ASSERT_TRUE(
      audit_->Append(As(auth::Role::kService, 0, 0, "scoring").get(), append, &appended).ok());
  v1::RunChecksResponse run;
  ASSERT_TRUE(supervision_->RunChecks(Inspector().get(), v1::RunChecksRequest(), &run).ok());
  EXPECT_EQ(run.flags_raised(), 0) << "clean: quiet";

  append.Clear();
  for (int i = 0; i < 8; ++i) report("e", 10);
  const int64_t first_outlier_sequence = appended.head_sequence() + 1;
  ASSERT_TRUE(
      audit_->Append(As(auth::Role::kService, 0, 0, "scoring").get(), append, &appended).ok());
  ASSERT_TRUE(supervision_->RunChecks(Inspector().get(), v1::RunChecksRequest(), &run).ok());
  EXPECT_EQ(run.flags_raised(), 1);
  ASSERT_TRUE(supervision_->RunChecks(Inspector().get(), v1::RunChecksRequest(), &run).ok());
  EXPECT_EQ(run.flags_raised(), 0) << "a flag is raised once";

  v1::ListFlagsResponse flags;
  ASSERT_TRUE(supervision_->ListFlags(Inspector().get(), v1::ListFlagsRequest(), &flags).ok());
  ASSERT_EQ(flags.flags_size(), 1);
  EXPECT_EQ(flags.flags(0).rule(), "peer_outlier");
  EXPECT_EQ(flags.flags(0).subject(), "scorer e");
  EXPECT_EQ(flags.flags(0).evidence_size(), 8);
  EXPECT_THAT(flags.flags(0).evidence(), Contains(absl::StrCat("audit:", first_outlier_sequence)));
  EXPECT_THAT(flags.flags(0).summary(), HasSubstr("80 points"));
  EXPECT_EQ(
      supervision_
          ->ListFlags(As(auth::Role::kVillageAdmin, 0, 11).get(), v1::ListFlagsRequest(), &flags)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace jifen::audit
