#include "services/gateway/http/client_address.h"

#include <gtest/gtest.h>

namespace jifen::gateway {
namespace {

TrustedProxies Trust(absl::string_view list) {
  absl::StatusOr<TrustedProxies> trusted = TrustedProxies::Parse(list);
  EXPECT_TRUE(trusted.ok()) << trusted.status();
  return trusted.ok() ? *trusted : TrustedProxies();
}

TEST(TrustedProxiesTest, AddressesAndRangesOfBothFamilies) {
  const TrustedProxies trusted = Trust("10.0.0.0/8, 127.0.0.1 ,fd00::/8, 192.168.1.7/31");
  EXPECT_TRUE(trusted.Contains("10.200.3.4"));
  EXPECT_TRUE(trusted.Contains("127.0.0.1"));
  EXPECT_TRUE(trusted.Contains("::ffff:127.0.0.1"));
  EXPECT_TRUE(trusted.Contains("fd12::1"));
  EXPECT_TRUE(trusted.Contains("192.168.1.6"));  // the range's host bits are not significant
  EXPECT_FALSE(trusted.Contains("192.168.1.8"));
  EXPECT_FALSE(trusted.Contains("11.0.0.1"));
  EXPECT_FALSE(trusted.Contains("127.0.0.2"));
  EXPECT_FALSE(trusted.Contains("fe80::1"));
  EXPECT_FALSE(trusted.Contains("not-an-address"));
  EXPECT_TRUE(Trust("").empty());
}

TEST(TrustedProxiesTest, AMistypedEntryIsRefusedByName) {
  for (const char* list : {"10.0.0.0/33", "10.0.0.0/x", "proxy.local", "::1/129", "1.2.3"}) {
    absl::StatusOr<TrustedProxies> trusted = TrustedProxies::Parse(list);
    ASSERT_FALSE(trusted.ok()) << list;
    EXPECT_EQ(trusted.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(trusted.status().message().find(list), std::string::npos) << trusted.status();
  }
}

TEST(ClientAddressTest, AnUntrustedPeersForwardedForIsIgnored) {
  const TrustedProxies none;
  EXPECT_EQ(ClientAddress(none, "203.0.113.9", {"1.1.1.1"}), "203.0.113.9");
  EXPECT_EQ(ClientAddress(Trust("10.0.0.1"), "203.0.113.9", {"1.1.1.1"}), "203.0.113.9");
}

TEST(ClientAddressTest, TheNearestUntrustedHopIsTheClient) {
  const TrustedProxies trusted = Trust("10.0.0.0/8");
  // The client wrote 6.6.6.6 itself; the proxy appended the address it saw.
  EXPECT_EQ(ClientAddress(trusted, "10.0.0.1", {"6.6.6.6, 198.51.100.20"}), "198.51.100.20");
  // Two proxies of ours, the values split over two headers.
  EXPECT_EQ(ClientAddress(trusted, "10.0.0.1", {"6.6.6.6, 198.51.100.20", "10.1.1.1"}),
            "198.51.100.20");
  EXPECT_EQ(ClientAddress(trusted, "::ffff:10.0.0.1", {" 2001:db8::5 "}), "2001:db8::5");
}

TEST(ClientAddressTest, WithoutAUsableReportThePeerOrLastGoodHopStands) {
  const TrustedProxies trusted = Trust("10.0.0.0/8");
  EXPECT_EQ(ClientAddress(trusted, "10.0.0.1", {}), "10.0.0.1");
  EXPECT_EQ(ClientAddress(trusted, "10.0.0.1", {"198.51.100.20, garbage"}), "10.0.0.1");
  EXPECT_EQ(ClientAddress(trusted, "10.0.0.1", {"garbage, 10.2.2.2"}), "10.2.2.2");
}

}  // namespace
}  // namespace jifen::gateway
