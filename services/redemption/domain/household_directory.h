// Households as the village knows them, for the ledger export: they belong to scoring's registry
// (handler/ScoringHouseholdDirectory reads its RegistryService over gRPC).
#pragma once

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"

namespace jifen::redemption {

// What a person reads to know a household: house numbers are unique only within a villager group,
// so the group comes with them.
struct HouseholdLabel {
  std::string group_name;    // "第3村民小组"
  std::string house_number;  // 门牌号, "12号"
  // 户主, as the registry shows it to the reader: in full to the village's own admin, masked
  // ("张*华") to everyone else.
  std::string head_name;
};

class HouseholdDirectory {
 public:
  virtual ~HouseholdDirectory() = default;
  // Every household of the village, by household id, read with `caller_token`, the bearer token of
  // the person (or service) the export is for: the registry decides with their rights what they
  // may see and records a full view of personal data under their name. `request_id` ("" none)
  // joins the registry's records with the request. UNAVAILABLE or DEADLINE_EXCEEDED when the
  // registry can't be reached or doesn't answer in time; otherwise the registry's refusal.
  virtual absl::StatusOr<absl::flat_hash_map<int64_t, HouseholdLabel>> VillageHouseholds(
      int64_t village_id, const std::string& caller_token, const std::string& request_id) = 0;
};

}  // namespace jifen::redemption
