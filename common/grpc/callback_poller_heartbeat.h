// Works around a stall in gRPC 1.51's callback API on Linux: the "nexting" threads that run
// callback completions (grpc::CompletionQueue::CallbackAlternativeCQ in
// src/cpp/common/completion_queue_cc.cc) wait at most one second for an event and, when none
// came, sleep 100 ms before waiting again. Meanwhile they are not polling, and every call to the
// server (synchronous methods too) waits for them: measured on jifen-scoring, all calls in flight
// stalled for up to 100 ms every 1.1 s while no callback method was called, at any load.
//
// Every server has callback methods (gRPC 1.51's default health service is one), so ServerRunner
// keeps this heartbeat: a grpc.health.v1.Health/Check over the server's in-process channel every
// `interval`, which gives the nexting threads an event well within each second. It costs one
// in-process call per interval and no network.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace grpc {
class Server;
}

namespace jifen::grpc_util {

class CallbackPollerHeartbeat final {
 public:
  // Starts calling `server` (started, with the default health service) every `interval`.
  CallbackPollerHeartbeat(grpc::Server& server, absl::Duration interval);
  // Stops the calls; call before the server shuts down.
  ~CallbackPollerHeartbeat();
  CallbackPollerHeartbeat(const CallbackPollerHeartbeat&) = delete;
  CallbackPollerHeartbeat& operator=(const CallbackPollerHeartbeat&) = delete;

  // Checks made so far (for tests).
  int64_t beats() const { return beats_.load(); }

 private:
  absl::Notification stop_;
  std::atomic<int64_t> beats_{0};
  std::thread thread_;
};

}  // namespace jifen::grpc_util
