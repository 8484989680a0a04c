// Validation of a household entered by hand (CreateHousehold); the CSV import has its own rows
// (registry_roster.h) but the same field rules (registry_privacy.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/scoring/domain/registry_model.h"

namespace jifen::scoring {

inline constexpr int kMembersPerHouseholdMax = 50;

// A household as the client sent it: kind may be missing, phones and dates as typed.
struct HouseholdDraft {
  int64_t village_id = 0;
  int64_t group_id = 0;
  int64_t grid_id = 0;  // 0: no grid yet
  std::string house_number;
  std::string head_name;
  std::optional<bool> registered;  // unset: the client did not say
  std::string consent_date;
  bool rents_out_rooms = false;
  std::string steward_user_id;
  struct Member {
    std::string name;
    std::string phone;
    bool is_head = false;
    std::string staff_user_id;
  };
  std::vector<Member> members;
};

// The household to store: trimmed names, normalised phones and date, the head marked. When no
// member is marked as head, the member named like the head is. `today` is the date in Shanghai
// ("YYYY-MM-DD"). INVALID_ARGUMENT (Chinese, led by the request field: "household.kind: ...",
// "members[1].name: ...") when: an id is missing or negative, a name or house number is invalid,
// kind is missing, a non-registered household has no consent date, a date or phone is invalid,
// the consent date is after today, two members share a name (letter case aside, as the database
// compares them), more than one member is marked head, or there are more than
// kMembersPerHouseholdMax members.
absl::StatusOr<HouseholdWithMembers> CleanHouseholdDraft(const HouseholdDraft& draft,
                                                         absl::string_view today);

}  // namespace jifen::scoring
