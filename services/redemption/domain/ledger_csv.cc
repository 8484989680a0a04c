#include "services/redemption/domain/ledger_csv.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "services/redemption/domain/calendar.h"
#include "services/redemption/domain/order_reason.h"

namespace jifen::redemption {
namespace {

// 村民小组, 门牌号, 户主.
void AppendHouseholdCells(const LedgerNames& names, int64_t household_id,
                          std::vector<std::string>& row) {
  const auto it = names.households.find(household_id);
  if (it == names.households.end()) {
    row.insert(row.end(), {"", CsvCell(kNameNotFound), ""});
    return;
  }
  const HouseholdLabel& label = it->second;
  row.insert(row.end(),
             {CsvCell(label.group_name), CsvCell(label.house_number), CsvCell(label.head_name)});
}

// 资金来源编号, 资金来源: both empty for an item bought without a funding source.
void AppendFundingCells(const LedgerNames& names, int64_t funding_source_id,
                        std::vector<std::string>& row) {
  if (funding_source_id == 0) {
    row.insert(row.end(), {"", ""});
    return;
  }
  const auto it = names.funding_sources.find(funding_source_id);
  row.insert(row.end(), {absl::StrCat(funding_source_id),
                         CsvCell(it == names.funding_sources.end() ? kNameNotFound : it->second)});
}

}  // namespace

absl::string_view StatusLabel(OrderStatus status) {
  switch (status) {
    case OrderStatus::kReserved:
      return "处理中";
    case OrderStatus::kConfirmed:
      return "待领取";
    case OrderStatus::kFulfilled:
      return "已领取";
    case OrderStatus::kCancelling:
      return "取消中";
    case OrderStatus::kCancelled:
      return "已取消";
    case OrderStatus::kFailed:
      return "失败";
  }
  return "未知";
}

std::string LedgerNote(const Order& order) { return OrderReasonText(order); }

std::string FenToYuan(int64_t fen) {
  const char* sign = fen < 0 ? "-" : "";
  const int64_t magnitude = fen < 0 ? -fen : fen;
  return absl::StrFormat("%s%d.%02d", sign, magnitude / 100, magnitude % 100);
}

std::string CsvCell(absl::string_view text) {
  std::string cell(text);
  // A tab or CR first also lets a spreadsheet take what follows for a formula (OWASP's list).
  if (!cell.empty() && absl::string_view("=+-@\t\r").find(cell[0]) != absl::string_view::npos) {
    cell.insert(0, "'");
  }
  if (cell.find_first_of(",\"\r\n") != std::string::npos) {
    return absl::StrCat("\"", absl::StrReplaceAll(cell, {{"\"", "\"\""}}), "\"");
  }
  return cell;
}

std::string LedgerCsv(const std::vector<Order>& orders, const LedgerNames& names) {
  std::string out(kUtf8Bom);
  const std::vector<absl::string_view> header = {
      "订单号", "户编号",     "村民小组", "门牌号",   "户主",           "商品编号", "商品名称",
      "数量",   "单价(积分)", "积分合计", "价值(元)", "资金来源编号",   "资金来源", "状态",
      "取货码", "下单时间",   "确认时间", "领取时间", "领取经办人账号", "取消时间", "备注"};
  absl::StrAppend(&out, absl::StrJoin(header, ","), "\r\n");
  std::vector<std::string> row;
  for (const Order& o : orders) {
    row = {CsvCell(o.order_id), absl::StrCat(o.household_id)};
    AppendHouseholdCells(names, o.household_id, row);
    row.insert(row.end(), {absl::StrCat(o.item_id), CsvCell(o.item_name), absl::StrCat(o.quantity),
                           absl::StrCat(o.price_points), absl::StrCat(o.total_points),
                           FenToYuan(o.value_fen)});
    AppendFundingCells(names, o.funding_source_id, row);
    row.insert(row.end(), {std::string(StatusLabel(o.status)),
                           // As a text formula, so that Excel keeps the leading zeros of "012345".
                           o.pickup_code.empty() ? std::string()
                                                 : absl::StrCat("\"=\"\"", o.pickup_code, "\"\"\""),
                           FormatLocalTime(o.created_at_ms), FormatLocalTime(o.confirmed_at_ms),
                           FormatLocalTime(o.fulfilled_at_ms), CsvCell(o.fulfilled_by_user_id),
                           FormatLocalTime(o.cancelled_at_ms), CsvCell(LedgerNote(o))});
    absl::StrAppend(&out, absl::StrJoin(row, ","), "\r\n");
  }
  return out;
}

}  // namespace jifen::redemption
