// What the rules need from storage, implemented by storage/MySqlStoreRepository (MariaDB). Every
// method that changes state also writes its audit record (the outbox) in the same transaction,
// with the actor given.
//
// The writes made under a client's request id (CreateItem, AdjustStock, CreateFundingSource,
// RecordDonation) record the ClientRequest in their transaction, and answer ALREADY_EXISTS (having
// written nothing) when the village already has a request with that id; the caller then looks it
// up with FindRequest.
//
// Errors common to all methods: UNAVAILABLE when the database can't be reached (retry), ABORTED
// when a transaction kept deadlocking, INTERNAL for anything else.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/redemption/domain/model.h"

namespace jifen::redemption {

class StoreRepository {
 public:
  virtual ~StoreRepository() = default;

  // --- items
  // Inserts the item and returns it with its new id.
  virtual absl::StatusOr<StoreItem> CreateItem(const StoreItem& item, const ClientRequest& request,
                                               const Actor& actor) = 0;
  // Replaces the descriptive fields, price, value, funding, window, limit and active (not the
  // stock). NOT_FOUND "ITEM_NOT_FOUND: ..." if the village has no such item.
  virtual absl::StatusOr<StoreItem> UpdateItem(const StoreItem& item, const Actor& actor) = 0;
  // NOT_FOUND "ITEM_NOT_FOUND: ...".
  virtual absl::StatusOr<StoreItem> GetItem(int64_t village_id, int64_t item_id) = 0;
  virtual absl::StatusOr<std::vector<StoreItem>> ListItems(int64_t village_id) = 0;
  // Adds `delta` units (negative removes) in one conditional statement. FAILED_PRECONDITION
  // "NEGATIVE_STOCK: ..." if the stock would go below zero; NOT_FOUND "ITEM_NOT_FOUND: ...".
  virtual absl::StatusOr<StoreItem> AdjustStock(int64_t village_id, int64_t item_id, int64_t delta,
                                                const std::string& reason, int64_t now_ms,
                                                const ClientRequest& request,
                                                const Actor& actor) = 0;
  // The write the village made under `client_request_id`, if any.
  virtual absl::StatusOr<std::optional<RecordedRequest>> FindRequest(
      int64_t village_id, const std::string& client_request_id) = 0;

  // --- orders
  virtual absl::StatusOr<std::optional<Order>> FindOrder(const std::string& order_id) = 0;
  // One transaction: inserts the order as RESERVED (ALREADY_EXISTS if the order id is taken: the
  // caller reloads and compares); takes order.quantity units of the item's stock if that many
  // remain (FAILED_PRECONDITION otherwise: "SOLD_OUT: ..." when none remains, "OUT_OF_STOCK: only
  // <n> of "<name>" left" when fewer than ordered remain); when limit_per_household > 0, counts
  // the household's active units of the item in order.limit_period_key with a locking read and
  // refuses with FAILED_PRECONDITION "LIMIT_REACHED: ..." if the order would exceed the limit.
  // A refusal leaves nothing behind (the insert is rolled back).
  virtual absl::StatusOr<Order> Reserve(const Order& order, int32_t limit_per_household,
                                        const Actor& actor) = 0;
  // RESERVED -> CONFIRMED with the pickup code and the wallet balance after the debit. `reserved`
  // is the order as Reserve or FindOrder returned it. ALREADY_EXISTS if the village already has an
  // order with that pickup code (pick another).
  virtual absl::StatusOr<OrderUpdate> Confirm(const Order& reserved, const std::string& pickup_code,
                                              int64_t wallet_balance_points, int64_t now_ms,
                                              const Actor& actor) = 0;
  // RESERVED -> FAILED with `reason`; the order's units go back to stock.
  virtual absl::StatusOr<OrderUpdate> Fail(const std::string& order_id, const std::string& reason,
                                           int64_t now_ms, const Actor& actor) = 0;
  // CONFIRMED -> CANCELLING (the refund is then asked for).
  virtual absl::StatusOr<OrderUpdate> BeginCancel(const std::string& order_id,
                                                  const std::string& reason, int64_t now_ms,
                                                  const Actor& actor) = 0;
  // CANCELLING -> CANCELLED; the order's units go back to stock.
  virtual absl::StatusOr<OrderUpdate> FinishCancel(const std::string& order_id, int64_t now_ms,
                                                   const Actor& actor) = 0;
  // The village's order with that pickup code: CONFIRMED -> FULFILLED. NOT_FOUND
  // "PICKUP_CODE_UNKNOWN: ..." when no order of the village has the code.
  virtual absl::StatusOr<OrderUpdate> Fulfil(int64_t village_id, const std::string& pickup_code,
                                             int64_t now_ms, const Actor& actor) = 0;
  virtual absl::StatusOr<OrderPage> ListOrders(const OrderQuery& query) = 0;
  // Orders in RESERVED or CANCELLING last changed before `updated_before_ms`, oldest first.
  virtual absl::StatusOr<std::vector<Order>> ListUnfinishedOrders(int64_t updated_before_ms,
                                                                  int32_t limit) = 0;
  // Orders of the village created in [from_ms, until_ms) (0: unbounded), oldest first, at most
  // `limit`.
  virtual absl::StatusOr<std::vector<Order>> ListOrdersCreatedBetween(int64_t village_id,
                                                                      int64_t from_ms,
                                                                      int64_t until_ms,
                                                                      int32_t limit) = 0;

  // --- funding and budget
  virtual absl::StatusOr<FundingSource> CreateFundingSource(const FundingSource& source,
                                                            const ClientRequest& request,
                                                            const Actor& actor) = 0;
  // NOT_FOUND "FUNDING_SOURCE_NOT_FOUND: ..." if the village has no such source.
  virtual absl::StatusOr<FundingSource> GetFundingSource(int64_t village_id,
                                                         int64_t funding_source_id) = 0;
  // year 0: every year.
  virtual absl::StatusOr<std::vector<FundingSource>> ListFundingSources(int64_t village_id,
                                                                        int32_t year) = 0;
  // FAILED_PRECONDITION "NOT_A_DONATION_SOURCE: ..." unless the funding source is a DONATION source
  // of the same village; NOT_FOUND "FUNDING_SOURCE_NOT_FOUND: ..." if it does not exist.
  virtual absl::StatusOr<Donation> RecordDonation(const Donation& donation,
                                                  const ClientRequest& request,
                                                  const Actor& actor) = 0;
  // NOT_FOUND if the village has no such donation.
  virtual absl::StatusOr<Donation> GetDonation(int64_t village_id, int64_t donation_id) = 0;
  // Donations with donated_on in [from_date, until_date) ("YYYY-MM-DD"; empty: unbounded).
  virtual absl::StatusOr<std::vector<Donation>> ListDonations(int64_t village_id,
                                                              const std::string& from_date,
                                                              const std::string& until_date) = 0;
  // Records the year's budget, audited with before, after and `reason` ("" for none). kFirstOnly
  // writes only when nothing is recorded: a recorded budget of the same amount is returned as it
  // is (nothing written), another is FAILED_PRECONDITION "BUDGET_YEAR_CLOSED: ...".
  virtual absl::StatusOr<Budget> SetBudget(const Budget& budget, BudgetWrite write,
                                           const std::string& reason, const Actor& actor) = 0;
  // The figures of `year`: its budget and the previous year's, the committed funding of sources
  // of `year`, donations dated in [year_start_date, next_year_start_date), and the value of orders
  // confirmed in [year_start_ms, next_year_start_ms) that are CONFIRMED or FULFILLED now.
  virtual absl::StatusOr<BudgetFacts> GetBudgetFacts(int64_t village_id, int32_t year,
                                                     int64_t year_start_ms,
                                                     int64_t next_year_start_ms) = 0;
};

}  // namespace jifen::redemption
