#include "services/audit/domain/visit_checklist.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace jifen::audit {
namespace {

constexpr int kEvidenceMax = 50;  // a flag or a screen lists this many references at most

ChecklistItem Unknown(const char* check, const absl::Status& status, const char* service) {
  return {check,
          ChecklistOutcome::kUnknown,
          absl::StrCat("could not ask ", service, ": ", status.message()),
          {absl::StrCat("service:", service)}};
}

ChecklistItem Outcome(const char* check, bool pass, std::string summary,
                      std::vector<std::string> evidence = {}) {
  if (evidence.size() > kEvidenceMax) evidence.resize(kEvidenceMax);
  return {check, pass ? ChecklistOutcome::kPass : ChecklistOutcome::kFail, std::move(summary),
          std::move(evidence)};
}

bool Due(const std::vector<std::string>& due, const std::string& period) {
  return std::find(due.begin(), due.end(), period) != due.end();
}

ChecklistItem RulebookCheck(int year, const ScoringFacts& s) {
  if (s.rulebook_published && s.vote_valid) {
    return Outcome(kCheckRulebook, true,
                   absl::StrCat("rulebook ", year, " version ", s.rulebook_version,
                                " is published with a valid vote"),
                   {absl::StrCat("rulebook_version:", s.rulebook_version)});
  }
  if (s.rulebook_version == 0) {
    return Outcome(kCheckRulebook, false, absl::StrCat("no rulebook for ", year));
  }
  return Outcome(kCheckRulebook, false,
                 absl::StrCat("rulebook ", year, " version ", s.rulebook_version, " is ",
                              s.rulebook_published ? "published" : "not published",
                              s.vote_problem.empty() ? "" : "; ", s.vote_problem),
                 {absl::StrCat("rulebook_version:", s.rulebook_version)});
}

ChecklistItem ScoredCheck(const std::vector<std::string>& due, const ScoringFacts& s) {
  std::vector<std::string> evidence;
  std::vector<std::string> gaps;
  for (const QuarterScoring& q : s.quarters) {
    if (!Due(due, q.period) || q.households_never_scored == 0) continue;
    gaps.push_back(absl::StrCat(q.period, ": ", q.households_never_scored));
    for (int64_t id : q.never_scored_ids) {
      evidence.push_back(absl::StrCat("period:", q.period, "/household:", id));
    }
  }
  if (gaps.empty()) {
    return Outcome(kCheckScored, true,
                   due.empty() ? "no quarter of the year has ended yet"
                               : "every household was scored in every ended quarter");
  }
  return Outcome(kCheckScored, false,
                 absl::StrCat("households never scored (", absl::StrJoin(gaps, ", "), ")"),
                 std::move(evidence));
}

ChecklistItem ChainCheck(const ScoringFacts& s) {
  if (s.chain_intact) {
    return Outcome(
        kCheckChain, true,
        absl::StrCat("the ledger chain verifies (", s.chain_entries_checked, " entries)"));
  }
  return Outcome(kCheckChain, false,
                 absl::StrCat("the ledger chain breaks at entry ", s.chain_first_bad_sequence),
                 {absl::StrCat("ledger:", s.chain_first_bad_sequence)});
}

ChecklistItem WindowsCheck(const std::vector<std::string>& due, const PublicityFacts& p) {
  std::vector<std::string> evidence;
  std::vector<std::string> problems;
  for (const std::string& period : due) {
    WindowState state = WindowState::kNone;
    for (const QuarterPublicity& q : p.quarters) {
      if (q.period == period) state = q.window;
    }
    if (state == WindowState::kNone) {
      problems.push_back(absl::StrCat(period, " had no publicity window"));
      evidence.push_back(absl::StrCat("period:", period));
    } else if (state == WindowState::kOpen) {
      problems.push_back(absl::StrCat(period, "'s window is still open"));
      evidence.push_back(absl::StrCat("period:", period));
    }
  }
  if (problems.empty()) {
    return Outcome(kCheckWindows, true,
                   due.empty() ? "no quarter of the year has ended yet"
                               : "every ended quarter had its publicity window");
  }
  return Outcome(kCheckWindows, false, absl::StrJoin(problems, "; "), std::move(evidence));
}

ChecklistItem RedemptionsCheck(const RedemptionFacts& r) {
  const int64_t funds_fen = r.funding_committed_fen + r.donations_fen;
  std::vector<std::string> evidence = {absl::StrCat("redeemed_fen:", r.redeemed_value_fen),
                                       absl::StrCat("funding_fen:", funds_fen)};
  if (r.redeemed_value_fen <= 0) {
    return Outcome(kCheckRedemptions, false, "no points were redeemed in the year",
                   std::move(evidence));
  }
  if (funds_fen < r.redeemed_value_fen) {
    return Outcome(kCheckRedemptions, false,
                   absl::StrCat("redemptions worth ", r.redeemed_value_fen,
                                " fen exceed the recorded funding of ", funds_fen, " fen"),
                   std::move(evidence));
  }
  return Outcome(kCheckRedemptions, true,
                 absl::StrCat("redemptions worth ", r.redeemed_value_fen, " fen, funded with ",
                              funds_fen, " fen"),
                 std::move(evidence));
}

ChecklistItem BudgetCheck(int year, const RedemptionFacts& r) {
  std::vector<std::string> evidence = {absl::StrCat("budget_fen:", r.budget_fen),
                                       absl::StrCat("previous_budget_fen:", r.previous_budget_fen)};
  if (r.not_lower_than_last_year) {
    return Outcome(kCheckBudget, true,
                   r.previous_budget_set ? absl::StrCat("budget ", year, " (", r.budget_fen,
                                                        " fen) is not lower than ", year - 1, " (",
                                                        r.previous_budget_fen, " fen)")
                                         : absl::StrCat("no budget recorded for ", year - 1),
                   std::move(evidence));
  }
  return Outcome(kCheckBudget, false,
                 r.budget_set
                     ? absl::StrCat("budget ", year, " (", r.budget_fen, " fen) is lower than ",
                                    year - 1, " (", r.previous_budget_fen, " fen)")
                     : absl::StrCat("no budget recorded for ", year, " while ", year - 1, " had ",
                                    r.previous_budget_fen, " fen"),
                 std::move(evidence));
}

}  // namespace

std::vector<std::string> QuartersEndedBefore(int year, const std::string& today) {
  static const char* const kLastDays[4] = {"-03-31", "-06-30", "-09-30", "-12-31"};
  std::vector<std::string> due;
  for (int q = 0; q < 4; ++q) {
    // "YYYY-MM-DD" strings of four-digit years compare like the dates they name.
    if (absl::StrCat(year, kLastDays[q]) < today) due.push_back(absl::StrCat(year, "Q", q + 1));
  }
  return due;
}

Checklist BuildChecklist(int64_t village_id, int year, const std::string& today,
                         const absl::StatusOr<ScoringFacts>& scoring,
                         const absl::StatusOr<PublicityFacts>& publicity,
                         const absl::StatusOr<RedemptionFacts>& redemption) {
  Checklist list;
  list.village_id = village_id;
  list.year = year;
  list.quarters_due = QuartersEndedBefore(year, today);
  const std::vector<std::string>& due = list.quarters_due;
  list.items.push_back(scoring.ok() ? RulebookCheck(year, *scoring)
                                    : Unknown(kCheckRulebook, scoring.status(), "scoring"));
  list.items.push_back(publicity.ok() ? WindowsCheck(due, *publicity)
                                      : Unknown(kCheckWindows, publicity.status(), "publicity"));
  list.items.push_back(redemption.ok()
                           ? RedemptionsCheck(*redemption)
                           : Unknown(kCheckRedemptions, redemption.status(), "redemption"));
  list.items.push_back(redemption.ok() ? BudgetCheck(year, *redemption)
                                       : Unknown(kCheckBudget, redemption.status(), "redemption"));
  list.items.push_back(scoring.ok() ? ChainCheck(*scoring)
                                    : Unknown(kCheckChain, scoring.status(), "scoring"));
  list.items.push_back(scoring.ok() ? ScoredCheck(due, *scoring)
                                    : Unknown(kCheckScored, scoring.status(), "scoring"));
  return list;
}

std::vector<FlagDraft> FlagsFor(const Checklist& checklist) {
  std::vector<FlagDraft> flags;
  for (const ChecklistItem& item : checklist.items) {
    if (item.outcome != ChecklistOutcome::kFail) continue;
    flags.push_back({checklist.village_id, kVisitCheckRule,
                     absl::StrCat(item.check, " ", checklist.year), item.summary, item.evidence});
  }
  return flags;
}

}  // namespace jifen::audit
