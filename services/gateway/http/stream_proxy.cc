#include "services/gateway/http/stream_proxy.h"

#include <grpcpp/client_context.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/client_callback.h>
#include <httplib.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/grpc/call.h"
#include "common/grpc/client.h"
#include "common/grpc/status_conversion.h"
#include "common/log/log.h"
#include "common/metrics/metrics.h"
#include "google/protobuf/message.h"
#include "prometheus/gauge.h"
#include "services/gateway/auth/login_service.h"
#include "services/gateway/http/errors.h"
#include "services/gateway/http/transcoder.h"

namespace jifen::gateway {

namespace pb = google::protobuf;

// One server-streaming call on gRPC's callback API, as the HTTP worker sees it: it waits for the
// call's events with a deadline (WaitAccepted, Next) instead of being called back. The reactions
// only record what happened under the mutex; every operation on the call is started by the worker.
// The worker holds a hold on the call (gRPC's AddHold) until Finish(), so the call can't complete
// while the worker may still start a read. The object keeps itself alive until gRPC's OnDone, so
// the worker may drop it at any time after Finish().
//
// "Accepted" is the service's x-stream-accepted initial metadata (grpc_util::AcceptStream) or a
// first message; a status before either is a refusal. Initial metadata alone says nothing: every
// call of ours carries x-request-id in it, and a refused call sends it together with its status.
class BackendStream final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  enum class Event { kAccepted, kRefused, kMessage, kEnded, kInterrupted, kTimeout };

  // Starts `call` (a server-streaming method, sent as one message and a half-close) on `channel`.
  static std::shared_ptr<BackendStream> Start(std::shared_ptr<grpc::Channel> channel,
                                              const OutgoingCall& call) {
    std::shared_ptr<BackendStream> stream(new BackendStream());
    stream->context_ =
        grpc_util::NewClientContext(call.timeout, call.bearer_token, call.request_id);
    grpc::Slice slice(call.request_bytes);
    stream->request_ = grpc::ByteBuffer(&slice, 1);
    stream->self_ = stream;
    grpc::GenericStub stub(std::move(channel));
    stub.PrepareBidiStreamingCall(stream->context_.get(), call.grpc_method, grpc::StubOptions(),
                                  stream.get());
    stream->AddHold();  // the worker's, given back in Finish()
    stream->StartWriteLast(&stream->request_, grpc::WriteOptions());
    stream->StartRead(&stream->read_buffer_);
    stream->StartCall();
    return stream;
  }

  // kAccepted once the backend said so or sent a message; kRefused when it answered with a status
  // instead (Finish() then has it); kTimeout at `deadline`; kInterrupted after Interrupt().
  Event WaitAccepted(absl::Time deadline) {
    absl::MutexLock lock(&mu_);
    const auto ready = [this]() {
      return accepted_ || has_message_ || reads_ended_ || done_ || interrupted_;
    };
    mu_.AwaitWithDeadline(absl::Condition(&ready), deadline);
    if (accepted_ || has_message_) return Event::kAccepted;
    if (reads_ended_ || done_) return Event::kRefused;
    return interrupted_ ? Event::kInterrupted : Event::kTimeout;
  }

  // Waits until `until` for the next message (kMessage, its bytes in *message; the next read is
  // then started), the end of the stream (kEnded: Finish() has the status), or Interrupt().
  Event Next(absl::Time until, std::string* message) {
    {
      absl::MutexLock lock(&mu_);
      const auto ready = [this]() { return has_message_ || reads_ended_ || done_ || interrupted_; };
      mu_.AwaitWithDeadline(absl::Condition(&ready), until);
      if (interrupted_) return Event::kInterrupted;
      if (!has_message_) return reads_ended_ || done_ ? Event::kEnded : Event::kTimeout;
      *message = std::move(message_);
      message_.clear();
      has_message_ = false;
    }
    if (!hold_released_) StartRead(&read_buffer_);
    return Event::kMessage;
  }

  // Ends the worker's part: cancels the call if `cancel` (a no-op once it has ended), gives back
  // the hold and waits for gRPC's OnDone (promptly after a cancel). The call's status. Idempotent.
  grpc::Status Finish(bool cancel) {
    if (cancel) context_->TryCancel();
    if (!hold_released_) {
      hold_released_ = true;
      RemoveHold();
    }
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&done_));
    return status_;
  }

  // Makes a waiting WaitAccepted or Next return kInterrupted (shutdown). Any thread.
  void Interrupt() {
    absl::MutexLock lock(&mu_);
    interrupted_ = true;
  }

  void OnReadInitialMetadataDone(bool ok) override {
    const bool accepted =
        ok && context_->GetServerInitialMetadata().count(grpc_util::kStreamAcceptedHeader) > 0;
    absl::MutexLock lock(&mu_);
    accepted_ = accepted;
  }

  void OnReadDone(bool ok) override {
    std::string bytes;
    if (ok) {
      std::vector<grpc::Slice> slices;
      if (read_buffer_.Dump(&slices).ok()) {
        bytes.reserve(read_buffer_.Length());
        for (const grpc::Slice& s : slices) {
          bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
        }
      }
      read_buffer_.Clear();
    }
    absl::MutexLock lock(&mu_);
    if (ok) {
      message_ = std::move(bytes);
      has_message_ = true;
    } else {
      reads_ended_ = true;
    }
  }

  void OnDone(const grpc::Status& status) override {
    // The last reference may be this one: it goes after the mutex is released.
    std::shared_ptr<BackendStream> keep;
    absl::MutexLock lock(&mu_);
    status_ = status;
    done_ = true;
    keep = std::move(self_);
  }

 private:
  BackendStream() = default;

  std::unique_ptr<grpc::ClientContext> context_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer read_buffer_;  // one read at a time, restarted by the worker
  bool hold_released_ = false;    // the worker's only
  absl::Mutex mu_;
  std::shared_ptr<BackendStream> self_ ABSL_GUARDED_BY(mu_);
  bool accepted_ ABSL_GUARDED_BY(mu_) = false;
  bool has_message_ ABSL_GUARDED_BY(mu_) = false;
  std::string message_ ABSL_GUARDED_BY(mu_);
  bool reads_ended_ ABSL_GUARDED_BY(mu_) = false;
  bool interrupted_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
};

namespace {

prometheus::Gauge& OpenStreamsGauge() {
  static prometheus::Gauge* gauge = &prometheus::BuildGauge()
                                         .Name("jifen_gateway_streams_open")
                                         .Help("Server-Sent Event streams holding a slot")
                                         .Register(*metrics::GlobalRegistry())
                                         .Add({});
  return *gauge;
}

// The value of the route's event_id field of a message, as decimal text.
std::string EventIdOf(const pb::Message& message, const pb::FieldDescriptor& field) {
  const pb::Reflection& reflection = *message.GetReflection();
  switch (field.cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_INT32:
      return absl::StrCat(reflection.GetInt32(message, &field));
    case pb::FieldDescriptor::CPPTYPE_UINT32:
      return absl::StrCat(reflection.GetUInt32(message, &field));
    case pb::FieldDescriptor::CPPTYPE_UINT64:
      return absl::StrCat(reflection.GetUInt64(message, &field));
    default:
      return absl::StrCat(reflection.GetInt64(message, &field));
  }
}

// One message as an event: "id: <id>\n" when the route names an id field, then its JSON as
// "data:" lines (protobuf's JSON has no line breaks, but a "data:" line must not hold one).
absl::StatusOr<std::string> FormatEvent(const Route& route, const std::string& bytes) {
  absl::StatusOr<std::unique_ptr<pb::Message>> message =
      ParseResponse(*route.method->output_type(), bytes);
  if (!message.ok()) return message.status();
  absl::StatusOr<std::string> json = ResponseToJson(**message);
  if (!json.ok()) return json.status();
  std::string event;
  if (route.event_id != nullptr) {
    absl::StrAppend(&event, "id: ", EventIdOf(**message, *route.event_id), "\n");
  }
  for (absl::string_view line : absl::StrSplit(*json, '\n')) {
    absl::StrAppend(&event, "data: ", line, "\n");
  }
  event.push_back('\n');
  return event;
}

bool Send(httplib::DataSink& sink, const std::string& text) {
  return sink.write(text.data(), text.size());
}

}  // namespace

// An accepted stream on its way to the HTTP client. It holds the stream's slot, given back when
// it is destroyed: when httplib is done with the response, or when Open() gives up on it.
class EventStream final {
 public:
  EventStream(StreamProxy* proxy, const Route& route, std::shared_ptr<BackendStream> call,
              std::string request_id, StreamCaller caller)
      : proxy_(proxy),
        route_(route),
        call_(std::move(call)),
        request_id_(std::move(request_id)),
        caller_(std::move(caller)),
        opened_at_(absl::Now()) {}

  ~EventStream() {
    // Not pumped to its end (a HEAD request, a client gone before the headers, a refusal).
    call_->Finish(/*cancel=*/true);
    proxy_->Release(call_.get(), caller_.user_id);
    if (!accepted_) return;
    log::Info("stream ended",
              {{"request_id", request_id_},
               {"route", route_.path_template},
               {"reason", reason_},
               {"code", code_},
               {"events", absl::StrCat(events_)},
               {"seconds", absl::StrCat(absl::ToDoubleSeconds(absl::Now() - opened_at_))}});
  }
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;

  BackendStream& call() { return *call_; }
  void set_accepted() { accepted_ = true; }

  // httplib's chunked content provider: writes the whole stream in one call. True when the
  // response ended properly (its last chunk sent), false when the client is gone.
  bool Pump(httplib::DataSink& sink) {
    if (!reason_.empty()) return End(sink, reason_);  // already ended
    const StreamOptions& options = proxy_->options();
    const absl::Time end_at = std::min(opened_at_ + options.max_duration, caller_.token_expires);
    absl::Time last_write = absl::Now();
    // A logout is looked for once a heartbeat interval, whether or not events flow meanwhile.
    absl::Time next_revocation_check = last_write + options.heartbeat;
    while (true) {
      const absl::Time now = absl::Now();
      if (now >= caller_.token_expires) {
        call_->Finish(/*cancel=*/true);
        return EndWithError(sink, absl::UnauthenticatedError("token expired"), "token_expired");
      }
      if (now >= end_at) {
        call_->Finish(/*cancel=*/true);
        return End(sink, "max_duration");
      }
      if (now >= next_revocation_check) {
        if (proxy_->TokenRevoked(caller_.token_id)) {
          call_->Finish(/*cancel=*/true);
          return EndWithError(sink, absl::UnauthenticatedError("token revoked"), "token_revoked");
        }
        next_revocation_check = now + options.heartbeat;
      }
      if (now - last_write >= options.heartbeat) {
        if (!Send(sink, ": keep-alive\n\n")) return Gone();
        last_write = now;
      }
      const absl::Time until = std::min({end_at, last_write + options.heartbeat,
                                         next_revocation_check, now + options.client_check});
      std::string message;
      switch (call_->Next(until, &message)) {
        case BackendStream::Event::kMessage: {
          absl::StatusOr<std::string> event = FormatEvent(route_, message);
          if (!event.ok()) {
            call_->Finish(/*cancel=*/true);
            return EndWithError(sink, event.status(), "backend_error");
          }
          if (!Send(sink, *event)) return Gone();
          ++events_;
          last_write = absl::Now();
          break;
        }
        case BackendStream::Event::kEnded: {
          const grpc::Status status = call_->Finish(/*cancel=*/false);
          if (status.ok()) return End(sink, "backend_ended");
          return EndWithError(sink, grpc_util::FromGrpcStatus(status), "backend_error");
        }
        case BackendStream::Event::kInterrupted:
          call_->Finish(/*cancel=*/true);
          return End(sink, "shutdown");
        case BackendStream::Event::kTimeout:
          // A client that closed its connection is seen here (a FIN to read) without waiting
          // for a write to fail.
          if (!sink.is_writable()) return Gone();
          break;
        default:
          break;
      }
    }
  }

 private:
  bool End(httplib::DataSink& sink, const std::string& reason) {
    reason_ = reason;
    sink.done();
    return true;
  }
  // The stream can't go on after it was accepted (the backend failed, the token ran out): the
  // client gets the error as an event, as it would have got it as a JSON body before.
  bool EndWithError(httplib::DataSink& sink, const absl::Status& status,
                    const std::string& reason) {
    const HttpError error = MapStatus(status);
    code_ = error.code;
    Send(sink, absl::StrCat("event: error\ndata: ", ErrorBody(error, request_id_), "\n\n"));
    return End(sink, reason);
  }
  bool Gone() {
    call_->Finish(/*cancel=*/true);
    reason_ = "client_gone";
    return false;
  }

  StreamProxy* const proxy_;
  const Route& route_;
  const std::shared_ptr<BackendStream> call_;
  const std::string request_id_;
  const StreamCaller caller_;
  const absl::Time opened_at_;
  bool accepted_ = false;
  std::string reason_;
  std::string code_ = "OK";
  int64_t events_ = 0;
};

StreamProxy::StreamProxy(const Backends* backends, Throttle* throttle, StreamOptions options)
    : backends_(backends), throttle_(throttle), options_(std::move(options)) {}

StreamProxy::~StreamProxy() { Shutdown(); }

absl::StatusOr<std::shared_ptr<EventStream>> StreamProxy::Open(const Route& route,
                                                               const OutgoingCall& call,
                                                               const StreamCaller& caller) {
  std::shared_ptr<grpc::Channel> channel = backends_->Channel(route.backend);
  if (channel == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("SERVICE_NOT_CONFIGURED: no address for backend ", route.backend));
  }
  {
    absl::MutexLock lock(&mu_);
    if (shutting_down_) return absl::UnavailableError("the gateway is stopping");
    if (open_ >= options_.max_streams) {
      absl::Status refused = absl::UnavailableError(
          absl::StrCat("TOO_MANY_STREAMS: ", open_, " of ", options_.max_streams, " streams open"));
      refused.SetPayload(kRetryAfterPayload, absl::Cord(absl::StrCat(std::max<int64_t>(
                                                 1, absl::ToInt64Seconds(options_.retry_after)))));
      return refused;
    }
    int& callers_streams = open_by_caller_[caller.user_id];
    if (callers_streams >= options_.max_streams_per_caller) {
      if (callers_streams == 0) open_by_caller_.erase(caller.user_id);
      absl::Status refused = absl::ResourceExhaustedError(
          absl::StrCat("TOO_MANY_STREAMS: this account has ", callers_streams, " of ",
                       options_.max_streams_per_caller, " streams open"));
      refused.SetPayload(kRetryAfterPayload, absl::Cord(absl::StrCat(std::max<int64_t>(
                                                 1, absl::ToInt64Seconds(options_.retry_after)))));
      return refused;
    }
    ++callers_streams;
    ++open_;
    OpenStreamsGauge().Increment();
  }
  // The backend's deadline is a backstop: the stream ends itself at max_duration.
  OutgoingCall streaming = call;
  streaming.timeout = options_.max_duration + options_.accept_timeout;
  std::shared_ptr<BackendStream> backend = BackendStream::Start(std::move(channel), streaming);
  {
    absl::MutexLock lock(&mu_);
    calls_.insert(backend.get());
    if (shutting_down_) backend->Interrupt();
  }
  // From here the stream owns the slot: any return below that drops it gives the slot back and
  // cancels the call.
  auto stream = std::make_shared<EventStream>(this, route, backend, call.request_id, caller);
  switch (backend->WaitAccepted(absl::Now() + options_.accept_timeout)) {
    case BackendStream::Event::kAccepted:
      stream->set_accepted();
      return stream;
    case BackendStream::Event::kRefused: {
      const grpc::Status status = backend->Finish(/*cancel=*/false);
      if (!status.ok()) return grpc_util::FromGrpcStatus(status);
      // Ended at once with nothing to send: an event stream that ends at once.
      stream->set_accepted();
      return stream;
    }
    case BackendStream::Event::kInterrupted:
      return absl::UnavailableError("the gateway is stopping");
    default:
      return absl::DeadlineExceededError("the backend did not accept the stream in time");
  }
}

void StreamProxy::Reply(std::shared_ptr<EventStream> stream, httplib::Response& res) {
  res.status = 200;
  // nginx (deploy/nginx) passes each event on at once instead of buffering the response.
  res.set_header("X-Accel-Buffering", "no");
  // Exactly this type: cpp-httplib compresses every other text/* type for a client that accepts
  // gzip, and a compressor would hold the events back.
  res.set_chunked_content_provider(
      "text/event-stream",
      [stream = std::move(stream)](size_t, httplib::DataSink& sink) { return stream->Pump(sink); });
}

void StreamProxy::Shutdown(absl::Duration drain) {
  absl::MutexLock lock(&mu_);
  shutting_down_ = true;
  for (BackendStream* call : calls_) call->Interrupt();
  // cpp-httplib stops calling a content provider once its server is stopping, and a stream whose
  // provider was not called yet would be cut without its last chunk: let each one end first.
  const auto ended = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return open_ == 0; };
  mu_.AwaitWithTimeout(absl::Condition(&ended), drain);
}

int StreamProxy::open_streams() const {
  absl::MutexLock lock(&mu_);
  return open_;
}

bool StreamProxy::TokenRevoked(const std::string& token_id) {
  if (throttle_ == nullptr || token_id.empty()) return false;
  absl::StatusOr<ThrottleDecision> decision = throttle_->Check({}, token_id);
  // As for requests: while Redis is down the stream goes on, and the token's expiry still ends it.
  return decision.ok() && decision->token_revoked;
}

void StreamProxy::Release(BackendStream* call, const std::string& user_id) {
  absl::MutexLock lock(&mu_);
  calls_.erase(call);
  if (auto held = open_by_caller_.find(user_id); held != open_by_caller_.end() && --held->second <= 0) {
    open_by_caller_.erase(held);
  }
  --open_;
  OpenStreamsGauge().Decrement();
}

}  // namespace jifen::gateway
