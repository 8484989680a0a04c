// Runs a test's local HTTP server (a fake of WeChat's API) on a thread of its own.
#pragma once

#include <thread>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "httplib.h"

namespace jifen::testing {

// Starts `server` (already bound) listening on a new thread and returns once it listens, or after
// 5 s. httplib's stop() does nothing until the listen loop runs: a test that stopped its fake
// before that thread was scheduled (a busy machine, a test that never called the fake) waited for
// ever in join().
inline std::thread ListenInBackground(httplib::Server& server) {
  std::thread thread([&server] { server.listen_after_bind(); });
  for (int i = 0; i < 5000 && !server.is_running(); ++i) absl::SleepFor(absl::Milliseconds(1));
  return thread;
}

}  // namespace jifen::testing
