#include "services/redemption/storage/mysql_store_repository.h"

#include <cppconn/connection.h>
#include <cppconn/resultset.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/audit/audit_outbox.h"
#include "common/audit/state_digest.h"
#include "common/mysql/statement.h"
#include "common/mysql/transaction.h"
#include "common/status/status_macros.h"
#include "services/redemption/domain/errors.h"

namespace jifen::redemption {
namespace {

// The statements of one connection by SQL text (each prepared once per pooled connection).
struct SqlOn {
  sql::Connection& connection;
  mysql::Statement operator()(const char* text) const { return mysql::Statement(connection, text); }
  mysql::Statement operator()(const std::string& text) const {
    return mysql::Statement(connection, text.c_str());
  }
};

constexpr char kItemColumns[] =
    "village_id, item_id, name, description, photo_ref, price_points, stock, value_fen,"
    " funding_source_id, on_sale_from_ms, on_sale_until_ms, limit_per_household, limit_period,"
    " active, created_at_ms, updated_at_ms";

constexpr char kOrderColumns[] =
    "village_id, order_id, household_id, item_id, item_name, quantity, price_points, total_points,"
    " value_fen, funding_source_id, status, COALESCE(pickup_code, ''), status_reason,"
    " wallet_balance_points, limit_period_key, ordered_by_user_id, created_at_ms, confirmed_at_ms,"
    " fulfilled_at_ms, fulfilled_by_user_id, cancelled_at_ms, updated_at_ms";

std::string Str(sql::ResultSet& rows, int column) { return rows.getString(column).asStdString(); }

StoreItem ReadItem(sql::ResultSet& rows) {
  StoreItem item;
  item.village_id = rows.getInt64(1);
  item.item_id = rows.getInt64(2);
  item.name = Str(rows, 3);
  item.description = Str(rows, 4);
  item.photo_ref = Str(rows, 5);
  item.price_points = rows.getInt64(6);
  item.stock = rows.getInt64(7);
  item.value_fen = rows.getInt64(8);
  item.funding_source_id = rows.getInt64(9);
  item.on_sale_from_ms = rows.getInt64(10);
  item.on_sale_until_ms = rows.getInt64(11);
  item.limit_per_household = rows.getInt(12);
  const int period = rows.getInt(13);
  item.limit_period = period == 1   ? LimitPeriod::kMonth
                      : period == 3 ? LimitPeriod::kYear
                                    : LimitPeriod::kQuarter;
  item.active = rows.getInt(14) != 0;
  item.created_at_ms = rows.getInt64(15);
  item.updated_at_ms = rows.getInt64(16);
  return item;
}

Order ReadOrder(sql::ResultSet& rows) {
  Order order;
  order.village_id = rows.getInt64(1);
  order.order_id = Str(rows, 2);
  order.household_id = rows.getInt64(3);
  order.item_id = rows.getInt64(4);
  order.item_name = Str(rows, 5);
  order.quantity = rows.getInt(6);
  order.price_points = rows.getInt64(7);
  order.total_points = rows.getInt64(8);
  order.value_fen = rows.getInt64(9);
  order.funding_source_id = rows.getInt64(10);
  order.status = static_cast<OrderStatus>(rows.getInt(11));
  order.pickup_code = Str(rows, 12);
  order.status_reason = Str(rows, 13);
  order.wallet_balance_points = rows.getInt64(14);
  order.limit_period_key = Str(rows, 15);
  order.ordered_by_user_id = Str(rows, 16);
  order.created_at_ms = rows.getInt64(17);
  order.confirmed_at_ms = rows.getInt64(18);
  order.fulfilled_at_ms = rows.getInt64(19);
  order.fulfilled_by_user_id = Str(rows, 20);
  order.cancelled_at_ms = rows.getInt64(21);
  order.updated_at_ms = rows.getInt64(22);
  return order;
}

FundingSource ReadFundingSource(sql::ResultSet& rows) {
  FundingSource source;
  source.village_id = rows.getInt64(1);
  source.funding_source_id = rows.getInt64(2);
  source.year = rows.getInt(3);
  source.kind = static_cast<FundingKind>(rows.getInt(4));
  source.name = Str(rows, 5);
  source.committed_fen = rows.getInt64(6);
  source.created_at_ms = rows.getInt64(7);
  return source;
}

Donation ReadDonation(sql::ResultSet& rows) {
  Donation donation;
  donation.village_id = rows.getInt64(1);
  donation.donation_id = rows.getInt64(2);
  donation.funding_source_id = rows.getInt64(3);
  donation.donor = Str(rows, 4);
  donation.amount_fen = rows.getInt64(5);
  donation.donated_on = Str(rows, 6);
  donation.note = Str(rows, 7);
  donation.created_at_ms = rows.getInt64(8);
  return donation;
}

// Every field UpdateItem can change: a field left out would make an edit of it look like no
// change at all in the audit trail (before == after).
std::string ItemJson(const StoreItem& item) {
  return nlohmann::json{{"item_id", item.item_id},
                        {"village_id", item.village_id},
                        {"name", item.name},
                        {"description", item.description},
                        {"photo_ref", item.photo_ref},
                        {"price_points", item.price_points},
                        {"stock", item.stock},
                        {"value_fen", item.value_fen},
                        {"funding_source_id", item.funding_source_id},
                        {"on_sale_from_ms", item.on_sale_from_ms},
                        {"on_sale_until_ms", item.on_sale_until_ms},
                        {"limit_per_household", item.limit_per_household},
                        {"limit_period", static_cast<int>(item.limit_period)},
                        {"active", item.active}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string OrderJson(const Order& order) {
  return nlohmann::json{
      {"order_id", order.order_id},         {"village_id", order.village_id},
      {"household_id", order.household_id}, {"item_id", order.item_id},
      {"quantity", order.quantity},         {"total_points", order.total_points},
      {"value_fen", order.value_fen},       {"status", static_cast<int>(order.status)},
      {"pickup_code", order.pickup_code},   {"status_reason", order.status_reason}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

struct AuditInput {
  const char* action;
  const char* object_type;
  std::string object_id;
  int64_t village_id = 0;
  std::string before_json;
  std::string after_json;
  std::string reason;
  int64_t now_ms = 0;
};

// Appends the change's jifen.audit.v1.AuditRecord to the outbox, in the caller's transaction.
absl::Status Audit(sql::Connection& connection, const Actor& actor, const AuditInput& in) {
  std::string after = in.after_json;
  if (!in.reason.empty() && !after.empty()) {
    // The record has no reason field: the actor's note travels with the new state.
    nlohmann::json with_reason = nlohmann::json::parse(after, nullptr, false);
    if (!with_reason.is_discarded()) {
      with_reason["reason"] = in.reason;
      after = with_reason.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
  }
  return audit::RecordAudit(
      connection,
      {in.village_id, actor.user_id, actor.role, in.action, in.object_type, in.object_id,
       audit::StateDigest(in.before_json), audit::StateDigest(after)},
      {actor.request_id, in.now_ms});
}

std::optional<StoreItem> SelectItem(const SqlOn& stmt, int64_t village_id, int64_t item_id,
                                    bool for_update) {
  const std::string sql = absl::StrCat("SELECT ", kItemColumns,
                                       " FROM store_items WHERE village_id = ? AND item_id = ?",
                                       for_update ? " FOR UPDATE" : "");
  auto rows = stmt(sql).Bind(village_id).Bind(item_id).Query();
  if (!rows->next()) return std::nullopt;
  return ReadItem(*rows);
}

std::optional<Order> SelectOrder(const SqlOn& stmt, const std::string& order_id, bool for_update) {
  const std::string sql = absl::StrCat("SELECT ", kOrderColumns, " FROM orders WHERE order_id = ?",
                                       for_update ? " FOR UPDATE" : "");
  auto rows = stmt(sql).Bind(order_id).Query();
  if (!rows->next()) return std::nullopt;
  return ReadOrder(*rows);
}

int64_t LastInsertId(const SqlOn& stmt) {
  auto rows = stmt("SELECT LAST_INSERT_ID()").Query();
  return rows->next() ? rows->getInt64(1) : 0;
}

// Records the client's request with its write, in the write's transaction. A second write under
// the same id meets the primary key (1062, ALREADY_EXISTS): it waits there for a concurrent first
// one to commit, and then rolls back whatever it did.
void RecordRequest(const SqlOn& stmt, int64_t village_id, const ClientRequest& request,
                   int64_t object_id, const Actor& actor, int64_t now_ms) {
  stmt(
      "INSERT INTO client_requests (village_id, client_request_id, kind, payload, object_id,"
      " actor_user_id, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .Bind(village_id)
      .Bind(request.client_request_id)
      .Bind(request.kind)
      .Bind(request.payload)
      .Bind(object_id)
      .Bind(actor.user_id)
      .Bind(now_ms)
      .Update();
}

constexpr char kDonationColumns[] =
    "village_id, donation_id, funding_source_id, donor, amount_fen,"
    " DATE_FORMAT(donated_on, '%Y-%m-%d'), note, created_at_ms";

constexpr char kFundingSourceColumns[] =
    "village_id, funding_source_id, year, kind, name, committed_fen, created_at_ms";

absl::Status ItemNotFound() {
  return CodedError(absl::StatusCode::kNotFound, kItemNotFound, "no such item in this village");
}

absl::Status OrderNotFound() {
  return CodedError(absl::StatusCode::kNotFound, kOrderNotFound, "no such order");
}

}  // namespace

// --- items ---------------------------------------------------------------------------------------

absl::StatusOr<StoreItem> MySqlStoreRepository::CreateItem(const StoreItem& item,
                                                           const ClientRequest& request,
                                                           const Actor& actor) {
  StoreItem created;
  RETURN_IF_ERROR(mysql::RunInTransaction(*pool_, [&](sql::Connection& connection) {
    const SqlOn stmt{connection};
    stmt(
        "INSERT INTO store_items (village_id, name, description, photo_ref, price_points,"
        " stock, value_fen, funding_source_id, on_sale_from_ms, on_sale_until_ms,"
        " limit_per_household, limit_period, active, created_at_ms, updated_at_ms)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .Bind(item.village_id)
        .Bind(item.name)
        .Bind(item.description)
        .Bind(item.photo_ref)
        .Bind(item.price_points)
        .Bind(item.stock)
        .Bind(item.value_fen)
        .Bind(item.funding_source_id)
        .Bind(item.on_sale_from_ms)
        .Bind(item.on_sale_until_ms)
        .Bind(item.limit_per_household)
        .Bind(static_cast<int>(item.limit_period))
        .Bind(item.active)
        .Bind(item.created_at_ms)
        .Bind(item.updated_at_ms)
        .Update();
    created = item;
    created.item_id = LastInsertId(stmt);
    RecordRequest(stmt, item.village_id, request, created.item_id, actor, item.created_at_ms);
    return Audit(connection, actor,
                 {"create", "store_item", absl::StrCat(created.item_id), item.village_id, "",
                  ItemJson(created), "", item.created_at_ms});
  }));
  return created;
}

absl::StatusOr<StoreItem> MySqlStoreRepository::UpdateItem(const StoreItem& item,
                                                           const Actor& actor) {
  StoreItem updated;
  RETURN_IF_ERROR(mysql::RunInTransaction(*pool_, [&](sql::Connection& connection) {
    const SqlOn stmt{connection};
    std::optional<StoreItem> before = SelectItem(stmt, item.village_id, item.item_id, true);
    if (!before.has_value()) return ItemNotFound();
    stmt(
        "UPDATE store_items SET name = ?, description = ?, photo_ref = ?, price_points = ?,"
        " value_fen = ?, funding_source_id = ?, on_sale_from_ms = ?, on_sale_until_ms = ?,"
        " limit_per_household = ?, limit_period = ?, active = ?, updated_at_ms = ?"
        " WHERE village_id = ? AND item_id = ?")
        .Bind(item.name)
        .Bind(item.description)
        .Bind(item.photo_ref)
        .Bind(item.price_points)
        .Bind(item.value_fen)
        .Bind(item.funding_source_id)
        .Bind(item.on_sale_from_ms)
        .Bind(item.on_sale_until_ms)
        .Bind(item.limit_per_household)
        .Bind(static_cast<int>(item.limit_period))
        .Bind(item.active)
        .Bind(item.updated_at_ms)
        .Bind(item.village_id)
        .Bind(item.item_id)
        .Update();
    updated = item;
    updated.stock = before->stock;
    updated.created_at_ms = before->created_at_ms;
    return Audit(connection, actor,
                 {"update", "store_item", absl::StrCat(item.item_id), item.village_id,
                  ItemJson(*before), ItemJson(updated), "", item.updated_at_ms});
  }));
  return updated;
}

absl::StatusOr<StoreItem> MySqlStoreRepository::GetItem(int64_t village_id, int64_t item_id) {
  std::optional<StoreItem> item;
  RETURN_IF_ERROR(mysql::RunWithConnection(*pool_, [&](sql::Connection& connection) {
    const SqlOn stmt{connection};
    item = SelectItem(stmt, village_id, item_id, false);
    return absl::OkStatus();
  }));
  if (!item.has_value()) return ItemNotFound();
  return *item;
}

absl::StatusOr<std::vector<StoreItem>> MySqlStoreRepository::ListItems(int64_t village_id) {
  std::vector<StoreItem> items;
  RETURN_IF_ERROR(mysql::RunWithConnection(*pool_, [&](sql::Connection& connection) {
    const SqlOn stmt{connection};
    items.clear();
    const std::string sql = absl::StrCat("SELECT ", kItemColumns,
                                         " FROM store_items WHERE village_id = ?"
                                         " ORDER BY item_id LIMIT 1000");
    auto rows = stmt(sql).Bind(village_id).Query();
    while (rows->next()) items.push_back(ReadItem(*rows));
    return absl::OkStatus();
  }));
  return items;
}

absl::StatusOr<StoreItem> MySqlStoreRepository::AdjustStock(
    int64_t village_id, int64_t item_id, int64_t delta, const std::string& reason, int64_t now_ms,
    const ClientRequest& request, const Actor& actor) {
  StoreItem after;
  RETURN_IF_ERROR(mysql::RunInTransaction(*pool_, [&](sql::Connection& connection) {
    const SqlOn stmt{connection};
    // The request first: a retry stops here, before it touches the item row.
    RecordRequest(stmt, village_id, request, item_id, actor, now_ms);
    const int changed = stmt(
                            "UPDATE store_items SET stock = stock + ?, updated_at_ms = ?"
                            " WHERE village_id = ? AND item_id = ? AND stock + ? >= 0")
                            .Bind(delta)
                            .Bind(now_ms)
                            .Bind(village_id)
                            .Bind(item_id)
                            .Bind(delta)
                            .Update();
    std::optional<StoreItem> item = SelectItem(stmt, village_id, item_id, false);
    if (!item.has_value()) return ItemNotFound();
    if (changed == 0) {
      return CodedError(absl::StatusCode::kFailedPrecondition, kNegativeStock,
                        absl::StrCat("only ", item->stock, " in stock"));
    }
    after = *item;
    StoreItem before = after;
    before.stock -= delta;
    return Audit(connection, actor,
                 {"restock", "store_item", absl::StrCat(item_id), village_id, ItemJson(before),
                  ItemJson(after), reason, now_ms});
  }));
  return after;
}

absl::StatusOr<std::optional<RecordedRequest>> MySqlStoreRepository::FindRequest(
    int64_t village_id, const std::string& client_request_id) {
  std::optional<RecordedRequest> found;
  RETURN_IF_ERROR(mysql::RunWithConnection(*pool_, [&](sql::Connection& connection) {
    const SqlOn stmt{connection};
    found.reset();
    auto rows = stmt(
                    "SELECT kind, payload, object_id FROM client_requests"
                    " WHERE village_id = ? AND client_request_id = ?")
                    .Bind(village_id)
                    .Bind(client_request_id)
                    .Query();
    if (rows->next()) found = RecordedRequest{Str(*rows, 1), Str(*rows, 2), rows->getInt64(3)};
    return absl::OkStatus();
  }));
  return found;
}

// --- orders --------------------------------------------------------------------------------------

absl::StatusOr<std::optional<Order>> MySqlStoreRepository::FindOrder(const std::string& order_id) {
  std::optional<Order> order;
  RETURN_IF_ERROR(mysql::RunWithConnection(*pool_, [&](sql::Connection& connection) {
    const SqlOn stmt{connection};
    order = SelectOrder(stmt, order_id, false);
    return absl::OkStatus();
  }));
  return order;
}

absl::StatusOr<Order> MySqlStoreRepository::Reserve(const Order& order, int32_t limit_per_household,
                                                    const Actor& actor) {
  const auto insert_order = [&](sql::Connection& connection, const SqlOn& stmt) {
    stmt(
        "INSERT INTO orders (village_id, order_id, household_id, item_id, item_name,"
        " quantity, price_points, total_points, value_fen, funding_source_id, status,"
        " limit_period_key, ordered_by_user_id, created_at_ms, updated_at_ms)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)")
        .Bind(order.village_id)
        .Bind(order.order_id)
        .Bind(order.household_id)
        .Bind(order.item_id)
        .Bind(order.item_name)
        .Bind(order.quantity)
        .Bind(order.price_points)
        .Bind(order.total_points)
        .Bind(order.value_fen)
        .Bind(order.funding_source_id)
        .Bind(order.limit_period_key)
        .Bind(order.ordered_by_user_id)
        .Bind(order.created_at_ms)
        .Bind(order.updated_at_ms)
        .Update();
    return Audit(connection, actor,
                 {"reserve", "order", order.order_id, order.village_id, "", OrderJson(order), "",
                  order.created_at_ms});
  };
  // Takes the stock in one conditional statement and, with it, the item row's lock until commit.
  const auto take_stock = [&](const SqlOn& stmt, bool order_inserted) -> absl::Status {
    const int taken = stmt(
                          "UPDATE store_items SET stock = stock - ?"
                          " WHERE village_id = ? AND item_id = ? AND stock >= ?")
                          .Bind(order.quantity)
                          .Bind(order.village_id)
                          .Bind(order.item_id)
                          .Bind(order.quantity)
                          .Update();
    if (taken == 1) return absl::OkStatus();
    // A retry of an order placed before must find that order, not "sold out".
    if (!order_inserted && SelectOrder(stmt, order.order_id, false).has_value()) {
      return absl::AlreadyExistsError("order id taken");
    }
    std::optional<StoreItem> item = SelectItem(stmt, order.village_id, order.item_id, false);
    if (!item.has_value()) return ItemNotFound();
    // "Sold out" only when nothing is left: with some units left the resident can still order
    // fewer, and the count tells them how many.
    if (item->stock == 0) {
      return CodedError(absl::StatusCode::kFailedPrecondition, kSoldOut,
                        absl::StrCat("\"", item->name, "\" is sold out"));
    }
    return CodedError(absl::StatusCode::kFailedPrecondition, kOutOfStock,
                      absl::StrCat("only ", item->stock, " of \"", item->name, "\" left"));
  };

  RETURN_IF_ERROR(mysql::RunInTransaction(*pool_, [&](sql::Connection& connection) {
    const SqlOn stmt{connection};
    if (limit_per_household == 0) {
      // The order row first: a duplicate id (a retry) is found before any stock moves, and the
      // item row's lock is held only from the stock update to the commit.
      RETURN_IF_ERROR(insert_order(connection, stmt));
      return take_stock(stmt, /*order_inserted=*/true);
    }
    // With a limit the item row's lock comes first: every reservation of the item queues there,
    // so the household's count below (a locking read, which sees the latest committed rows, not
    // this transaction's snapshot) is never raced, and no other transaction holds uncommitted
    // orders of the item that the count would have to wait for.
    RETURN_IF_ERROR(take_stock(stmt, /*order_inserted=*/false));
    RETURN_IF_ERROR(insert_order(connection, stmt));
    auto rows = stmt(
                    "SELECT CAST(COALESCE(SUM(quantity), 0) AS SIGNED) FROM orders"
                    " WHERE village_id = ? AND household_id = ? AND item_id = ?"
                    " AND limit_period_key = ? AND status IN (1, 2, 3, 4) FOR UPDATE")
                    .Bind(order.village_id)
                    .Bind(order.household_id)
                    .Bind(order.item_id)
                    .Bind(order.limit_period_key)
                    .Query();
    const int64_t units = rows->next() ? rows->getInt64(1) : 0;  // includes this order
    if (units > limit_per_household) {
      return CodedError(
          absl::StatusCode::kFailedPrecondition, kLimitReached,
          absl::StrCat("at most ", limit_per_household, " per household in ",
                       order.limit_period_key, "; ", units - order.quantity, " ordered already"));
    }
    return absl::OkStatus();
  }));
  return order;
}

absl::StatusOr<OrderUpdate> MySqlStoreRepository::Confirm(const Order& reserved,
                                                          const std::string& pickup_code,
                                                          int64_t wallet_balance_points,
                                                          int64_t now_ms, const Actor& actor) {
  const std::string& order_id = reserved.order_id;
  OrderUpdate result;
  RETURN_IF_ERROR(mysql::RunInTransaction(*pool_, [&](sql::Connection& connection) {
    const SqlOn stmt{connection};
    result.changed = stmt(
                         "UPDATE orders SET status = 2, pickup_code = ?,"
                         " wallet_balance_points = ?, confirmed_at_ms = ?, updated_at_ms = ?"
                         " WHERE order_id = ? AND status = 1")
                         .Bind(pickup_code)
                         .Bind(wallet_balance_points)
                         .Bind(now_ms)
                         .Bind(now_ms)
                         .Bind(order_id)
                         .Update() == 1;
    if (!result.changed) {
      std::optional<Order> order = SelectOrder(stmt, order_id, false);
      if (!order.has_value()) return OrderNotFound();
      result.order = *order;
      return absl::OkStatus();
    }
    // Changed from RESERVED: nothing but these columns moved since `reserved` was read.
    result.order = reserved;
    result.order.status = OrderStatus::kConfirmed;
    result.order.pickup_code = pickup_code;
    result.order.wallet_balance_points = wallet_balance_points;
    result.order.confirmed_at_ms = now_ms;
    result.order.updated_at_ms = now_ms;
    return Audit(connection, actor,
                 {"confirm", "order", order_id, reserved.village_id, OrderJson(reserved),
                  OrderJson(result.order), "", now_ms});
  }));
  return result;
}

absl::StatusOr<OrderUpdate> MySqlStoreRepository::ReleaseOrder(const std::string& order_id,
                                                               OrderStatus from, OrderStatus to,
                                                               const std::string& reason,
                                                               int64_t now_ms, const Actor& actor,
                                                               const char* action) {
  OrderUpdate result;
  RETURN_IF_ERROR(mysql::RunInTransaction(*pool_, [&](sql::Connection& connection) {
    const SqlOn stmt{connection};
    result.changed = false;
    std::optional<Order> order = SelectOrder(stmt, order_id, false);
    if (!order.has_value()) return OrderNotFound();
    if (order->status != from) {
      result.order = *order;
      return absl::OkStatus();
    }
    // Item row first (the order every writer of this item follows), then the order's row; the
    // order's state is checked again under its lock by the conditional UPDATE.
    stmt("UPDATE store_items SET stock = stock + ? WHERE village_id = ? AND item_id = ?")
        .Bind(order->quantity)
        .Bind(order->village_id)
        .Bind(order->item_id)
        .Update();
    // The wallet balance an order shows is the one right after a debit that stands; a released
    // order's debit was refused or is refunded, so it shows none.
    const int changed =
        to == OrderStatus::kCancelled
            ? stmt(
                  "UPDATE orders SET status = ?, cancelled_at_ms = ?, wallet_balance_points = 0,"
                  " updated_at_ms = ? WHERE order_id = ? AND status = ?")
                  .Bind(static_cast<int>(to))
                  .Bind(now_ms)
                  .Bind(now_ms)
                  .Bind(order_id)
                  .Bind(static_cast<int>(from))
                  .Update()
            : stmt(
                  "UPDATE orders SET status = ?, status_reason = ?, wallet_balance_points = 0,"
                  " updated_at_ms = ? WHERE order_id = ? AND status = ?")
                  .Bind(static_cast<int>(to))
                  .Bind(reason)
                  .Bind(now_ms)
                  .Bind(order_id)
                  .Bind(static_cast<int>(from))
                  .Update();
    if (changed == 0) {
      // Lost a race: someone else moved the order on. Undo the stock change with the rollback.
      return absl::AbortedError("order changed concurrently");
    }
    result.changed = true;
    result.order = *SelectOrder(stmt, order_id, false);
    return Audit(connection, actor,
                 {action, "order", order_id, order->village_id, OrderJson(*order),
                  OrderJson(result.order), reason, now_ms});
  }));
  return result;
}

absl::StatusOr<OrderUpdate> MySqlStoreRepository::Fail(const std::string& order_id,
                                                       const std::string& reason, int64_t now_ms,
                                                       const Actor& actor) {
  return ReleaseOrder(order_id, OrderStatus::kReserved, OrderStatus::kFailed, reason, now_ms, actor,
                      "fail");
}

absl::StatusOr<OrderUpdate> MySqlStoreRepository::FinishCancel(const std::string& order_id,
                                                               int64_t now_ms, const Actor& actor) {
  return ReleaseOrder(order_id, OrderStatus::kCancelling, OrderStatus::kCancelled, "", now_ms,
                      actor, "cancel");
}

absl::StatusOr<OrderUpdate> MySqlStoreRepository::BeginCancel(const std::string& order_id,
                                                              const std::string& reason,
                                                              int64_t now_ms, const Actor& actor) {
  OrderUpdate result;
  RETURN_IF_ERROR(mysql::RunInTransaction(*pool_, [&](sql::Connection& connection) {
    const SqlOn stmt{connection};
    result.changed = stmt(
                         "UPDATE orders SET status = 4, status_reason = ?,"
                         " wallet_balance_points = 0, updated_at_ms = ?"
                         " WHERE order_id = ? AND status = 2")
                         .Bind(reason)
                         .Bind(now_ms)
                         .Bind(order_id)
                         .Update() == 1;
    std::optional<Order> order = SelectOrder(stmt, order_id, false);
    if (!order.has_value()) return OrderNotFound();
    result.order = *order;
    if (!result.changed) return absl::OkStatus();
    Order before = *order;
    before.status = OrderStatus::kConfirmed;
    return Audit(connection, actor,
                 {"request_cancel", "order", order_id, order->village_id, OrderJson(before),
                  OrderJson(*order), reason, now_ms});
  }));
  return result;
}

absl::StatusOr<OrderUpdate> MySqlStoreRepository::Fulfil(int64_t village_id,
                                                         const std::string& pickup_code,
                                                         int64_t now_ms, const Actor& actor) {
  OrderUpdate result;
  RETURN_IF_ERROR(mysql::RunInTransaction(*pool_, [&](sql::Connection& connection) {
    const SqlOn stmt{connection};
    result.changed =
        stmt(
            "UPDATE orders SET status = 3, fulfilled_at_ms = ?, fulfilled_by_user_id = ?,"
            " updated_at_ms = ? WHERE village_id = ? AND pickup_code = ? AND status = 2")
            .Bind(now_ms)
            .Bind(actor.user_id)
            .Bind(now_ms)
            .Bind(village_id)
            .Bind(pickup_code)
            .Update() == 1;
    const std::string sql = absl::StrCat("SELECT ", kOrderColumns,
                                         " FROM orders WHERE village_id = ? AND pickup_code = ?");
    auto rows = stmt(sql).Bind(village_id).Bind(pickup_code).Query();
    if (!rows->next()) {
      return CodedError(absl::StatusCode::kNotFound, kPickupCodeUnknown,
                        "no order of this village has this pickup code");
    }
    result.order = ReadOrder(*rows);
    if (!result.changed) return absl::OkStatus();
    Order before = result.order;
    before.status = OrderStatus::kConfirmed;
    before.fulfilled_at_ms = 0;
    return Audit(connection, actor,
                 {"fulfil", "order", result.order.order_id, village_id, OrderJson(before),
                  OrderJson(result.order), "", now_ms});
  }));
  return result;
}

absl::StatusOr<OrderPage> MySqlStoreRepository::ListOrders(const OrderQuery& query) {
  OrderPage page;
  std::string sql = absl::StrCat("SELECT ", kOrderColumns, " FROM orders WHERE village_id = ?");
  if (query.status.has_value()) absl::StrAppend(&sql, " AND status = ?");
  if (query.household_id != 0) absl::StrAppend(&sql, " AND household_id = ?");
  if (!query.after_order_id.empty()) {
    absl::StrAppend(&sql, " AND (created_at_ms < ? OR (created_at_ms = ? AND order_id < ?))");
  }
  absl::StrAppend(&sql, " ORDER BY created_at_ms DESC, order_id DESC LIMIT ?");
  RETURN_IF_ERROR(mysql::RunWithConnection(*pool_, [&](sql::Connection& connection) {
    const SqlOn stmt{connection};
    page.orders.clear();
    mysql::Statement statement = stmt(sql);
    statement.Bind(query.village_id);
    if (query.status.has_value()) statement.Bind(static_cast<int>(*query.status));
    if (query.household_id != 0) statement.Bind(query.household_id);
    if (!query.after_order_id.empty()) {
      statement.Bind(query.after_created_at_ms)
          .Bind(query.after_created_at_ms)
          .Bind(query.after_order_id);
    }
    statement.Bind(query.page_size + 1);
    auto rows = statement.Query();
    while (rows->next()) page.orders.push_back(ReadOrder(*rows));
    return absl::OkStatus();
  }));
  if (page.orders.size() > static_cast<size_t>(query.page_size)) {
    page.orders.pop_back();
    page.more = true;
  }
  return page;
}

absl::StatusOr<std::vector<Order>> MySqlStoreRepository::ListUnfinishedOrders(
    int64_t updated_before_ms, int32_t limit) {
  std::vector<Order> orders;
  const std::string sql = absl::StrCat("SELECT ", kOrderColumns,
                                       " FROM orders WHERE status IN (1, 4) AND updated_at_ms < ?"
                                       " ORDER BY updated_at_ms LIMIT ?");
  RETURN_IF_ERROR(mysql::RunWithConnection(*pool_, [&](sql::Connection& connection) {
    const SqlOn stmt{connection};
    orders.clear();
    auto rows = stmt(sql).Bind(updated_before_ms).Bind(limit).Query();
    while (rows->next()) orders.push_back(ReadOrder(*rows));
    return absl::OkStatus();
  }));
  return orders;
}

absl::StatusOr<std::vector<Order>> MySqlStoreRepository::ListOrdersCreatedBetween(
    int64_t village_id, int64_t from_ms, int64_t until_ms, int32_t limit) {
  std::vector<Order> orders;
  const std::string sql =
      absl::StrCat("SELECT ", kOrderColumns,
                   " FROM orders WHERE village_id = ? AND created_at_ms >= ? AND created_at_ms < ?"
                   " ORDER BY created_at_ms, order_id LIMIT ?");
  RETURN_IF_ERROR(mysql::RunWithConnection(*pool_, [&](sql::Connection& connection) {
    const SqlOn stmt{connection};
    orders.clear();
    auto rows = stmt(sql)
                    .Bind(village_id)
                    .Bind(from_ms)
                    .Bind(until_ms == 0 ? INT64_MAX : until_ms)
                    .Bind(limit)
                    .Query();
    while (rows->next()) orders.push_back(ReadOrder(*rows));
    return absl::OkStatus();
  }));
  return orders;
}

// --- funding and budget --------------------------------------------------------------------------

absl::StatusOr<FundingSource> MySqlStoreRepository::CreateFundingSource(
    const FundingSource& source, const ClientRequest& request, const Actor& actor) {
  FundingSource created;
  RETURN_IF_ERROR(mysql::RunInTransaction(*pool_, [&](sql::Connection& connection) {
    const SqlOn stmt{connection};
    stmt(
        "INSERT INTO funding_sources (village_id, year, kind, name, committed_fen,"
        " created_at_ms) VALUES (?, ?, ?, ?, ?, ?)")
        .Bind(source.village_id)
        .Bind(source.year)
        .Bind(static_cast<int>(source.kind))
        .Bind(source.name)
        .Bind(source.committed_fen)
        .Bind(source.created_at_ms)
        .Update();
    created = source;
    created.funding_source_id = LastInsertId(stmt);
    RecordRequest(stmt, source.village_id, request, created.funding_source_id, actor,
                  source.created_at_ms);
    const std::string after = nlohmann::json{
        {"funding_source_id", created.funding_source_id},
        {"year", created.year},
        {"kind", static_cast<int>(created.kind)},
        {"name", created.name},
        {"committed_fen",
         created.committed_fen}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return Audit(connection, actor,
                 {"create", "funding_source", absl::StrCat(created.funding_source_id),
                  source.village_id, "", after, "", source.created_at_ms});
  }));
  return created;
}

absl::StatusOr<std::vector<FundingSource>> MySqlStoreRepository::ListFundingSources(
    int64_t village_id, int32_t year) {
  std::vector<FundingSource> sources;
  RETURN_IF_ERROR(mysql::RunWithConnection(*pool_, [&](sql::Connection& connection) {
    const SqlOn stmt{connection};
    sources.clear();
    const std::string sql = absl::StrCat("SELECT ", kFundingSourceColumns,
                                         " FROM funding_sources WHERE village_id = ?"
                                         " AND (? = 0 OR year = ?)"
                                         " ORDER BY year, funding_source_id LIMIT 1000");
    auto rows = stmt(sql).Bind(village_id).Bind(year).Bind(year).Query();
    while (rows->next()) sources.push_back(ReadFundingSource(*rows));
    return absl::OkStatus();
  }));
  return sources;
}

absl::StatusOr<FundingSource> MySqlStoreRepository::GetFundingSource(int64_t village_id,
                                                                     int64_t funding_source_id) {
  std::optional<FundingSource> source;
  const std::string sql = absl::StrCat("SELECT ", kFundingSourceColumns,
                                       " FROM funding_sources WHERE village_id = ?"
                                       " AND funding_source_id = ?");
  RETURN_IF_ERROR(mysql::RunWithConnection(*pool_, [&](sql::Connection& connection) {
    const SqlOn stmt{connection};
    source.reset();
    auto rows = stmt(sql).Bind(village_id).Bind(funding_source_id).Query();
    if (rows->next()) source = ReadFundingSource(*rows);
    return absl::OkStatus();
  }));
  if (!source.has_value()) {
    return CodedError(absl::StatusCode::kNotFound, kFundingSourceNotFound,
                      "no such funding source in this village");
  }
  return *source;
}

absl::StatusOr<Donation> MySqlStoreRepository::GetDonation(int64_t village_id,
                                                           int64_t donation_id) {
  std::optional<Donation> donation;
  const std::string sql = absl::StrCat("SELECT ", kDonationColumns,
                                       " FROM donations WHERE village_id = ? AND donation_id = ?");
  RETURN_IF_ERROR(mysql::RunWithConnection(*pool_, [&](sql::Connection& connection) {
    const SqlOn stmt{connection};
    donation.reset();
    auto rows = stmt(sql).Bind(village_id).Bind(donation_id).Query();
    if (rows->next()) donation = ReadDonation(*rows);
    return absl::OkStatus();
  }));
  if (!donation.has_value()) return absl::NotFoundError("no such donation in this village");
  return *donation;
}

absl::StatusOr<Donation> MySqlStoreRepository::RecordDonation(const Donation& donation,
                                                              const ClientRequest& request,
                                                              const Actor& actor) {
  Donation created;
  RETURN_IF_ERROR(mysql::RunInTransaction(*pool_, [&](sql::Connection& connection) {
    const SqlOn stmt{connection};
    auto rows = stmt(
                    "SELECT kind FROM funding_sources WHERE village_id = ?"
                    " AND funding_source_id = ?")
                    .Bind(donation.village_id)
                    .Bind(donation.funding_source_id)
                    .Query();
    if (!rows->next()) {
      return CodedError(absl::StatusCode::kNotFound, kFundingSourceNotFound,
                        "no such funding source in this village");
    }
    if (rows->getInt(1) != static_cast<int>(FundingKind::kDonation)) {
      return CodedError(absl::StatusCode::kFailedPrecondition, kNotADonationSource,
                        "donations are recorded under a DONATION funding source");
    }
    stmt(
        "INSERT INTO donations (village_id, funding_source_id, donor, amount_fen, donated_on,"
        " note, created_by_user_id, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        .Bind(donation.village_id)
        .Bind(donation.funding_source_id)
        .Bind(donation.donor)
        .Bind(donation.amount_fen)
        .Bind(donation.donated_on)
        .Bind(donation.note)
        .Bind(actor.user_id)
        .Bind(donation.created_at_ms)
        .Update();
    created = donation;
    created.donation_id = LastInsertId(stmt);
    RecordRequest(stmt, donation.village_id, request, created.donation_id, actor,
                  donation.created_at_ms);
    const std::string after = nlohmann::json{
        {"donation_id", created.donation_id},
        {"funding_source_id", created.funding_source_id},
        {"donor", created.donor},
        {"amount_fen", created.amount_fen},
        {"donated_on",
         created.donated_on}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return Audit(connection, actor,
                 {"record", "donation", absl::StrCat(created.donation_id), donation.village_id, "",
                  after, donation.note, donation.created_at_ms});
  }));
  return created;
}

absl::StatusOr<std::vector<Donation>> MySqlStoreRepository::ListDonations(
    int64_t village_id, const std::string& from_date, const std::string& until_date) {
  std::vector<Donation> donations;
  RETURN_IF_ERROR(mysql::RunWithConnection(*pool_, [&](sql::Connection& connection) {
    const SqlOn stmt{connection};
    donations.clear();
    const std::string sql = absl::StrCat("SELECT ", kDonationColumns,
                                         " FROM donations WHERE village_id = ?"
                                         " AND donated_on >= ? AND donated_on < ?"
                                         " ORDER BY donated_on, donation_id LIMIT 10000");
    auto rows = stmt(sql)
                    .Bind(village_id)
                    .Bind(from_date.empty() ? std::string("1000-01-01") : from_date)
                    .Bind(until_date.empty() ? std::string("9999-12-31") : until_date)
                    .Query();
    while (rows->next()) donations.push_back(ReadDonation(*rows));
    return absl::OkStatus();
  }));
  return donations;
}

absl::StatusOr<Budget> MySqlStoreRepository::SetBudget(const Budget& budget, BudgetWrite write,
                                                       const std::string& reason,
                                                       const Actor& actor) {
  Budget saved;
  RETURN_IF_ERROR(mysql::RunInTransaction(*pool_, [&](sql::Connection& connection) {
    const SqlOn stmt{connection};
    saved = budget;
    std::string before;
    // Locks the row (or, when there is none, the gap where it goes: a concurrent first record
    // deadlocks with this one and is retried, then finds this one's).
    auto rows = stmt(
                    "SELECT budget_fen, updated_at_ms FROM budgets WHERE village_id = ?"
                    " AND year = ? FOR UPDATE")
                    .Bind(budget.village_id)
                    .Bind(budget.year)
                    .Query();
    if (rows->next()) {
      const int64_t recorded_fen = rows->getInt64(1);
      if (write == BudgetWrite::kFirstOnly) {
        if (recorded_fen != budget.budget_fen) {
          return CodedError(
              absl::StatusCode::kFailedPrecondition, kBudgetYearClosed,
              absl::StrCat(budget.year, " has ended and its budget is recorded (", recorded_fen,
                           " fen): the village can no longer change "
                           "it; the district may correct it"));
        }
        saved.updated_at_ms = rows->getInt64(2);
        return absl::OkStatus();  // the same figure again: nothing to write
      }
      before = nlohmann::json{{"budget_fen", recorded_fen}}.dump();
    }
    stmt(
        "INSERT INTO budgets (village_id, year, budget_fen, updated_by_user_id,"
        " updated_at_ms) VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE"
        " budget_fen = VALUES(budget_fen), updated_by_user_id = VALUES(updated_by_user_id),"
        " updated_at_ms = VALUES(updated_at_ms)")
        .Bind(budget.village_id)
        .Bind(budget.year)
        .Bind(budget.budget_fen)
        .Bind(actor.user_id)
        .Bind(budget.updated_at_ms)
        .Update();
    return Audit(
        connection, actor,
        {"set", "budget", absl::StrCat(budget.village_id, "/", budget.year), budget.village_id,
         before, nlohmann::json{{"budget_fen", budget.budget_fen}}.dump(), reason,
         budget.updated_at_ms});
  }));
  return saved;
}

absl::StatusOr<BudgetFacts> MySqlStoreRepository::GetBudgetFacts(int64_t village_id, int32_t year,
                                                                 int64_t year_start_ms,
                                                                 int64_t next_year_start_ms) {
  BudgetFacts facts;
  RETURN_IF_ERROR(mysql::RunWithConnection(*pool_, [&](sql::Connection& connection) {
    const SqlOn stmt{connection};
    facts = BudgetFacts();
    auto budgets = stmt(
                       "SELECT year, budget_fen FROM budgets WHERE village_id = ?"
                       " AND year IN (?, ?)")
                       .Bind(village_id)
                       .Bind(year)
                       .Bind(year - 1)
                       .Query();
    while (budgets->next()) {
      if (budgets->getInt(1) == year) {
        facts.budget_fen = budgets->getInt64(2);
      } else {
        facts.previous_budget_fen = budgets->getInt64(2);
      }
    }
    auto committed = stmt(
                         "SELECT CAST(COALESCE(SUM(committed_fen), 0) AS SIGNED)"
                         " FROM funding_sources WHERE village_id = ? AND year = ?")
                         .Bind(village_id)
                         .Bind(year)
                         .Query();
    if (committed->next()) facts.funding_committed_fen = committed->getInt64(1);
    auto donated = stmt(
                       "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS SIGNED) FROM donations"
                       " WHERE village_id = ? AND donated_on >= MAKEDATE(?, 1)"
                       " AND donated_on < MAKEDATE(?, 1)")
                       .Bind(village_id)
                       .Bind(year)
                       .Bind(year + 1)
                       .Query();
    if (donated->next()) facts.donations_fen = donated->getInt64(1);
    auto redeemed = stmt(
                        "SELECT CAST(COALESCE(SUM(value_fen), 0) AS SIGNED) FROM orders"
                        " WHERE village_id = ? AND status IN (2, 3)"
                        " AND confirmed_at_ms >= ? AND confirmed_at_ms < ?")
                        .Bind(village_id)
                        .Bind(year_start_ms)
                        .Bind(next_year_start_ms)
                        .Query();
    if (redeemed->next()) facts.redeemed_value_fen = redeemed->getInt64(1);
    return absl::OkStatus();
  }));
  return facts;
}

}  // namespace jifen::redemption
