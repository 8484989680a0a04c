// Serves a registry on a loopback port chosen by the kernel and scrapes it over HTTP. Needs no
// external server, so it runs with the unit tests.
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/metrics/metrics.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"

namespace jifen::metrics {
namespace {

using ::testing::HasSubstr;

TEST(MetricsServerTest, ServesRegistryOnPortZero) {
  auto registry = std::make_shared<prometheus::Registry>();
  RpcMetrics metrics(*registry);
  metrics.Record("/jifen.audit.v1.AuditService/Append", "OK", 0.02);

  absl::StatusOr<std::unique_ptr<MetricsServer>> server =
      MetricsServer::Start("127.0.0.1:0", registry);
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_GT((*server)->port(), 0);

  httplib::Client client("127.0.0.1", (*server)->port());
  client.set_connection_timeout(5);
  client.set_read_timeout(5);
  httplib::Result response = client.Get("/metrics");
  ASSERT_TRUE(response) << httplib::to_string(response.error());
  EXPECT_EQ(response->status, 200);
  EXPECT_THAT(response->get_header_value("Content-Type"), HasSubstr("text/plain"));
  EXPECT_THAT(response->body,
              HasSubstr("jifen_rpc_requests_total{code=\"OK\",method=\"/jifen.audit.v1."
                        "AuditService/Append\"} 1"));
  EXPECT_THAT(response->body, HasSubstr("jifen_rpc_latency_seconds_count{method=\"/jifen.audit."
                                        "v1.AuditService/Append\"} 1"));

  // Later records show up in the next scrape.
  metrics.Record("/jifen.audit.v1.AuditService/Append", "OK", 0.02);
  response = client.Get("/metrics");
  ASSERT_TRUE(response) << httplib::to_string(response.error());
  EXPECT_THAT(response->body, HasSubstr("AuditService/Append\"} 2"));
}

TEST(MetricsServerTest, PortTakenIsUnavailable) {
  auto registry = std::make_shared<prometheus::Registry>();
  absl::StatusOr<std::unique_ptr<MetricsServer>> first =
      MetricsServer::Start("127.0.0.1:0", registry);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<std::unique_ptr<MetricsServer>> second =
      MetricsServer::Start("127.0.0.1:" + std::to_string((*first)->port()), registry);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable) << second.status();
}

TEST(MetricsServerTest, MalformedAddressIsInvalidArgument) {
  for (const char* address :
       {"", "127.0.0.1:", "127.0.0.1:99999", "127.0.0.1:80s", "80,81", "localhost:http"}) {
    EXPECT_EQ(MetricsServer::Start(address).status().code(), absl::StatusCode::kInvalidArgument)
        << address;
  }
}

}  // namespace
}  // namespace jifen::metrics
