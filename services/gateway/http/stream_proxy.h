// Server-streaming RPCs over HTTP as Server-Sent Events (text/event-stream), for the routes whose
// RPC streams (route_table.h, Route::server_streaming): a dashboard's EventSource or fetch(), the
// mini-program's wx.request with enableChunked.
//
// Each stream holds one HTTP worker thread for its whole life (cpp-httplib serves a connection on
// one thread), so streams are capped below the worker count and bounded in time, and ordinary
// requests always find a worker. The backend call runs on gRPC's callback API over the backend's
// one shared channel (backends.h); the worker waits for its messages with a deadline, which
// gives the heartbeats and the checks whether the HTTP client is still there.
#pragma once

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/gateway/http/backends.h"
#include "services/gateway/http/route_table.h"
#include "services/gateway/storage/throttle.h"

namespace httplib {
struct Response;
}

namespace jifen::gateway {

struct StreamOptions {
  // Streams open at once, across all clients; one more is refused with 503 TOO_MANY_STREAMS and
  // Retry-After. 0: a quarter of the HTTP worker threads (GatewayServer fills it in), at least 1.
  int max_streams = 0;
  // Streams one signed-in caller may hold at once (a board on two phones and a dashboard), so
  // that one account can't take every slot; one more is refused with 429 TOO_MANY_STREAMS and
  // Retry-After.
  int max_streams_per_caller = 3;
  // A comment line (": keep-alive") after this long without a write, so that proxies and carrier
  // NAT keep an idle connection open.
  absl::Duration heartbeat = absl::Seconds(15);
  // A stream older than this ends cleanly (its last chunk sent); the client reconnects.
  absl::Duration max_duration = absl::Minutes(10);
  // How long the backend may take to accept or refuse a stream (its initial metadata or status);
  // then 503 DEADLINE_EXCEEDED. GatewayServer sets it to --backend_timeout.
  absl::Duration accept_timeout = absl::Seconds(5);
  // How often a quiet stream checks whether its HTTP client is still connected (a closed
  // connection is seen without writing to it), so that the backend call is cancelled soon after
  // the client leaves.
  absl::Duration client_check = absl::Seconds(1);
  // The Retry-After of a TOO_MANY_STREAMS refusal.
  absl::Duration retry_after = absl::Seconds(30);
};

// Who opened a stream: a stream lives no longer than the caller's token, and a logout (the token's
// revocation) ends it at its next heartbeat.
struct StreamCaller {
  std::string user_id;
  std::string token_id;
  absl::Time token_expires = absl::InfiniteFuture();
};

class BackendStream;  // the gRPC call (stream_proxy.cc)
class EventStream;    // an accepted stream on its way to the client as events

class StreamProxy final {
 public:
  // `backends` and `throttle` must outlive this. options.max_streams must be >= 1. `throttle` may
  // be null: then revoked tokens are not looked for (as the server does without one).
  StreamProxy(const Backends* backends, Throttle* throttle, StreamOptions options);
  // Streams still open are interrupted; the HTTP server must have stopped (GatewayServer::Stop).
  ~StreamProxy();
  StreamProxy(const StreamProxy&) = delete;
  StreamProxy& operator=(const StreamProxy&) = delete;

  // Starts `route`'s call as `call` says (method, serialized request, token, request id) and waits
  // until the backend accepts it, at most accept_timeout. Errors, each answered as an ordinary
  // JSON error by the caller:
  //   the backend's status when it refused the request before accepting it (INVALID_ARGUMENT,
  //   PERMISSION_DENIED, NOT_FOUND, UNAVAILABLE when it can't be reached, ...);
  //   UNAVAILABLE "TOO_MANY_STREAMS:" with a Retry-After payload when max_streams are open;
  //   RESOURCE_EXHAUSTED "TOO_MANY_STREAMS:" with a Retry-After payload when the caller holds
  //   max_streams_per_caller;
  //   UNAVAILABLE "SERVICE_NOT_CONFIGURED:" for a backend without an address;
  //   UNAVAILABLE while shutting down; DEADLINE_EXCEEDED when the backend neither accepted nor
  //   refused in time.
  absl::StatusOr<std::shared_ptr<EventStream>> Open(const Route& route, const OutgoingCall& call,
                                                    const StreamCaller& caller);

  // Answers `res` with the stream as Server-Sent Events; the events are written on the HTTP
  // worker after the handler returns:
  //   each message   "id: <event_id field>\n" (when the route names one) "data: <JSON>\n\n"
  //   quiet for `heartbeat`   ": keep-alive\n\n"
  //   the backend fails after accepting   "event: error\ndata: {code,message,request_id}\n\n"
  //   and the response ends; it also ends (cleanly) when the backend ends the stream, after
  //   max_duration, and at Shutdown(). A client that goes away has its backend call cancelled.
  //   When the caller's token expires, or is found revoked at a heartbeat, the stream ends with
  //   an UNAUTHENTICATED error event: the client refreshes its token and opens a new one.
  static void Reply(std::shared_ptr<EventStream> stream, httplib::Response& res);

  // Ends every open stream cleanly and refuses new ones (UNAVAILABLE), waiting up to `drain` for
  // their responses to finish. Called before the HTTP server stops, whose workers the streams
  // hold. Idempotent.
  void Shutdown(absl::Duration drain = absl::ZeroDuration());

  // Streams holding a slot now (opening or open).
  int open_streams() const;

  const StreamOptions& options() const { return options_; }

 private:
  friend class EventStream;
  // A slot is taken before the backend is called and given back when the stream ends.
  void Release(BackendStream* call, const std::string& user_id);
  // Whether the token was revoked (a logout) since the stream opened; false when unknown.
  bool TokenRevoked(const std::string& token_id);

  const Backends* backends_;
  Throttle* const throttle_;
  const StreamOptions options_;
  mutable absl::Mutex mu_;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  int open_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_set<BackendStream*> calls_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int> open_by_caller_ ABSL_GUARDED_BY(mu_);
};

}  // namespace jifen::gateway
