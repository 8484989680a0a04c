// VillageFactsSource over gRPC: scoring's VillageStatisticsService, publicity's window and
// red/black list reads, redemption's budget check. One channel per service, made once and reused;
// every call carries the audit service's own token and a deadline.
#pragma once

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "jifen/publicity/v1/boards.grpc.pb.h"
#include "jifen/publicity/v1/windows.grpc.pb.h"
#include "jifen/redemption/v1/redemption.grpc.pb.h"
#include "jifen/scoring/v1/statistics.grpc.pb.h"
#include "services/audit/domain/village_facts.h"

namespace jifen::audit {

struct VillageFactsOptions {
  std::string scoring_address;     // "" : scoring's checks are UNKNOWN ("not configured")
  std::string publicity_address;   // idem
  std::string redemption_address;  // idem
  std::string service_token;       // role "service", subject "audit"
  absl::Duration timeout =
      absl::Seconds(5);  // per service and question (publicity's 8 calls share it)
};

class GrpcVillageFacts final : public VillageFactsSource {
 public:
  explicit GrpcVillageFacts(VillageFactsOptions options);

  absl::StatusOr<ScoringFacts> Scoring(int64_t village_id, int year) override;
  absl::StatusOr<PublicityFacts> Publicity(int64_t village_id, int year) override;
  absl::StatusOr<RedemptionFacts> Redemption(int64_t village_id, int year) override;
  // The three services asked in parallel (a thread each; stubs are thread-safe).
  AllFacts All(int64_t village_id, int year) override;

 private:
  VillageFactsOptions options_;
  std::unique_ptr<scoring::v1::VillageStatisticsService::Stub> scoring_;
  std::unique_ptr<publicity::v1::PublicityWindowService::Stub> windows_;
  std::unique_ptr<publicity::v1::BoardService::Stub> boards_;
  std::unique_ptr<redemption::v1::RedemptionService::Stub> redemption_;
};

// The token in `path` (whitespace trimmed); INVALID_ARGUMENT naming the flag when unreadable/empty.
absl::StatusOr<std::string> ReadServiceToken(const std::string& path);

}  // namespace jifen::audit
