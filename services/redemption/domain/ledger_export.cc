#include "services/redemption/domain/ledger_export.h"

#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "services/redemption/domain/calendar.h"
#include "services/redemption/domain/errors.h"
#include "services/redemption/domain/ledger_csv.h"
#include "services/redemption/domain/redemption_service.h"

namespace jifen::redemption {
namespace {

using auth::Caller;
using auth::Role;

// The export fails, rather than leaving the names out, when the registry can't be read: staff print
// the file and hand it to auditors as the village's ledger, and a copy without house numbers and
// heads looks finished but can't be checked against the village's roster by the people who read
// it. Scoring also pays every order, so while it is down the store is down too; a retry a little
// later gives the whole ledger.
absl::Status RegistryFailure(const absl::Status& status) {
  if (absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status)) {
    return CodedError(absl::StatusCode::kUnavailable, kRegistryUnavailable,
                      "the registry can't be read now (house numbers and heads of households); "
                      "nothing was exported, try again shortly");
  }
  // The registry judged the caller's own rights (the token is theirs): theirs to see.
  if (absl::IsUnauthenticated(status) || absl::IsPermissionDenied(status)) return status;
  return absl::InternalError(absl::StrCat("registry households: ", status.ToString()));
}

}  // namespace

LedgerExporter::LedgerExporter(StoreRepository* repository, HouseholdDirectory* households,
                               Clock* clock)
    : repository_(repository), households_(households), clock_(clock) {}

absl::StatusOr<LedgerExport> LedgerExporter::Export(const Caller& caller,
                                                    const std::string& caller_token,
                                                    int64_t village_id, int64_t from_ms,
                                                    int64_t until_ms) {
  if (caller.role == Role::kResident || !ReadsVillage(caller, village_id)) {
    return absl::PermissionDeniedError("not allowed: export this village's ledger");
  }
  if (from_ms < 0 || until_ms < 0 || (until_ms != 0 && until_ms <= from_ms)) {
    return absl::InvalidArgumentError("until_ms: after from_ms (or 0)");
  }
  const int64_t now_ms = clock_->NowMs();
  if (from_ms > now_ms) return absl::InvalidArgumentError("from_ms: in the future: no orders yet");
  ASSIGN_OR_RETURN(
      const std::vector<Order> orders,
      repository_->ListOrdersCreatedBetween(village_id, from_ms, until_ms, kMaxExportRows + 1));
  if (orders.size() > static_cast<size_t>(kMaxExportRows)) {
    return absl::OutOfRangeError("more than 100000 orders: export a shorter range");
  }
  LedgerNames names;
  if (!orders.empty()) {
    absl::StatusOr<absl::flat_hash_map<int64_t, HouseholdLabel>> households =
        households_->VillageHouseholds(village_id, caller_token, caller.request_id);
    if (!households.ok()) return RegistryFailure(households.status());
    names.households = *std::move(households);
    ASSIGN_OR_RETURN(names.funding_sources, FundingSourceNames(village_id, orders));
  }
  LedgerExport out;
  out.csv = LedgerCsv(orders, names);
  out.rows = static_cast<int64_t>(orders.size());
  // The name tells the dates the file covers. A range open at the end, or reaching past now
  // (clients send INT64_MAX for "no end"), holds the orders up to now: it ends today.
  const int64_t end_ms = until_ms == 0 || until_ms > now_ms ? now_ms : until_ms;
  out.file_name = absl::StrCat("redemption-ledger-", village_id, "-",
                               from_ms == 0 ? "start" : FormatCompactDate(from_ms), "-",
                               FormatCompactDate(end_ms), ".csv");
  return out;
}

absl::StatusOr<absl::flat_hash_map<int64_t, std::string>> LedgerExporter::FundingSourceNames(
    int64_t village_id, const std::vector<Order>& orders) {
  absl::flat_hash_map<int64_t, std::string> names;
  ASSIGN_OR_RETURN(const std::vector<FundingSource> sources,
                   repository_->ListFundingSources(village_id, /*year=*/0));
  for (const FundingSource& source : sources) names[source.funding_source_id] = source.name;
  // The list stops at the repository's limit (1000 sources, oldest years first): a village with
  // more has the rest its orders name read one by one, each once.
  absl::flat_hash_set<int64_t> looked_up;
  for (const Order& order : orders) {
    const int64_t id = order.funding_source_id;
    if (id == 0 || names.contains(id) || !looked_up.insert(id).second) continue;
    absl::StatusOr<FundingSource> source = repository_->GetFundingSource(village_id, id);
    if (absl::IsNotFound(source.status())) continue;  // shown as not found
    RETURN_IF_ERROR(source.status());
    names[id] = source->name;
  }
  return names;
}

}  // namespace jifen::redemption
