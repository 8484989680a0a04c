#include "services/audit/domain/visit_checklist.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jifen::audit {
namespace {

using ::testing::ElementsAre;

ScoringFacts CleanScoring() {
  ScoringFacts s;
  s.rulebook_published = true;
  s.rulebook_version = 1;
  s.vote_recorded = true;
  s.vote_valid = true;
  s.households_registered = 3;
  for (int q = 1; q <= 4; ++q) {
    QuarterScoring quarter;
    quarter.period = "2025Q" + std::to_string(q);
    quarter.households_scored = 3;
    s.quarters.push_back(quarter);
  }
  s.chain_intact = true;
  s.chain_entries_checked = 12;
  return s;
}

PublicityFacts CleanPublicity() {
  PublicityFacts p;
  for (int q = 1; q <= 4; ++q) {
    p.quarters.push_back({"2025Q" + std::to_string(q), WindowState::kSettled, 0, 1, 0});
  }
  return p;
}

RedemptionFacts CleanRedemption() {
  RedemptionFacts r;
  r.budget_set = r.previous_budget_set = true;
  r.budget_fen = 100000;
  r.previous_budget_fen = 90000;
  r.funding_committed_fen = 100000;
  r.redeemed_value_fen = 5000;
  return r;
}

const ChecklistItem& Item(const Checklist& list, const std::string& check) {
  for (const ChecklistItem& item : list.items) {
    if (item.check == check) return item;
  }
  static const ChecklistItem kMissing;
  ADD_FAILURE() << "no item " << check;
  return kMissing;
}

TEST(QuartersEndedBefore, OnlyQuartersWhoseLastDayHasPassed) {
  EXPECT_THAT(QuartersEndedBefore(2025, "2025-07-01"), ElementsAre("2025Q1", "2025Q2"));
  EXPECT_THAT(QuartersEndedBefore(2025, "2025-06-30"), ElementsAre("2025Q1"));
  EXPECT_THAT(QuartersEndedBefore(2025, "2026-01-01"),
              ElementsAre("2025Q1", "2025Q2", "2025Q3", "2025Q4"));
  EXPECT_TRUE(QuartersEndedBefore(2027, "2026-11-29").empty());
}

TEST(BuildChecklist, CleanVillagePassesEverything) {
  const Checklist list =
      BuildChecklist(7, 2025, "2026-02-01", CleanScoring(), CleanPublicity(), CleanRedemption());
  ASSERT_EQ(list.items.size(), 6u);
  for (const ChecklistItem& item : list.items) {
    EXPECT_EQ(item.outcome, ChecklistOutcome::kPass) << item.check << ": " << item.summary;
  }
  EXPECT_TRUE(FlagsFor(list).empty());
}

TEST(BuildChecklist, EachFailureNamesItsEvidence) {
  ScoringFacts s = CleanScoring();
  s.rulebook_published = false;
  s.vote_valid = false;
  s.vote_problem = "VOTE_INVALID: not quorate";
  s.quarters[1].households_never_scored = 2;
  s.quarters[1].never_scored_ids = {41, 42};
  s.chain_intact = false;
  s.chain_first_bad_sequence = 88;
  PublicityFacts p = CleanPublicity();
  p.quarters[2].window = WindowState::kNone;
  RedemptionFacts r = CleanRedemption();
  r.budget_fen = 80000;
  r.not_lower_than_last_year = false;
  r.funding_committed_fen = 1000;
  const Checklist list = BuildChecklist(7, 2025, "2026-02-01", s, p, r);

  EXPECT_EQ(Item(list, kCheckRulebook).outcome, ChecklistOutcome::kFail);
  EXPECT_NE(Item(list, kCheckRulebook).summary.find("VOTE_INVALID"), std::string::npos);
  EXPECT_EQ(Item(list, kCheckScored).outcome, ChecklistOutcome::kFail);
  EXPECT_THAT(Item(list, kCheckScored).evidence,
              ElementsAre("period:2025Q2/household:41", "period:2025Q2/household:42"));
  EXPECT_EQ(Item(list, kCheckChain).outcome, ChecklistOutcome::kFail);
  EXPECT_THAT(Item(list, kCheckChain).evidence, ElementsAre("ledger:88"));
  EXPECT_EQ(Item(list, kCheckWindows).outcome, ChecklistOutcome::kFail);
  EXPECT_THAT(Item(list, kCheckWindows).evidence, ElementsAre("period:2025Q3"));
  EXPECT_EQ(Item(list, kCheckBudget).outcome, ChecklistOutcome::kFail);
  EXPECT_EQ(Item(list, kCheckRedemptions).outcome, ChecklistOutcome::kFail);
  EXPECT_EQ(FlagsFor(list).size(), 6u);
  EXPECT_EQ(FlagsFor(list)[0].rule, "visit_check");
  EXPECT_EQ(FlagsFor(list)[0].subject, "rulebook_published_with_valid_vote 2025");
}

TEST(BuildChecklist, QuartersNotEndedAreNotChecked) {
  ScoringFacts s = CleanScoring();
  s.quarters[3].households_never_scored = 3;  // 2025Q4 still running
  PublicityFacts p = CleanPublicity();
  p.quarters[3].window = WindowState::kNone;
  const Checklist list = BuildChecklist(7, 2025, "2025-12-01", s, p, CleanRedemption());
  EXPECT_EQ(Item(list, kCheckScored).outcome, ChecklistOutcome::kPass);
  EXPECT_EQ(Item(list, kCheckWindows).outcome, ChecklistOutcome::kPass);
}

TEST(BuildChecklist, UnreachableServiceMakesOnlyItsChecksUnknown) {
  const Checklist list =
      BuildChecklist(7, 2025, "2026-02-01", CleanScoring(),
                     absl::UnavailableError("connection refused"), CleanRedemption());
  EXPECT_EQ(Item(list, kCheckWindows).outcome, ChecklistOutcome::kUnknown);
  EXPECT_NE(Item(list, kCheckWindows).summary.find("connection refused"), std::string::npos);
  EXPECT_THAT(Item(list, kCheckWindows).evidence, ElementsAre("service:publicity"));
  EXPECT_EQ(Item(list, kCheckRulebook).outcome, ChecklistOutcome::kPass);
  EXPECT_EQ(Item(list, kCheckBudget).outcome, ChecklistOutcome::kPass);
  EXPECT_TRUE(FlagsFor(list).empty());
}

}  // namespace
}  // namespace jifen::audit
