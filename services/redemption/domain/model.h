// The points store's data as the rules see it: plain structs, no protobuf, no SQL. Units are in the
// names: points are wallet points, *_fen is money in fen, *_ms is Unix milliseconds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace jifen::redemption {

// Values match jifen.redemption.v1.LimitPeriod and the store_items.limit_period column.
enum class LimitPeriod { kMonth = 1, kQuarter = 2, kYear = 3 };

// Values match jifen.redemption.v1.OrderStatus and the orders.status column.
enum class OrderStatus {
  kReserved = 1,
  kConfirmed = 2,
  kFulfilled = 3,
  kCancelling = 4,
  kCancelled = 5,
  kFailed = 6,
};

// Values match jifen.redemption.v1.FundingKind and the funding_sources.kind column.
enum class FundingKind {
  kVillageFunds = 1,
  kDonation = 2,
  kTownSubsidy = 3,
  kDistrictSubsidy = 4,
  kOther = 5,
};

struct StoreItem {
  int64_t item_id = 0;
  int64_t village_id = 0;
  std::string name;
  std::string description;
  std::string photo_ref;
  int64_t price_points = 0;
  int64_t stock = 0;
  int64_t value_fen = 0;
  int64_t funding_source_id = 0;
  int64_t on_sale_from_ms = 0;      // 0: unbounded
  int64_t on_sale_until_ms = 0;     // 0: unbounded
  int32_t limit_per_household = 0;  // 0: no limit
  LimitPeriod limit_period = LimitPeriod::kQuarter;
  bool active = true;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
};

struct Order {
  std::string order_id;
  int64_t village_id = 0;
  int64_t household_id = 0;
  int64_t item_id = 0;
  std::string item_name;
  int32_t quantity = 0;
  int64_t price_points = 0;
  int64_t total_points = 0;
  int64_t value_fen = 0;
  int64_t funding_source_id = 0;
  OrderStatus status = OrderStatus::kReserved;
  std::string pickup_code;
  std::string status_reason;
  int64_t wallet_balance_points = 0;
  std::string limit_period_key;  // "2026Q4", "2026-11" or "2026"
  std::string ordered_by_user_id;
  int64_t created_at_ms = 0;
  int64_t confirmed_at_ms = 0;
  int64_t fulfilled_at_ms = 0;
  std::string fulfilled_by_user_id;
  int64_t cancelled_at_ms = 0;
  int64_t updated_at_ms = 0;
};

// The result of a conditional state change: the order as it is now, and whether this call changed
// it (false: it was not in the state the change requires, e.g. a concurrent call got there first).
struct OrderUpdate {
  Order order;
  bool changed = false;
};

struct FundingSource {
  int64_t funding_source_id = 0;
  int64_t village_id = 0;
  int32_t year = 0;
  FundingKind kind = FundingKind::kVillageFunds;
  std::string name;
  int64_t committed_fen = 0;
  int64_t created_at_ms = 0;
};

struct Donation {
  int64_t donation_id = 0;
  int64_t village_id = 0;
  int64_t funding_source_id = 0;
  std::string donor;
  int64_t amount_fen = 0;
  std::string donated_on;  // "YYYY-MM-DD"
  std::string note;
  int64_t created_at_ms = 0;
};

struct Budget {
  int64_t village_id = 0;
  int32_t year = 0;
  int64_t budget_fen = 0;
  int64_t updated_at_ms = 0;
};

// How a budget is written: replacing what is recorded (a year still running, or the district's
// correction), or only as the year's first record (an ended year the village never recorded).
enum class BudgetWrite { kReplace, kFirstOnly };

// What storage knows about one village's year; the rule is evaluated in the domain.
struct BudgetFacts {
  std::optional<int64_t> budget_fen;
  std::optional<int64_t> previous_budget_fen;
  int64_t funding_committed_fen = 0;
  int64_t donations_fen = 0;
  int64_t redeemed_value_fen = 0;
};

struct BudgetCheck {
  int64_t village_id = 0;
  int32_t year = 0;
  bool budget_set = false;
  int64_t budget_fen = 0;
  bool previous_budget_set = false;
  int64_t previous_budget_fen = 0;
  bool not_lower_than_last_year = false;
  int64_t funding_committed_fen = 0;
  int64_t donations_fen = 0;
  int64_t redeemed_value_fen = 0;
  int64_t remaining_fen = 0;
};

// A store or funding write (CreateItem, RestockItem, CreateFundingSource, RecordDonation) under the
// id its client generated for it, so that a retry after a lost answer can be told from a new write.
struct ClientRequest {
  std::string client_request_id;  // unique within the village
  std::string kind;               // which write: "create_item", "restock_item", ...
  std::string payload;            // its fields, canonical (client_requests.h): equal means same
};

// A write made under a client_request_id: what it asked for and the object it created or changed
// (item, funding source or donation id).
struct RecordedRequest {
  std::string kind;
  std::string payload;
  int64_t object_id = 0;
};

// Who makes a change, for the audit trail.
struct Actor {
  std::string user_id;
  std::string role;          // auth::RoleName
  std::string request_id{};  // the request that makes the change; "" for the service's own work
};

struct OrderQuery {
  int64_t village_id = 0;
  std::optional<OrderStatus> status;
  int64_t household_id = 0;  // 0: every household
  int32_t page_size = 100;
  // Resume after this (created_at_ms, order_id) position, newest first; empty order_id: start.
  int64_t after_created_at_ms = 0;
  std::string after_order_id;
};

struct OrderPage {
  std::vector<Order> orders;
  bool more = false;  // there are orders after the last one returned
};

}  // namespace jifen::redemption
