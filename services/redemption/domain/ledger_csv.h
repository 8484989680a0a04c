// The redemption ledger (兑换台账) as a CSV file that Excel opens correctly: UTF-8 with a byte
// order mark, CRLF line ends, RFC 4180 quoting, and text cells that would start a formula (= + - @)
// prefixed with an apostrophe so that a crafted name (an item's, a funding source's, a household
// head's: all typed by people) can't run in a spreadsheet.
//
// Staff print it for auditors, so each household and funding source is shown by its name, and
// keeps its id in a column of its own beside the name, for tracing a row back to the records.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "services/redemption/domain/household_directory.h"
#include "services/redemption/domain/model.h"

namespace jifen::redemption {

inline constexpr absl::string_view kUtf8Bom = "\xEF\xBB\xBF";

// Shown where a name belongs but none was found for the id beside it.
inline constexpr absl::string_view kNameNotFound = "（未找到）";

// The names the ledger shows beside the ids, read once for the whole export.
struct LedgerNames {
  absl::flat_hash_map<int64_t, HouseholdLabel> households;    // by household_id
  absl::flat_hash_map<int64_t, std::string> funding_sources;  // by funding_source_id
};

// One header row (Chinese column names) and one row per order, in the order given. Columns:
// 订单号, 户编号 (the household id), 村民小组, 门牌号, 户主, 商品编号, 商品名称, 数量, 单价(积分),
// 积分合计, 价值(元), 资金来源编号, 资金来源, 状态, 取货码, 下单时间, 确认时间, 领取时间,
// 领取经办人账号 (the staff account that handed the goods over: no service holds its person's
// name), 取消时间, 备注. A household missing from `names` shows kNameNotFound as its house
// number, a funding source missing from it as its name.
std::string LedgerCsv(const std::vector<Order>& orders, const LedgerNames& names);

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
