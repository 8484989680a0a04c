#include "common/metrics/metrics.h"

#include <algorithm>
#include <exception>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "prometheus/exposer.h"
#include "prometheus/text_serializer.h"

namespace jifen::metrics {
namespace {

constexpr absl::string_view kOverflowMethod = "other";

absl::string_view ToAbsl(std::string_view view) { return {view.data(), view.size()}; }

// Accepts "port" or "host:port" with a numeric port; rejects what civetweb would read as extra
// options (several ports separated by ',', an 's'/'r' suffix for TLS or redirects).
absl::Status ValidateBindAddress(absl::string_view address) {
  if (address.empty()) return absl::InvalidArgumentError("metrics bind address is empty");
  const size_t colon = address.rfind(':');
  const absl::string_view port_text =
      colon == absl::string_view::npos ? address : address.substr(colon + 1);
  const absl::string_view host =
      colon == absl::string_view::npos ? absl::string_view() : address.substr(0, colon);
  int port = 0;
  const bool port_ok = !port_text.empty() &&
                       std::all_of(port_text.begin(), port_text.end(), absl::ascii_isdigit) &&
                       absl::SimpleAtoi(port_text, &port) && port <= 65535;
  const bool host_ok = colon == absl::string_view::npos ||
                       (!host.empty() && host.find_first_of(", ") == absl::string_view::npos);
  if (!port_ok || !host_ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "metrics bind address must be \"host:port\" or \"port\", got \"", address, "\""));
  }
  return absl::OkStatus();
}

}  // namespace

std::shared_ptr<prometheus::Registry> GlobalRegistry() {
  static auto* const registry =
      new std::shared_ptr<prometheus::Registry>(std::make_shared<prometheus::Registry>());
  return *registry;
}

const prometheus::Histogram::BucketBoundaries& RpcMetrics::LatencyBuckets() {
  static const auto* const buckets = new prometheus::Histogram::BucketBoundaries{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return *buckets;
}

RpcMetrics::RpcMetrics(prometheus::Registry& registry)
    : requests_(prometheus::BuildCounter()
                    .Name("jifen_rpc_requests_total")
                    .Help("RPCs finished, by method and status code.")
                    .Register(registry)),
      errors_(prometheus::BuildCounter()
                  .Name("jifen_rpc_errors_total")
                  .Help("RPCs finished with a status other than OK, by method and status code.")
                  .Register(registry)),
      latency_(prometheus::BuildHistogram()
                   .Name("jifen_rpc_latency_seconds")
                   .Help("RPC duration in seconds, by method.")
                   .Register(registry)) {}

std::pair<prometheus::Histogram*, RpcMetrics::CodeChildren> RpcMetrics::Children(
    std::string_view method, std::string_view code) {
  {
    absl::ReaderMutexLock lock(&mu_);
    auto method_it = methods_.find(ToAbsl(method));
    if (method_it != methods_.end()) {
      auto code_it = method_it->second.codes.find(ToAbsl(code));
      if (code_it != method_it->second.codes.end()) {
        return {method_it->second.latency, code_it->second};
      }
    }
  }

  absl::MutexLock lock(&mu_);
  auto method_it = methods_.find(ToAbsl(method));
  if (method_it == methods_.end()) {
    const absl::string_view name =
        methods_.size() >= kMaxMethods ? kOverflowMethod : ToAbsl(method);
    method_it = methods_.try_emplace(std::string(name)).first;
  }
  MethodChildren& children = method_it->second;
  const std::string& method_label = method_it->first;
  if (children.latency == nullptr) {
    children.latency = &latency_.Add({{"method", method_label}}, LatencyBuckets());
  }
  auto [code_it, inserted] = children.codes.try_emplace(std::string(code));
  if (inserted) {
    const prometheus::Labels labels = {{"method", method_label}, {"code", code_it->first}};
    code_it->second.requests = &requests_.Add(labels);
    if (code != "OK") code_it->second.errors = &errors_.Add(labels);
  }
  return {children.latency, code_it->second};
}

void RpcMetrics::Record(std::string_view method, std::string_view code, double seconds) {
  const auto [latency, children] = Children(method, code);
  children.requests->Increment();
  if (children.errors != nullptr) children.errors->Increment();
  latency->Observe(seconds > 0 ? seconds : 0);
}

RpcMetrics& GlobalRpcMetrics() {
  static RpcMetrics* const metrics = new RpcMetrics(*GlobalRegistry());
  return *metrics;
}

std::string SerializeText(const prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

std::string SerializeText() { return SerializeText(*GlobalRegistry()); }

MetricsServer::MetricsServer(std::shared_ptr<prometheus::Registry> registry,
                             std::unique_ptr<prometheus::Exposer> exposer, int port)
    : registry_(std::move(registry)), exposer_(std::move(exposer)), port_(port) {}

MetricsServer::~MetricsServer() = default;

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    const std::string& bind_address) {
  return Start(bind_address, GlobalRegistry());
}

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    const std::string& bind_address, std::shared_ptr<prometheus::Registry> registry) {
  if (registry == nullptr) return absl::InvalidArgumentError("metrics registry is null");
  if (absl::Status valid = ValidateBindAddress(bind_address); !valid.ok()) return valid;

  // civetweb reports a failure to listen by throwing (CivetException, a std::runtime_error).
  std::unique_ptr<prometheus::Exposer> exposer;
  try {
    exposer = std::make_unique<prometheus::Exposer>(bind_address, /*num_threads=*/2);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("metrics server cannot listen on ", bind_address, ": ", e.what()));
  }
  exposer->RegisterCollectable(registry);
  const std::vector<int> ports = exposer->GetListeningPorts();
  if (ports.empty() || ports.front() <= 0) {
    return absl::InternalError(
        absl::StrCat("metrics server on ", bind_address, " reports no listening port"));
  }
  return std::unique_ptr<MetricsServer>(
      new MetricsServer(std::move(registry), std::move(exposer), ports.front()));
}

}  // namespace jifen::metrics
