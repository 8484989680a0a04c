// WalletClient over gRPC: scoring's LedgerService Debit and Refund, called with this service's own
// identity token (the file named by --service_token_file, re-read when it changes so that a
// rotated token is picked up without a restart).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "jifen/scoring/v1/ledger.grpc.pb.h"
#include "services/redemption/domain/wallet.h"

namespace jifen::redemption {

class ScoringWalletClient final : public WalletClient {
 public:
  // `timeout` bounds every call; past it the outcome is unknown (DEADLINE_EXCEEDED).
  ScoringWalletClient(std::unique_ptr<scoring::v1::LedgerService::StubInterface> stub,
                      std::string service_token_file, absl::Duration timeout);

  absl::StatusOr<DebitResult> Debit(int64_t household_id, int64_t points,
                                    const std::string& order_id, const std::string& reason,
                                    const std::string& request_id) override;
  absl::Status Refund(const std::string& order_id, const std::string& reason,
                      const std::string& request_id) override;

  // Reads the token file now: FAILED_PRECONDITION naming the file if it is missing or empty.
  absl::Status LoadToken();

 private:
  absl::StatusOr<std::string> Token();

  std::unique_ptr<scoring::v1::LedgerService::StubInterface> stub_;
  const std::string token_file_;
  const absl::Duration timeout_;
  absl::Mutex mutex_;
  std::string token_ ABSL_GUARDED_BY(mutex_);
  absl::Time token_read_at_ ABSL_GUARDED_BY(mutex_) = absl::InfinitePast();
};

}  // namespace jifen::redemption
