// The rules of the points store: who may do what, validation, and the order state machine
//
//   RESERVED --debit ok--> CONFIRMED --pickup--> FULFILLED
//      |                       |
//      +--debit refused--> FAILED (stock back)
//                              +--cancel--> CANCELLING --refund ok--> CANCELLED (stock back)
//
// Stock is taken before the wallet is debited and given back when the debit is refused, so goods
// are never oversold; the wallet debit is idempotent by order id, so asking again after a crash or
// a lost answer decides an order left RESERVED (RecoverUnfinished). Every change is audited by the
// repository in the change's transaction.
//
// Errors carry a machine code at the start of the message (services/redemption/domain/errors.h).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/auth/caller.h"
#include "services/redemption/domain/model.h"
#include "services/redemption/domain/repository.h"
#include "services/redemption/domain/wallet.h"

namespace jifen::redemption {

struct PlaceOrderInput {
  std::string order_id;
  int64_t village_id = 0;
  int64_t household_id = 0;
  int64_t item_id = 0;
  int32_t quantity = 0;  // 0 means 1
};

struct RecoveryStats {
  int confirmed = 0;  // RESERVED orders the wallet had debited (or debited now)
  int failed = 0;     // RESERVED orders whose debit was refused: stock returned
  int cancelled = 0;  // CANCELLING orders refunded and closed
  int pending = 0;    // still undecided (scoring unreachable): tried again later
};

// Limits on everything a caller controls.
inline constexpr int32_t kMaxQuantity = 10;
inline constexpr int64_t kMaxStock = 1'000'000;
inline constexpr int64_t kMaxRestockDelta = 100'000;
inline constexpr int64_t kMaxPricePoints = 1'000'000;
inline constexpr int64_t kMaxValueFen = 100'000'000;       // one unit: 1,000,000 yuan
inline constexpr int64_t kMaxAmountFen = 100'000'000'000;  // a donation or budget
inline constexpr int32_t kMaxLimitPerHousehold = 1000;
inline constexpr int kMaxPickupCodeAttempts = 20;

class RedemptionService final {
 public:
  // All must outlive the service. `pickup_codes` returns six random digits per call.
  RedemptionService(StoreRepository* repository, WalletClient* wallet, Clock* clock,
                    std::function<std::string()> pickup_codes);

  // --- items (village admins of the village; reads also its residents, district roles, services)
  // The writes that create or change something take the client's request id (client_requests.h):
  // INVALID_ARGUMENT without a valid one; a retry answers the first write's object as it is now;
  // ALREADY_EXISTS "IDEMPOTENCY_CONFLICT: ..." if the village used the id for another request.
  absl::StatusOr<StoreItem> CreateItem(const auth::Caller& caller, StoreItem item,
                                       const std::string& client_request_id);
  absl::StatusOr<StoreItem> UpdateItem(const auth::Caller& caller, StoreItem item);
  absl::StatusOr<StoreItem> GetItem(const auth::Caller& caller, int64_t village_id,
                                    int64_t item_id);
  // Residents always get the on-sale view.
  absl::StatusOr<std::vector<StoreItem>> ListItems(const auth::Caller& caller, int64_t village_id,
                                                   bool on_sale_only);
  absl::StatusOr<StoreItem> RestockItem(const auth::Caller& caller, int64_t village_id,
                                        int64_t item_id, int64_t delta, const std::string& reason,
                                        const std::string& client_request_id);

  // --- orders
  // A resident orders for their own household: the CONFIRMED order with its pickup code. A retry
  // with the same id and payload returns the same order (finishing a RESERVED one).
  absl::StatusOr<Order> PlaceOrder(const auth::Caller& caller, const PlaceOrderInput& input);
  absl::StatusOr<Order> GetOrder(const auth::Caller& caller, const std::string& order_id);
  absl::StatusOr<Order> CancelOrder(const auth::Caller& caller, const std::string& order_id,
                                    const std::string& reason);
  absl::StatusOr<Order> FulfilOrder(const auth::Caller& caller, int64_t village_id,
                                    const std::string& pickup_code);
  absl::StatusOr<OrderPage> ListOrders(const auth::Caller& caller, OrderQuery query);

  // Finishes or undoes orders left RESERVED or CANCELLING and unchanged for `min_age_ms` (0 at
  // start: everything; the periodic sweep leaves in-flight calls alone). At most `batch` orders;
  // stops at the first order the wallet can't decide (unreachable), leaving the rest for later.
  absl::StatusOr<RecoveryStats> RecoverUnfinished(int64_t min_age_ms, int32_t batch);

  // --- funding and budget
  absl::StatusOr<FundingSource> CreateFundingSource(const auth::Caller& caller,
                                                    FundingSource source,
                                                    const std::string& client_request_id);
  absl::StatusOr<std::vector<FundingSource>> ListFundingSources(const auth::Caller& caller,
                                                                int64_t village_id, int32_t year);
  absl::StatusOr<Donation> RecordDonation(const auth::Caller& caller, Donation donation,
                                          const std::string& client_request_id);
  absl::StatusOr<std::vector<Donation>> ListDonations(const auth::Caller& caller,
                                                      int64_t village_id, int32_t year);
  // The village's admin sets a year's budget while the year runs (Asia/Shanghai) and later only
  // if none was recorded; once the year has ended a recorded budget is fixed for the village
  // (FAILED_PRECONDITION "BUDGET_YEAR_CLOSED: ..."), since lowering last year's would turn this
  // year's "not lower than last year" check. A district official may correct any year's budget,
  // with a `reason` (required then) that goes to the audit trail with before and after.
  absl::StatusOr<Budget> SetBudget(const auth::Caller& caller, Budget budget,
                                   const std::string& reason);
  absl::StatusOr<BudgetCheck> GetBudgetCheck(const auth::Caller& caller, int64_t village_id,
                                             int32_t year);

  // The ledger export is LedgerExporter's (ledger_export.h): it also reads scoring's registry.

 private:
  // Drives a RESERVED order to CONFIRMED or FAILED by asking the wallet (again).
  absl::StatusOr<Order> SettleReserved(const Order& order, const Actor& actor);
  absl::StatusOr<Order> ConfirmWithNewCode(const Order& order, int64_t balance_points,
                                           const Actor& actor);
  // Refunds a CANCELLING order and closes it.
  absl::StatusOr<Order> FinishCancelling(const Order& order, const Actor& actor);
  // A refusal made before the order was reserved, unless the order id is already known: then
  // what Resume answers.
  absl::StatusOr<Order> ResumeOrRefuse(const absl::Status& refusal, const PlaceOrderInput& input,
                                       const Actor& actor);
  // NOT_FOUND "FUNDING_SOURCE_NOT_FOUND: ..." unless the item's funding source (if any) is one of
  // its village's.
  absl::Status CheckFundingSource(const StoreItem& item);
  // After a write under `request` failed with `failure`: the object id of the village's earlier
  // write under the same client_request_id (this call was a retry), ALREADY_EXISTS
  // "IDEMPOTENCY_CONFLICT: ..." if that write asked for something else, `failure` if there was
  // none.
  absl::StatusOr<int64_t> EarlierWrite(int64_t village_id, const ClientRequest& request,
                                       const absl::Status& failure);
  // What a retry of a known order answers.
  absl::StatusOr<Order> Resume(const Order& order, const PlaceOrderInput& input,
                               const Actor& actor);

  StoreRepository* repository_;
  WalletClient* wallet_;
  Clock* clock_;
  std::function<std::string()> pickup_codes_;
};

// Checks of the caller's scope, exposed for tests.
bool ManagesVillage(const auth::Caller& caller, int64_t village_id);
bool ReadsVillage(const auth::Caller& caller, int64_t village_id);
// Order ids: 8..64 characters of [A-Za-z0-9_-].
bool IsValidOrderId(const std::string& order_id);
// Whether `item` can be ordered at `now_ms`.
bool IsOnSale(const StoreItem& item, int64_t now_ms);
// Six random digits.
std::string RandomPickupCode();

}  // namespace jifen::redemption
