#include "services/redemption/domain/fake_store_repository.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "services/redemption/domain/errors.h"

namespace jifen::redemption {
namespace {

bool Active(OrderStatus status) {
  return status == OrderStatus::kReserved || status == OrderStatus::kConfirmed ||
         status == OrderStatus::kFulfilled || status == OrderStatus::kCancelling;
}

}  // namespace

void FakeStoreRepository::Note(const char* action, const std::string& id, const Actor& actor) {
  audits_.push_back({action, id, actor.user_id});
}

std::vector<AuditNote> FakeStoreRepository::audits() const {
  absl::MutexLock lock(&mutex_);
  return audits_;
}

std::string FakeStoreRepository::last_budget_reason() const {
  absl::MutexLock lock(&mutex_);
  return last_budget_reason_;
}

int64_t FakeStoreRepository::StockOf(int64_t item_id) const {
  absl::MutexLock lock(&mutex_);
  auto it = items_.find(item_id);
  return it == items_.end() ? -1 : it->second.stock;
}

bool FakeStoreRepository::RequestTaken(int64_t village_id, const ClientRequest& request) const {
  return requests_.count({village_id, request.client_request_id}) != 0;
}

void FakeStoreRepository::Record(int64_t village_id, const ClientRequest& request,
                                 int64_t object_id) {
  requests_[{village_id, request.client_request_id}] = {request.kind, request.payload, object_id};
}

absl::StatusOr<std::optional<RecordedRequest>> FakeStoreRepository::FindRequest(
    int64_t village_id, const std::string& client_request_id) {
  absl::MutexLock lock(&mutex_);
  auto it = requests_.find({village_id, client_request_id});
  if (it == requests_.end()) return std::optional<RecordedRequest>();
  return std::optional<RecordedRequest>(it->second);
}

absl::StatusOr<StoreItem> FakeStoreRepository::CreateItem(const StoreItem& item,
                                                          const ClientRequest& request,
                                                          const Actor& actor) {
  absl::MutexLock lock(&mutex_);
  if (RequestTaken(item.village_id, request)) return absl::AlreadyExistsError("request id taken");
  StoreItem created = item;
  created.item_id = next_id_++;
  items_[created.item_id] = created;
  Record(item.village_id, request, created.item_id);
  Note("item.created", absl::StrCat(created.item_id), actor);
  return created;
}

absl::StatusOr<StoreItem> FakeStoreRepository::UpdateItem(const StoreItem& item,
                                                          const Actor& actor) {
  absl::MutexLock lock(&mutex_);
  auto it = items_.find(item.item_id);
  if (it == items_.end() || it->second.village_id != item.village_id) {
    return CodedError(absl::StatusCode::kNotFound, kItemNotFound, "no such item");
  }
  StoreItem updated = item;
  updated.stock = it->second.stock;
  updated.created_at_ms = it->second.created_at_ms;
  it->second = updated;
  Note("item.updated", absl::StrCat(item.item_id), actor);
  return updated;
}

absl::StatusOr<StoreItem> FakeStoreRepository::GetItem(int64_t village_id, int64_t item_id) {
  absl::MutexLock lock(&mutex_);
  auto it = items_.find(item_id);
  if (it == items_.end() || it->second.village_id != village_id) {
    return CodedError(absl::StatusCode::kNotFound, kItemNotFound, "no such item");
  }
  return it->second;
}

absl::StatusOr<std::vector<StoreItem>> FakeStoreRepository::ListItems(int64_t village_id) {
  absl::MutexLock lock(&mutex_);
  std::vector<StoreItem> items;
  for (const auto& [id, item] : items_) {
    if (item.village_id == village_id) items.push_back(item);
  }
  return items;
}

absl::StatusOr<StoreItem> FakeStoreRepository::AdjustStock(int64_t village_id, int64_t item_id,
                                                           int64_t delta, const std::string& reason,
                                                           int64_t now_ms,
                                                           const ClientRequest& request,
                                                           const Actor& actor) {
  absl::MutexLock lock(&mutex_);
  if (RequestTaken(village_id, request)) return absl::AlreadyExistsError("request id taken");
  auto it = items_.find(item_id);
  if (it == items_.end() || it->second.village_id != village_id) {
    return CodedError(absl::StatusCode::kNotFound, kItemNotFound, "no such item");
  }
  if (it->second.stock + delta < 0) {
    return CodedError(absl::StatusCode::kFailedPrecondition, kNegativeStock, "too few");
  }
  it->second.stock += delta;
  it->second.updated_at_ms = now_ms;
  Record(village_id, request, item_id);
  Note("item.restocked", absl::StrCat(item_id), actor);
  return it->second;
}

absl::StatusOr<std::optional<Order>> FakeStoreRepository::FindOrder(const std::string& order_id) {
  absl::MutexLock lock(&mutex_);
  auto it = orders_.find(order_id);
  if (it == orders_.end()) return std::optional<Order>();
  return std::optional<Order>(it->second);
}

absl::StatusOr<Order> FakeStoreRepository::Reserve(const Order& order, int32_t limit_per_household,
                                                   const Actor& actor) {
  absl::MutexLock lock(&mutex_);
  if (orders_.count(order.order_id) != 0) return absl::AlreadyExistsError("duplicate order id");
  auto it = items_.find(order.item_id);
  if (it == items_.end()) return CodedError(absl::StatusCode::kNotFound, kItemNotFound, "no item");
  if (it->second.stock < order.quantity) {
    return CodedError(absl::StatusCode::kFailedPrecondition, kSoldOut, "sold out");
  }
  if (limit_per_household > 0) {
    int64_t used = 0;
    for (const auto& [id, o] : orders_) {
      if (o.household_id == order.household_id && o.item_id == order.item_id &&
          o.limit_period_key == order.limit_period_key && Active(o.status)) {
        used += o.quantity;
      }
    }
    if (used + order.quantity > limit_per_household) {
      return CodedError(absl::StatusCode::kFailedPrecondition, kLimitReached, "limit");
    }
  }
  it->second.stock -= order.quantity;
  orders_[order.order_id] = order;
  Note("order.reserved", order.order_id, actor);
  return order;
}

absl::StatusOr<OrderUpdate> FakeStoreRepository::Confirm(const Order& reserved,
                                                         const std::string& pickup_code,
                                                         int64_t wallet_balance_points,
                                                         int64_t now_ms, const Actor& actor) {
  const std::string& order_id = reserved.order_id;
  absl::MutexLock lock(&mutex_);
  auto it = orders_.find(order_id);
  if (it == orders_.end()) return absl::NotFoundError("no order");
  if (it->second.status != OrderStatus::kReserved) return OrderUpdate{it->second, false};
  for (const auto& [id, o] : orders_) {
    if (o.village_id == it->second.village_id && o.pickup_code == pickup_code) {
      return absl::AlreadyExistsError("pickup code taken");
    }
  }
  it->second.status = OrderStatus::kConfirmed;
  it->second.pickup_code = pickup_code;
  it->second.wallet_balance_points = wallet_balance_points;
  it->second.confirmed_at_ms = now_ms;
  it->second.updated_at_ms = now_ms;
  Note("order.confirmed", order_id, actor);
  return OrderUpdate{it->second, true};
}

absl::StatusOr<OrderUpdate> FakeStoreRepository::Release(const std::string& order_id,
                                                         OrderStatus from, OrderStatus to,
                                                         const std::string& reason, int64_t now_ms,
                                                         const Actor& actor, const char* action) {
  absl::MutexLock lock(&mutex_);
  auto it = orders_.find(order_id);
  if (it == orders_.end()) return absl::NotFoundError("no order");
  if (it->second.status != from) return OrderUpdate{it->second, false};
  items_[it->second.item_id].stock += it->second.quantity;
  it->second.status = to;
  it->second.wallet_balance_points = 0;
  if (to == OrderStatus::kCancelled) {
    it->second.cancelled_at_ms = now_ms;
  } else {
    it->second.status_reason = reason;
  }
  it->second.updated_at_ms = now_ms;
  Note(action, order_id, actor);
  return OrderUpdate{it->second, true};
}

absl::StatusOr<OrderUpdate> FakeStoreRepository::Fail(const std::string& order_id,
                                                      const std::string& reason, int64_t now_ms,
                                                      const Actor& actor) {
  return Release(order_id, OrderStatus::kReserved, OrderStatus::kFailed, reason, now_ms, actor,
                 "order.failed");
}

absl::StatusOr<OrderUpdate> FakeStoreRepository::FinishCancel(const std::string& order_id,
                                                              int64_t now_ms, const Actor& actor) {
  return Release(order_id, OrderStatus::kCancelling, OrderStatus::kCancelled, "", now_ms, actor,
                 "order.cancelled");
}

absl::StatusOr<OrderUpdate> FakeStoreRepository::BeginCancel(const std::string& order_id,
                                                             const std::string& reason,
                                                             int64_t now_ms, const Actor& actor) {
  absl::MutexLock lock(&mutex_);
  auto it = orders_.find(order_id);
  if (it == orders_.end()) return absl::NotFoundError("no order");
  if (it->second.status != OrderStatus::kConfirmed) return OrderUpdate{it->second, false};
  it->second.status = OrderStatus::kCancelling;
  it->second.wallet_balance_points = 0;
  it->second.status_reason = reason;
  it->second.updated_at_ms = now_ms;
  Note("order.cancel_started", order_id, actor);
  return OrderUpdate{it->second, true};
}

absl::StatusOr<OrderUpdate> FakeStoreRepository::Fulfil(int64_t village_id,
                                                        const std::string& pickup_code,
                                                        int64_t now_ms, const Actor& actor) {
  absl::MutexLock lock(&mutex_);
  for (auto& [id, o] : orders_) {
    if (o.village_id != village_id || o.pickup_code != pickup_code) continue;
    if (o.status != OrderStatus::kConfirmed) return OrderUpdate{o, false};
    o.status = OrderStatus::kFulfilled;
    o.fulfilled_at_ms = now_ms;
    o.fulfilled_by_user_id = actor.user_id;
    o.updated_at_ms = now_ms;
    Note("order.fulfilled", id, actor);
    return OrderUpdate{o, true};
  }
  return CodedError(absl::StatusCode::kNotFound, kPickupCodeUnknown, "unknown code");
}

absl::StatusOr<OrderPage> FakeStoreRepository::ListOrders(const OrderQuery& query) {
  absl::MutexLock lock(&mutex_);
  std::vector<Order> matching;
  for (const auto& [id, o] : orders_) {
    if (o.village_id != query.village_id) continue;
    if (query.status.has_value() && o.status != *query.status) continue;
    if (query.household_id != 0 && o.household_id != query.household_id) continue;
    if (!query.after_order_id.empty() &&
        std::make_tuple(o.created_at_ms, o.order_id) >=
            std::make_tuple(query.after_created_at_ms, query.after_order_id)) {
      continue;
    }
    matching.push_back(o);
  }
  std::sort(matching.begin(), matching.end(), [](const Order& a, const Order& b) {
    return std::tie(a.created_at_ms, a.order_id) > std::tie(b.created_at_ms, b.order_id);
  });
  OrderPage page;
  page.more = matching.size() > static_cast<size_t>(query.page_size);
  if (page.more) matching.resize(query.page_size);
  page.orders = std::move(matching);
  return page;
}

absl::StatusOr<std::vector<Order>> FakeStoreRepository::ListUnfinishedOrders(
    int64_t updated_before_ms, int32_t limit) {
  absl::MutexLock lock(&mutex_);
  std::vector<Order> out;
  for (const auto& [id, o] : orders_) {
    if ((o.status == OrderStatus::kReserved || o.status == OrderStatus::kCancelling) &&
        o.updated_at_ms < updated_before_ms && out.size() < static_cast<size_t>(limit)) {
      out.push_back(o);
    }
  }
  return out;
}

absl::StatusOr<std::vector<Order>> FakeStoreRepository::ListOrdersCreatedBetween(int64_t village_id,
                                                                                 int64_t from_ms,
                                                                                 int64_t until_ms,
                                                                                 int32_t limit) {
  absl::MutexLock lock(&mutex_);
  std::vector<Order> out;
  for (const auto& [id, o] : orders_) {
    if (o.village_id == village_id && o.created_at_ms >= from_ms &&
        (until_ms == 0 || o.created_at_ms < until_ms) && out.size() < static_cast<size_t>(limit)) {
      out.push_back(o);
    }
  }
  std::sort(out.begin(), out.end(), [](const Order& a, const Order& b) {
    return std::tie(a.created_at_ms, a.order_id) < std::tie(b.created_at_ms, b.order_id);
  });
  return out;
}

absl::StatusOr<FundingSource> FakeStoreRepository::CreateFundingSource(const FundingSource& source,
                                                                       const ClientRequest& request,
                                                                       const Actor& actor) {
  absl::MutexLock lock(&mutex_);
  if (RequestTaken(source.village_id, request)) {
    return absl::AlreadyExistsError("request id taken");
  }
  FundingSource created = source;
  created.funding_source_id = next_id_++;
  sources_[created.funding_source_id] = created;
  Record(source.village_id, request, created.funding_source_id);
  Note("funding_source.created", absl::StrCat(created.funding_source_id), actor);
  return created;
}

absl::StatusOr<std::vector<FundingSource>> FakeStoreRepository::ListFundingSources(
    int64_t village_id, int32_t year) {
  absl::MutexLock lock(&mutex_);
  std::vector<FundingSource> out;
  for (const auto& [id, s] : sources_) {
    if (s.village_id == village_id && (year == 0 || s.year == year)) out.push_back(s);
  }
  return out;
}

absl::StatusOr<FundingSource> FakeStoreRepository::GetFundingSource(int64_t village_id,
                                                                    int64_t funding_source_id) {
  absl::MutexLock lock(&mutex_);
  auto it = sources_.find(funding_source_id);
  if (it == sources_.end() || it->second.village_id != village_id) {
    return CodedError(absl::StatusCode::kNotFound, kFundingSourceNotFound, "no source");
  }
  return it->second;
}

absl::StatusOr<Donation> FakeStoreRepository::GetDonation(int64_t village_id, int64_t donation_id) {
  absl::MutexLock lock(&mutex_);
  for (const Donation& d : donations_) {
    if (d.village_id == village_id && d.donation_id == donation_id) return d;
  }
  return absl::NotFoundError("no such donation");
}

absl::StatusOr<Donation> FakeStoreRepository::RecordDonation(const Donation& donation,
                                                             const ClientRequest& request,
                                                             const Actor& actor) {
  absl::MutexLock lock(&mutex_);
  if (RequestTaken(donation.village_id, request)) {
    return absl::AlreadyExistsError("request id taken");
  }
  auto it = sources_.find(donation.funding_source_id);
  if (it == sources_.end() || it->second.village_id != donation.village_id) {
    return CodedError(absl::StatusCode::kNotFound, kFundingSourceNotFound, "no source");
  }
  if (it->second.kind != FundingKind::kDonation) {
    return CodedError(absl::StatusCode::kFailedPrecondition, kNotADonationSource, "not donation");
  }
  Donation created = donation;
  created.donation_id = next_id_++;
  donations_.push_back(created);
  Record(donation.village_id, request, created.donation_id);
  Note("donation.recorded", absl::StrCat(created.donation_id), actor);
  return created;
}

absl::StatusOr<std::vector<Donation>> FakeStoreRepository::ListDonations(
    int64_t village_id, const std::string& from_date, const std::string& until_date) {
  absl::MutexLock lock(&mutex_);
  std::vector<Donation> out;
  for (const Donation& d : donations_) {
    if (d.village_id == village_id && (from_date.empty() || d.donated_on >= from_date) &&
        (until_date.empty() || d.donated_on < until_date)) {
      out.push_back(d);
    }
  }
  return out;
}

absl::StatusOr<Budget> FakeStoreRepository::SetBudget(const Budget& budget, BudgetWrite write,
                                                      const std::string& reason,
                                                      const Actor& actor) {
  absl::MutexLock lock(&mutex_);
  auto it = budgets_.find({budget.village_id, budget.year});
  if (write == BudgetWrite::kFirstOnly && it != budgets_.end()) {
    if (it->second == budget.budget_fen) return budget;
    return CodedError(absl::StatusCode::kFailedPrecondition, kBudgetYearClosed, "fixed");
  }
  budgets_[{budget.village_id, budget.year}] = budget.budget_fen;
  last_budget_reason_ = reason;
  Note("budget.set", absl::StrCat(budget.village_id, "/", budget.year), actor);
  return budget;
}

absl::StatusOr<BudgetFacts> FakeStoreRepository::GetBudgetFacts(int64_t village_id, int32_t year,
                                                                int64_t year_start_ms,
                                                                int64_t next_year_start_ms) {
  absl::MutexLock lock(&mutex_);
  BudgetFacts facts;
  if (auto it = budgets_.find({village_id, year}); it != budgets_.end()) {
    facts.budget_fen = it->second;
  }
  if (auto it = budgets_.find({village_id, year - 1}); it != budgets_.end()) {
    facts.previous_budget_fen = it->second;
  }
  for (const auto& [id, s] : sources_) {
    if (s.village_id == village_id && s.year == year)
      facts.funding_committed_fen += s.committed_fen;
  }
  const std::string from = absl::StrCat(year, "-01-01");
  const std::string until = absl::StrCat(year + 1, "-01-01");
  for (const Donation& d : donations_) {
    if (d.village_id == village_id && d.donated_on >= from && d.donated_on < until) {
      facts.donations_fen += d.amount_fen;
    }
  }
  for (const auto& [id, o] : orders_) {
    if (o.village_id == village_id &&
        (o.status == OrderStatus::kConfirmed || o.status == OrderStatus::kFulfilled) &&
        o.confirmed_at_ms >= year_start_ms && o.confirmed_at_ms < next_year_start_ms) {
      facts.redeemed_value_fen += o.value_fen;
    }
  }
  return facts;
}

// --- FakeWallet ----------------------------------------------------------------------------------

void FakeWallet::Credit(int64_t household_id, int64_t points) {
  absl::MutexLock lock(&mutex_);
  balances_[household_id] += points;
}

int64_t FakeWallet::Balance(int64_t household_id) const {
  absl::MutexLock lock(&mutex_);
  auto it = balances_.find(household_id);
  return it == balances_.end() ? 0 : it->second;
}

void FakeWallet::FailNext(int calls, absl::Status status) {
  absl::MutexLock lock(&mutex_);
  fail_calls_ = calls;
  fail_status_ = std::move(status);
}

void FakeWallet::LoseNextDebitAnswer() {
  absl::MutexLock lock(&mutex_);
  lose_next_answer_ = true;
}

std::vector<std::string> FakeWallet::request_ids() const {
  absl::MutexLock lock(&mutex_);
  return request_ids_;
}

int FakeWallet::debit_calls() const {
  absl::MutexLock lock(&mutex_);
  return debit_calls_;
}

absl::StatusOr<DebitResult> FakeWallet::Debit(int64_t household_id, int64_t points,
                                              const std::string& order_id,
                                              const std::string& reason,
                                              const std::string& request_id) {
  absl::MutexLock lock(&mutex_);
  ++debit_calls_;
  request_ids_.push_back(request_id);
  if (fail_calls_ > 0) {
    --fail_calls_;
    return fail_status_;
  }
  if (auto it = debits_.find(order_id); it != debits_.end()) {
    if (it->second.household_id != household_id || it->second.points != points) {
      return absl::AlreadyExistsError("order id debited with another payload");
    }
    return DebitResult{it->second.balance_after, 1};
  }
  int64_t& balance = balances_[household_id];
  if (balance < points) return absl::FailedPreconditionError("wallet short");
  balance -= points;
  debits_[order_id] = {household_id, points, balance, false};
  if (lose_next_answer_) {
    lose_next_answer_ = false;
    return absl::UnavailableError("answer lost");
  }
  return DebitResult{balance, 1};
}

absl::Status FakeWallet::Refund(const std::string& order_id, const std::string& reason,
                                const std::string& request_id) {
  absl::MutexLock lock(&mutex_);
  request_ids_.push_back(request_id);
  if (fail_calls_ > 0) {
    --fail_calls_;
    return fail_status_;
  }
  auto it = debits_.find(order_id);
  if (it == debits_.end()) return absl::NotFoundError("never debited");
  if (it->second.refunded) return absl::AlreadyExistsError("refunded before");
  it->second.refunded = true;
  balances_[it->second.household_id] += it->second.points;
  return absl::OkStatus();
}

}  // namespace jifen::redemption
