#include "services/redemption/domain/order_reason.h"

#include "absl/strings/str_cat.h"
#include "services/redemption/domain/errors.h"

namespace jifen::redemption {

std::string OrderReasonText(const Order& order) {
  switch (order.status) {
    case OrderStatus::kFailed: {
      const absl::string_view code = OrderFailureCode(order);
      if (code == kWalletInsufficient) {
        return absl::StrCat("积分不足，兑换未成功（需 ", order.total_points, " 积分）");
      }
      if (code == kDebitRefused) return "积分扣减被拒绝，兑换未成功";
      return "兑换未成功";
    }
    case OrderStatus::kCancelling:
    case OrderStatus::kCancelled:
      return order.status_reason;
    default:
      return "";
  }
}

absl::string_view OrderFailureCode(const Order& order) {
  if (order.status != OrderStatus::kFailed) return "";
  return MachineCodeOf(order.status_reason);
}

}  // namespace jifen::redemption
