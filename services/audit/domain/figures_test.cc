#include "services/audit/domain/figures.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "services/audit/domain/fake_village_directory.h"
#include "services/audit/crypto/openssl_crypto.h"
#include "services/audit/domain/fake_trail_repository.h"

namespace jifen::audit {
namespace {

using FakeDirectory = FakeVillageDirectory;

// Only flags matter here; everything else is out of these tests' reach.
class FlagOnlyRepository final : public SupervisionRepository {
 public:
  absl::Status UpsertVillage(const VillageInfo&, const Actor&) override { return Unused(); }
  absl::StatusOr<Visit> InsertVisit(const Visit&, const Actor&) override { return Unused(); }
  absl::StatusOr<std::optional<Visit>> GetVisit(int64_t) override { return Unused(); }
  absl::StatusOr<std::vector<Visit>> ListVisits(const VisitFilter&) override { return Unused(); }
  absl::StatusOr<Finding> InsertFinding(const Finding&, const Actor&,
                                        const std::function<absl::Status(const Visit&)>&) override {
    return Unused();
  }
  absl::StatusOr<Finding> UpdateFinding(int64_t, const Actor&, const std::string&,
                                        const std::function<absl::Status(Finding&)>&) override {
    return Unused();
  }
  absl::StatusOr<Visit> UpdateVisit(int64_t, const Actor&, const std::string&,
                                    const std::function<absl::Status(Visit&)>&) override {
    return Unused();
  }
  absl::StatusOr<std::optional<Finding>> GetFinding(int64_t) override { return Unused(); }
  absl::StatusOr<std::vector<Finding>> ListFindings(const FindingFilter&) override {
    return Unused();
  }
  absl::StatusOr<Notice> InsertNotice(const Notice&, const Actor&) override { return Unused(); }
  absl::StatusOr<std::vector<Notice>> ListNotices(int64_t) override { return Unused(); }
  absl::StatusOr<GovernanceModel> UpsertModel(const GovernanceModel&, const Actor&) override {
    return Unused();
  }
  absl::StatusOr<std::vector<GovernanceModel>> ListModels(int64_t) override { return Unused(); }
  absl::StatusOr<TownDocument> InsertTownDocument(const TownDocument&, const Actor&) override {
    return Unused();
  }
  absl::StatusOr<std::vector<TownDocument>> ListTownDocuments(int64_t, int) override {
    return Unused();
  }
  absl::StatusOr<std::vector<TownCoverage>> CountCoverage(const std::string&, int64_t) override {
    return Unused();
  }
  absl::StatusOr<int64_t> InsertFlags(const std::vector<FlagDraft>& flags, const Actor&) override {
    int64_t added = 0;
    for (const FlagDraft& flag : flags) {
      if (keys.insert({flag.rule, flag.village_id, flag.subject}).second) ++added;
    }
    return added;
  }
  absl::StatusOr<Flag> UpdateFlag(int64_t, const Actor&,
                                  const std::function<absl::Status(Flag&)>&) override {
    return Unused();
  }
  absl::StatusOr<std::vector<Flag>> ListFlags(const std::vector<int64_t>&, bool, int) override {
    return Unused();
  }
  absl::StatusOr<Dashboard> CountDashboard(const std::vector<int64_t>&,
                                           const std::string&) override {
    return Unused();
  }

  std::set<std::tuple<std::string, int64_t, std::string>> keys;

 private:
  static absl::Status Unused() { return absl::UnimplementedError("not used by these tests"); }
};

// Facts of a village that fails its budget check; each service can be made to fail.
class FakeFacts final : public VillageFactsSource {
 public:
  absl::StatusOr<ScoringFacts> Scoring(int64_t, int year) override {
    if (!scoring_status.ok()) return scoring_status;
    ScoringFacts facts;
    facts.rulebook_published = facts.vote_valid = true;
    facts.rulebook_version = 1;
    facts.households_registered = 10;
    for (int q = 1; q <= 4; ++q) {
      QuarterScoring quarter;
      quarter.period = absl::StrCat(year, "Q", q);
      quarter.households_scored = 10;
      facts.quarters.push_back(quarter);
    }
    return facts;
  }
  absl::StatusOr<PublicityFacts> Publicity(int64_t, int year) override {
    if (!publicity_status.ok()) return publicity_status;
    PublicityFacts facts;
    for (int q = 1; q <= 4; ++q) {
      facts.quarters.push_back({absl::StrCat(year, "Q", q), WindowState::kSettled, 0, 2, 1});
    }
    return facts;
  }
  absl::StatusOr<RedemptionFacts> Redemption(int64_t, int) override {
    if (!redemption_status.ok()) return redemption_status;
    RedemptionFacts facts;
    facts.budget_set = facts.previous_budget_set = true;
    facts.budget_fen = 50;
    facts.previous_budget_fen = 100;
    facts.not_lower_than_last_year = false;
    facts.funding_committed_fen = 1000;
    facts.redeemed_value_fen = 10;
    return facts;
  }
  absl::Status scoring_status;
  absl::Status publicity_status;
  absl::Status redemption_status;
};

class FakeFigures final : public FiguresRepository {
 public:
  absl::Status StoreScoring(int64_t village_id, int year, const ScoringFacts&, int64_t) override {
    stored.push_back(absl::StrCat("scoring ", village_id, " ", year));
    return absl::OkStatus();
  }
  absl::Status StorePublicity(int64_t village_id, int year, const PublicityFacts&,
                              int64_t) override {
    stored.push_back(absl::StrCat("publicity ", village_id, " ", year));
    return absl::OkStatus();
  }
  absl::Status StoreRedemption(int64_t village_id, int year, const RedemptionFacts&,
                               int64_t) override {
    stored.push_back(absl::StrCat("redemption ", village_id, " ", year));
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<int64_t>> DirectoryVillages() override {
    return std::vector<int64_t>{11, 12, 21};
  }
  absl::StatusOr<DashboardFigures> Sum(const std::vector<int64_t>& village_ids, int year) override {
    summed_villages = village_ids;
    DashboardFigures figures;
    figures.households_registered = 40;
    figures.quarters.resize(4);
    figures.quarters[0].households_scored = 30;
    return figures;
  }
  std::vector<std::string> stored;
  std::vector<int64_t> summed_villages;
};

auth::Caller CallerOf(auth::Role role, int64_t town = 0, int64_t village = 0) {
  auth::Caller caller;
  caller.user_id = "u";
  caller.role = role;
  caller.town_id = town;
  caller.village_id = village;
  return caller;
}

class SupervisionFiguresTest : public ::testing::Test {
 protected:
  // 2026-02-01 in Shanghai: every quarter of 2025 has ended.
  absl::Time Now() const {
    return absl::FromCivil(absl::CivilSecond(2026, 2, 1, 10, 0, 0), ShanghaiZone());
  }

  OpenSslHasher hasher_;
  FakeDirectory directory_;
  FlagOnlyRepository repository_;
  FakeTrailRepository trail_;
  FakeFacts facts_;
  FakeFigures figures_;
  Supervision supervision_{repository_, directory_, trail_, hasher_, [this] { return Now(); }};
  SupervisionFigures subject_{supervision_, repository_, directory_,
                              facts_,       figures_,    [this] { return Now(); }};
  Actor actor_{"u", "district_inspector", "r", 0};
};

TEST(ComputeParticipation, ScoredOverHouseholdsUnderManagement) {
  DashboardFigures figures;
  figures.households_registered = 6;
  figures.households_opted_in = 2;
  figures.quarters.resize(2);
  figures.quarters[0].households_scored = 6;
  figures.quarters[1].households_scored = 8;
  ComputeParticipation(figures);
  EXPECT_EQ(figures.quarters[0].participation_permille, 750);
  EXPECT_EQ(figures.quarters[1].participation_permille, 1000);
}

TEST(ComputeParticipation, NoHouseholdsIsZeroNotADivision) {
  DashboardFigures figures;
  figures.quarters.resize(1);
  ComputeParticipation(figures);
  EXPECT_EQ(figures.quarters[0].participation_permille, 0);
}

TEST_F(SupervisionFiguresTest, InspectorRaisesEachFailedCheckOnce) {
  auto prepared = subject_.PrepareVisit(CallerOf(auth::Role::kDistrictInspector), actor_, 11, 2025);
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  EXPECT_EQ(prepared->checklist.quarters_due.size(), 4u);
  EXPECT_EQ(prepared->flags_raised, 1);  // the budget
  prepared = subject_.PrepareVisit(CallerOf(auth::Role::kDistrictInspector), actor_, 11, 2025);
  ASSERT_TRUE(prepared.ok());
  EXPECT_EQ(prepared->flags_raised, 0);
}

TEST_F(SupervisionFiguresTest, TownOfficialPreparesOwnVillagesWithoutRaisingFlags) {
  auto prepared = subject_.PrepareVisit(CallerOf(auth::Role::kTownOfficial, 1), actor_, 12, 2025);
  ASSERT_TRUE(prepared.ok()) << prepared.status();
  EXPECT_EQ(prepared->flags_raised, 0);
  EXPECT_TRUE(repository_.keys.empty());
  EXPECT_EQ(subject_.PrepareVisit(CallerOf(auth::Role::kTownOfficial, 1), actor_, 21, 2025)
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(subject_.PrepareVisit(CallerOf(auth::Role::kVillageAdmin, 1, 11), actor_, 11, 2025)
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(SupervisionFiguresTest, PrepareVisitRefusesBadInput) {
  const auth::Caller inspector = CallerOf(auth::Role::kDistrictInspector);
  EXPECT_EQ(subject_.PrepareVisit(inspector, actor_, 0, 2025).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(subject_.PrepareVisit(inspector, actor_, 11, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(subject_.PrepareVisit(inspector, actor_, 11, 1999).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(subject_.PrepareVisit(inspector, actor_, 99, 2025).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(SupervisionFiguresTest, RefreshKeepsThePartOfAFailedService) {
  facts_.publicity_status = absl::UnavailableError("connection refused");
  auto outcome = subject_.Refresh(CallerOf(auth::Role::kDistrictOfficial), 11, 2025);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->villages, 1);
  EXPECT_EQ(outcome->parts_unavailable, 1);
  EXPECT_EQ(figures_.stored, (std::vector<std::string>{"scoring 11 2025", "redemption 11 2025"}));
}

TEST_F(SupervisionFiguresTest, RefreshOfEveryVillageDefaultsToThisYear) {
  auto outcome = subject_.Refresh(CallerOf(auth::Role::kService), 0, 0);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->villages, 3);
  EXPECT_EQ(figures_.stored.size(), 9u);
  EXPECT_EQ(figures_.stored.front(), "scoring 11 2026");
  EXPECT_EQ(subject_.Refresh(CallerOf(auth::Role::kTownOfficial, 1), 0, 0).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(SupervisionFiguresTest, RefreshStopsBetweenVillagesWhenAsked) {
  int asked = 0;
  auto outcome =
      subject_.Refresh(CallerOf(auth::Role::kService), 0, 2025, [&asked] { return ++asked > 1; });
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(outcome->villages, 1);
}

TEST_F(SupervisionFiguresTest, FiguresFollowTheCallersScope) {
  auto figures = subject_.Figures(CallerOf(auth::Role::kTownOfficial, 1), 1, 0, 2025);
  ASSERT_TRUE(figures.ok()) << figures.status();
  EXPECT_EQ(figures_.summed_villages, (std::vector<int64_t>{11, 12}));
  EXPECT_EQ(figures->year, 2025);
  EXPECT_EQ(figures->quarters[0].participation_permille, 750);
  EXPECT_EQ(subject_.Figures(CallerOf(auth::Role::kTownOfficial, 1), 2, 0, 2025).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(subject_.Figures(CallerOf(auth::Role::kDistrictOfficial), 0, 0, 3000).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace jifen::audit
