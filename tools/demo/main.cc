// jifen-demo: loads demo data into a running stack through the services' own APIs — the towns of
// the policy, villages (including those whose governance models the policy names), villager
// groups, grids, synthetic households, a published rulebook per village with its vote, and a
// quarter of inspections. It is what `tools/stack.sh up` runs once.
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/auth/token.h"
#include "common/grpc/client.h"
#include "common/time/shanghai.h"
#include "jifen/scoring/v1/assessment.grpc.pb.h"
#include "jifen/scoring/v1/registry.grpc.pb.h"
#include "jifen/scoring/v1/rulebook.grpc.pb.h"

ABSL_FLAG(std::string, scoring_address, "127.0.0.1:50051", "jifen-scoring host:port");
ABSL_FLAG(std::string, private_key, "", "the token signing key (PEM), to act as district staff");
ABSL_FLAG(int, households_per_village, 24, "synthetic households per village");
ABSL_FLAG(std::string, summary_out, "", "file receiving a JSON summary of the created ids");

namespace {

using namespace jifen;  // NOLINT
namespace v1 = scoring::v1;

struct DemoVillage {
  const char* town;
  const char* name;
};

// Towns and sub-district of the policy (闵乡村振兴办[2024]5号); villages named there for their
// governance models, plus one more per town so every town has villages. The town of each demo
// village is illustrative.
constexpr const char* kTowns[] = {"浦江镇", "马桥镇", "华漕镇", "梅陇镇", "吴泾镇", "七宝镇", "浦锦街道"};
constexpr DemoVillage kVillages[] = {
    {"浦江镇", "革新村"}, {"浦江镇", "汇北村"},   {"马桥镇", "永联村"}, {"华漕镇", "勤劳村"},
    {"梅陇镇", "王泥浜村"}, {"吴泾镇", "和平村"}, {"七宝镇", "九星村"}, {"浦锦街道", "芦胜村"}};
constexpr const char* kSurnames[] = {"张", "王", "李", "赵", "陈", "刘", "杨", "黄", "周", "吴"};
constexpr const char* kGiven[] = {"建华", "秀英", "国强", "桂兰", "志明", "海燕", "德林", "美玲"};

class Demo {
 public:
  Demo(std::shared_ptr<grpc::Channel> channel, std::unique_ptr<auth::TokenSigner> signer)
      : registry_(v1::RegistryService::NewStub(channel)),
        rulebooks_(v1::RulebookService::NewStub(channel)),
        assessment_(v1::AssessmentService::NewStub(channel)),
        signer_(std::move(signer)) {}

  bool Run(int households_per_village, std::string* summary) {
    auth::Caller district;
    district.user_id = "demo-loader";
    district.role = auth::Role::kDistrictOfficial;
    const std::string district_token = Sign(district);
    std::map<std::string, int64_t> town_ids;
    for (const char* name : kTowns) {
      v1::CreateTownRequest request;
      request.set_name(name);
      v1::Town town;
      if (!Check(registry_->CreateTown(Ctx(district_token).get(), request, &town), "town")) {
        return false;
      }
      town_ids[name] = town.town_id();
    }
    absl::StrAppend(summary, "{\"villages\":[");
    bool first = true;
    for (const DemoVillage& demo : kVillages) {
      int64_t village_id = 0, grid_id = 0, town_id = town_ids[demo.town];
      if (!SeedVillage(district_token, town_id, demo.name, households_per_village, &village_id,
                       &grid_id)) {
        return false;
      }
      absl::StrAppend(summary, first ? "" : ",", "{\"town\":\"", demo.town, "\",\"town_id\":",
                      town_id, ",\"village\":\"", demo.name, "\",\"village_id\":", village_id,
                      ",\"grid_id\":", grid_id, ",\"first_household_id\":", first_household_,
                      "}");
      first = false;
    }
    absl::StrAppend(summary, "]}");
    return true;
  }

 private:
  std::string Sign(const auth::Caller& caller) {
    return *signer_->Sign(caller, absl::Now(), absl::Hours(1));
  }
  static std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
    return grpc_util::NewClientContext(absl::Seconds(10), token);
  }
  static bool Check(const grpc::Status& status, const std::string& what) {
    if (!status.ok()) std::cerr << "jifen-demo: " << what << ": " << status.error_message() << "\n";
    return status.ok();
  }

  bool SeedVillage(const std::string& district_token, int64_t town_id, const char* name,
                   int households, int64_t* village_id, int64_t* grid_id) {
    v1::CreateVillageRequest village_request;
    village_request.set_town_id(town_id);
    village_request.set_name(name);
    v1::Village village;
    if (!Check(registry_->CreateVillage(Ctx(district_token).get(), village_request, &village),
               name)) {
      return false;
    }
    *village_id = village.village_id();
    auth::Caller admin;
    admin.user_id = absl::StrCat("demo-admin-", *village_id);
    admin.role = auth::Role::kVillageAdmin;
    admin.village_id = *village_id;
    admin.town_id = town_id;
    const std::string admin_token = Sign(admin);

    std::vector<int64_t> groups;
    for (int g = 1; g <= 3; ++g) {
      v1::CreateGroupRequest request;
      request.set_village_id(*village_id);
      request.set_name(absl::StrCat("第", g, "村民小组"));
      v1::Group group;
      if (!Check(registry_->CreateGroup(Ctx(admin_token).get(), request, &group), "group")) {
        return false;
      }
      groups.push_back(group.group_id());
    }
    v1::CreateGridRequest grid_request;
    grid_request.set_village_id(*village_id);
    grid_request.set_name("一号网格");
    grid_request.set_worker_user_id(absl::StrCat("demo-grid-worker-", *village_id));
    v1::Grid grid;
    if (!Check(registry_->CreateGrid(Ctx(admin_token).get(), grid_request, &grid), "grid")) {
      return false;
    }
    *grid_id = grid.grid_id();

    std::vector<int64_t> household_ids;
    for (int h = 0; h < households; ++h) {
      v1::CreateHouseholdRequest request;
      v1::Household* household = request.mutable_household();
      household->set_village_id(*village_id);
      household->set_group_id(groups[h % groups.size()]);
      household->set_grid_id(*grid_id);
      household->set_house_number(absl::StrCat(h + 1, "号"));
      household->set_head_name(absl::StrCat(kSurnames[random_() % 10], kGiven[random_() % 8]));
      const bool tenant = h % 11 == 10;
      household->set_kind(tenant ? v1::HOUSEHOLD_KIND_NON_REGISTERED
                                 : v1::HOUSEHOLD_KIND_REGISTERED);
      if (tenant) household->set_consent_date("2025-03-01");
      household->set_rents_out_rooms(h % 5 == 0);
      v1::Member* member = request.add_members();
      member->set_name(household->head_name());
      member->set_phone(absl::StrCat("13", 800000000 + random_() % 99999999));
      member->set_is_head(true);
      v1::HouseholdDetail detail;
      if (!Check(registry_->CreateHousehold(Ctx(admin_token).get(), request, &detail),
                 "household")) {
        return false;
      }
      household_ids.push_back(detail.household().household_id());
    }
    first_household_ = household_ids.empty() ? 0 : household_ids.front();
    if (!PublishRulebook(admin_token, *village_id)) return false;

    auth::Caller worker;
    worker.user_id = grid_request.worker_user_id();
    worker.role = auth::Role::kGridWorker;
    worker.village_id = *village_id;
    worker.grid_id = *grid_id;
    const std::string worker_token = Sign(worker);
    const char* items[] = {"HJ-01", "HJ-03", "LJ-01", "HJ-06", "AQ-01", "HJ-02", "LJ-02"};
    const int64_t now_ms = absl::ToUnixMillis(absl::Now());
    for (size_t i = 0; i < household_ids.size(); ++i) {
      v1::SubmitInspectionRequest request;
      request.set_inspection_id(absl::StrCat("demo-", *village_id, "-", household_ids[i]));
      request.set_household_id(household_ids[i]);
      request.set_occurred_at_ms(now_ms - static_cast<int64_t>(i) * 60'000);
      request.set_place("宅前屋后");
      for (int k = 0; k < 2; ++k) {
        v1::InspectionOutcome* outcome = request.add_outcomes();
        outcome->set_item_code(items[(i + k * 3) % 7]);
        outcome->add_photo_refs(std::string(64, "0123456789abcdef"[i % 16]));
      }
      v1::SubmitInspectionResponse response;
      if (!Check(assessment_->SubmitInspection(Ctx(worker_token).get(), request, &response),
                 "inspection")) {
        return false;
      }
    }
    return true;
  }

  bool PublishRulebook(const std::string& admin_token, int64_t village_id) {
    const absl::CivilYear year = absl::ToCivilYear(absl::Now(), jifen::time::ShanghaiTime());
    v1::CreateDraftRequest draft_request;
    draft_request.set_village_id(village_id);
    draft_request.set_year(static_cast<int>(year.year()));
    draft_request.set_effective_from(absl::StrCat(year.year(), "-01-01"));
    v1::Rulebook draft;
    if (!Check(rulebooks_->CreateDraft(Ctx(admin_token).get(), draft_request, &draft), "draft")) {
      return false;
    }
    v1::RecordVoteRequest vote_request;
    vote_request.set_rulebook_id(draft.rulebook_id());
    v1::Vote* vote = vote_request.mutable_vote();
    vote->set_meeting_date(absl::StrCat(year.year() - 1, "-12-20"));
    vote->set_members(35);
    vote->set_attending(29);
    vote->set_in_favour(26);
    vote->set_against(1);
    vote->set_abstain(2);
    v1::Rulebook result;
    if (!Check(rulebooks_->RecordVote(Ctx(admin_token).get(), vote_request, &result), "vote")) {
      return false;
    }
    v1::PublishRequest publish;
    publish.set_rulebook_id(draft.rulebook_id());
    return Check(rulebooks_->Publish(Ctx(admin_token).get(), publish, &result), "publish");
  }

  std::unique_ptr<v1::RegistryService::Stub> registry_;
  std::unique_ptr<v1::RulebookService::Stub> rulebooks_;
  std::unique_ptr<v1::AssessmentService::Stub> assessment_;
  std::unique_ptr<auth::TokenSigner> signer_;
  std::mt19937 random_{20240605};
  int64_t first_household_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  auto signer = auth::TokenSigner::FromPrivateKeyFile(absl::GetFlag(FLAGS_private_key), {});
  if (!signer.ok()) {
    std::cerr << "jifen-demo: --private_key: " << signer.status().message() << "\n";
    return 2;
  }
  Demo demo(grpc_util::NewChannel(absl::GetFlag(FLAGS_scoring_address), 16 << 20),
            *std::move(signer));
  std::string summary;
  if (!demo.Run(absl::GetFlag(FLAGS_households_per_village), &summary)) return 1;
  if (!absl::GetFlag(FLAGS_summary_out).empty()) {
    std::ofstream(absl::GetFlag(FLAGS_summary_out)) << summary << "\n";
  }
  std::cout << "demo data loaded: " << std::size(kTowns) << " towns, " << std::size(kVillages)
            << " villages\n";
  return 0;
}
