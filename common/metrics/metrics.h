// Process metrics in the Prometheus text format, via prometheus-cpp 1.0.
//
// Every service records its RPCs in GlobalRpcMetrics() and serves GlobalRegistry() on /metrics
// with a MetricsServer. Metric names:
//   jifen_rpc_requests_total{method,code}   every finished call
//   jifen_rpc_errors_total{method,code}     calls whose code is not "OK"
//   jifen_rpc_latency_seconds{method}       histogram, buckets 0.5 ms .. 10 s
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace prometheus {
class Exposer;
}

namespace jifen::metrics {

// The process-wide registry that MetricsServer serves by default. Never destroyed.
std::shared_ptr<prometheus::Registry> GlobalRegistry();

// RPC counters and latency, with the per-label children cached so that Record costs one
// reader-locked hash lookup after the first call for a (method, code) pair. Thread-safe.
// At most kMaxMethods distinct methods get their own series; later ones are recorded as
// method="other" so that a stream of bogus method names cannot grow memory without bound.
class RpcMetrics final {
 public:
  // Registers (or, if already there, reuses) the jifen_rpc_* families in `registry`, which must
  // outlive this object.
  static constexpr size_t kMaxMethods = 512;

  explicit RpcMetrics(prometheus::Registry& registry);

  RpcMetrics(const RpcMetrics&) = delete;
  RpcMetrics& operator=(const RpcMetrics&) = delete;

  // `method` is the full gRPC method ("/jifen.scoring.v1.ScoringService/SubmitInspection"),
  // `code` the status code name as gRPC spells it ("OK", "NOT_FOUND", ...); any other code counts
  // as an error. `seconds` is the call's duration; negative values are recorded as 0.
  void Record(std::string_view method, std::string_view code, double seconds);

  // The latency histogram's upper bounds, in seconds.
  static const prometheus::Histogram::BucketBoundaries& LatencyBuckets();

 private:
  struct CodeChildren {
    prometheus::Counter* requests = nullptr;
    prometheus::Counter* errors = nullptr;  // null for "OK"
  };
  struct MethodChildren {
    prometheus::Histogram* latency = nullptr;
    absl::flat_hash_map<std::string, CodeChildren> codes;
  };

  // The children for (method, code), creating them on first use.
  std::pair<prometheus::Histogram*, CodeChildren> Children(std::string_view method,
                                                           std::string_view code);

  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Counter>& errors_;
  prometheus::Family<prometheus::Histogram>& latency_;

  absl::Mutex mu_;
  absl::flat_hash_map<std::string, MethodChildren> methods_ ABSL_GUARDED_BY(mu_);
};

// The RpcMetrics of GlobalRegistry(). Never destroyed.
RpcMetrics& GlobalRpcMetrics();

// The whole of GlobalRegistry() (or `registry`) in the Prometheus text exposition format.
std::string SerializeText();
std::string SerializeText(const prometheus::Registry& registry);

// An HTTP server (prometheus-cpp's civetweb Exposer) answering GET /metrics with a registry.
class MetricsServer final {
 public:
  // Listens on `bind_address`: "host:port" or "port" ("127.0.0.1:9151"; port 0 picks a free one,
  // see port()). INVALID_ARGUMENT for a malformed address, UNAVAILABLE if it cannot listen (e.g.
  // the port is taken).
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(const std::string& bind_address);
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(
      const std::string& bind_address, std::shared_ptr<prometheus::Registry> registry);

  ~MetricsServer();  // stops listening

  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // The port actually bound.
  int port() const { return port_; }

 private:
  MetricsServer(std::shared_ptr<prometheus::Registry> registry,
                std::unique_ptr<prometheus::Exposer> exposer, int port);

  std::shared_ptr<prometheus::Registry> registry_;  // the Exposer holds it only weakly
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_;
};

}  // namespace jifen::metrics
