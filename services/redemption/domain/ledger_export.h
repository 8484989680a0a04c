// The redemption ledger export (兑换台账) that village staff print and hand to auditors: the
// village's orders of a period as CSV (ledger_csv.h), with households and funding sources named
// as people know them beside their ids.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "common/auth/caller.h"
#include "services/redemption/domain/household_directory.h"
#include "services/redemption/domain/repository.h"
#include "services/redemption/domain/wallet.h"

namespace jifen::redemption {

struct LedgerExport {
  std::string csv;  // UTF-8 with BOM
  std::string file_name;
  int64_t rows = 0;
};

inline constexpr int32_t kMaxExportRows = 100'000;

class LedgerExporter final {
 public:
  // All must outlive the exporter.
  LedgerExporter(StoreRepository* repository, HouseholdDirectory* households, Clock* clock);

  // The village's orders created in [from_ms, until_ms) (0: unbounded), oldest first, for the
  // village's admin, district roles and services. `caller_token` is the caller's own bearer token:
  // the registry is read with it (HouseholdDirectory), so a village admin sees the heads' names
  // in full and everyone else masked, as the registry shows them.
  // Errors: PERMISSION_DENIED; INVALID_ARGUMENT for a bad range; OUT_OF_RANGE beyond
  // kMaxExportRows; UNAVAILABLE "REGISTRY_UNAVAILABLE: ..." when the registry can't be read
  // (nothing is exported: retry); the store's errors.
  absl::StatusOr<LedgerExport> Export(const auth::Caller& caller, const std::string& caller_token,
                                      int64_t village_id, int64_t from_ms, int64_t until_ms);

 private:
  // The names of the village's funding sources the orders name, by id; a source that no longer
  // exists is left out.
  absl::StatusOr<absl::flat_hash_map<int64_t, std::string>> FundingSourceNames(
      int64_t village_id, const std::vector<Order>& orders);

  StoreRepository* repository_;
  HouseholdDirectory* households_;
  Clock* clock_;
};

}  // namespace jifen::redemption
