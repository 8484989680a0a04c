// The automatic checks that prepare a supervision visit (issue 7, item 3), computed from the
// facts of the owning services. A service that could not be asked makes its checks UNKNOWN with
// the reason; it never fails the whole checklist.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/audit/domain/anomaly.h"
#include "services/audit/domain/village_facts.h"

namespace jifen::audit {

// Values equal proto jifen.audit.v1.ChecklistOutcome.
enum class ChecklistOutcome { kUnspecified = 0, kPass = 1, kFail = 2, kUnknown = 3 };

// Check names, stable for clients and flag subjects.
inline constexpr char kCheckRulebook[] = "rulebook_published_with_valid_vote";
inline constexpr char kCheckWindows[] = "publicity_windows_held";
inline constexpr char kCheckRedemptions[] = "redemptions_held_and_funded";
inline constexpr char kCheckBudget[] = "budget_not_lower_than_last_year";
inline constexpr char kCheckChain[] = "ledger_chain_verifies";
inline constexpr char kCheckScored[] = "every_household_scored";

struct ChecklistItem {
  std::string check;  // one of the names above
  ChecklistOutcome outcome = ChecklistOutcome::kUnknown;
  std::string summary;                // one sentence a person can act on
  std::vector<std::string> evidence;  // e.g. "period:2025Q2", "household:42", "ledger:88"
};

struct Checklist {
  int64_t village_id = 0;
  int year = 0;
  std::vector<std::string> quarters_due;  // the quarters of `year` that ended before today
  std::vector<ChecklistItem> items;       // always the six checks, in the order above
};

// Quarters of `year` whose last day is before `today` ("YYYY-MM-DD").
std::vector<std::string> QuartersEndedBefore(int year, const std::string& today);

Checklist BuildChecklist(int64_t village_id, int year, const std::string& today,
                         const absl::StatusOr<ScoringFacts>& scoring,
                         const absl::StatusOr<PublicityFacts>& publicity,
                         const absl::StatusOr<RedemptionFacts>& redemption);

// The flag rule of failed checks (the rule column holds 32 characters; the check goes in the
// subject).
inline constexpr char kVisitCheckRule[] = "visit_check";

// One flag per failed check (rule "visit_check", subject "<check> <year>"), so a failure is on the
// review list once however often the checklist is prepared.
std::vector<FlagDraft> FlagsFor(const Checklist& checklist);

}  // namespace jifen::audit
