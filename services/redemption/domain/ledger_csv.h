// The redemption ledger (兑换台账) as a CSV file that Excel opens correctly: UTF-8 with a byte
// order mark, CRLF line ends, RFC 4180 quoting, and text cells that would start a formula (= + - @)
// prefixed with an apostrophe so that a crafted item name can't run in a spreadsheet.
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "services/redemption/domain/model.h"

namespace jifen::redemption {

inline constexpr absl::string_view kUtf8Bom = "\xEF\xBB\xBF";

// One header row (Chinese column names) and one row per order, in the order given.
std::string LedgerCsv(const std::vector<Order>& orders);

// One CSV cell: quoted when it holds a comma, quote, CR or LF; formula-neutralised when text.
std::string CsvCell(absl::string_view text);

// "12.34" for 1234 fen.
std::string FenToYuan(int64_t fen);

// The ledger's Chinese name of a status ("已确认", ...).
absl::string_view StatusLabel(OrderStatus status);

// The 备注 cell of an order, for village staff: OrderReasonText (order_reason.h), the same words
// the resident reads as the order's status_reason.
std::string LedgerNote(const Order& order);

}  // namespace jifen::redemption
