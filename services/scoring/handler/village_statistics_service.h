// jifen.scoring.v1.VillageStatisticsService: supervision's read of a village's year.
#pragma once

#include "jifen/scoring/v1/statistics.grpc.pb.h"
#include "services/scoring/handler/scoring_context.h"
#include "services/scoring/storage/mysql_ledger.h"
#include "services/scoring/storage/mysql_rulebooks.h"
#include "services/scoring/storage/mysql_village_statistics.h"

namespace jifen::scoring {

class VillageStatisticsServiceImpl final : public v1::VillageStatisticsService::Service {
 public:
  VillageStatisticsServiceImpl(const ScoringContext& context, MySqlLedger& ledger,
                               MySqlRulebooks& rulebooks, MySqlVillageStatistics& statistics)
      : context_(context), ledger_(ledger), rulebooks_(rulebooks), statistics_(statistics) {}

  grpc::Status GetVillageStatistics(grpc::ServerContext* context,
                                    const v1::GetVillageStatisticsRequest* request,
                                    v1::VillageStatistics* response) override;

 private:
  absl::Status Fill(const v1::GetVillageStatisticsRequest& request, v1::VillageStatistics* out);

  const ScoringContext& context_;
  MySqlLedger& ledger_;
  MySqlRulebooks& rulebooks_;
  MySqlVillageStatistics& statistics_;
};

}  // namespace jifen::scoring
