// jifen.scoring.v1.LedgerService: decode, authorize, call the ledger, encode.
#pragma once

#include "jifen/scoring/v1/ledger.grpc.pb.h"
#include "services/scoring/handler/scoring_context.h"
#include "services/scoring/storage/mysql_ledger.h"

namespace jifen::scoring {

class LedgerServiceImpl final : public v1::LedgerService::Service {
 public:
  LedgerServiceImpl(const ScoringContext& context, MySqlLedger& ledger)
      : context_(context), ledger_(ledger) {}

  grpc::Status GetWallet(grpc::ServerContext* context, const v1::GetWalletRequest* request,
                         v1::Wallet* response) override;
  grpc::Status ListPeriodScores(grpc::ServerContext* context,
                                const v1::ListPeriodScoresRequest* request,
                                v1::ListPeriodScoresResponse* response) override;
  grpc::Status ListEntries(grpc::ServerContext* context, const v1::ListEntriesRequest* request,
                           v1::ListEntriesResponse* response) override;
  grpc::Status GetVillageTotals(grpc::ServerContext* context,
                                const v1::GetVillageTotalsRequest* request,
                                v1::VillageTotals* response) override;
  grpc::Status Debit(grpc::ServerContext* context, const v1::DebitRequest* request,
                     v1::DebitResponse* response) override;
  grpc::Status Refund(grpc::ServerContext* context, const v1::RefundRequest* request,
                      v1::RefundResponse* response) override;
  grpc::Status ReverseEntry(grpc::ServerContext* context, const v1::ReverseEntryRequest* request,
                            v1::ReverseEntryResponse* response) override;
  grpc::Status SettlePeriod(grpc::ServerContext* context, const v1::SettlePeriodRequest* request,
                            v1::SettlePeriodResponse* response) override;
  grpc::Status StreamEntries(grpc::ServerContext* context,
                             const v1::StreamEntriesRequest* request,
                             grpc::ServerWriter<v1::LedgerEntryBatch>* writer) override;
  grpc::Status VerifyChain(grpc::ServerContext* context, const v1::VerifyChainRequest* request,
                           v1::VerifyChainResponse* response) override;

 private:
  // The household, if the caller may read it (PERMISSION_DENIED / NOT_FOUND otherwise).
  absl::StatusOr<HouseholdRecord> ReadableHousehold(const auth::Caller& caller,
                                                    int64_t household_id);
  absl::Status CheckVillageReadable(const auth::Caller& caller, int64_t village_id);

  const ScoringContext& context_;
  MySqlLedger& ledger_;
};

}  // namespace jifen::scoring
