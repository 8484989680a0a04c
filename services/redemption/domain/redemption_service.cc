#include "services/redemption/domain/redemption_service.h"

#include <algorithm>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status/status_macros.h"
#include "services/redemption/domain/calendar.h"
#include "services/redemption/domain/client_requests.h"
#include "services/redemption/domain/errors.h"
#include "services/redemption/domain/validation.h"

namespace jifen::redemption {
namespace {

using auth::Caller;
using auth::Role;

constexpr int32_t kMinYear = 2000;
constexpr int32_t kMaxYear = 2100;

Actor ActorOf(const Caller& caller) {
  return Actor{caller.user_id, std::string(auth::RoleName(caller.role)), caller.request_id};
}

// Recovery runs on nobody's behalf but the service's own.
Actor ServiceActor() { return Actor{"redemption", "service"}; }

absl::Status Denied(absl::string_view what) {
  return absl::PermissionDeniedError(absl::StrCat("not allowed: ", what));
}

absl::Status Invalid(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

bool SamePayload(const Order& order, const PlaceOrderInput& input, int32_t quantity) {
  return order.village_id == input.village_id && order.household_id == input.household_id &&
         order.item_id == input.item_id && order.quantity == quantity;
}

bool IsDefiniteRefusal(const absl::Status& status) {
  // Only answers given after the ledger looked at the order id prove that no debit exists: a
  // refused token or an unreachable scoring says nothing about an earlier attempt.
  return absl::IsFailedPrecondition(status) || absl::IsInvalidArgument(status) ||
         absl::IsNotFound(status);
}

absl::Status ValidateClientRequestId(const std::string& client_request_id) {
  if (IsValidClientRequestId(client_request_id)) return absl::OkStatus();
  return Invalid("client_request_id",
                 "required, 8..64 characters of [A-Za-z0-9_-], generated once per write and sent "
                 "again on every retry of it");
}

absl::Status ValidateYear(int32_t year) {
  if (year < kMinYear || year > kMaxYear) return Invalid("year", "2000..2100");
  return absl::OkStatus();
}

}  // namespace

bool ManagesVillage(const Caller& caller, int64_t village_id) {
  return caller.role == Role::kVillageAdmin && caller.village_id != 0 &&
         caller.village_id == village_id;
}

bool ReadsVillage(const Caller& caller, int64_t village_id) {
  if (caller.IsDistrict() || caller.IsService()) return true;
  return (caller.role == Role::kVillageAdmin || caller.role == Role::kResident) &&
         caller.village_id != 0 && caller.village_id == village_id;
}

bool IsValidOrderId(const std::string& order_id) { return IsValidClientRequestId(order_id); }

bool IsOnSale(const StoreItem& item, int64_t now_ms) {
  if (!item.active) return false;
  if (item.on_sale_from_ms != 0 && now_ms < item.on_sale_from_ms) return false;
  if (item.on_sale_until_ms != 0 && now_ms >= item.on_sale_until_ms) return false;
  return true;
}

std::string RandomPickupCode() {
  thread_local absl::BitGen bits;
  return absl::StrFormat("%06d", absl::Uniform<int>(bits, 0, 1000000));
}

RedemptionService::RedemptionService(StoreRepository* repository, WalletClient* wallet,
                                     Clock* clock, std::function<std::string()> pickup_codes)
    : repository_(repository),
      wallet_(wallet),
      clock_(clock),
      pickup_codes_(std::move(pickup_codes)) {}

// --- items ---------------------------------------------------------------------------------------

absl::StatusOr<StoreItem> RedemptionService::CreateItem(const Caller& caller, StoreItem item,
                                                        const std::string& client_request_id) {
  if (!ManagesVillage(caller, item.village_id)) return Denied("manage this village's store");
  RETURN_IF_ERROR(ValidateClientRequestId(client_request_id));
  RETURN_IF_ERROR(ValidateItem(item));
  RETURN_IF_ERROR(CheckFundingSource(item));
  const ClientRequest request = RequestToCreateItem(client_request_id, item);
  const int64_t now_ms = clock_->NowMs();
  item.item_id = 0;
  item.created_at_ms = now_ms;
  item.updated_at_ms = now_ms;
  absl::StatusOr<StoreItem> created = repository_->CreateItem(item, request, ActorOf(caller));
  if (created.ok()) return created;
  ASSIGN_OR_RETURN(const int64_t item_id, EarlierWrite(item.village_id, request, created.status()));
  return repository_->GetItem(item.village_id, item_id);
}

absl::StatusOr<StoreItem> RedemptionService::UpdateItem(const Caller& caller, StoreItem item) {
  if (!ManagesVillage(caller, item.village_id)) return Denied("manage this village's store");
  if (item.item_id <= 0) return Invalid("item_id", "required");
  item.stock = 0;  // not changed by an update; keeps validation simple
  RETURN_IF_ERROR(ValidateItem(item));
  RETURN_IF_ERROR(CheckFundingSource(item));
  item.updated_at_ms = clock_->NowMs();
  return repository_->UpdateItem(item, ActorOf(caller));
}

absl::StatusOr<StoreItem> RedemptionService::GetItem(const Caller& caller, int64_t village_id,
                                                     int64_t item_id) {
  if (!ReadsVillage(caller, village_id)) return Denied("read this village's store");
  ASSIGN_OR_RETURN(StoreItem item, repository_->GetItem(village_id, item_id));
  if (caller.role == Role::kResident && !IsOnSale(item, clock_->NowMs())) {
    return CodedError(absl::StatusCode::kNotFound, kItemNotFound, "no such item on sale");
  }
  return item;
}

absl::StatusOr<std::vector<StoreItem>> RedemptionService::ListItems(const Caller& caller,
                                                                    int64_t village_id,
                                                                    bool on_sale_only) {
  if (!ReadsVillage(caller, village_id)) return Denied("read this village's store");
  ASSIGN_OR_RETURN(std::vector<StoreItem> items, repository_->ListItems(village_id));
  if (!on_sale_only && caller.role != Role::kResident) return items;
  const int64_t now_ms = clock_->NowMs();
  std::vector<StoreItem> on_sale;
  for (StoreItem& item : items) {
    if (IsOnSale(item, now_ms)) on_sale.push_back(std::move(item));
  }
  return on_sale;
}

absl::StatusOr<StoreItem> RedemptionService::RestockItem(const Caller& caller, int64_t village_id,
                                                         int64_t item_id, int64_t delta,
                                                         const std::string& reason,
                                                         const std::string& client_request_id) {
  if (!ManagesVillage(caller, village_id)) return Denied("manage this village's store");
  RETURN_IF_ERROR(ValidateClientRequestId(client_request_id));
  if (item_id <= 0) return Invalid("item_id", "required");
  if (delta == 0 || delta > kMaxRestockDelta || delta < -kMaxRestockDelta) {
    return Invalid("delta", "non-zero, at most 100000 either way");
  }
  // Stock changes are audited by their reason; spaces (also U+3000) would say nothing.
  RETURN_IF_ERROR(CheckText("reason", reason, 500, /*required=*/true));
  const ClientRequest request =
      RequestToRestock(client_request_id, village_id, item_id, delta, reason);
  absl::StatusOr<StoreItem> restocked = repository_->AdjustStock(
      village_id, item_id, delta, reason, clock_->NowMs(), request, ActorOf(caller));
  if (restocked.ok()) return restocked;
  // A retry of a removal can meet NEGATIVE_STOCK: its first attempt took the units. The earlier
  // write decides, not today's stock.
  ASSIGN_OR_RETURN(const int64_t restocked_id,
                   EarlierWrite(village_id, request, restocked.status()));
  return repository_->GetItem(village_id, restocked_id);
}

absl::Status RedemptionService::CheckFundingSource(const StoreItem& item) {
  if (item.funding_source_id == 0) return absl::OkStatus();
  return repository_->GetFundingSource(item.village_id, item.funding_source_id).status();
}

absl::StatusOr<int64_t> RedemptionService::EarlierWrite(int64_t village_id,
                                                        const ClientRequest& request,
                                                        const absl::Status& failure) {
  // Only these can hide a retry: the id taken (the first write committed, perhaps concurrently)
  // or a refusal the first write's effect caused.
  if (!absl::IsAlreadyExists(failure) && !absl::IsFailedPrecondition(failure)) return failure;
  ASSIGN_OR_RETURN(const std::optional<RecordedRequest> earlier,
                   repository_->FindRequest(village_id, request.client_request_id));
  if (!earlier.has_value()) {
    // ALREADY_EXISTS is the id's own unique key; its text is the database's, not the caller's.
    if (absl::IsAlreadyExists(failure)) return absl::AbortedError("write raced; retry");
    return failure;
  }
  if (earlier->kind != request.kind || earlier->payload != request.payload) {
    return CodedError(absl::StatusCode::kAlreadyExists, kIdempotencyConflict,
                      "this client_request_id was used for another write of the village; "
                      "generate a new id for a new write");
  }
  return earlier->object_id;
}

// --- orders --------------------------------------------------------------------------------------

absl::StatusOr<Order> RedemptionService::PlaceOrder(const Caller& caller,
                                                    const PlaceOrderInput& input) {
  if (caller.role != Role::kResident || caller.household_id == 0 ||
      caller.household_id != input.household_id || caller.village_id != input.village_id) {
    return Denied("order for another household");
  }
  if (!IsValidOrderId(input.order_id)) {
    return Invalid("order_id", "8..64 characters of [A-Za-z0-9_-]");
  }
  if (input.item_id <= 0) return Invalid("item_id", "required");
  const int32_t quantity = input.quantity == 0 ? 1 : input.quantity;
  if (quantity < 0 || quantity > kMaxQuantity) return Invalid("quantity", "1..10");
  const Actor actor = ActorOf(caller);

  // No lookup of the order id up front: Reserve inserts it first and reports a duplicate, so a
  // retry is recognised there. Refusals before Reserve check the id, since a retry of an earlier
  // order must get that order, not a refusal made with today's item settings.
  absl::StatusOr<StoreItem> found = repository_->GetItem(input.village_id, input.item_id);
  if (!found.ok()) return ResumeOrRefuse(found.status(), input, actor);
  const StoreItem& item = *found;
  const int64_t now_ms = clock_->NowMs();
  if (!IsOnSale(item, now_ms)) {
    // By id, not name: a hidden item's name is not the resident's to see.
    return ResumeOrRefuse(CodedError(absl::StatusCode::kFailedPrecondition, kNotOnSale,
                                     absl::StrCat("item ", item.item_id, " is not on sale now")),
                          input, actor);
  }
  Order order;
  order.order_id = input.order_id;
  order.village_id = input.village_id;
  order.household_id = input.household_id;
  order.item_id = item.item_id;
  order.item_name = item.name;
  order.quantity = quantity;
  order.price_points = item.price_points;
  order.total_points = item.price_points * quantity;
  order.value_fen = item.value_fen * quantity;
  order.funding_source_id = item.funding_source_id;
  order.status = OrderStatus::kReserved;
  order.limit_period_key = LimitPeriodKey(now_ms, item.limit_period);
  order.ordered_by_user_id = caller.user_id;
  order.created_at_ms = now_ms;
  order.updated_at_ms = now_ms;

  absl::StatusOr<Order> reserved = repository_->Reserve(order, item.limit_per_household, actor);
  if (absl::IsAlreadyExists(reserved.status())) {
    // A retry of an order placed before (or running concurrently).
    ASSIGN_OR_RETURN(const std::optional<Order> existing, repository_->FindOrder(input.order_id));
    if (!existing.has_value()) return absl::AbortedError("order vanished; retry");
    return Resume(*existing, input, actor);
  }
  if (!reserved.ok()) return reserved.status();
  return SettleReserved(*reserved, actor);
}

absl::StatusOr<Order> RedemptionService::ResumeOrRefuse(const absl::Status& refusal,
                                                        const PlaceOrderInput& input,
                                                        const Actor& actor) {
  ASSIGN_OR_RETURN(const std::optional<Order> existing, repository_->FindOrder(input.order_id));
  if (existing.has_value()) return Resume(*existing, input, actor);
  return refusal;
}

absl::StatusOr<Order> RedemptionService::Resume(const Order& order, const PlaceOrderInput& input,
                                                const Actor& actor) {
  const int32_t quantity = input.quantity == 0 ? 1 : input.quantity;
  if (!SamePayload(order, input, quantity)) {
    return CodedError(absl::StatusCode::kAlreadyExists, kOrderConflict,
                      "this order id was used for another order");
  }
  switch (order.status) {
    case OrderStatus::kReserved:
      return SettleReserved(order, actor);
    case OrderStatus::kFailed:
      // The same answer as the first attempt got.
      return absl::FailedPreconditionError(order.status_reason);
    default:
      return order;
  }
}

absl::StatusOr<Order> RedemptionService::SettleReserved(const Order& order, const Actor& actor) {
  const std::string reason = absl::StrCat("兑换: ", order.item_name, " x", order.quantity);
  absl::StatusOr<DebitResult> debit = wallet_->Debit(order.household_id, order.total_points,
                                                     order.order_id, reason, actor.request_id);
  if (debit.ok()) return ConfirmWithNewCode(order, debit->balance_points, actor);

  if (IsDefiniteRefusal(debit.status())) {
    const std::string why =
        absl::IsFailedPrecondition(debit.status())
            ? absl::StrCat(kWalletInsufficient, ": the wallet holds fewer than ",
                           order.total_points, " points")
            : absl::StrCat(kDebitRefused, ": ", debit.status().message());
    ASSIGN_OR_RETURN(const OrderUpdate failed,
                     repository_->Fail(order.order_id, why, clock_->NowMs(), actor));
    if (failed.order.status == OrderStatus::kFailed) {
      return absl::FailedPreconditionError(failed.order.status_reason);
    }
    // Someone else settled it meanwhile (a retry or the recovery sweep); report their outcome.
    return failed.order;
  }
  // Unknown outcome: the order stays RESERVED and holds its stock until a retry or the recovery
  // sweep gets an answer from the wallet.
  return CodedError(absl::StatusCode::kUnavailable, kOrderPending,
                    absl::StrCat("the wallet could not be reached (", debit.status().message(),
                                 "); the order will be completed or undone, retry with the same "
                                 "order id"));
}

absl::StatusOr<Order> RedemptionService::ConfirmWithNewCode(const Order& order,
                                                            int64_t balance_points,
                                                            const Actor& actor) {
  for (int attempt = 0; attempt < kMaxPickupCodeAttempts; ++attempt) {
    absl::StatusOr<OrderUpdate> confirmed =
        repository_->Confirm(order, pickup_codes_(), balance_points, clock_->NowMs(), actor);
    if (absl::IsAlreadyExists(confirmed.status())) continue;  // pickup code taken: draw again
    if (!confirmed.ok()) return confirmed.status();
    const Order& now = confirmed->order;
    if (now.status == OrderStatus::kFailed) {
      // The order was released (a refused debit seen by a concurrent call) yet the wallet has now
      // been debited: give the points back so that nothing is lost.
      const absl::Status refund = wallet_->Refund(
          order.order_id, "兑换失败退回 (order released before the debit)", actor.request_id);
      if (!refund.ok() && !absl::IsAlreadyExists(refund) && !absl::IsFailedPrecondition(refund)) {
        return CodedError(absl::StatusCode::kUnavailable, kOrderPending,
                          absl::StrCat("refund of a released order failed: ", refund.message()));
      }
      return absl::FailedPreconditionError(now.status_reason);
    }
    return now;
  }
  return absl::ResourceExhaustedError("no free pickup code found; retry");
}

absl::StatusOr<Order> RedemptionService::GetOrder(const Caller& caller,
                                                  const std::string& order_id) {
  if (!IsValidOrderId(order_id)) return Invalid("order_id", "8..64 characters of [A-Za-z0-9_-]");
  ASSIGN_OR_RETURN(const std::optional<Order> order, repository_->FindOrder(order_id));
  const bool visible =
      order.has_value() &&
      ((caller.role == Role::kResident && caller.household_id == order->household_id &&
        caller.village_id == order->village_id) ||
       (caller.role != Role::kResident && ReadsVillage(caller, order->village_id)));
  // The same answer for "missing" and "not yours": order ids are not to be probed.
  if (!visible) return CodedError(absl::StatusCode::kNotFound, kOrderNotFound, "no such order");
  return *order;
}

absl::StatusOr<Order> RedemptionService::CancelOrder(const Caller& caller,
                                                     const std::string& order_id,
                                                     const std::string& reason) {
  RETURN_IF_ERROR(CheckText("reason", reason, 500, /*required=*/false));
  ASSIGN_OR_RETURN(const Order order, GetOrder(caller, order_id));
  if (caller.role != Role::kResident && !ManagesVillage(caller, order.village_id)) {
    return Denied("cancel orders of this village");
  }
  const Actor actor = ActorOf(caller);
  switch (order.status) {
    case OrderStatus::kConfirmed: {
      ASSIGN_OR_RETURN(const OrderUpdate started,
                       repository_->BeginCancel(order_id, reason.empty() ? "取消" : reason,
                                                clock_->NowMs(), actor));
      if (started.order.status == OrderStatus::kCancelling) {
        return FinishCancelling(started.order, actor);
      }
      if (started.order.status == OrderStatus::kCancelled) return started.order;
      return CodedError(absl::StatusCode::kFailedPrecondition, kNotCancellable,
                        "the order was picked up meanwhile");
    }
    case OrderStatus::kCancelling:
      return FinishCancelling(order, actor);
    case OrderStatus::kCancelled:
      return order;
    case OrderStatus::kReserved:
      return CodedError(absl::StatusCode::kFailedPrecondition, kNotCancellable,
                        "the order is still being paid; try again shortly");
    case OrderStatus::kFulfilled:
      return CodedError(absl::StatusCode::kFailedPrecondition, kNotCancellable,
                        "the order was picked up");
    case OrderStatus::kFailed:
      return CodedError(absl::StatusCode::kFailedPrecondition, kNotCancellable,
                        "the order failed; nothing was paid");
  }
  return absl::InternalError("unknown order status");
}

absl::StatusOr<Order> RedemptionService::FinishCancelling(const Order& order, const Actor& actor) {
  const absl::Status refund = wallet_->Refund(
      order.order_id, absl::StrCat("取消兑换: ", order.item_name), actor.request_id);
  // NOT_FOUND: the ledger holds no debit for the order, so there is nothing to give back;
  // ALREADY_EXISTS / FAILED_PRECONDITION: it was refunded before (a retry after a crash).
  if (!refund.ok() && !absl::IsNotFound(refund) && !absl::IsAlreadyExists(refund) &&
      !absl::IsFailedPrecondition(refund)) {
    return CodedError(absl::StatusCode::kUnavailable, kCancelPending,
                      absl::StrCat("the refund could not be made (", refund.message(),
                                   "); the cancellation will be completed, retry later"));
  }
  ASSIGN_OR_RETURN(const OrderUpdate closed,
                   repository_->FinishCancel(order.order_id, clock_->NowMs(), actor));
  return closed.order;
}

absl::StatusOr<Order> RedemptionService::FulfilOrder(const Caller& caller, int64_t village_id,
                                                     const std::string& pickup_code) {
  if (!ManagesVillage(caller, village_id)) return Denied("hand out this village's orders");
  if (pickup_code.size() != 6 || !std::all_of(pickup_code.begin(), pickup_code.end(),
                                              [](char c) { return absl::ascii_isdigit(c); })) {
    return Invalid("pickup_code", "six digits");
  }
  ASSIGN_OR_RETURN(const OrderUpdate update,
                   repository_->Fulfil(village_id, pickup_code, clock_->NowMs(), ActorOf(caller)));
  if (update.changed) return update.order;
  switch (update.order.status) {
    case OrderStatus::kFulfilled:
      return CodedError(
          absl::StatusCode::kFailedPrecondition, kAlreadyFulfilled,
          absl::StrCat("picked up at ", FormatLocalTime(update.order.fulfilled_at_ms)));
    case OrderStatus::kCancelling:
    case OrderStatus::kCancelled:
      return CodedError(absl::StatusCode::kFailedPrecondition, kOrderCancelled,
                        "the order was cancelled; nothing is to be handed over");
    default:
      return CodedError(absl::StatusCode::kNotFound, kPickupCodeUnknown,
                        "no order waits with this code");
  }
}

absl::StatusOr<OrderPage> RedemptionService::ListOrders(const Caller& caller, OrderQuery query) {
  if (!ReadsVillage(caller, query.village_id)) return Denied("read this village's orders");
  if (caller.role == Role::kResident) query.household_id = caller.household_id;
  if (query.page_size == 0) query.page_size = 100;
  if (query.page_size < 0 || query.page_size > 500) return Invalid("page_size", "1..500");
  return repository_->ListOrders(query);
}

absl::StatusOr<RecoveryStats> RedemptionService::RecoverUnfinished(int64_t min_age_ms,
                                                                   int32_t batch) {
  RecoveryStats stats;
  // "Unchanged for min_age_ms" includes orders changed exactly min_age_ms ago (and, with 0, now).
  ASSIGN_OR_RETURN(const std::vector<Order> orders,
                   repository_->ListUnfinishedOrders(clock_->NowMs() - min_age_ms + 1, batch));
  const Actor actor = ServiceActor();
  for (const Order& order : orders) {
    if (order.status == OrderStatus::kReserved) {
      absl::StatusOr<Order> settled = SettleReserved(order, actor);
      if (settled.ok() && settled->status == OrderStatus::kConfirmed) {
        ++stats.confirmed;
      } else if (absl::IsFailedPrecondition(settled.status()) ||
                 (settled.ok() && settled->status == OrderStatus::kFailed)) {
        ++stats.failed;
      } else {
        // The wallet is unreachable: the rest of the batch would wait for it too (a call timeout
        // each). The next sweep tries again.
        ++stats.pending;
        break;
      }
    } else if (order.status == OrderStatus::kCancelling) {
      absl::StatusOr<Order> closed = FinishCancelling(order, actor);
      if (closed.ok()) {
        ++stats.cancelled;
      } else {
        ++stats.pending;
        break;
      }
    }
  }
  return stats;
}

// --- funding and budget --------------------------------------------------------------------------

absl::StatusOr<FundingSource> RedemptionService::CreateFundingSource(
    const Caller& caller, FundingSource source, const std::string& client_request_id) {
  if (!ManagesVillage(caller, source.village_id)) return Denied("manage this village's funding");
  RETURN_IF_ERROR(ValidateClientRequestId(client_request_id));
  RETURN_IF_ERROR(ValidateYear(source.year));
  ASSIGN_OR_RETURN(source.name, CleanName("name", source.name, 100));
  if (source.committed_fen < 0 || source.committed_fen > kMaxAmountFen) {
    return Invalid("committed_fen", "0..100000000000");
  }
  const ClientRequest request = RequestToCreateFundingSource(client_request_id, source);
  source.funding_source_id = 0;
  source.created_at_ms = clock_->NowMs();
  absl::StatusOr<FundingSource> created =
      repository_->CreateFundingSource(source, request, ActorOf(caller));
  if (created.ok()) return created;
  ASSIGN_OR_RETURN(const int64_t source_id,
                   EarlierWrite(source.village_id, request, created.status()));
  return repository_->GetFundingSource(source.village_id, source_id);
}

absl::StatusOr<std::vector<FundingSource>> RedemptionService::ListFundingSources(
    const Caller& caller, int64_t village_id, int32_t year) {
  if (caller.role == Role::kResident || !ReadsVillage(caller, village_id)) {
    return Denied("read this village's funding");
  }
  if (year != 0) RETURN_IF_ERROR(ValidateYear(year));
  return repository_->ListFundingSources(village_id, year);
}

absl::StatusOr<Donation> RedemptionService::RecordDonation(const Caller& caller, Donation donation,
                                                           const std::string& client_request_id) {
  if (!ManagesVillage(caller, donation.village_id)) return Denied("manage this village's funding");
  RETURN_IF_ERROR(ValidateClientRequestId(client_request_id));
  if (donation.funding_source_id <= 0) return Invalid("funding_source_id", "required");
  ASSIGN_OR_RETURN(donation.donor, CleanName("donor", donation.donor, 100));
  if (donation.amount_fen <= 0 || donation.amount_fen > kMaxAmountFen) {
    return Invalid("amount_fen", "1..100000000000");
  }
  if (!IsValidDate(donation.donated_on)) return Invalid("donated_on", "a date YYYY-MM-DD");
  // A gift not yet received counts towards no year's funding.
  if (donation.donated_on > LocalDate(clock_->NowMs())) {
    return Invalid("donated_on", "in the future");
  }
  RETURN_IF_ERROR(CheckText("note", donation.note, 500, /*required=*/false));
  const ClientRequest request = RequestToRecordDonation(client_request_id, donation);
  donation.donation_id = 0;
  donation.created_at_ms = clock_->NowMs();
  absl::StatusOr<Donation> recorded =
      repository_->RecordDonation(donation, request, ActorOf(caller));
  if (recorded.ok()) return recorded;
  // Donations are append-only with amounts > 0: a duplicate could never be offset.
  ASSIGN_OR_RETURN(const int64_t donation_id,
                   EarlierWrite(donation.village_id, request, recorded.status()));
  return repository_->GetDonation(donation.village_id, donation_id);
}

absl::StatusOr<std::vector<Donation>> RedemptionService::ListDonations(const Caller& caller,
                                                                       int64_t village_id,
                                                                       int32_t year) {
  if (caller.role == Role::kResident || !ReadsVillage(caller, village_id)) {
    return Denied("read this village's funding");
  }
  if (year == 0) return repository_->ListDonations(village_id, "", "");
  RETURN_IF_ERROR(ValidateYear(year));
  return repository_->ListDonations(village_id, absl::StrFormat("%04d-01-01", year),
                                    absl::StrFormat("%04d-01-01", year + 1));
}

absl::StatusOr<Budget> RedemptionService::SetBudget(const Caller& caller, Budget budget,
                                                    const std::string& reason) {
  const bool district = caller.role == Role::kDistrictOfficial;
  if (!district && !ManagesVillage(caller, budget.village_id)) {
    return Denied("manage this village's budget");
  }
  if (budget.village_id <= 0) return Invalid("village_id", "required");
  RETURN_IF_ERROR(ValidateYear(budget.year));
  if (budget.budget_fen < 0 || budget.budget_fen > kMaxAmountFen) {
    return Invalid("budget_fen", "0..100000000000");
  }
  // The district changes a village's record only as a correction, and says why.
  RETURN_IF_ERROR(CheckText("reason", reason, 500, /*required=*/district));
  budget.updated_at_ms = clock_->NowMs();
  const bool year_ended = budget.updated_at_ms >= YearStartMs(budget.year + 1);
  // An ended year's budget is what this year's is measured against: the village may still record
  // a missing one (it adds a check, never passes one), but not change it.
  const BudgetWrite write =
      district || !year_ended ? BudgetWrite::kReplace : BudgetWrite::kFirstOnly;
  return repository_->SetBudget(budget, write, reason, ActorOf(caller));
}

absl::StatusOr<BudgetCheck> RedemptionService::GetBudgetCheck(const Caller& caller,
                                                              int64_t village_id, int32_t year) {
  if (caller.role == Role::kResident || !ReadsVillage(caller, village_id)) {
    return Denied("read this village's budget");
  }
  RETURN_IF_ERROR(ValidateYear(year));
  ASSIGN_OR_RETURN(
      const BudgetFacts facts,
      repository_->GetBudgetFacts(village_id, year, YearStartMs(year), YearStartMs(year + 1)));
  BudgetCheck check;
  check.village_id = village_id;
  check.year = year;
  check.budget_set = facts.budget_fen.has_value();
  check.budget_fen = facts.budget_fen.value_or(0);
  check.previous_budget_set = facts.previous_budget_fen.has_value();
  check.previous_budget_fen = facts.previous_budget_fen.value_or(0);
  // No budget last year: nothing to fall below. A missing budget this year while last year had
  // one breaks the rule (the village has not committed anything yet).
  check.not_lower_than_last_year =
      !check.previous_budget_set ||
      (check.budget_set && check.budget_fen >= check.previous_budget_fen);
  check.funding_committed_fen = facts.funding_committed_fen;
  check.donations_fen = facts.donations_fen;
  check.redeemed_value_fen = facts.redeemed_value_fen;
  check.remaining_fen = check.budget_fen - check.redeemed_value_fen;
  return check;
}

}  // namespace jifen::redemption
