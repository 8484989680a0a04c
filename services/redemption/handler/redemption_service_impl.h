// jifen.redemption.v1.RedemptionService: decodes requests, calls the domain with the verified
// caller, encodes the answer. No rules here (see domain/redemption_service.h).
#pragma once

#include "common/grpc/call.h"
#include "jifen/redemption/v1/redemption.grpc.pb.h"
#include "services/redemption/domain/ledger_export.h"
#include "services/redemption/domain/redemption_service.h"

namespace jifen::redemption {

class RedemptionServiceImpl final : public v1::RedemptionService::Service {
 public:
  // All must outlive this object.
  RedemptionServiceImpl(RedemptionService* service, LedgerExporter* exporter,
                        const grpc_util::CallHandler* calls)
      : service_(service), exporter_(exporter), calls_(calls) {}

  grpc::Status CreateItem(grpc::ServerContext* context, const v1::CreateItemRequest* request,
                          v1::StoreItem* response) override;
  grpc::Status UpdateItem(grpc::ServerContext* context, const v1::UpdateItemRequest* request,
                          v1::StoreItem* response) override;
  grpc::Status GetItem(grpc::ServerContext* context, const v1::GetItemRequest* request,
                       v1::StoreItem* response) override;
  grpc::Status ListItems(grpc::ServerContext* context, const v1::ListItemsRequest* request,
                         v1::ListItemsResponse* response) override;
  grpc::Status RestockItem(grpc::ServerContext* context, const v1::RestockItemRequest* request,
                           v1::StoreItem* response) override;
  grpc::Status PlaceOrder(grpc::ServerContext* context, const v1::PlaceOrderRequest* request,
                          v1::Order* response) override;
  grpc::Status GetOrder(grpc::ServerContext* context, const v1::GetOrderRequest* request,
                        v1::Order* response) override;
  grpc::Status CancelOrder(grpc::ServerContext* context, const v1::CancelOrderRequest* request,
                           v1::Order* response) override;
  grpc::Status FulfilOrder(grpc::ServerContext* context, const v1::FulfilOrderRequest* request,
                           v1::Order* response) override;
  grpc::Status ListOrders(grpc::ServerContext* context, const v1::ListOrdersRequest* request,
                          v1::ListOrdersResponse* response) override;
  grpc::Status CreateFundingSource(grpc::ServerContext* context,
                                   const v1::CreateFundingSourceRequest* request,
                                   v1::FundingSource* response) override;
  grpc::Status ListFundingSources(grpc::ServerContext* context,
                                  const v1::ListFundingSourcesRequest* request,
                                  v1::ListFundingSourcesResponse* response) override;
  grpc::Status RecordDonation(grpc::ServerContext* context,
                              const v1::RecordDonationRequest* request,
                              v1::Donation* response) override;
  grpc::Status ListDonations(grpc::ServerContext* context, const v1::ListDonationsRequest* request,
                             v1::ListDonationsResponse* response) override;
  grpc::Status SetBudget(grpc::ServerContext* context, const v1::SetBudgetRequest* request,
                         v1::Budget* response) override;
  grpc::Status GetBudgetCheck(grpc::ServerContext* context,
                              const v1::GetBudgetCheckRequest* request,
                              v1::BudgetCheck* response) override;
  grpc::Status ExportLedger(grpc::ServerContext* context, const v1::ExportLedgerRequest* request,
                            v1::ExportLedgerResponse* response) override;

 private:
  RedemptionService* service_;
  LedgerExporter* exporter_;
  const grpc_util::CallHandler* calls_;
};

// Conversions, exposed for tests.
absl::StatusOr<StoreItem> ItemFromProto(const v1::StoreItem& proto);
void ItemToProto(const StoreItem& item, v1::StoreItem* proto);
void OrderToProto(const Order& order, v1::Order* proto);
// Page tokens of ListOrders: "<created_at_ms>.<order_id>".
std::string OrderPageToken(const Order& last);
absl::Status ParseOrderPageToken(const std::string& token, OrderQuery* query);

}  // namespace jifen::redemption
