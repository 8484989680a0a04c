#include "services/redemption/handler/redemption_service_impl.h"

#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "services/redemption/domain/order_reason.h"

namespace jifen::redemption {
namespace {

using auth::Caller;

void FundingToProto(const FundingSource& source, v1::FundingSource* proto) {
  proto->set_funding_source_id(source.funding_source_id);
  proto->set_village_id(source.village_id);
  proto->set_year(source.year);
  proto->set_kind(static_cast<v1::FundingKind>(source.kind));
  proto->set_name(source.name);
  proto->set_committed_fen(source.committed_fen);
  proto->set_created_at_ms(source.created_at_ms);
}

void DonationToProto(const Donation& donation, v1::Donation* proto) {
  proto->set_donation_id(donation.donation_id);
  proto->set_village_id(donation.village_id);
  proto->set_funding_source_id(donation.funding_source_id);
  proto->set_donor(donation.donor);
  proto->set_amount_fen(donation.amount_fen);
  proto->set_donated_on(donation.donated_on);
  proto->set_note(donation.note);
  proto->set_created_at_ms(donation.created_at_ms);
}

}  // namespace

absl::StatusOr<StoreItem> ItemFromProto(const v1::StoreItem& proto) {
  StoreItem item;
  item.item_id = proto.item_id();
  item.village_id = proto.village_id();
  item.name = proto.name();
  item.description = proto.description();
  item.photo_ref = proto.photo_ref();
  item.price_points = proto.price_points();
  item.stock = proto.stock();
  item.value_fen = proto.value_fen();
  item.funding_source_id = proto.funding_source_id();
  item.on_sale_from_ms = proto.on_sale_from_ms();
  item.on_sale_until_ms = proto.on_sale_until_ms();
  item.limit_per_household = proto.limit_per_household();
  switch (proto.limit_period()) {
    case v1::LIMIT_PERIOD_MONTH:
      item.limit_period = LimitPeriod::kMonth;
      break;
    case v1::LIMIT_PERIOD_YEAR:
      item.limit_period = LimitPeriod::kYear;
      break;
    case v1::LIMIT_PERIOD_UNSPECIFIED:
    case v1::LIMIT_PERIOD_QUARTER:
      item.limit_period = LimitPeriod::kQuarter;
      break;
    default:
      return absl::InvalidArgumentError("limit_period: unknown value");
  }
  item.active = proto.active();
  return item;
}

void ItemToProto(const StoreItem& item, v1::StoreItem* proto) {
  proto->set_item_id(item.item_id);
  proto->set_village_id(item.village_id);
  proto->set_name(item.name);
  proto->set_description(item.description);
  proto->set_photo_ref(item.photo_ref);
  proto->set_price_points(item.price_points);
  proto->set_stock(item.stock);
  proto->set_value_fen(item.value_fen);
  proto->set_funding_source_id(item.funding_source_id);
  proto->set_on_sale_from_ms(item.on_sale_from_ms);
  proto->set_on_sale_until_ms(item.on_sale_until_ms);
  proto->set_limit_per_household(item.limit_per_household);
  proto->set_limit_period(static_cast<v1::LimitPeriod>(item.limit_period));
  proto->set_active(item.active);
  proto->set_created_at_ms(item.created_at_ms);
  proto->set_updated_at_ms(item.updated_at_ms);
}

void OrderToProto(const Order& order, v1::Order* proto) {
  proto->set_order_id(order.order_id);
  proto->set_village_id(order.village_id);
  proto->set_household_id(order.household_id);
  proto->set_item_id(order.item_id);
  proto->set_item_name(order.item_name);
  proto->set_quantity(order.quantity);
  proto->set_price_points(order.price_points);
  proto->set_total_points(order.total_points);
  proto->set_value_fen(order.value_fen);
  proto->set_funding_source_id(order.funding_source_id);
  proto->set_status(static_cast<v1::OrderStatus>(order.status));
  proto->set_pickup_code(order.pickup_code);
  // People read the Chinese reason; programs branch on the code (stored as "<CODE>: text").
  proto->set_status_reason(OrderReasonText(order));
  proto->set_failure_code(std::string(OrderFailureCode(order)));
  proto->set_wallet_balance_points(order.wallet_balance_points);
  proto->set_ordered_by_user_id(order.ordered_by_user_id);
  proto->set_created_at_ms(order.created_at_ms);
  proto->set_confirmed_at_ms(order.confirmed_at_ms);
  proto->set_fulfilled_at_ms(order.fulfilled_at_ms);
  proto->set_fulfilled_by_user_id(order.fulfilled_by_user_id);
  proto->set_cancelled_at_ms(order.cancelled_at_ms);
  proto->set_updated_at_ms(order.updated_at_ms);
}

std::string OrderPageToken(const Order& last) {
  return absl::StrCat(last.created_at_ms, ".", last.order_id);
}

absl::Status ParseOrderPageToken(const std::string& token, OrderQuery* query) {
  const size_t dot = token.find('.');
  int64_t created_at_ms = 0;
  if (dot == std::string::npos || !absl::SimpleAtoi(token.substr(0, dot), &created_at_ms) ||
      !IsValidOrderId(token.substr(dot + 1))) {
    return absl::InvalidArgumentError("page_token: not from a previous response");
  }
  query->after_created_at_ms = created_at_ms;
  query->after_order_id = token.substr(dot + 1);
  return absl::OkStatus();
}

grpc::Status RedemptionServiceImpl::CreateItem(grpc::ServerContext* context,
                                               const v1::CreateItemRequest* request,
                                               v1::StoreItem* response) {
  return calls_->Serve(context, "CreateItem", [&](const Caller& caller) -> absl::Status {
    ASSIGN_OR_RETURN(StoreItem item, ItemFromProto(request->item()));
    ASSIGN_OR_RETURN(const StoreItem created,
                     service_->CreateItem(caller, std::move(item), request->client_request_id()));
    ItemToProto(created, response);
    return absl::OkStatus();
  });
}

grpc::Status RedemptionServiceImpl::UpdateItem(grpc::ServerContext* context,
                                               const v1::UpdateItemRequest* request,
                                               v1::StoreItem* response) {
  return calls_->Serve(context, "UpdateItem", [&](const Caller& caller) -> absl::Status {
    ASSIGN_OR_RETURN(StoreItem item, ItemFromProto(request->item()));
    ASSIGN_OR_RETURN(const StoreItem updated, service_->UpdateItem(caller, std::move(item)));
    ItemToProto(updated, response);
    return absl::OkStatus();
  });
}

grpc::Status RedemptionServiceImpl::GetItem(grpc::ServerContext* context,
                                            const v1::GetItemRequest* request,
                                            v1::StoreItem* response) {
  return calls_->Serve(context, "GetItem", [&](const Caller& caller) -> absl::Status {
    ASSIGN_OR_RETURN(const StoreItem item,
                     service_->GetItem(caller, request->village_id(), request->item_id()));
    ItemToProto(item, response);
    return absl::OkStatus();
  });
}

grpc::Status RedemptionServiceImpl::ListItems(grpc::ServerContext* context,
                                              const v1::ListItemsRequest* request,
                                              v1::ListItemsResponse* response) {
  return calls_->Serve(context, "ListItems", [&](const Caller& caller) -> absl::Status {
    ASSIGN_OR_RETURN(const std::vector<StoreItem> items,
                     service_->ListItems(caller, request->village_id(), request->on_sale_only()));
    for (const StoreItem& item : items) ItemToProto(item, response->add_items());
    return absl::OkStatus();
  });
}

grpc::Status RedemptionServiceImpl::RestockItem(grpc::ServerContext* context,
                                                const v1::RestockItemRequest* request,
                                                v1::StoreItem* response) {
  return calls_->Serve(context, "RestockItem", [&](const Caller& caller) -> absl::Status {
    ASSIGN_OR_RETURN(
        const StoreItem item,
        service_->RestockItem(caller, request->village_id(), request->item_id(), request->delta(),
                              request->reason(), request->client_request_id()));
    ItemToProto(item, response);
    return absl::OkStatus();
  });
}

grpc::Status RedemptionServiceImpl::PlaceOrder(grpc::ServerContext* context,
                                               const v1::PlaceOrderRequest* request,
                                               v1::Order* response) {
  return calls_->Serve(context, "PlaceOrder", [&](const Caller& caller) -> absl::Status {
    PlaceOrderInput input;
    input.order_id = request->order_id();
    input.village_id = request->village_id();
    input.household_id = request->household_id();
    input.item_id = request->item_id();
    input.quantity = request->quantity();
    ASSIGN_OR_RETURN(const Order order, service_->PlaceOrder(caller, input));
    OrderToProto(order, response);
    return absl::OkStatus();
  });
}

grpc::Status RedemptionServiceImpl::GetOrder(grpc::ServerContext* context,
                                             const v1::GetOrderRequest* request,
                                             v1::Order* response) {
  return calls_->Serve(context, "GetOrder", [&](const Caller& caller) -> absl::Status {
    ASSIGN_OR_RETURN(const Order order, service_->GetOrder(caller, request->order_id()));
    OrderToProto(order, response);
    return absl::OkStatus();
  });
}

grpc::Status RedemptionServiceImpl::CancelOrder(grpc::ServerContext* context,
                                                const v1::CancelOrderRequest* request,
                                                v1::Order* response) {
  return calls_->Serve(context, "CancelOrder", [&](const Caller& caller) -> absl::Status {
    ASSIGN_OR_RETURN(const Order order,
                     service_->CancelOrder(caller, request->order_id(), request->reason()));
    OrderToProto(order, response);
    return absl::OkStatus();
  });
}

grpc::Status RedemptionServiceImpl::FulfilOrder(grpc::ServerContext* context,
                                                const v1::FulfilOrderRequest* request,
                                                v1::Order* response) {
  return calls_->Serve(context, "FulfilOrder", [&](const Caller& caller) -> absl::Status {
    ASSIGN_OR_RETURN(const Order order,
                     service_->FulfilOrder(caller, request->village_id(), request->pickup_code()));
    OrderToProto(order, response);
    return absl::OkStatus();
  });
}

grpc::Status RedemptionServiceImpl::ListOrders(grpc::ServerContext* context,
                                               const v1::ListOrdersRequest* request,
                                               v1::ListOrdersResponse* response) {
  return calls_->Serve(context, "ListOrders", [&](const Caller& caller) -> absl::Status {
    OrderQuery query;
    query.village_id = request->village_id();
    if (request->status() != v1::ORDER_STATUS_UNSPECIFIED) {
      if (!v1::OrderStatus_IsValid(request->status())) {
        return absl::InvalidArgumentError("status: unknown value");
      }
      query.status = static_cast<OrderStatus>(request->status());
    }
    query.household_id = request->household_id();
    query.page_size = request->page_size();
    if (!request->page_token().empty()) {
      RETURN_IF_ERROR(ParseOrderPageToken(request->page_token(), &query));
    }
    ASSIGN_OR_RETURN(const OrderPage page, service_->ListOrders(caller, std::move(query)));
    for (const Order& order : page.orders) OrderToProto(order, response->add_orders());
    if (page.more && !page.orders.empty()) {
      response->set_next_page_token(OrderPageToken(page.orders.back()));
    }
    return absl::OkStatus();
  });
}

grpc::Status RedemptionServiceImpl::CreateFundingSource(
    grpc::ServerContext* context, const v1::CreateFundingSourceRequest* request,
    v1::FundingSource* response) {
  return calls_->Serve(context, "CreateFundingSource", [&](const Caller& caller) -> absl::Status {
    const v1::FundingSource& in = request->source();
    if (in.kind() == v1::FUNDING_KIND_UNSPECIFIED || !v1::FundingKind_IsValid(in.kind())) {
      return absl::InvalidArgumentError("kind: required");
    }
    FundingSource source;
    source.village_id = in.village_id();
    source.year = in.year();
    source.kind = static_cast<FundingKind>(in.kind());
    source.name = in.name();
    source.committed_fen = in.committed_fen();
    ASSIGN_OR_RETURN(
        const FundingSource created,
        service_->CreateFundingSource(caller, std::move(source), request->client_request_id()));
    FundingToProto(created, response);
    return absl::OkStatus();
  });
}

grpc::Status RedemptionServiceImpl::ListFundingSources(grpc::ServerContext* context,
                                                       const v1::ListFundingSourcesRequest* request,
                                                       v1::ListFundingSourcesResponse* response) {
  return calls_->Serve(context, "ListFundingSources", [&](const Caller& caller) -> absl::Status {
    ASSIGN_OR_RETURN(const std::vector<FundingSource> sources,
                     service_->ListFundingSources(caller, request->village_id(), request->year()));
    for (const FundingSource& source : sources) FundingToProto(source, response->add_sources());
    return absl::OkStatus();
  });
}

grpc::Status RedemptionServiceImpl::RecordDonation(grpc::ServerContext* context,
                                                   const v1::RecordDonationRequest* request,
                                                   v1::Donation* response) {
  return calls_->Serve(context, "RecordDonation", [&](const Caller& caller) -> absl::Status {
    const v1::Donation& in = request->donation();
    Donation donation;
    donation.village_id = in.village_id();
    donation.funding_source_id = in.funding_source_id();
    donation.donor = in.donor();
    donation.amount_fen = in.amount_fen();
    donation.donated_on = in.donated_on();
    donation.note = in.note();
    ASSIGN_OR_RETURN(
        const Donation created,
        service_->RecordDonation(caller, std::move(donation), request->client_request_id()));
    DonationToProto(created, response);
    return absl::OkStatus();
  });
}

grpc::Status RedemptionServiceImpl::ListDonations(grpc::ServerContext* context,
                                                  const v1::ListDonationsRequest* request,
                                                  v1::ListDonationsResponse* response) {
  return calls_->Serve(context, "ListDonations", [&](const Caller& caller) -> absl::Status {
    ASSIGN_OR_RETURN(const std::vector<Donation> donations,
                     service_->ListDonations(caller, request->village_id(), request->year()));
    for (const Donation& donation : donations) {
      DonationToProto(donation, response->add_donations());
    }
    return absl::OkStatus();
  });
}

grpc::Status RedemptionServiceImpl::SetBudget(grpc::ServerContext* context,
                                              const v1::SetBudgetRequest* request,
                                              v1::Budget* response) {
  return calls_->Serve(context, "SetBudget", [&](const Caller& caller) -> absl::Status {
    Budget budget;
    budget.village_id = request->village_id();
    budget.year = request->year();
    budget.budget_fen = request->budget_fen();
    ASSIGN_OR_RETURN(const Budget saved, service_->SetBudget(caller, budget, request->reason()));
    response->set_village_id(saved.village_id);
    response->set_year(saved.year);
    response->set_budget_fen(saved.budget_fen);
    response->set_updated_at_ms(saved.updated_at_ms);
    return absl::OkStatus();
  });
}

grpc::Status RedemptionServiceImpl::GetBudgetCheck(grpc::ServerContext* context,
                                                   const v1::GetBudgetCheckRequest* request,
                                                   v1::BudgetCheck* response) {
  return calls_->Serve(context, "GetBudgetCheck", [&](const Caller& caller) -> absl::Status {
    ASSIGN_OR_RETURN(const BudgetCheck check,
                     service_->GetBudgetCheck(caller, request->village_id(), request->year()));
    response->set_village_id(check.village_id);
    response->set_year(check.year);
    response->set_budget_set(check.budget_set);
    response->set_budget_fen(check.budget_fen);
    response->set_previous_budget_set(check.previous_budget_set);
    response->set_previous_budget_fen(check.previous_budget_fen);
    response->set_not_lower_than_last_year(check.not_lower_than_last_year);
    response->set_funding_committed_fen(check.funding_committed_fen);
    response->set_donations_fen(check.donations_fen);
    response->set_redeemed_value_fen(check.redeemed_value_fen);
    response->set_remaining_fen(check.remaining_fen);
    return absl::OkStatus();
  });
}

grpc::Status RedemptionServiceImpl::ExportLedger(grpc::ServerContext* context,
                                                 const v1::ExportLedgerRequest* request,
                                                 v1::ExportLedgerResponse* response) {
  return calls_->Serve(context, "ExportLedger", [&](const Caller& caller) -> absl::Status {
    // The caller's own token goes on to the registry: the names are theirs to see, not ours.
    ASSIGN_OR_RETURN(LedgerExport exported,
                     exporter_->Export(caller, grpc_util::BearerTokenOf(*context),
                                       request->village_id(), request->from_ms(),
                                       request->until_ms()));
    response->set_csv(std::move(exported.csv));
    response->set_file_name(exported.file_name);
    response->set_content_type("text/csv; charset=utf-8");
    response->set_rows(exported.rows);
    return absl::OkStatus();
  });
}

}  // namespace jifen::redemption
