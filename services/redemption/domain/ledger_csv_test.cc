#include "services/redemption/domain/ledger_csv.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace jifen::redemption {
namespace {

Order SampleOrder() {
  Order order;
  order.order_id = "order-0001";
  order.household_id = 7;
  order.item_id = 3;
  order.item_name = "洗衣液, 2kg \"大瓶\"";
  order.quantity = 2;
  order.price_points = 30;
  order.total_points = 60;
  order.value_fen = 2590;
  order.funding_source_id = 4;
  order.status = OrderStatus::kConfirmed;
  order.pickup_code = "012345";
  order.created_at_ms = 1767196800000;  // 2026-01-01 00:00 Shanghai
  return order;
}

LedgerNames SampleNames() {
  LedgerNames names;
  names.households[7] = HouseholdLabel{"第3村民小组", "12号", "张建华"};
  names.funding_sources[4] = "2026年村集体资金";
  return names;
}

// The lines of a CSV after its BOM, without the "" after the last CRLF.
std::vector<std::string> Lines(const std::string& csv) {
  EXPECT_TRUE(absl::StartsWith(csv, "\xEF\xBB\xBF"));
  std::vector<std::string> lines = absl::StrSplit(csv.substr(3), "\r\n");
  EXPECT_EQ(lines.back(), "");
  lines.pop_back();
  return lines;
}

TEST(LedgerCsvTest, StartsWithBomAndHeaderAndUsesCrlf) {
  const std::vector<std::string> lines = Lines(LedgerCsv({SampleOrder()}, SampleNames()));
  ASSERT_EQ(lines.size(), 2u);  // header, row
  EXPECT_EQ(
      lines[0],
      "订单号,户编号,村民小组,门牌号,户主,商品编号,商品名称,数量,单价(积分),积分合计,价值(元),"
      "资金来源编号,资金来源,状态,取货码,下单时间,确认时间,领取时间,领取经办人账号,取消时间,"
      "备注");
  EXPECT_EQ(lines[1],
            "order-0001,7,第3村民小组,12号,张建华,3,\"洗衣液, 2kg \"\"大瓶\"\"\",2,30,60,25.90,4,"
            "2026年村集体资金,待领取,\"=\"\"012345\"\"\",2026-01-01 00:00:00,,,,,");
}

// Names come from people (the roster, the store's funding form): each is one cell, quoted when it
// holds a comma or quote, and never a formula.
TEST(LedgerCsvTest, NamesAreQuotedAndNeverFormulas) {
  Order order = SampleOrder();
  order.fulfilled_by_user_id = "staff-12";
  LedgerNames names;
  names.households[7] = HouseholdLabel{"=1+2", "12号, 东", "王\"小\"明"};
  names.funding_sources[4] = "@SUM(A1:A9),捐赠";
  const std::vector<std::string> lines = Lines(LedgerCsv({order}, names));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(absl::StartsWith(lines[1], "order-0001,7,'=1+2,\"12号, 东\",\"王\"\"小\"\"明\",3,"))
      << lines[1];
  EXPECT_TRUE(absl::StrContains(lines[1], ",25.90,4,\"'@SUM(A1:A9),捐赠\",待领取,")) << lines[1];
  EXPECT_TRUE(absl::StrContains(lines[1], ",staff-12,")) << lines[1];
}

// An id without a name (a household missing from the registry, a funding source gone) keeps its
// id and says so; an item bought without a funding source leaves both cells empty.
TEST(LedgerCsvTest, AnIdWithoutANameSaysNotFound) {
  Order order = SampleOrder();
  order.funding_source_id = 99;
  Order unfunded = SampleOrder();
  unfunded.order_id = "order-0002";
  unfunded.funding_source_id = 0;
  const std::vector<std::string> lines = Lines(LedgerCsv({order, unfunded}, LedgerNames()));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_TRUE(absl::StartsWith(lines[1], "order-0001,7,,（未找到）,,3,")) << lines[1];
  EXPECT_TRUE(absl::StrContains(lines[1], ",25.90,99,（未找到）,待领取,")) << lines[1];
  EXPECT_TRUE(absl::StrContains(lines[2], ",25.90,,,待领取,")) << lines[2];
}

TEST(LedgerCsvTest, NotesSayWhyInChinese) {
  Order order;
  order.total_points = 120;
  order.status = OrderStatus::kFailed;
  order.status_reason = "WALLET_INSUFFICIENT: the wallet holds fewer than 120 points";
  EXPECT_EQ(LedgerNote(order), "积分不足，兑换未成功（需 120 积分）");
  order.status_reason = "DEBIT_REFUSED: household 9 is not in the registry";
  EXPECT_EQ(LedgerNote(order), "积分扣减被拒绝，兑换未成功");
  order.status_reason = "something else";
  EXPECT_EQ(LedgerNote(order), "兑换未成功");
  // A cancellation's reason is a person's words, kept as written.
  order.status = OrderStatus::kCancelled;
  order.status_reason = "买错了";
  EXPECT_EQ(LedgerNote(order), "买错了");
  order.status = OrderStatus::kConfirmed;
  EXPECT_EQ(LedgerNote(order), "");
}

TEST(LedgerCsvTest, NeutralisesFormulas) {
  EXPECT_EQ(CsvCell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
  EXPECT_EQ(CsvCell("@SUM"), "'@SUM");
  EXPECT_EQ(CsvCell("+1"), "'+1");
  EXPECT_EQ(CsvCell("-1"), "'-1");
  EXPECT_EQ(CsvCell("\t=1"), "'\t=1");
  EXPECT_EQ(CsvCell("\r=1"), "\"'\r=1\"");
  EXPECT_EQ(CsvCell("plain"), "plain");
  EXPECT_EQ(CsvCell("张=三"), "张=三");  // only a leading sign starts a formula
}

TEST(LedgerCsvTest, Yuan) {
  EXPECT_EQ(FenToYuan(0), "0.00");
  EXPECT_EQ(FenToYuan(5), "0.05");
  EXPECT_EQ(FenToYuan(123456), "1234.56");
  EXPECT_EQ(FenToYuan(-150), "-1.50");
}

}  // namespace
}  // namespace jifen::redemption
