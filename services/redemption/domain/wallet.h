// The household wallet as redemption uses it: scoring's LedgerService Debit and Refund, over gRPC
// (handler/ScoringWalletClient).
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace jifen::redemption {

struct DebitResult {
  int64_t balance_points = 0;  // the wallet right after the debit
  int64_t entry_sequence = 0;  // the ledger entry written
};

// `request_id` ("" none) is the request the call is made for; scoring's audit record of the
// wallet movement carries it, so that the trail joins it with redemption's own records.
class WalletClient {
 public:
  virtual ~WalletClient() = default;
  // Takes `points` (> 0) from the household's wallet, once per order id: a repeat with the same
  // order id returns the first result. FAILED_PRECONDITION when the wallet is short; ALREADY_EXISTS
  // if the order id was debited with another household or amount; UNAVAILABLE/DEADLINE_EXCEEDED
  // when the outcome is unknown.
  virtual absl::StatusOr<DebitResult> Debit(int64_t household_id, int64_t points,
                                            const std::string& order_id, const std::string& reason,
                                            const std::string& request_id) = 0;
  // Gives an order's debit back, once: a repeat gives nothing and is answered OK. NOT_FOUND if the
  // order was never debited.
  virtual absl::Status Refund(const std::string& order_id, const std::string& reason,
                              const std::string& request_id) = 0;
};

// Time, so that tests can set it.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMs() = 0;
};

}  // namespace jifen::redemption
