// The gateway's HTTP server: routes from the descriptors, login, photos, operations endpoints.
// Every request gets a request id (the client's X-Request-Id if sane), CORS headers for the
// configured origins, a rate-limit check, and one access-log line.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/auth/token.h"
#include "google/protobuf/message.h"
#include "jifen/scoring/v1/registry.pb.h"
#include "services/gateway/auth/grid_workers.h"
#include "services/gateway/auth/login_service.h"
#include "services/gateway/http/backends.h"
#include "services/gateway/http/client_address.h"
#include "services/gateway/http/errors.h"
#include "services/gateway/http/route_table.h"
#include "services/gateway/http/stream_proxy.h"
#include "services/gateway/storage/photo_store.h"
#include "services/gateway/storage/photo_villages.h"
#include "services/gateway/storage/throttle.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace jifen::gateway {

struct GatewayConfig {
  std::string listen_host = "127.0.0.1";
  int listen_port = 0;  // 0: the kernel picks; see port()
  // Worker threads. cpp-httplib keeps a keep-alive connection on one worker, so this bounds the
  // concurrent client connections served at once.
  int http_threads = 64;
  size_t max_json_body_bytes = 256 << 10;
  absl::Duration backend_timeout = absl::Seconds(5);
  absl::Duration keep_alive_timeout = absl::Seconds(5);
  size_t keep_alive_max_requests = 1000;  // per connection, then it is closed
  std::vector<std::string> cors_origins;  // exact origins, e.g. "https://dash.example.cn"
  int64_t rate_per_user_per_minute = 600;
  int64_t rate_per_address_per_minute = 1200;
  int64_t login_rate_per_address_per_minute = 30;
  // Proxies whose X-Forwarded-For names the client (the TLS terminator in front); none by default.
  TrustedProxies trusted_proxies;
  std::vector<std::string> photo_upload_roles = {"resident", "grid_worker", "assessor",
                                                 "village_admin"};
  std::vector<std::string> photo_read_roles = {
      "resident",      "grid_worker",       "assessor",          "village_admin",
      "town_official", "district_official", "district_inspector"};
  absl::Duration access_token_ttl = absl::Minutes(15);  // how long a logout revocation is kept
  // Server-streaming routes (Server-Sent Events, stream_proxy.h). Each open stream holds one of the
  // http_threads; max_streams 0 takes a quarter of them. accept_timeout is backend_timeout.
  StreamOptions streams;
};

struct GatewayDeps {
  const RouteTable* routes = nullptr;
  const Backends* backends = nullptr;
  const auth::TokenVerifier* verifier = nullptr;
  LoginService* login = nullptr;
  Throttle* throttle = nullptr;             // may be null: no rate limits and no revocation (tests)
  const PhotoStore* photos = nullptr;       // may be null: no photo endpoints
  PhotoVillages* photo_villages = nullptr;  // may be null: photos are not kept to their villages
  std::function<absl::Status()> readiness;  // /healthz; null: always ready
};

class GatewayServer final {
 public:
  GatewayServer(GatewayConfig config, GatewayDeps deps);
  ~GatewayServer();

  // Binds and starts serving on a background thread. UNAVAILABLE if the address can't be bound.
  absl::Status Start();
  int port() const { return port_; }
  // Stops accepting, lets requests in flight finish, joins the workers. Idempotent.
  void Stop();

 private:
  struct Exchange;
  void Register();
  void Serve(const httplib::Request& req, httplib::Response& res, const char* label,
             const std::function<void(Exchange&)>& body);
  // How a request comes in, which decides the token it needs and the address limit it counts on.
  enum class Entry {
    kSignIn,         // password or WeChat sign-in: no token; the tight sign-in limit
    kRefresh,        // no token (the refresh token is in the body); the general limit
    kAuthenticated,  // a valid bearer token; the general and the per-user limit
  };
  // Verifies the token and counts the request; false when a response (401, 429) has been sent.
  bool Admit(Exchange& ex, Entry entry);
  void Proxy(Exchange& ex);
  std::string ClientAddressOf(const httplib::Request& req) const;
  // A download route's answer: the response's bytes field as the body (http.proto).
  void ReplyDownload(Exchange& ex, const Route& route, const std::string& response);
  // The methods `path` answers to, in the order of an Allow header; empty for an unknown path.
  std::vector<std::string> AllowedMethods(absl::string_view path) const;
  // 405 with an Allow header, or 404 when the path is not served at all.
  void FailMethodNotAllowed(Exchange& ex);
  // A refusal that needs only the request's line and headers, decided before httplib reads the
  // body (set_pre_routing_handler): chunked or compressed bodies, a malformed Content-Length, a
  // body on a method that takes none, a body longer than the route takes.
  struct EarlyRefusal {
    HttpError error;
    std::string label;       // the route, for logs and metrics
    std::string reason;      // for the access log
    bool discardable = false;  // a known length httplib may read and throw away
  };
  std::optional<EarlyRefusal> RefusalBeforeBody(const httplib::Request& req) const;
  // The largest body `method` on `path` takes, and the route's label ("unmatched" when none).
  std::pair<size_t, std::string> BodyLimitOf(absl::string_view method,
                                             absl::string_view path) const;
  void AnswerRefusal(const httplib::Request& req, httplib::Response& res,
                     const EarlyRefusal& refusal);
  // The pre-routing handler: true when the request has been answered.
  bool BeforeBody(const httplib::Request& req, httplib::Response& res);
  void StaffLogin(Exchange& ex);
  void WeChatLogin(Exchange& ex);
  void Refresh(Exchange& ex);
  void Logout(Exchange& ex);
  void CreateInvitation(Exchange& ex);
  void CreateStaff(Exchange& ex);
  void ListBindings(Exchange& ex);
  void ReleaseBinding(Exchange& ex);
  // Puts the access tokens of sessions a change ended (a released or replaced WeChat binding, a
  // changed grid claim) on the revocation list. A failure is logged, not answered: the change is
  // committed and the sessions' refresh tokens are spent, so the tokens run out within their
  // lifetime (`what` says whose).
  void RevokeEndedTokens(const Exchange& ex, const std::vector<std::string>& access_token_ids,
                         absl::string_view what);
  void UploadPhoto(Exchange& ex);
  void GetPhoto(Exchange& ex);
  // Whether `photo_ref` was uploaded from a village of the calling town official's town, as the
  // registry (scoring, asked under the official's token) has the town's villages.
  absl::StatusOr<bool> PhotoInCallersTown(const Exchange& ex, const std::string& photo_ref);
  // A call to scoring's registry on the caller's behalf (their own token, so scoring's scope
  // check decides), for the account changes that depend on the roster.
  absl::StatusOr<std::string> CallRegistryAs(const Exchange& ex, absl::string_view method,
                                             const google::protobuf::Message& request);
  absl::Status CheckHouseholdMember(const Exchange& ex, int64_t household_id, int64_t member_id);
  // What the gateway itself does after a routed call succeeded, before answering: after scoring
  // named a grid's worker, the accounts follow (FollowGridWorker). UNAVAILABLE when they could not.
  absl::Status AfterCall(const Exchange& ex, const Route& route, const std::string& response);
  // The gateway's accounts follow the registry's new worker of `grid` (LoginService), and the
  // access tokens of the accounts that changed are revoked.
  absl::Status FollowGridWorker(const Exchange& ex, const RegisteredGrid& grid);

  // Verified tokens by their exact text, so a busy phone's token is checked once (ES256
  // verification costs more than the rest of a read). An entry lives until the token's own exp, at
  // most 5 min.
  absl::StatusOr<auth::Caller> VerifyToken(absl::string_view token);
  struct CachedCaller {
    auth::Caller caller;
    absl::Time expires;
  };
  absl::Mutex token_cache_mu_;
  absl::flat_hash_map<std::string, CachedCaller> token_cache_ ABSL_GUARDED_BY(token_cache_mu_);

  GatewayConfig config_;
  GatewayDeps deps_;
  std::string openapi_json_;
  // The gateway's own POST endpoints and the largest body each takes, registered by Register():
  // for 405's Allow and the refusal before reading a body.
  absl::flat_hash_map<std::string, size_t> own_post_body_max_;
  std::unique_ptr<StreamProxy> streams_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  bool stopped_ = false;
};

}  // namespace jifen::gateway
