// In-memory StoreRepository and WalletClient for unit tests. One mutex around everything, so the
// conditional changes behave like the MySQL ones under concurrency.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "services/redemption/domain/repository.h"
#include "services/redemption/domain/wallet.h"

namespace jifen::redemption {

struct AuditNote {
  std::string action;
  std::string object_id;
  std::string actor_user_id;
};

class FakeStoreRepository final : public StoreRepository {
 public:
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

  std::vector<AuditNote> audits() const;
  int64_t StockOf(int64_t item_id) const;
  std::string last_budget_reason() const;

 private:
  absl::StatusOr<OrderUpdate> Release(const std::string& order_id, OrderStatus from, OrderStatus to,
                                      const std::string& reason, int64_t now_ms, const Actor& actor,
                                      const char* action);
  void Note(const char* action, const std::string& id, const Actor& actor)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  bool RequestTaken(int64_t village_id, const ClientRequest& request) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void Record(int64_t village_id, const ClientRequest& request, int64_t object_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  mutable absl::Mutex mutex_;
  int64_t next_id_ ABSL_GUARDED_BY(mutex_) = 1;
  std::map<int64_t, StoreItem> items_ ABSL_GUARDED_BY(mutex_);
  std::map<std::string, Order> orders_ ABSL_GUARDED_BY(mutex_);
  std::map<int64_t, FundingSource> sources_ ABSL_GUARDED_BY(mutex_);
  std::vector<Donation> donations_ ABSL_GUARDED_BY(mutex_);
  std::map<std::pair<int64_t, int32_t>, int64_t> budgets_ ABSL_GUARDED_BY(mutex_);
  std::string last_budget_reason_ ABSL_GUARDED_BY(mutex_);
  std::vector<AuditNote> audits_ ABSL_GUARDED_BY(mutex_);
  std::map<std::pair<int64_t, std::string>, RecordedRequest> requests_ ABSL_GUARDED_BY(mutex_);
};

// A wallet per household with an idempotent Debit by order id, like scoring's.
class FakeWallet final : public WalletClient {
 public:
  void Credit(int64_t household_id, int64_t points);
  int64_t Balance(int64_t household_id) const;
  // The next `calls` Debit/Refund calls fail with `status` before doing anything.
  void FailNext(int calls, absl::Status status);
  // The next Debit is applied, but its answer is lost (the caller sees UNAVAILABLE).
  void LoseNextDebitAnswer();
  int debit_calls() const;
  // The request ids Debit and Refund were called with, in order.
  std::vector<std::string> request_ids() const;

  absl::StatusOr<DebitResult> Debit(int64_t household_id, int64_t points,
                                    const std::string& order_id, const std::string& reason,
                                    const std::string& request_id) override;
  absl::Status Refund(const std::string& order_id, const std::string& reason,
                      const std::string& request_id) override;

 private:
  struct Debited {
    int64_t household_id;
    int64_t points;
    int64_t balance_after;
    bool refunded;
  };
  mutable absl::Mutex mutex_;
  std::map<int64_t, int64_t> balances_ ABSL_GUARDED_BY(mutex_);
  std::map<std::string, Debited> debits_ ABSL_GUARDED_BY(mutex_);
  int fail_calls_ ABSL_GUARDED_BY(mutex_) = 0;
  absl::Status fail_status_ ABSL_GUARDED_BY(mutex_);
  bool lose_next_answer_ ABSL_GUARDED_BY(mutex_) = false;
  int debit_calls_ ABSL_GUARDED_BY(mutex_) = 0;
  std::vector<std::string> request_ids_ ABSL_GUARDED_BY(mutex_);
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t now_ms) : now_ms_(now_ms) {}
  int64_t NowMs() override {
    absl::MutexLock lock(&mutex_);
    return now_ms_;
  }
  void Advance(int64_t ms) {
    absl::MutexLock lock(&mutex_);
    now_ms_ += ms;
  }

 private:
  absl::Mutex mutex_;
  int64_t now_ms_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace jifen::redemption
