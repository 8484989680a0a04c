#include "common/grpc/server_runner.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/resource_quota.h>
#include <grpcpp/server_builder.h>
#include <signal.h>

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log/log.h"

namespace jifen::grpc_util {
namespace {

sigset_t TerminationSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  return signals;
}

}  // namespace

absl::Status WritePortFile(const std::string& path, int port) {
  if (path.empty()) return absl::OkStatus();
  const std::string temporary = absl::StrCat(path, ".tmp");
  FILE* file = std::fopen(temporary.c_str(), "w");
  if (file == nullptr) return absl::InvalidArgumentError(absl::StrCat("cannot write ", path));
  std::fprintf(file, "%d\n", port);
  std::fclose(file);
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

void BlockTerminationSignals() {
  const sigset_t signals = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

int WaitForTerminationSignal() {
  const sigset_t signals = TerminationSignals();
  int received = 0;
  sigwait(&signals, &received);
  return received;
}

ServerRunner::ServerRunner(ServerOptions options) : options_(std::move(options)) {}

ServerRunner::~ServerRunner() { Shutdown(); }

void ServerRunner::AddService(grpc::Service* service, std::string full_name) {
  services_.emplace_back(service, std::move(full_name));
}

void ServerRunner::SetReadinessCheck(std::function<absl::Status()> check) {
  readiness_check_ = std::move(check);
}

absl::Status ServerRunner::Start() {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options_.listen_address, grpc::InsecureServerCredentials(), &port_);
  builder.SetMaxReceiveMessageSize(options_.max_message_bytes);
  builder.SetMaxSendMessageSize(options_.max_message_bytes);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, options_.max_concurrent_streams);
  grpc::ResourceQuota quota(absl::StrCat(options_.service_name, "-quota"));
  quota.SetMaxThreads(options_.handler_threads);
  builder.SetResourceQuota(quota);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
                              std::min(options_.idle_handler_threads, options_.handler_threads));
  for (const auto& [service, name] : services_) builder.RegisterService(service);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options_.listen_address, " (in use or not local?)"));
  }
  if (readiness_check_ != nullptr) {
    readiness_ =
        std::make_unique<health::BoundedCheck>(readiness_check_, options_.readiness_timeout);
  }
  ApplyHealth(readiness_ == nullptr || readiness_->Check().ok());
  if (readiness_ != nullptr) health_thread_ = std::thread([this] { PollHealth(); });
  if (options_.callback_poller_heartbeat > absl::ZeroDuration()) {
    heartbeat_ =
        std::make_unique<CallbackPollerHeartbeat>(*server_, options_.callback_poller_heartbeat);
  }
  log::Info("serving", {{"service", options_.service_name},
                        {"address", options_.listen_address},
                        {"port", absl::StrCat(port_)}});
  return absl::OkStatus();
}

void ServerRunner::ApplyHealth(bool serving) {
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  if (health == nullptr) return;
  health->SetServingStatus(serving);
  for (const auto& [service, name] : services_) health->SetServingStatus(name, serving);
}

void ServerRunner::PollHealth() {
  bool last = true;
  while (!stopping_.WaitForNotificationWithTimeout(options_.health_poll_interval)) {
    const absl::Status ready = readiness_->Check();
    if (ready.ok() != last) {
      log::Warning(ready.ok() ? "ready again" : "not ready",
                   {{"service", options_.service_name}, {"reason", std::string(ready.message())}});
    }
    if (ready.ok() != last) ApplyHealth(ready.ok());
    last = ready.ok();
  }
}

void ServerRunner::Shutdown() {
  {
    absl::MutexLock lock(&shutdown_mutex_);
    if (shut_down_) return;
    shut_down_ = true;
  }
  if (!stopping_.HasBeenNotified()) stopping_.Notify();
  if (health_thread_.joinable()) health_thread_.join();
  heartbeat_.reset();
  if (server_ != nullptr) {
    log::Info("draining", {{"service", options_.service_name},
                           {"drain_timeout_ms",
                            absl::StrCat(absl::ToInt64Milliseconds(options_.drain_timeout))}});
    if (auto* health = server_->GetHealthCheckService(); health != nullptr) health->Shutdown();
    server_->Shutdown(absl::ToChronoTime(absl::Now() + options_.drain_timeout));
    server_->Wait();
    log::Info("stopped", {{"service", options_.service_name}});
  }
  stopped_.Notify();
}

void ServerRunner::Wait() { stopped_.WaitForNotification(); }

}  // namespace jifen::grpc_util
