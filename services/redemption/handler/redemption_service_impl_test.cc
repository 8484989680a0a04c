#include "services/redemption/handler/redemption_service_impl.h"

#include <gtest/gtest.h>

namespace jifen::redemption {
namespace {

TEST(ConversionTest, ItemRoundTrip) {
  v1::StoreItem proto;
  proto.set_item_id(4);
  proto.set_village_id(11);
  proto.set_name("米");
  proto.set_price_points(50);
  proto.set_stock(9);
  proto.set_value_fen(3000);
  proto.set_limit_per_household(1);
  proto.set_limit_period(v1::LIMIT_PERIOD_MONTH);
  proto.set_active(true);
  absl::StatusOr<StoreItem> item = ItemFromProto(proto);
  ASSERT_TRUE(item.ok());
  EXPECT_EQ(item->limit_period, LimitPeriod::kMonth);
  v1::StoreItem back;
  ItemToProto(*item, &back);
  EXPECT_EQ(back.SerializeAsString(), proto.SerializeAsString());

  proto.set_limit_period(static_cast<v1::LimitPeriod>(42));
  EXPECT_TRUE(absl::IsInvalidArgument(ItemFromProto(proto).status()));
}

TEST(ConversionTest, UnspecifiedLimitPeriodIsQuarter) {
  v1::StoreItem proto;
  absl::StatusOr<StoreItem> item = ItemFromProto(proto);
  ASSERT_TRUE(item.ok());
  EXPECT_EQ(item->limit_period, LimitPeriod::kQuarter);
}

TEST(ConversionTest, PageTokens) {
  Order last;
  last.created_at_ms = 1767196800123;
  last.order_id = "order-0001";
  OrderQuery query;
  ASSERT_TRUE(ParseOrderPageToken(OrderPageToken(last), &query).ok());
  EXPECT_EQ(query.after_created_at_ms, 1767196800123);
  EXPECT_EQ(query.after_order_id, "order-0001");
  EXPECT_FALSE(ParseOrderPageToken("garbage", &query).ok());
  EXPECT_FALSE(ParseOrderPageToken("12.bad id!", &query).ok());
}

TEST(ConversionTest, OrderStatusValuesMatchProto) {
  Order order;
  order.status = OrderStatus::kCancelling;
  v1::Order proto;
  OrderToProto(order, &proto);
  EXPECT_EQ(proto.status(), v1::ORDER_STATUS_CANCELLING);
  order.status = OrderStatus::kFailed;
  OrderToProto(order, &proto);
  EXPECT_EQ(proto.status(), v1::ORDER_STATUS_FAILED);
}

}  // namespace
}  // namespace jifen::redemption
