#include "common/metrics/metrics.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace jifen::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSubmit[] = "/jifen.scoring.v1.ScoringService/SubmitInspection";
constexpr char kGet[] = "/jifen.scoring.v1.ScoringService/GetBalance";

TEST(RpcMetricsTest, CountsRequestsErrorsAndLatency) {
  prometheus::Registry registry;
  RpcMetrics metrics(registry);
  metrics.Record(kSubmit, "OK", 0.002);
  metrics.Record(kSubmit, "OK", 0.004);
  metrics.Record(kSubmit, "INVALID_ARGUMENT", 0.0001);
  metrics.Record(kGet, "OK", 20);

  const std::string text = SerializeText(registry);
  EXPECT_THAT(text, HasSubstr("# TYPE jifen_rpc_requests_total counter"));
  EXPECT_THAT(text, HasSubstr(absl::StrCat("jifen_rpc_requests_total{code=\"OK\",method=\"",
                                           kSubmit, "\"} 2")));
  EXPECT_THAT(text,
              HasSubstr(absl::StrCat("jifen_rpc_requests_total{code=\"INVALID_ARGUMENT\",method=\"",
                                     kSubmit, "\"} 1")));
  EXPECT_THAT(text,
              HasSubstr(absl::StrCat("jifen_rpc_errors_total{code=\"INVALID_ARGUMENT\",method=\"",
                                     kSubmit, "\"} 1")));
  // OK calls are not errors.
  EXPECT_THAT(text, Not(HasSubstr("jifen_rpc_errors_total{code=\"OK\"")));

  EXPECT_THAT(text, HasSubstr("# TYPE jifen_rpc_latency_seconds histogram"));
  EXPECT_THAT(
      text, HasSubstr(absl::StrCat("jifen_rpc_latency_seconds_count{method=\"", kSubmit, "\"} 3")));
  // 0.0001 s falls in the first bucket, 0.002 and 0.004 s by 0.005 s; 20 s only in +Inf.
  EXPECT_THAT(text, HasSubstr(absl::StrCat("jifen_rpc_latency_seconds_bucket{method=\"", kSubmit,
                                           "\",le=\"0.0005\"} 1")));
  EXPECT_THAT(text, HasSubstr(absl::StrCat("jifen_rpc_latency_seconds_bucket{method=\"", kSubmit,
                                           "\",le=\"0.005\"} 3")));
  EXPECT_THAT(text, HasSubstr(absl::StrCat("jifen_rpc_latency_seconds_bucket{method=\"", kGet,
                                           "\",le=\"10\"} 0")));
  EXPECT_THAT(text, HasSubstr(absl::StrCat("jifen_rpc_latency_seconds_bucket{method=\"", kGet,
                                           "\",le=\"+Inf\"} 1")));
}

TEST(RpcMetricsTest, ConcurrentRecordsAllCount) {
  prometheus::Registry registry;
  RpcMetrics metrics(registry);
  constexpr int kThreads = 4;
  constexpr int kCalls = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&metrics, t] {
      for (int i = 0; i < kCalls; ++i) {
        metrics.Record(absl::StrCat("/svc/M", i % 7), (i + t) % 2 == 0 ? "OK" : "UNAVAILABLE",
                       0.001);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  double requests = 0;
  double errors = 0;
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    for (const prometheus::ClientMetric& metric : family.metric) {
      if (family.name == "jifen_rpc_requests_total") requests += metric.counter.value;
      if (family.name == "jifen_rpc_errors_total") errors += metric.counter.value;
    }
  }
  EXPECT_EQ(requests, kThreads * kCalls);
  EXPECT_EQ(errors, kThreads * kCalls / 2);
}

TEST(RpcMetricsTest, MethodCardinalityIsBounded) {
  prometheus::Registry registry;
  RpcMetrics metrics(registry);
  for (size_t i = 0; i < RpcMetrics::kMaxMethods + 10; ++i) {
    metrics.Record(absl::StrCat("/bogus/M", i), "UNIMPLEMENTED", 0);
  }
  const std::string text = SerializeText(registry);
  EXPECT_THAT(text,
              HasSubstr("jifen_rpc_requests_total{code=\"UNIMPLEMENTED\",method=\"other\"} 10"));
  EXPECT_THAT(text, Not(HasSubstr(absl::StrCat("/bogus/M", RpcMetrics::kMaxMethods, "\""))));
}

TEST(RpcMetricsTest, SameFamiliesWhenRegisteredTwice) {
  prometheus::Registry registry;
  RpcMetrics first(registry);
  RpcMetrics second(registry);
  first.Record(kGet, "OK", 0.01);
  second.Record(kGet, "OK", 0.01);
  EXPECT_THAT(
      SerializeText(registry),
      HasSubstr(absl::StrCat("jifen_rpc_requests_total{code=\"OK\",method=\"", kGet, "\"} 2")));
}

TEST(GlobalRpcMetricsTest, RecordsIntoGlobalRegistry) {
  GlobalRpcMetrics().Record("/global.Test/Method", "NOT_FOUND", 0.003);
  EXPECT_EQ(&GlobalRpcMetrics(), &GlobalRpcMetrics());
  EXPECT_THAT(
      SerializeText(),
      HasSubstr("jifen_rpc_errors_total{code=\"NOT_FOUND\",method=\"/global.Test/Method\"} 1"));
}

}  // namespace
}  // namespace jifen::metrics
