// HouseholdDirectory over gRPC: scoring's RegistryService, read with the token of the person the
// ledger is exported for (not this service's own), so that the registry shows them what their
// role may see and audits their view of personal data.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "jifen/scoring/v1/registry.grpc.pb.h"
#include "services/redemption/domain/household_directory.h"

namespace jifen::redemption {

class ScoringHouseholdDirectory final : public HouseholdDirectory {
 public:
  // `timeout` bounds every call (one ListVillages, then a ListHouseholds per 500 households).
  ScoringHouseholdDirectory(std::unique_ptr<scoring::v1::RegistryService::StubInterface> stub,
                            absl::Duration timeout);

  absl::StatusOr<absl::flat_hash_map<int64_t, HouseholdLabel>> VillageHouseholds(
      int64_t village_id, const std::string& caller_token, const std::string& request_id) override;

 private:
  // Group names of the village, by group id.
  absl::StatusOr<absl::flat_hash_map<int64_t, std::string>> GroupNames(
      int64_t village_id, const std::string& caller_token, const std::string& request_id);

  std::unique_ptr<scoring::v1::RegistryService::StubInterface> stub_;
  const absl::Duration timeout_;
};

}  // namespace jifen::redemption
