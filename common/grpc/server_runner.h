// Runs a gRPC server the way every Jifen service needs it: health (grpc.health.v1, following a
// readiness check such as "the database answers"), server reflection, message-size and stream
// limits, a bounded handler thread pool, and a graceful stop.
#pragma once

#include <grpcpp/server.h>
#include <grpcpp/support/status.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/grpc/callback_poller_heartbeat.h"
#include "common/health/bounded_check.h"

namespace jifen::grpc_util {

struct ServerOptions {
  std::string service_name;  // for logs, e.g. "scoring"
  std::string listen_address = "127.0.0.1:0";
  int max_message_bytes = 4 << 20;
  int max_concurrent_streams = 200;
  int handler_threads = 256;
  // Threads kept polling for calls. gRPC's default (2) ends every thread beyond two when its call
  // is done, so under load it creates and destroys a thread per call: a third more CPU per read
  // on the publicity benchmark.
  int idle_handler_threads = 64;
  absl::Duration drain_timeout = absl::Seconds(10);
  absl::Duration health_poll_interval = absl::Seconds(1);
  // A readiness check that gives no answer within this is NOT_SERVING (health::BoundedCheck).
  absl::Duration readiness_timeout = absl::Seconds(3);
  // How often CallbackPollerHeartbeat (callback_poller_heartbeat.h) makes a call to this server;
  // zero: never. Without it, every call waits up to 100 ms once a second.
  absl::Duration callback_poller_heartbeat = absl::Milliseconds(100);
};

// Writes `port` to `path` atomically (temp file + rename); a no-op for an empty path. Tests and the
// stack runner wait for this file instead of guessing ports.
absl::Status WritePortFile(const std::string& path, int port);

// Call first thing in main, before any thread exists: SIGTERM and SIGINT are then delivered only
// to WaitForTerminationSignal().
void BlockTerminationSignals();
// Blocks until SIGTERM or SIGINT arrives; returns the signal number.
int WaitForTerminationSignal();

class ServerRunner final {
 public:
  explicit ServerRunner(ServerOptions options);
  ~ServerRunner();

  // `full_name` is the proto service name ("jifen.scoring.v1.ScoringService"), used for health.
  // The service must outlive the runner.
  void AddService(grpc::Service* service, std::string full_name);

  // Health is SERVING while this returns OK (checked every health_poll_interval), NOT_SERVING
  // otherwise. Without a check the server is SERVING once started.
  void SetReadinessCheck(std::function<absl::Status()> check);

  // Binds and starts. UNAVAILABLE if the address can't be bound.
  absl::Status Start();
  int port() const { return port_; }

  // Graceful stop: health goes NOT_SERVING, new calls are refused, calls in flight get up to
  // drain_timeout to finish, then are cancelled. Idempotent; also run by the destructor.
  void Shutdown();
  // Blocks until Shutdown() has completed.
  void Wait();

 private:
  void PollHealth();
  void ApplyHealth(bool serving);

  ServerOptions options_;
  std::vector<std::pair<grpc::Service*, std::string>> services_;
  std::function<absl::Status()> readiness_check_;
  std::unique_ptr<health::BoundedCheck> readiness_;  // readiness_check_, bounded; set by Start()
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  absl::Notification stopping_;
  absl::Notification stopped_;
  absl::Mutex shutdown_mutex_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mutex_) = false;
  std::thread health_thread_;
  std::unique_ptr<CallbackPollerHeartbeat> heartbeat_;
};

}  // namespace jifen::grpc_util
