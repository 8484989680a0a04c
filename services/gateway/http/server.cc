#include "services/gateway/http/server.h"

#include <httplib.h>
#include <openssl/rand.h>

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/log/log.h"
#include "common/metrics/metrics.h"
#include "jifen/scoring/v1/registry.pb.h"
#include "services/gateway/auth/grpc_registry.h"
#include "services/gateway/http/errors.h"
#include "services/gateway/http/openapi.h"
#include "services/gateway/http/scope.h"
#include "services/gateway/http/photo_refs.h"
#include "services/gateway/http/transcoder.h"
#include "services/gateway/http/wechat_bindings.h"

namespace jifen::gateway {
namespace {

using nlohmann::json;
constexpr char kJson[] = "application/json; charset=utf-8";

bool IsSaneRequestId(absl::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

std::string NewRequestId() {
  unsigned char bytes[8];
  RAND_bytes(bytes, sizeof(bytes));
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

bool IsLoopback(const std::string& address) {
  return address == "127.0.0.1" || address == "::1" || absl::StartsWith(address, "127.") ||
         address == "::ffff:127.0.0.1";
}

bool Contains(const std::vector<std::string>& list, absl::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// The methods with handlers; httplib answers any other itself (400 or 404), and that is a 405.
bool IsRoutedMethod(absl::string_view method) {
  return method == "GET" || method == "HEAD" || method == "POST" || method == "PUT" ||
         method == "DELETE" || method == "OPTIONS";
}

// The method in metrics labels: a client may send any token as a method (httplib refuses it, and
// the refusal is recorded too), and each one would be a new time series.
absl::string_view MethodLabel(absl::string_view method) {
  return IsRoutedMethod(method) ? method : "OTHER";
}

// The methods whose body httplib reads; any other request's body would be left on the connection.
bool TakesBody(absl::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

// The request's path, also when httplib stopped parsing at the request line (an unknown method):
// then only the target is known.
std::string PathOf(const httplib::Request& req) {
  if (!req.path.empty()) return req.path;
  return httplib::detail::decode_url(req.target.substr(0, req.target.find('?')), false);
}

// The bodies of the gateway's own JSON endpoints: a few short strings and ids. A release's reason
// is 500 characters, escaped as \uXXXX pairs at worst.
constexpr size_t kAccountBodyBytesMax = 4096;
constexpr size_t kReleaseBodyBytesMax = 8192;
// A body refused before it is read (too large for its route, compressed) is still read and thrown
// away when it is at most this long, so that a client that sends its whole body before reading
// the answer gets the 413 or 415 instead of a reset connection; a longer one is not read at all:
// the answer goes out and the connection is closed.
constexpr uint64_t kDiscardBodyBytesMax = 2 << 20;
// A request refused before its body is read, and allowed to send it for discarding, is routed here
// (httplib then hands its body to a content reader instead of reading it into memory).
constexpr char kDiscardPath[] = "/-refused-before-body";
// When a 429 has no Retry-After of its own (a service's RESOURCE_EXHAUSTED).
constexpr char kDefaultRetryAfterSeconds[] = "5";

// httplib keeps a connection open after any answer it writes; when the request's body (or its
// headers: an unknown method stops httplib at the request line) was left unread, the next
// "request" on it would be that body. httplib closes a connection when a response's content
// provider fails, so the answer goes out through one that writes it and then reports failure;
// "Connection: close" on the request makes the answer say so.
void CloseAfterAnswer(const httplib::Request& req, httplib::Response& res) {
  // The const_cast: httplib's Request here is a non-const local of its process_request, which
  // reads this header back only to write the answer's Connection header.
  httplib::Request& request = const_cast<httplib::Request&>(req);
  request.set_header("Connection", "close");
  // httplib writes no body, and so calls no provider, for HEAD: such a request (with a body of
  // its own) gets its error body, and then the close.
  if (request.method == "HEAD") request.method = "GET";
  std::string body = std::move(res.body);
  res.body.clear();
  std::string type = res.get_header_value("Content-Type");
  res.headers.erase("Content-Type");  // set_content_provider adds it again
  if (type.empty()) type = "text/plain";
  const size_t length = body.size();
  res.set_content_provider(length, type,
                           [body = std::move(body)](size_t offset, size_t length,
                                                    httplib::DataSink& sink) {
                             sink.write(body.data() + offset, length);
                             return false;  // the connection closes after this answer
                           });
}

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

struct GatewayServer::Exchange {
  const httplib::Request& req;
  httplib::Response& res;
  std::string request_id;
  std::string bearer;  // the raw token when one was verified
  std::optional<auth::Caller> caller;
  std::string label;         // route template for logs and metrics
  std::string error_code;    // for the access log
  std::string error_detail;  // the service's own text, logged only
  std::string client_address;  // the peer, or the client a trusted proxy reports (client_address.h)

  void Reply(int status, const std::string& body, const char* type = kJson) {
    res.status = status;
    res.set_content(body, type);
  }
  void Fail(const HttpError& error, absl::string_view field = "") {
    error_code = error.code;
    Reply(error.http_status, ErrorBody(error, request_id, field));
  }
  void Fail(const absl::Status& status, absl::string_view field = "") {
    error_detail = std::string(status.message());
    if (auto retry = status.GetPayload(kRetryAfterPayload); retry.has_value()) {
      res.set_header("Retry-After", std::string(*retry));
    }
    Fail(MapStatus(status), field);
  }
  // A body is read as JSON only when it says it is (wx.request says so by itself): a form post
  // (curl -d, an HTML form) that happens to parse would otherwise be taken for what it is not.
  // False with a 415 sent.
  bool SaysJson() {
    if (req.body.empty()) return true;
    const std::string type = absl::AsciiStrToLower(req.get_header_value("Content-Type"));
    if (absl::StripAsciiWhitespace(absl::string_view(type).substr(0, type.find(';'))) ==
        "application/json") {
      return true;
    }
    Fail(MakeError(415, "JSON_REQUIRED"));
    return false;
  }
  // The body as a JSON object, or a 400 sent and nullopt.
  std::optional<json> JsonBody(size_t max_bytes) {
    if (req.body.size() > max_bytes) {
      Fail(MakeError(413, "PAYLOAD_TOO_LARGE"));
      return std::nullopt;
    }
    if (!SaysJson()) return std::nullopt;
    json body = json::parse(req.body.empty() ? "{}" : req.body, nullptr, false);
    if (!body.is_object()) {
      Fail(absl::InvalidArgumentError("malformed JSON"));
      return std::nullopt;
    }
    return body;
  }
};

GatewayServer::GatewayServer(GatewayConfig config, GatewayDeps deps)
    : config_(std::move(config)), deps_(std::move(deps)) {
  openapi_json_ = GenerateOpenApi(*deps_.routes);
  StreamOptions streams = config_.streams;
  if (streams.max_streams <= 0) streams.max_streams = std::max(1, config_.http_threads / 4);
  streams.accept_timeout = config_.backend_timeout;
  streams_ = std::make_unique<StreamProxy>(deps_.backends, deps_.throttle, streams);
}

GatewayServer::~GatewayServer() { Stop(); }

absl::Status GatewayServer::Start() {
  server_ = std::make_unique<httplib::Server>();
  const int threads = config_.http_threads;
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  const int64_t max_photo = deps_.photos != nullptr ? deps_.photos->max_bytes() : 0;
  server_->set_payload_max_length(
      std::max<size_t>(config_.max_json_body_bytes, static_cast<size_t>(max_photo) + (64 << 10)));
  server_->set_keep_alive_timeout(absl::ToInt64Seconds(config_.keep_alive_timeout));
  // Headers and body go out in separate writes: without TCP_NODELAY, Nagle and the client's
  // delayed ACK add ~40 ms to every keep-alive response.
  server_->set_tcp_nodelay(true);
  // httplib closes a keep-alive connection after 5 requests by default; phones and dashboards then
  // reconnect all the time, and bursts of reconnects overflow its short listen backlog.
  server_->set_keep_alive_max_count(config_.keep_alive_max_requests);
  server_->set_read_timeout(10, 0);
  server_->set_write_timeout(10, 0);
  Register();
  port_ =
      config_.listen_port == 0
          ? server_->bind_to_any_port(config_.listen_host)
          : (server_->bind_to_port(config_.listen_host, config_.listen_port) ? config_.listen_port
                                                                             : -1);
  if (port_ <= 0) {
    return absl::UnavailableError(
        absl::StrCat("can't listen on ", config_.listen_host, ":", config_.listen_port));
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // httplib's stop() does nothing until the listen loop runs; wait for it so that a Stop() right
  // after Start() can't be lost.
  for (int i = 0; i < 5000 && !server_->is_running(); ++i) absl::SleepFor(absl::Milliseconds(1));
  if (!server_->is_running()) return absl::UnavailableError("HTTP listener did not start");
  return absl::OkStatus();
}

void GatewayServer::Stop() {
  if (stopped_ || server_ == nullptr) return;
  stopped_ = true;
  // Open event streams hold workers until they end: end them first, each with its last chunk.
  streams_->Shutdown(/*drain=*/absl::Seconds(5));
  // httplib's stop closes the listener; its thread pool then finishes the requests it holds.
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string GatewayServer::ClientAddressOf(const httplib::Request& req) const {
  std::vector<std::string> forwarded_for;
  const size_t headers = req.get_header_value_count("X-Forwarded-For");
  for (size_t i = 0; i < headers; ++i) {
    forwarded_for.push_back(req.get_header_value("X-Forwarded-For", i));
  }
  return ClientAddress(config_.trusted_proxies, req.remote_addr, forwarded_for);
}

void GatewayServer::Serve(const httplib::Request& req, httplib::Response& res, const char* label,
                          const std::function<void(Exchange&)>& body) {
  const absl::Time started = absl::Now();
  Exchange ex{req, res, "", "", std::nullopt, label, "", "", ClientAddressOf(req)};
  const std::string given = req.get_header_value("X-Request-Id");
  ex.request_id = IsSaneRequestId(given) ? given : NewRequestId();
  res.set_header("X-Request-Id", ex.request_id);
  const std::string origin = req.get_header_value("Origin");
  if (!origin.empty() && Contains(config_.cors_origins, origin)) {
    res.set_header("Access-Control-Allow-Origin", origin);
    res.set_header("Vary", "Origin");
    res.set_header("Access-Control-Expose-Headers", "X-Request-Id, Retry-After");
  }
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Content-Type-Options", "nosniff");
  // Every answer is whole (the pre-routing handler drops Range); httplib would otherwise offer
  // "bytes" on HEAD.
  res.set_header("Accept-Ranges", "none");
  body(ex);
  // Every 429 says when to come back; one whose refusal named no time gets a short default.
  if (res.status == 429 && !res.has_header("Retry-After")) {
    res.set_header("Retry-After", kDefaultRetryAfterSeconds);
  }

  const double seconds = absl::ToDoubleSeconds(absl::Now() - started);
  const std::string code = ex.error_code.empty() ? "OK" : ex.error_code;
  metrics::GlobalRpcMetrics().Record(absl::StrCat("http ", MethodLabel(req.method), " ", ex.label),
                                     code, seconds);
  log::Fields fields = {
      {"request_id", ex.request_id},
      {"http_method", req.method},
      {"path", PathOf(req)},
      {"route", ex.label},
      {"status", absl::StrCat(res.status)},
      {"code", code},
      {"latency_ms", absl::StrCat(seconds * 1000.0)},
      {"caller",
       ex.caller ? absl::StrCat(auth::RoleName(ex.caller->role), ":", ex.caller->user_id) : "-"},
      {"remote", ex.client_address},
      {"bytes_in", absl::StrCat(req.body.size())},
      {"bytes_out", absl::StrCat(res.body.size())}};
  if (!ex.error_detail.empty()) fields.emplace_back("detail", ex.error_detail);
  if (ex.client_address != req.remote_addr) fields.emplace_back("proxy", req.remote_addr);
  log::Info("access", fields);
}

namespace {

// The exp claim of a token whose signature has been verified; InfiniteFuture when it has none.
absl::Time TokenExpiry(absl::string_view token) {
  const std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  std::string payload;
  if (parts.size() != 3 || !absl::WebSafeBase64Unescape(parts[1], &payload)) {
    return absl::InfiniteFuture();
  }
  const json claims = json::parse(payload, nullptr, false);
  if (!claims.is_object() || !claims.contains("exp") || !claims["exp"].is_number_integer()) {
    return absl::InfiniteFuture();
  }
  return absl::FromUnixSeconds(claims["exp"].get<int64_t>());
}

}  // namespace

absl::StatusOr<auth::Caller> GatewayServer::VerifyToken(absl::string_view token) {
  const absl::Time now = absl::Now();
  {
    absl::MutexLock lock(&token_cache_mu_);
    const auto it = token_cache_.find(token);
    if (it != token_cache_.end()) {
      if (it->second.expires > now) return it->second.caller;
      token_cache_.erase(it);
    }
  }
  absl::StatusOr<auth::Caller> caller = deps_.verifier->Verify(token, now);
  if (!caller.ok()) return caller;
  // The signature is good, so the payload is ours: its exp bounds the cache lifetime.
  const absl::Time token_expires = TokenExpiry(token);
  if (token_expires != absl::InfiniteFuture()) {
    const absl::Time expires = std::min(token_expires, now + absl::Minutes(5));
    absl::MutexLock lock(&token_cache_mu_);
    if (token_cache_.size() >= 20000) token_cache_.clear();  // bounded; refilled on demand
    token_cache_[std::string(token)] = {*caller, expires};
  }
  return caller;
}

bool GatewayServer::Admit(Exchange& ex, Entry entry) {
  // Sign-in and refresh ignore any token: a phone with a stale one must still be able to sign in.
  const bool reads_token = entry == Entry::kAuthenticated;
  const std::string authorization =
      reads_token ? ex.req.get_header_value("Authorization") : std::string();
  absl::string_view header = authorization;
  absl::Status refused;
  // "Bearer" 1*SP token (RFC 9110 11.6.2: the scheme is case-insensitive).
  const bool bearer =
      header.size() > 7 && absl::EqualsIgnoreCase(header.substr(0, 6), "Bearer") &&
      header[6] == ' ';
  if (bearer) {
    header.remove_prefix(7);
    while (absl::ConsumePrefix(&header, " ")) {
    }
  }
  if (bearer && !header.empty()) {
    absl::StatusOr<auth::Caller> caller = VerifyToken(header);
    if (caller.ok()) {
      ex.caller = *std::move(caller);
      ex.bearer = std::string(header);
    } else {
      refused = absl::UnauthenticatedError(caller.status().message());
    }
  } else if (reads_token) {
    refused = absl::UnauthenticatedError("missing bearer token");
  }
  if (deps_.throttle == nullptr) {
    if (!refused.ok()) ex.Fail(refused);
    return refused.ok();
  }
  // Refused tokens count against the address too (before they are answered), so a flood of junk
  // tokens meets 429 like any other flood. Refresh is routine traffic, not password guessing: it
  // counts against the general address limit, not the sign-in one.
  std::vector<RateLimit> limits;
  if (entry == Entry::kSignIn) {
    limits.push_back({absl::StrCat("login:", ex.client_address),
                      config_.login_rate_per_address_per_minute, absl::Minutes(1)});
  } else {
    limits.push_back({absl::StrCat("ip:", ex.client_address), config_.rate_per_address_per_minute,
                      absl::Minutes(1)});
  }
  if (ex.caller) {
    limits.push_back({absl::StrCat("user:", ex.caller->user_id), config_.rate_per_user_per_minute,
                      absl::Minutes(1)});
  }
  absl::StatusOr<ThrottleDecision> decision =
      deps_.throttle->Check(limits, ex.caller ? ex.caller->token_id : "");
  if (!decision.ok()) {
    // Availability first: a Redis outage must not take the API down. Logged for the operator.
    log::Warning("rate limiter unavailable; request let through",
                 {{"request_id", ex.request_id}, {"error", decision.status().ToString()}});
    if (!refused.ok()) ex.Fail(refused);
    return refused.ok();
  }
  if (decision->limited) {
    const int64_t seconds = std::max<int64_t>(
        1, absl::ToInt64Seconds(absl::Ceil(decision->retry_after, absl::Seconds(1))));
    ex.res.set_header("Retry-After", absl::StrCat(seconds));
    ex.Fail(MakeError(429, "RATE_LIMITED"));
    return false;
  }
  if (!refused.ok()) {
    ex.Fail(refused);
    return false;
  }
  if (decision->token_revoked) {
    ex.Fail(absl::UnauthenticatedError("token revoked by logout"));
    return false;
  }
  return true;
}

void GatewayServer::Register() {
  httplib::Server& s = *server_;
  s.Get("/healthz", [this](const httplib::Request& req, httplib::Response& res) {
    Serve(req, res, "/healthz", [this](Exchange& ex) {
      const absl::Status ready = deps_.readiness ? deps_.readiness() : absl::OkStatus();
      if (ready.ok()) {
        ex.Reply(200, R"({"status":"serving"})");
      } else {
        ex.error_detail = std::string(ready.message());
        ex.error_code = "NOT_SERVING";
        ex.Reply(503, R"({"status":"not_serving"})");
      }
    });
  });
  s.Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
    Serve(req, res, "/metrics", [](Exchange& ex) {
      // A forwarded request came from outside through a proxy on this host: not an operator's scrape.
      if (!IsLoopback(ex.req.remote_addr) || ex.req.has_header("X-Forwarded-For")) {
        ex.Fail(MakeError(404, "ROUTE_NOT_FOUND"));
        return;
      }
      ex.Reply(200, metrics::SerializeText(), "text/plain; version=0.0.4");
    });
  });
  s.Get("/openapi.json", [this](const httplib::Request& req, httplib::Response& res) {
    Serve(req, res, "/openapi.json", [this](Exchange& ex) { ex.Reply(200, openapi_json_); });
  });
  auto post = [this, &s](const char* path, size_t body_max,
                         void (GatewayServer::*handler)(Exchange&)) {
    own_post_body_max_[path] = body_max;
    s.Post(path, [this, path, handler](const httplib::Request& req, httplib::Response& res) {
      Serve(req, res, path, [this, handler](Exchange& ex) { (this->*handler)(ex); });
    });
  };
  post("/v1/auth/staff/login", kAccountBodyBytesMax, &GatewayServer::StaffLogin);
  post("/v1/auth/wechat/login", kAccountBodyBytesMax, &GatewayServer::WeChatLogin);
  post("/v1/auth/refresh", kAccountBodyBytesMax, &GatewayServer::Refresh);
  post("/v1/auth/logout", kAccountBodyBytesMax, &GatewayServer::Logout);
  post("/v1/auth/invitations", kAccountBodyBytesMax, &GatewayServer::CreateInvitation);
  post("/v1/auth/staff", kAccountBodyBytesMax, &GatewayServer::CreateStaff);
  s.Get(kBindingsPath, [this](const httplib::Request& req, httplib::Response& res) {
    Serve(req, res, kBindingsPath, [this](Exchange& ex) { ListBindings(ex); });
  });
  s.Post(R"(/v1/auth/wechat-bindings/([^/]+)/release)",
         [this](const httplib::Request& req, httplib::Response& res) {
           Serve(req, res, "/v1/auth/wechat-bindings/{binding_id}/release",
                 [this](Exchange& ex) { ReleaseBinding(ex); });
         });
  if (deps_.photos != nullptr) {
    // The photo and the multipart form around it (wx.uploadFile's formData).
    post("/v1/photos", static_cast<size_t>(deps_.photos->max_bytes()) + (64 << 10),
         &GatewayServer::UploadPhoto);
    s.Get(R"(/v1/photos/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
      Serve(req, res, "/v1/photos/{photo_ref}", [this](Exchange& ex) { GetPhoto(ex); });
    });
  }
  s.Options(".*", [this](const httplib::Request& req, httplib::Response& res) {
    Serve(req, res, "OPTIONS", [](Exchange& ex) {
      if (ex.res.has_header("Access-Control-Allow-Origin")) {
        ex.res.set_header("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, DELETE, OPTIONS");
        ex.res.set_header("Access-Control-Allow-Headers",
                          "Authorization, Content-Type, X-Request-Id");
        ex.res.set_header("Access-Control-Max-Age", "600");
      }
      ex.res.status = 204;
    });
  });
  auto proxy = [this](const httplib::Request& req, httplib::Response& res) {
    Serve(req, res, "unmatched", [this](Exchange& ex) { Proxy(ex); });
  };
  // Requests refused before their body was read (BeforeBody), whose body is read here only to be
  // thrown away (httplib hands a content reader to these handlers instead of filling req.body).
  const auto discard = [this](const httplib::Request& req, httplib::Response& res,
                              const httplib::ContentReader& read) {
    const bool read_all = read([](const char*, size_t) { return true; });
    if (!res.has_header("X-Request-Id")) {  // a client's own request for this path
      Serve(req, res, "unmatched",
            [](Exchange& ex) { ex.Fail(MakeError(404, "ROUTE_NOT_FOUND")); });
    }
    if (!read_all) CloseAfterAnswer(req, res);
  };
  s.Post(kDiscardPath, discard);
  s.Put(kDiscardPath, discard);
  s.Patch(kDiscardPath, discard);
  s.Delete(kDiscardPath, discard);
  s.Get(".*", proxy);
  s.Post(".*", proxy);
  s.Put(".*", proxy);
  s.Delete(".*", proxy);
  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    return BeforeBody(req, res) ? httplib::Server::HandlerResponse::Handled
                                : httplib::Server::HandlerResponse::Unhandled;
  });
  // A client that waits for 100 Continue learns of a refusal before it sends its body; then the
  // connection is closed, since the client may send the body anyway.
  s.set_expect_100_continue_handler([this](const httplib::Request& req, httplib::Response& res) {
    std::optional<EarlyRefusal> refusal = RefusalBeforeBody(req);
    if (!refusal) return 100;
    AnswerRefusal(req, res, *refusal);
    CloseAfterAnswer(req, res);
    return res.status;
  });
  // Errors httplib answers itself (a request it can't parse, a method it has no handler for, a
  // Range header it can't parse) go out like every other response: request id, CORS, access log,
  // JSON body. httplib may have left the rest of such a request (its headers, its body) unread, so
  // the connection is closed after the answer.
  s.set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const httplib::Request& req, httplib::Response& res) {
        if (res.has_header("X-Request-Id")) return httplib::Server::HandlerResponse::Unhandled;
        // Range is ignored (BeforeBody); httplib parses it before the gateway sees the request and
        // may have kept the first ranges of one it then refused. The const_cast: as in BeforeBody.
        const_cast<httplib::Request&>(req).ranges.clear();
        const int status = res.status;
        Serve(req, res, "unmatched", [this, status](Exchange& ex) {
          if (!IsRoutedMethod(ex.req.method) && (status == 400 || status == 404)) {
            return FailMethodNotAllowed(ex);
          }
          if (status == 416) {  // a Range header httplib can't parse
            ex.error_detail = "malformed Range header";
            return ex.Fail(MakeError(400, "INVALID_ARGUMENT"), "Range");
          }
          ex.Fail(status == 413   ? MakeError(413, "PAYLOAD_TOO_LARGE")
                  : status == 404 ? MakeError(404, "ROUTE_NOT_FOUND")
                  : status < 500  ? MakeError(status, "INVALID_ARGUMENT")
                                  : MakeError(status, "INTERNAL"));
        });
        CloseAfterAnswer(req, res);
        return httplib::Server::HandlerResponse::Handled;
      }));
  s.set_exception_handler(
      [this](const httplib::Request& req, httplib::Response& res, std::exception_ptr) {
        res.headers.clear();  // a half-made response's headers would be sent twice
        Serve(req, res, "exception", [](Exchange& ex) { ex.Fail(MakeError(500, "INTERNAL")); });
      });
}

std::vector<std::string> GatewayServer::AllowedMethods(absl::string_view path) const {
  std::vector<std::string> allowed;
  if (path == "/healthz" || path == "/metrics" || path == "/openapi.json") allowed.push_back("GET");
  if (path == kBindingsPath) allowed.push_back("GET");
  if (own_post_body_max_.contains(path) || IsBindingReleasePath(path)) allowed.push_back("POST");
  if (deps_.photos != nullptr) {
    absl::string_view photo_ref = path;
    if (absl::ConsumePrefix(&photo_ref, "/v1/photos/") && !photo_ref.empty() &&
        !absl::StrContains(photo_ref, '/')) {
      allowed.push_back("GET");
    }
  }
  for (const char* method : {"GET", "POST", "PUT", "DELETE"}) {
    PathValues values;
    bool method_allowed = true;
    if (deps_.routes->Match(method, path, &values, &method_allowed) != nullptr &&
        !Contains(allowed, method)) {
      allowed.push_back(method);
    }
  }
  // HEAD is answered wherever GET is (httplib sends the headers only).
  if (const auto get = std::find(allowed.begin(), allowed.end(), "GET"); get != allowed.end()) {
    allowed.insert(get + 1, "HEAD");
  }
  return allowed;
}

std::pair<size_t, std::string> GatewayServer::BodyLimitOf(absl::string_view method,
                                                          absl::string_view path) const {
  if (method == "POST") {
    if (const auto own = own_post_body_max_.find(path); own != own_post_body_max_.end()) {
      return {own->second, own->first};
    }
    if (IsBindingReleasePath(path)) {
      return {kReleaseBodyBytesMax, "/v1/auth/wechat-bindings/{binding_id}/release"};
    }
  }
  PathValues values;
  bool method_allowed = true;
  const Route* route = deps_.routes->Match(method, path, &values, &method_allowed);
  return {config_.max_json_body_bytes, route != nullptr ? route->path_template : "unmatched"};
}

std::optional<GatewayServer::EarlyRefusal> GatewayServer::RefusalBeforeBody(
    const httplib::Request& req) const {
  auto [body_max, label] = BodyLimitOf(req.method, req.path);
  auto refuse = [&label](int status, absl::string_view code, std::string reason,
                         bool discardable = false) {
    return EarlyRefusal{MakeError(status, code), label, std::move(reason), discardable};
  };
  // Chunked bodies have no length to check before reading them (and httplib reads them whole);
  // wx.request and wx.uploadFile send Content-Length.
  if (req.has_header("Transfer-Encoding")) {
    return refuse(411, "LENGTH_REQUIRED", "Transfer-Encoding is not accepted");
  }
  uint64_t length = 0;
  const std::string given = req.get_header_value("Content-Length");
  for (size_t i = 1; i < req.get_header_value_count("Content-Length"); ++i) {
    if (req.get_header_value("Content-Length", i) != given) {
      return refuse(400, "INVALID_ARGUMENT", "conflicting Content-Length headers");
    }
  }
  // httplib reads a malformed length as 0 and would leave the body on the connection.
  if (req.has_header("Content-Length") &&
      (given.empty() || given.size() > 18 ||
       !std::all_of(given.begin(), given.end(), absl::ascii_isdigit) ||
       !absl::SimpleAtoi(given, &length))) {
    return refuse(400, "INVALID_ARGUMENT", "malformed Content-Length");
  }
  if (length > 0 && !TakesBody(req.method)) {
    return refuse(400, "INVALID_ARGUMENT", absl::StrCat("a ", req.method, " takes no body"));
  }
  const bool discardable = length <= kDiscardBodyBytesMax;
  // httplib inflates a gzip or deflate body whole before any limit applies: 20 KB of gzip are
  // 20 MB in memory. No client of ours compresses what it sends.
  for (size_t i = 0; i < req.get_header_value_count("Content-Encoding"); ++i) {
    const std::string coding = absl::AsciiStrToLower(
        absl::StripAsciiWhitespace(req.get_header_value("Content-Encoding", i)));
    if (!coding.empty() && coding != "identity") {
      return refuse(415, "CONTENT_ENCODING_UNSUPPORTED",
                    absl::StrCat("Content-Encoding ", coding), discardable);
    }
  }
  if (length > body_max) {
    return refuse(413, "PAYLOAD_TOO_LARGE",
                  absl::StrCat("Content-Length ", length, " over ", body_max), discardable);
  }
  return std::nullopt;
}

void GatewayServer::AnswerRefusal(const httplib::Request& req, httplib::Response& res,
                                  const EarlyRefusal& refusal) {
  Serve(req, res, refusal.label.c_str(), [&](Exchange& ex) {
    ex.error_detail = refusal.reason;
    if (refusal.error.code == "CONTENT_ENCODING_UNSUPPORTED") {
      ex.res.set_header("Accept-Encoding", "identity");  // RFC 7694
    }
    ex.Fail(refusal.error);
  });
}

bool GatewayServer::BeforeBody(const httplib::Request& req, httplib::Response& res) {
  // httplib hands the request over as const&, but it is a non-const local object of its
  // process_request that lives until the answer is written, and what is changed here is what
  // httplib reads after this handler: the ranges it would cut every answer to, the length of the
  // body it is about to read, and the path it routes by.
  httplib::Request& request = const_cast<httplib::Request&>(req);
  // No route needs Range, and httplib would cut any answer to any number of ranges (JSON and
  // errors too, keeping their status): every answer is whole.
  request.ranges.clear();
  // Neither Content-Length nor Transfer-Encoding: no body (RFC 9112 6.3). httplib would read
  // until the client closes.
  if (!req.has_header("Content-Length") && !req.has_header("Transfer-Encoding")) {
    request.set_header("Content-Length", "0");
  }
  std::optional<EarlyRefusal> refusal = RefusalBeforeBody(req);
  if (!refusal) return false;
  AnswerRefusal(req, res, *refusal);
  if (refusal->discardable && TakesBody(req.method)) {
    // Read and thrown away by the kDiscardPath handlers, not decoded: the answer is already made.
    request.path = kDiscardPath;
    request.headers.erase("Content-Encoding");
    request.headers.erase("Content-Type");  // a multipart body would be parsed
    return false;
  }
  CloseAfterAnswer(req, res);
  return true;
}

void GatewayServer::FailMethodNotAllowed(Exchange& ex) {
  const std::vector<std::string> allowed = AllowedMethods(PathOf(ex.req));
  if (allowed.empty()) return ex.Fail(MakeError(404, "ROUTE_NOT_FOUND"));
  ex.res.set_header("Allow", absl::StrJoin(allowed, ", "));
  ex.Fail(MakeError(405, "METHOD_NOT_ALLOWED"));
}

namespace {

// An attachment name every browser takes: ASCII letters, digits, '.', '-' and '_' in filename=
// (any other character becomes one '_'), the whole name percent-encoded in filename* (RFC 6266).
std::string ContentDisposition(absl::string_view file_name) {
  std::string plain;
  std::string encoded;
  for (const unsigned char c : file_name) {
    const bool safe = absl::ascii_isalnum(c) || c == '.' || c == '-' || c == '_';
    const bool continues_a_character = (c & 0xC0) == 0x80;  // UTF-8 continuation byte
    if (!continues_a_character) plain.push_back(safe ? static_cast<char>(c) : '_');
    if (safe) {
      encoded.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&encoded, "%%%02X", c);
    }
  }
  return absl::StrCat("attachment; filename=\"", plain, "\"; filename*=UTF-8''", encoded);
}

}  // namespace

void GatewayServer::ReplyDownload(Exchange& ex, const Route& route, const std::string& response) {
  absl::StatusOr<Download> download = ResponseToDownload(route, response);
  if (!download.ok()) {
    ex.Fail(download.status());
    return;
  }
  if (!download->file_name.empty()) {
    ex.res.set_header("Content-Disposition", ContentDisposition(download->file_name));
  }
  ex.Reply(200, download->body, download->content_type.c_str());
}

void GatewayServer::Proxy(Exchange& ex) {
  PathValues values;
  bool method_allowed = true;
  // HEAD is GET without the body (httplib drops it).
  const bool head = ex.req.method == "HEAD";
  const Route* route =
      deps_.routes->Match(head ? "GET" : ex.req.method, ex.req.path, &values, &method_allowed);
  if (route == nullptr) return FailMethodNotAllowed(ex);  // 404 when no method fits the path
  ex.label = route->path_template;
  if (!Admit(ex, Entry::kAuthenticated)) return;
  if (!Contains(route->roles, auth::RoleName(ex.caller->role))) {
    ex.Fail(absl::PermissionDeniedError("role not allowed on this route"));
    return;
  }
  if (ex.req.body.size() > config_.max_json_body_bytes) {
    ex.Fail(MakeError(413, "PAYLOAD_TOO_LARGE"));
    return;
  }
  if (!ex.SaysJson()) return;
  QueryParams query;
  if (!route->body_is_request) {
    for (const auto& [name, value] : ex.req.params) query.emplace_back(name, value);
  }
  FieldError field_error;
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> request =
      BuildRequest(*route, values, query, ex.req.body, &field_error);
  if (!request.ok()) {
    ex.error_detail = field_error.reason;
    const HttpError error = MapStatus(request.status());
    ex.error_code = error.code;
    ex.Reply(error.http_status, ErrorBody(error, ex.request_id, field_error.field));
    return;
  }
  if (absl::Status scope = CheckScope(*ex.caller, **request); !scope.ok()) {
    ex.Fail(scope);
    return;
  }
  if (deps_.photos != nullptr) {
    const auth::Caller& caller = *ex.caller;
    absl::StatusOr<std::optional<FieldError>> unusable =
        FindUnusablePhotoRef(**request, [&](const std::string& ref) -> absl::StatusOr<bool> {
          if (!deps_.photos->Has(ref)) return false;
          if (deps_.photo_villages == nullptr || caller.village_id == 0) return true;
          return deps_.photo_villages->UploadedIn(ref, caller.village_id);
        });
    if (!unusable.ok()) return ex.Fail(absl::UnavailableError(unusable.status().message()));
    if (unusable->has_value()) {
      const FieldError& refused = **unusable;
      ex.error_detail = refused.reason;
      const HttpError error = MakeError(400, "PHOTO_NOT_FOUND");
      ex.error_code = error.code;
      ex.Reply(error.http_status, ErrorBody(error, ex.request_id, refused.field));
      return;
    }
  }
  OutgoingCall call;
  call.grpc_method = route->grpc_method;
  call.request_bytes = (*request)->SerializeAsString();
  call.bearer_token = ex.bearer;
  call.request_id = ex.request_id;
  call.timeout = config_.backend_timeout;
  if (route->server_streaming && head) {  // what GET would answer, without opening a stream
    ex.res.status = 200;
    ex.res.set_header("Content-Type", "text/event-stream");
    return;
  }
  if (route->server_streaming) {  // Server-Sent Events, once the backend accepted the stream
    const StreamCaller caller{ex.caller->user_id, ex.caller->token_id, TokenExpiry(ex.bearer)};
    absl::StatusOr<std::shared_ptr<EventStream>> stream = streams_->Open(*route, call, caller);
    if (!stream.ok()) return ex.Fail(stream.status());
    return StreamProxy::Reply(*std::move(stream), ex.res);
  }
  absl::StatusOr<std::string> response = deps_.backends->Call(route->backend, call);
  if (!response.ok()) {
    ex.Fail(response.status());
    return;
  }
  if (absl::Status followed = AfterCall(ex, *route, *response); !followed.ok()) {
    return ex.Fail(followed);
  }
  if (route->response_body != nullptr) return ReplyDownload(ex, *route, *response);
  absl::StatusOr<std::string> body = ResponseToJson(*route->method->output_type(), *response);
  if (!body.ok()) {
    ex.Fail(body.status());
    return;
  }
  ex.Reply(200, *body);
}

namespace {

std::string TokenPairJson(const TokenPair& pair) {
  return Dump({{"access_token", pair.access_token},
               {"token_type", "Bearer"},
               {"expires_in_seconds", pair.expires_in_seconds},
               {"refresh_token", pair.refresh_token},
               {"user_id", pair.user_id},
               {"role", pair.role}});
}

// A string member of a JSON body ("" when absent); false (and a 400 naming it) when not a string.
bool StringField(const json& body, const char* name, std::string* out) {
  const auto it = body.find(name);
  if (it == body.end() || it->is_null()) return true;
  if (!it->is_string()) return false;
  *out = it->get<std::string>();
  return true;
}

bool IntField(const json& body, const char* name, int64_t* out) {
  const auto it = body.find(name);
  if (it == body.end() || it->is_null()) return true;
  if (it->is_number_unsigned()) {  // 18446744073709551615 must not wrap to -1
    if (it->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return false;
    }
    *out = static_cast<int64_t>(it->get<uint64_t>());
    return true;
  }
  if (it->is_number_integer()) {
    *out = it->get<int64_t>();
    return true;
  }
  if (!it->is_string()) return false;
  // Digits with an optional minus, as protobuf's JSON mapping takes a 64-bit integer: SimpleAtoi
  // alone would take " +1".
  const std::string& text = it->get_ref<const std::string&>();
  const absl::string_view digits = absl::StripPrefix(text, "-");
  return !digits.empty() && std::all_of(digits.begin(), digits.end(), absl::ascii_isdigit) &&
         absl::SimpleAtoi(text, out);
}

// Unknown members are refused as everywhere else.
bool OnlyKnown(const json& body, std::initializer_list<const char*> names, std::string* unknown) {
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (std::none_of(names.begin(), names.end(), [&](const char* n) { return it.key() == n; })) {
      *unknown = it.key();
      return false;
    }
  }
  return true;
}

}  // namespace

#define JIFEN_BODY_FIELDS(ex, body, ...)                                          \
  do {                                                                            \
    std::string unknown_;                                                         \
    if (!OnlyKnown(body, {__VA_ARGS__}, &unknown_)) {                             \
      ex.Fail(absl::InvalidArgumentError("unknown field " + unknown_), unknown_); \
      return;                                                                     \
    }                                                                             \
  } while (0)

void GatewayServer::StaffLogin(Exchange& ex) {
  if (!Admit(ex, Entry::kSignIn)) return;
  std::optional<json> body = ex.JsonBody(kAccountBodyBytesMax);
  if (!body) return;
  JIFEN_BODY_FIELDS(ex, *body, "username", "password");
  std::string username, password;
  if (!StringField(*body, "username", &username))
    return ex.Fail(absl::InvalidArgumentError("username"), "username");
  if (!StringField(*body, "password", &password))
    return ex.Fail(absl::InvalidArgumentError("password"), "password");
  if (username.empty()) return ex.Fail(absl::InvalidArgumentError("username"), "username");
  absl::StatusOr<TokenPair> pair = deps_.login->StaffLogin(username, password, ex.request_id);
  if (!pair.ok()) return ex.Fail(pair.status());
  ex.Reply(200, TokenPairJson(*pair));
}

void GatewayServer::WeChatLogin(Exchange& ex) {
  if (!Admit(ex, Entry::kSignIn)) return;
  std::optional<json> body = ex.JsonBody(kAccountBodyBytesMax);
  if (!body) return;
  JIFEN_BODY_FIELDS(ex, *body, "code", "invitation_code");
  std::string code, invitation;
  if (!StringField(*body, "code", &code) || code.empty()) {
    return ex.Fail(absl::InvalidArgumentError("code"), "code");
  }
  if (!StringField(*body, "invitation_code", &invitation)) {
    return ex.Fail(absl::InvalidArgumentError("invitation_code"), "invitation_code");
  }
  absl::StatusOr<TokenPair> pair = deps_.login->WeChatLogin(code, invitation, ex.request_id);
  if (!pair.ok()) return ex.Fail(pair.status());
  // The member moved to this WeChat user: the old binding's sessions are ended (its refresh
  // tokens spent) and its access tokens go on the revocation list, as at logout. A Redis failure
  // does not undo the committed move or withhold the new user's tokens.
  RevokeEndedTokens(ex, pair->ended_access_token_ids,
                    absl::StrCat("replaced WeChat binding of ", pair->user_id));
  ex.Reply(200, TokenPairJson(*pair));
}

void GatewayServer::Refresh(Exchange& ex) {
  if (!Admit(ex, Entry::kRefresh)) return;
  std::optional<json> body = ex.JsonBody(kAccountBodyBytesMax);
  if (!body) return;
  JIFEN_BODY_FIELDS(ex, *body, "refresh_token");
  std::string token;
  if (!StringField(*body, "refresh_token", &token) || token.empty()) {
    return ex.Fail(absl::InvalidArgumentError("refresh_token"), "refresh_token");
  }
  // A replayed (spent) refresh token ends its session: its access tokens go on the revocation
  // list, as at logout, and the refusal stands.
  std::vector<std::string> ended;
  absl::StatusOr<TokenPair> pair = deps_.login->Refresh(token, ex.request_id, &ended);
  RevokeEndedTokens(ex, ended, "replayed refresh token");
  if (!pair.ok()) return ex.Fail(pair.status());
  ex.Reply(200, TokenPairJson(*pair));
}

void GatewayServer::Logout(Exchange& ex) {
  if (!Admit(ex, Entry::kAuthenticated)) return;
  std::optional<json> body = ex.JsonBody(kAccountBodyBytesMax);
  if (!body) return;
  JIFEN_BODY_FIELDS(ex, *body, "refresh_token");
  std::string token;
  if (!StringField(*body, "refresh_token", &token)) {
    return ex.Fail(absl::InvalidArgumentError("refresh_token"), "refresh_token");
  }
  absl::StatusOr<std::vector<std::string>> access_token_ids =
      deps_.login->EndSession(*ex.caller, token);
  if (!access_token_ids.ok()) return ex.Fail(access_token_ids.status());
  if (deps_.throttle != nullptr) {
    for (const std::string& access_token_id : *access_token_ids) {
      absl::Status s = deps_.throttle->RevokeToken(access_token_id, config_.access_token_ttl);
      if (!s.ok()) return ex.Fail(absl::UnavailableError(s.message()));
    }
  }
  ex.res.status = 204;
}

absl::StatusOr<std::string> GatewayServer::CallRegistryAs(const Exchange& ex,
                                                          absl::string_view method,
                                                          const google::protobuf::Message& request) {
  OutgoingCall call;
  call.grpc_method = absl::StrCat("/jifen.scoring.v1.RegistryService/", method);
  call.request_bytes = request.SerializeAsString();
  call.bearer_token = ex.bearer;
  call.request_id = ex.request_id;
  call.timeout = config_.backend_timeout;
  return deps_.backends->Call("scoring", call);
}

absl::Status GatewayServer::CheckHouseholdMember(const Exchange& ex, int64_t household_id,
                                                 int64_t member_id) {
  // The roster belongs to scoring: ask it, with the admin's own token, so that its scope check
  // (an admin sees only their village) decides. Without a scoring backend nothing is checked.
  if (!deps_.backends->Has("scoring")) return absl::OkStatus();
  scoring::v1::GetHouseholdRequest request;
  request.set_household_id(household_id);
  absl::StatusOr<std::string> bytes = CallRegistryAs(ex, "GetHousehold", request);
  if (!bytes.ok()) return bytes.status();
  scoring::v1::HouseholdDetail detail;
  if (!detail.ParseFromString(*bytes)) return absl::InternalError("bad GetHousehold response");
  if (detail.household().village_id() != ex.caller->village_id) {
    return absl::NotFoundError("household not in the admin's village");
  }
  for (const scoring::v1::Member& member : detail.members()) {
    if (member.member_id() == member_id) return absl::OkStatus();
  }
  return absl::NotFoundError("member not in the household");
}

namespace {

// The village of `account`, a new account as LoginService::AccountToCreate made it, when it is a
// grid worker's naming a grid; 0 otherwise (such an account is refused for its scope anyway).
int64_t GridWorkerVillage(const NewStaff& account) {
  absl::StatusOr<auth::Role> role = ParseStaffRole(account.role);
  if (!role.ok() || *role != auth::Role::kGridWorker || account.grid_id <= 0) return 0;
  return std::max<int64_t>(account.village_id, 0);
}

// Scoring's registry on a request's behalf: under the caller's own token (CallRegistryAs), so that
// scoring's scope check decides what the caller may read and change.
class RegistryAsCaller final : public GridRegistry, public ScopeRegistry {
 public:
  using Call = std::function<absl::StatusOr<std::string>(absl::string_view method,
                                                         const google::protobuf::Message& request)>;
  explicit RegistryAsCaller(Call call) : call_(std::move(call)) {}

  absl::StatusOr<RegisteredGrid> GetGrid(int64_t grid_id) override {
    scoring::v1::GetGridRequest request;
    request.set_grid_id(grid_id);
    return Parse(call_("GetGrid", request), "GetGrid");
  }
  absl::StatusOr<RegisteredGrid> AssignWorker(int64_t grid_id, const std::string& worker_user_id,
                                              const std::string& current_worker_user_id) override {
    return Parse(call_("AssignGridWorker",
                       CheckedAssignment(grid_id, worker_user_id, current_worker_user_id)),
                 "AssignGridWorker");
  }
  absl::StatusOr<RegisteredVillage> GetVillage(int64_t village_id) override {
    absl::StatusOr<scoring::v1::ListVillagesResponse> listing =
        ListVillages(VillageLookup(village_id, 0));
    if (!listing.ok()) return listing.status();
    return ListedVillage(*listing, village_id);
  }
  absl::Status CheckTown(int64_t town_id) override {
    return ListVillages(VillageLookup(0, town_id)).status();
  }
  absl::StatusOr<RegisteredTeam> GetTeam(int64_t team_id) override {
    scoring::v1::GetTeamRequest request;
    request.set_team_id(team_id);
    absl::StatusOr<std::string> bytes = call_("GetTeam", request);
    if (!bytes.ok()) return bytes.status();
    scoring::v1::AssessmentTeam team;
    if (!team.ParseFromString(*bytes)) return absl::InternalError("bad GetTeam response");
    return RegisteredTeamOf(team);
  }

 private:
  absl::StatusOr<scoring::v1::ListVillagesResponse> ListVillages(
      const scoring::v1::ListVillagesRequest& request) {
    absl::StatusOr<std::string> bytes = call_("ListVillages", request);
    if (!bytes.ok()) return bytes.status();
    scoring::v1::ListVillagesResponse listing;
    if (!listing.ParseFromString(*bytes)) return absl::InternalError("bad ListVillages response");
    return listing;
  }
  static absl::StatusOr<RegisteredGrid> Parse(const absl::StatusOr<std::string>& bytes,
                                              absl::string_view method) {
    if (!bytes.ok()) return bytes.status();
    scoring::v1::Grid grid;
    if (!grid.ParseFromString(*bytes)) {
      return absl::InternalError(absl::StrCat("bad ", method, " response"));
    }
    return RegisteredGridOf(grid);
  }

  Call call_;
};

}  // namespace

absl::Status GatewayServer::AfterCall(const Exchange& ex, const Route& route,
                                      const std::string& response) {
  if (route.grpc_method != "/jifen.scoring.v1.RegistryService/AssignGridWorker") {
    return absl::OkStatus();
  }
  scoring::v1::Grid grid;
  if (!grid.ParseFromString(response)) return absl::InternalError("bad AssignGridWorker response");
  // The registry has changed; if the accounts can't follow now, the admin's retry (which changes
  // nothing in scoring) makes them follow.
  absl::Status followed =
      FollowGridWorker(ex, RegisteredGridOf(grid));
  if (!followed.ok()) return absl::UnavailableError(followed.message());
  return absl::OkStatus();
}

absl::Status GatewayServer::FollowGridWorker(const Exchange& ex, const RegisteredGrid& grid) {
  absl::StatusOr<std::vector<std::string>> access_token_ids = deps_.login->FollowGridWorker(
      *ex.caller, grid.village_id, grid.grid_id, grid.worker_user_id, ex.request_id);
  if (!access_token_ids.ok()) return access_token_ids.status();
  // Not an error for the caller if Redis fails: scoring already refuses the grid to these tokens
  // (it asks the registry), and the gateway lets tokens through while Redis is down anyway.
  RevokeEndedTokens(ex, *access_token_ids, absl::StrCat("changed claim on grid ", grid.grid_id));
  return absl::OkStatus();
}

void GatewayServer::CreateInvitation(Exchange& ex) {
  if (!Admit(ex, Entry::kAuthenticated)) return;
  // The role first, as on every routed call: a caller who may not do this learns nothing from
  // how their form is wrong.
  if (ex.caller->role != auth::Role::kVillageAdmin) {
    return ex.Fail(absl::PermissionDeniedError("village admins only"));
  }
  std::optional<json> body = ex.JsonBody(kAccountBodyBytesMax);
  if (!body) return;
  JIFEN_BODY_FIELDS(ex, *body, "household_id", "member_id", "valid_hours");
  int64_t household_id = 0, member_id = 0, valid_hours = 0;
  if (!IntField(*body, "household_id", &household_id)) {
    return ex.Fail(absl::InvalidArgumentError("household_id"), "household_id");
  }
  if (!IntField(*body, "member_id", &member_id)) {
    return ex.Fail(absl::InvalidArgumentError("member_id"), "member_id");
  }
  if (!IntField(*body, "valid_hours", &valid_hours)) {
    return ex.Fail(absl::InvalidArgumentError("valid_hours"), "valid_hours");
  }
  if (absl::Status s = CheckHouseholdMember(ex, household_id, member_id); !s.ok()) {
    return ex.Fail(s);
  }
  std::optional<absl::Duration> valid_for;
  if (valid_hours != 0) valid_for = absl::Hours(valid_hours);
  absl::StatusOr<NewInvitation> invitation =
      deps_.login->CreateInvitation(*ex.caller, household_id, member_id, valid_for, ex.request_id);
  if (!invitation.ok()) return ex.Fail(invitation.status());
  ex.Reply(200, Dump({{"invitation_code", invitation->code},
                      {"expires_at_ms", invitation->expires_at_ms}}));
}

void GatewayServer::CreateStaff(Exchange& ex) {
  if (!Admit(ex, Entry::kAuthenticated)) return;
  // Only these make accounts at all (LoginService then holds each to its own scope); anyone else
  // is refused before the form is read, as on every routed call.
  if (ex.caller->role != auth::Role::kVillageAdmin &&
      ex.caller->role != auth::Role::kDistrictOfficial) {
    return ex.Fail(absl::PermissionDeniedError("role may not create staff accounts"));
  }
  std::optional<json> body = ex.JsonBody(kAccountBodyBytesMax);
  if (!body) return;
  JIFEN_BODY_FIELDS(ex, *body, "username", "password", "role", "town_id", "village_id", "grid_id",
                    "team_id");
  NewStaff request;
  for (auto [name, out] : {std::pair<const char*, std::string*>{"username", &request.username},
                           {"password", &request.password},
                           {"role", &request.role}}) {
    if (!StringField(*body, name, out)) return ex.Fail(absl::InvalidArgumentError(name), name);
  }
  for (auto [name, out] : {std::pair<const char*, int64_t*>{"town_id", &request.town_id},
                           {"village_id", &request.village_id},
                           {"grid_id", &request.grid_id},
                           {"team_id", &request.team_id}}) {
    if (!IntField(*body, name, out)) return ex.Fail(absl::InvalidArgumentError(name), name);
  }
  // Who may make which account first (a village admin's are of their own village), then whether
  // the places it names exist.
  absl::StatusOr<NewStaff> account = LoginService::AccountToCreate(*ex.caller, request);
  if (!account.ok()) return ex.Fail(account.status());
  // Scoring's registry under the caller's own token, so that its scope check decides what the
  // caller may name. Without a scoring backend (handler tests) nothing is checked or named.
  RegistryAsCaller registry(
      [&](absl::string_view method, const google::protobuf::Message& message) {
        return CallRegistryAs(ex, method, message);
      });
  // The town, village and team the account names exist and agree (auth/staff_scope.h).
  if (deps_.backends->Has("scoring")) {
    if (absl::Status scope = CheckStaffScope(registry, *account); !scope.ok()) {
      return ex.Fail(scope);
    }
  }
  // A grid worker scores only the grid that names them, so their account and its naming are made
  // all or nothing (auth/grid_workers.h). The grid must be of the account's village: a grid
  // worker's token claims it, and scoring wants the claim and the registry to agree.
  std::optional<GridWorkerNaming> naming;
  const int64_t grid_village = GridWorkerVillage(*account);
  if (grid_village != 0 && deps_.backends->Has("scoring")) {
    absl::StatusOr<RegisteredGrid> grid = GridForNewWorker(registry, account->grid_id, grid_village);
    if (!grid.ok()) {
      return ex.Fail(grid.status(), absl::IsInvalidArgument(grid.status()) ? "grid_id" : "");
    }
    naming.emplace(&registry, *std::move(grid));
  }
  absl::StatusOr<std::string> user_id = deps_.login->CreateStaff(
      *ex.caller, *account, ex.request_id, naming ? naming->Confirmation() : ConfirmNewStaff{});
  if (!user_id.ok()) {
    if (naming && absl::IsUnavailable(user_id.status())) {
      log::Warning("grid worker account not created", {{"request_id", ex.request_id},
                                                       {"grid_id", absl::StrCat(request.grid_id)},
                                                       {"error", user_id.status().ToString()}});
    }
    return ex.Fail(user_id.status());
  }
  if (naming && naming->named()) {
    // The grid's previous worker was replaced: their account lets go of the grid. Scoring
    // already refuses it to them, so a failure here leaves only a stale claim, logged.
    if (absl::Status followed = FollowGridWorker(ex, *naming->named()); !followed.ok()) {
      log::Warning("grid worker named, but the grid's previous worker's account still claims it",
                   {{"request_id", ex.request_id},
                    {"grid_id", absl::StrCat(request.grid_id)},
                    {"error", followed.ToString()}});
    }
  }
  ex.Reply(200, Dump({{"user_id", *user_id}}));
}

void GatewayServer::UploadPhoto(Exchange& ex) {
  if (!Admit(ex, Entry::kAuthenticated)) return;
  if (!Contains(config_.photo_upload_roles, auth::RoleName(ex.caller->role))) {
    return ex.Fail(absl::PermissionDeniedError("role may not upload photos"));
  }
  // httplib lists the text fields of the form (wx.uploadFile's formData) among the files too: only
  // parts with a file name are files.
  const size_t file_parts =
      std::count_if(ex.req.files.begin(), ex.req.files.end(),
                    [](const auto& part) { return !part.second.filename.empty(); });
  if (!ex.req.is_multipart_form_data() || file_parts != 1 || !ex.req.has_file("file") ||
      ex.req.get_file_value("file").filename.empty()) {
    return ex.Fail(absl::InvalidArgumentError("exactly one multipart file named 'file'"), "file");
  }
  const httplib::MultipartFormData file = ex.req.get_file_value("file");
  absl::StatusOr<StoredPhoto> stored = deps_.photos->Put(file.content);
  if (!stored.ok()) {
    const absl::string_view text = stored.status().message();
    if (absl::StartsWith(text, "PAYLOAD_TOO_LARGE"))
      return ex.Fail(MakeError(413, "PAYLOAD_TOO_LARGE"));
    if (absl::StartsWith(text, "UNSUPPORTED_MEDIA_TYPE")) {
      return ex.Fail(MakeError(415, "UNSUPPORTED_MEDIA_TYPE"));
    }
    return ex.Fail(stored.status());
  }
  if (deps_.photo_villages != nullptr && ex.caller->village_id > 0) {
    absl::Status recorded =
        deps_.photo_villages->Record(stored->photo_ref, ex.caller->village_id,
                                     ex.caller->town_id, ex.caller->user_id,
                                     absl::ToUnixMillis(absl::Now()));
    if (!recorded.ok()) return ex.Fail(absl::UnavailableError(recorded.message()));
  }
  log::Info("photo stored", {{"request_id", ex.request_id},
                             {"photo_ref", stored->photo_ref},
                             {"size_bytes", absl::StrCat(stored->size_bytes)}});
  ex.Reply(200, Dump({{"photo_ref", stored->photo_ref},
                      {"content_type", stored->content_type},
                      {"size_bytes", stored->size_bytes},
                      {"url", absl::StrCat("/v1/photos/", stored->photo_ref)}}));
}

absl::StatusOr<bool> GatewayServer::PhotoInCallersTown(const Exchange& ex,
                                                       const std::string& photo_ref) {
  absl::StatusOr<std::vector<int64_t>> photo_villages =
      deps_.photo_villages->VillagesOf(photo_ref);
  if (!photo_villages.ok()) return photo_villages.status();
  if (photo_villages->empty() || ex.caller->town_id <= 0) return false;
  // Which town a village belongs to is the registry's to say: the uploader's token may have named
  // no town (an account made without one), and the official's own token lists only their town.
  scoring::v1::ListVillagesRequest request;
  request.set_town_id(ex.caller->town_id);
  absl::StatusOr<std::string> bytes = CallRegistryAs(ex, "ListVillages", request);
  if (absl::IsPermissionDenied(bytes.status()) || absl::IsNotFound(bytes.status())) return false;
  if (!bytes.ok()) return bytes.status();
  scoring::v1::ListVillagesResponse town;
  if (!town.ParseFromString(*bytes)) return absl::InternalError("bad ListVillages response");
  for (const scoring::v1::Village& village : town.villages()) {
    if (village.town_id() == ex.caller->town_id &&
        std::binary_search(photo_villages->begin(), photo_villages->end(),
                           village.village_id())) {
      return true;
    }
  }
  return false;
}

void GatewayServer::GetPhoto(Exchange& ex) {
  if (!Admit(ex, Entry::kAuthenticated)) return;
  if (!Contains(config_.photo_read_roles, auth::RoleName(ex.caller->role))) {
    return ex.Fail(absl::PermissionDeniedError("role may not read photos"));
  }
  const std::string photo_ref = ex.req.matches[1].str();
  // Within its villages, to the officials of their towns and to the district; anyone else learns
  // nothing, not even that the photo exists.
  if (deps_.photo_villages != nullptr && !ex.caller->IsDistrict()) {
    absl::StatusOr<bool> ours =
        ex.caller->role == auth::Role::kTownOfficial
            ? PhotoInCallersTown(ex, photo_ref)
            : deps_.photo_villages->UploadedIn(photo_ref, ex.caller->village_id);
    if (!ours.ok()) return ex.Fail(absl::UnavailableError(ours.status().message()));
    if (!*ours) return ex.Fail(absl::NotFoundError("no such photo"));
  }
  absl::StatusOr<std::string> bytes = deps_.photos->Get(photo_ref);
  if (!bytes.ok()) return ex.Fail(bytes.status());
  const std::string type = SniffImageType(*bytes);
  ex.res.headers.erase("Cache-Control");
  ex.res.set_header("Cache-Control", "private, max-age=86400, immutable");
  ex.Reply(200, *bytes, type.empty() ? "application/octet-stream" : type.c_str());
}

void GatewayServer::RevokeEndedTokens(const Exchange& ex,
                                      const std::vector<std::string>& access_token_ids,
                                      absl::string_view what) {
  if (deps_.throttle == nullptr) return;
  for (const std::string& access_token_id : access_token_ids) {
    absl::Status revoked = deps_.throttle->RevokeToken(access_token_id, config_.access_token_ttl);
    if (!revoked.ok()) {
      log::Warning("access token of an ended session not revoked",
                   {{"request_id", ex.request_id},
                    {"session_of", std::string(what)},
                    {"error", revoked.ToString()}});
    }
  }
}

void GatewayServer::ListBindings(Exchange& ex) {
  if (!Admit(ex, Entry::kAuthenticated)) return;
  // The role first, as on every routed call: a caller who may not read bindings learns nothing
  // from how their query is wrong.
  if (absl::Status s = ResidentBindings::CheckReader(*ex.caller); !s.ok()) return ex.Fail(s);
  const QueryParams params(ex.req.params.begin(), ex.req.params.end());
  FieldError field_error;
  absl::StatusOr<BindingQuery> query = BindingQueryOf(params, &field_error);
  if (!query.ok()) {
    ex.error_detail = field_error.reason;
    return ex.Fail(query.status(), field_error.field);
  }
  // A town official's villages are the registry's to say, under the official's own token.
  RegistryAsCaller registry(
      [&](absl::string_view method, const google::protobuf::Message& message) {
        return CallRegistryAs(ex, method, message);
      });
  absl::StatusOr<BindingPage> page = deps_.login->ListBindings(*ex.caller, *query, registry);
  if (!page.ok()) return ex.Fail(page.status());
  ex.Reply(200, BindingPageJson(*page));
}

void GatewayServer::ReleaseBinding(Exchange& ex) {
  if (!Admit(ex, Entry::kAuthenticated)) return;
  if (absl::Status s = ResidentBindings::CheckReleaser(*ex.caller); !s.ok()) return ex.Fail(s);
  int64_t binding_id = 0;
  if (!ParsePathId(ex.req.matches[1].str(), &binding_id)) {
    return ex.Fail(absl::InvalidArgumentError("binding_id: must be a positive id"), "binding_id");
  }
  std::optional<json> body = ex.JsonBody(kReleaseBodyBytesMax);
  if (!body) return;
  JIFEN_BODY_FIELDS(ex, *body, "reason");
  std::string reason;
  if (!StringField(*body, "reason", &reason)) {
    return ex.Fail(absl::InvalidArgumentError("reason: must be a string"), "reason");
  }
  absl::StatusOr<BindingRelease> released =
      deps_.login->ReleaseBinding(*ex.caller, binding_id, reason, ex.request_id);
  if (!released.ok()) return ex.Fail(released.status());
  // The lost phone is signed out at once, as a replaced binding's phone is.
  RevokeEndedTokens(ex, released->ended_access_token_ids,
                    absl::StrCat("released WeChat binding ", binding_id));
  ex.Reply(200, ReleasedBindingJson(released->binding));
}

}  // namespace jifen::gateway
