// StoreRepository on MariaDB (schema: services/redemption/migrations); its prepared statements are
// kept per pooled connection (common/mysql/statement_cache.h).
//
// Stock only ever changes in one conditional statement ("stock = stock - ? WHERE stock >= ?",
// affected rows checked): MariaDB's REPEATABLE READ does not detect write conflicts, so
// read-then-write would oversell. Order state changes are conditional on the current state the
// same way.
//
// Every change appends a jifen.audit.v1.AuditRecord to the outbox (topic "audit") in its own
// transaction; actions: create, update, restock (store_item); reserve, confirm, fail,
// request_cancel, cancel, fulfil (order); create (funding_source); record (donation); set (budget).
//
// Lock order: releases and cancellations lock the item row, then the order row. A reservation of
// an item without a household limit inserts its own new order row (which nobody else can wait for)
// and then locks the item row, so the hot row is held only from the stock update to the commit;
// with a limit it locks the item row first, so that the limit count is never raced.
#pragma once

#include <functional>

#include "common/mysql/connection_pool.h"
#include "services/redemption/domain/repository.h"

namespace jifen::redemption {

class MySqlStoreRepository final : public StoreRepository {
 public:
  // The pool must outlive the repository.
  explicit MySqlStoreRepository(mysql::ConnectionPool* pool) : pool_(pool) {}

  absl::StatusOr<StoreItem> CreateItem(const StoreItem& item, const ClientRequest& request,
                                       const Actor& actor) override;
  absl::StatusOr<StoreItem> UpdateItem(const StoreItem& item, const Actor& actor) override;
  absl::StatusOr<StoreItem> GetItem(int64_t village_id, int64_t item_id) override;
  absl::StatusOr<std::vector<StoreItem>> ListItems(int64_t village_id) override;
  absl::StatusOr<StoreItem> AdjustStock(int64_t village_id, int64_t item_id, int64_t delta,
                                        const std::string& reason, int64_t now_ms,
                                        const ClientRequest& request, const Actor& actor) override;
  absl::StatusOr<std::optional<RecordedRequest>> FindRequest(
      int64_t village_id, const std::string& client_request_id) override;

  absl::StatusOr<std::optional<Order>> FindOrder(const std::string& order_id) override;
  absl::StatusOr<Order> Reserve(const Order& order, int32_t limit_per_household,
                                const Actor& actor) override;
  absl::StatusOr<OrderUpdate> Confirm(const Order& reserved, const std::string& pickup_code,
                                      int64_t wallet_balance_points, int64_t now_ms,
                                      const Actor& actor) override;
  absl::StatusOr<OrderUpdate> Fail(const std::string& order_id, const std::string& reason,
                                   int64_t now_ms, const Actor& actor) override;
  absl::StatusOr<OrderUpdate> BeginCancel(const std::string& order_id, const std::string& reason,
                                          int64_t now_ms, const Actor& actor) override;
  absl::StatusOr<OrderUpdate> FinishCancel(const std::string& order_id, int64_t now_ms,
                                           const Actor& actor) override;
  absl::StatusOr<OrderUpdate> Fulfil(int64_t village_id, const std::string& pickup_code,
                                     int64_t now_ms, const Actor& actor) override;
  absl::StatusOr<OrderPage> ListOrders(const OrderQuery& query) override;
  absl::StatusOr<std::vector<Order>> ListUnfinishedOrders(int64_t updated_before_ms,
                                                          int32_t limit) override;
  absl::StatusOr<std::vector<Order>> ListOrdersCreatedBetween(int64_t village_id, int64_t from_ms,
                                                              int64_t until_ms,
                                                              int32_t limit) override;

  absl::StatusOr<FundingSource> CreateFundingSource(const FundingSource& source,
                                                    const ClientRequest& request,
                                                    const Actor& actor) override;
  absl::StatusOr<FundingSource> GetFundingSource(int64_t village_id,
                                                 int64_t funding_source_id) override;
  absl::StatusOr<std::vector<FundingSource>> ListFundingSources(int64_t village_id,
                                                                int32_t year) override;
  absl::StatusOr<Donation> RecordDonation(const Donation& donation, const ClientRequest& request,
                                          const Actor& actor) override;
  absl::StatusOr<Donation> GetDonation(int64_t village_id, int64_t donation_id) override;
  absl::StatusOr<std::vector<Donation>> ListDonations(int64_t village_id,
                                                      const std::string& from_date,
                                                      const std::string& until_date) override;
  absl::StatusOr<Budget> SetBudget(const Budget& budget, BudgetWrite write,
                                   const std::string& reason, const Actor& actor) override;
  absl::StatusOr<BudgetFacts> GetBudgetFacts(int64_t village_id, int32_t year,
                                             int64_t year_start_ms,
                                             int64_t next_year_start_ms) override;

 private:
  // Moves a RESERVED order to FAILED or a CANCELLING one to CANCELLED, giving its units back.
  absl::StatusOr<OrderUpdate> ReleaseOrder(const std::string& order_id, OrderStatus from,
                                           OrderStatus to, const std::string& reason,
                                           int64_t now_ms, const Actor& actor, const char* action);

  mysql::ConnectionPool* pool_;
};

}  // namespace jifen::redemption
