// The machine codes that start the message of every refusal a client can act on, "<CODE>: text".
// Documented for clients in proto/jifen/redemption/v1/redemption.proto.
#pragma once

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace jifen::redemption {

inline constexpr absl::string_view kSoldOut = "SOLD_OUT";        // none left
inline constexpr absl::string_view kOutOfStock = "OUT_OF_STOCK";  // fewer left than ordered
inline constexpr absl::string_view kNotOnSale = "NOT_ON_SALE";
inline constexpr absl::string_view kLimitReached = "LIMIT_REACHED";
inline constexpr absl::string_view kWalletInsufficient = "WALLET_INSUFFICIENT";
inline constexpr absl::string_view kDebitRefused = "DEBIT_REFUSED";
inline constexpr absl::string_view kOrderConflict = "ORDER_CONFLICT";
inline constexpr absl::string_view kOrderPending = "ORDER_PENDING";
inline constexpr absl::string_view kCancelPending = "CANCEL_PENDING";
inline constexpr absl::string_view kNotCancellable = "NOT_CANCELLABLE";
inline constexpr absl::string_view kPickupCodeUnknown = "PICKUP_CODE_UNKNOWN";
inline constexpr absl::string_view kOrderCancelled = "ORDER_CANCELLED";
inline constexpr absl::string_view kAlreadyFulfilled = "ALREADY_FULFILLED";
inline constexpr absl::string_view kItemNotFound = "ITEM_NOT_FOUND";
inline constexpr absl::string_view kOrderNotFound = "ORDER_NOT_FOUND";
inline constexpr absl::string_view kNegativeStock = "NEGATIVE_STOCK";
inline constexpr absl::string_view kNotADonationSource = "NOT_A_DONATION_SOURCE";
inline constexpr absl::string_view kFundingSourceNotFound = "FUNDING_SOURCE_NOT_FOUND";
inline constexpr absl::string_view kIdempotencyConflict = "IDEMPOTENCY_CONFLICT";
inline constexpr absl::string_view kBudgetYearClosed = "BUDGET_YEAR_CLOSED";
// The ledger export could not read the households' names from scoring's registry (retry).
inline constexpr absl::string_view kRegistryUnavailable = "REGISTRY_UNAVAILABLE";

// A status whose message is "<code>: <text>".
absl::Status CodedError(absl::StatusCode status_code, absl::string_view code,
                        absl::string_view text);

// The machine code a message starts with ("" if none).
absl::string_view MachineCodeOf(const absl::Status& status);
absl::string_view MachineCodeOf(absl::string_view message);

}  // namespace jifen::redemption
