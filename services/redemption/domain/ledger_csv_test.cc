#include "services/redemption/domain/ledger_csv.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace jifen::redemption {
namespace {

TEST(LedgerCsvTest, StartsWithBomAndHeaderAndUsesCrlf) {
  Order order;
  order.order_id = "order-0001";
  order.household_id = 7;
  order.item_id = 3;
  order.item_name = "洗衣液, 2kg \"大瓶\"";
  order.quantity = 2;
  order.price_points = 30;
  order.total_points = 60;
  order.value_fen = 2590;
  order.status = OrderStatus::kConfirmed;
  order.pickup_code = "012345";
  order.created_at_ms = 1767196800000;  // 2026-01-01 00:00 Shanghai
  const std::string csv = LedgerCsv({order});
  ASSERT_TRUE(absl::StartsWith(csv, "\xEF\xBB\xBF"));
  const std::vector<std::string> lines = absl::StrSplit(csv.substr(3), "\r\n");
  ASSERT_EQ(lines.size(), 3u);  // header, row, "" after the last CRLF
  EXPECT_TRUE(absl::StartsWith(lines[0], "订单号,户号,"));
  EXPECT_EQ(lines[1],
            "order-0001,7,3,\"洗衣液, 2kg \"\"大瓶\"\"\",2,30,60,25.90,,待领取,\"=\"\"012345\"\"\","
            "2026-01-01 00:00:00,,,,,");
  EXPECT_EQ(lines[2], "");
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
  EXPECT_EQ(CsvCell("plain"), "plain");
}

TEST(LedgerCsvTest, Yuan) {
  EXPECT_EQ(FenToYuan(0), "0.00");
  EXPECT_EQ(FenToYuan(5), "0.05");
  EXPECT_EQ(FenToYuan(123456), "1234.56");
  EXPECT_EQ(FenToYuan(-150), "-1.50");
}

}  // namespace
}  // namespace jifen::redemption
