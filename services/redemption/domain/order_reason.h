// Why an order failed or was cancelled, in words for people. A FAILED order's stored
// status_reason is machine text ("WALLET_INSUFFICIENT: the wallet holds fewer than 50 points"):
// its code is for programs, and the resident (GetOrder, ListOrders) and the village's staff (the
// ledger CSV) read the same Chinese sentence made from it here.
#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "services/redemption/domain/model.h"

namespace jifen::redemption {

// FAILED: why, in Chinese ("积分不足，兑换未成功（需 50 积分）", "积分扣减被拒绝，兑换未成功",
// else "兑换未成功"); CANCELLING / CANCELLED: the reason given for the cancellation, as its author
// wrote it; "" otherwise.
std::string OrderReasonText(const Order& order);

// FAILED: the machine code its status_reason starts with ("WALLET_INSUFFICIENT", "DEBIT_REFUSED";
// "" if none); "" for every other status (a cancellation's reason is a person's words, not a code).
absl::string_view OrderFailureCode(const Order& order);

}  // namespace jifen::redemption
