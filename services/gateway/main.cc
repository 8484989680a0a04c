// jifen-gateway: the only public entry. HTTP/1.1 + JSON to the mini-program and dashboards, gRPC to
// the services; sign-in, tokens, rate limits, photos, the OpenAPI description.
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/auth/token.h"
#include "common/config/config.h"
#include "common/config/service_flags.h"
#include "common/health/bounded_check.h"
#include "common/grpc/server_runner.h"
#include "common/grpc/service_setup.h"
#include "common/log/log.h"
#include "common/metrics/metrics.h"
#include "common/migrate/migrator.h"
#include "common/mysql/connection_pool.h"
#include "common/redis/redis_client.h"
#include "services/audit/client/audit_relay.h"
#include "services/gateway/auth/login_service.h"
#include "services/gateway/auth/wechat_client.h"
#include "services/gateway/http/backends.h"
#include "services/gateway/http/route_table.h"
#include "services/gateway/http/server.h"
#include "services/gateway/storage/mysql_account_store.h"
#include "services/gateway/storage/photo_store.h"
#include "services/gateway/storage/photo_villages.h"
#include "services/gateway/storage/throttle.h"

ABSL_FLAG(std::string, token_private_key, "", "PEM file with the ES256 key that signs tokens");
ABSL_FLAG(std::string, scoring_address, "", "host:port of jifen-scoring");
ABSL_FLAG(std::string, publicity_address, "", "host:port of jifen-publicity");
ABSL_FLAG(std::string, redemption_address, "", "host:port of jifen-redemption");
ABSL_FLAG(std::string, audit_address, "",
          "host:port of jifen-audit: the backend of the /v1/audit routes, and where the relay "
          "delivers the audit records of account changes (needs --service_token_file); empty "
          "keeps those records in the outbox until it is set");
ABSL_FLAG(std::string, extra_backends, "",
          "more backends as name=host:port,...; `name` is <service> of package jifen.<service>.v1");
ABSL_FLAG(absl::Duration, backend_timeout, absl::Seconds(5), "deadline of every backend call");
ABSL_FLAG(int, http_threads, 64, "HTTP worker threads (= concurrent keep-alive connections)");
ABSL_FLAG(int, max_json_body_bytes, 256 << 10, "largest JSON request body");
ABSL_FLAG(int, max_streams, 0,
          "event streams (server-streaming routes) open at once, each holding an HTTP worker "
          "thread; one more gets 503 TOO_MANY_STREAMS. 0: a quarter of --http_threads");
ABSL_FLAG(int, max_streams_per_caller, 3,
          "event streams (board watches) one signed-in account may hold open at once");
ABSL_FLAG(absl::Duration, stream_heartbeat, absl::Seconds(15),
          "a comment line on an event stream after this long without a write (proxies, NAT)");
ABSL_FLAG(absl::Duration, stream_max_duration, absl::Minutes(10),
          "an event stream ends cleanly after this long; the client reconnects");
ABSL_FLAG(std::string, cors_origins, "", "comma-separated origins allowed by CORS (dashboards)");
ABSL_FLAG(std::string, wechat_api_base, "https://api.weixin.qq.com",
          "scheme://host[:port] of WeChat's API (code2Session)");
ABSL_FLAG(std::string, wechat_app_id, "", "the mini-program's AppID");
ABSL_FLAG(std::string, wechat_app_secret_file, "",
          "file holding the mini-program's AppSecret (never a flag value: flags show in ps)");
ABSL_FLAG(std::string, photo_dir, "", "folder where uploaded photos are stored (must exist)");
ABSL_FLAG(int, photo_max_bytes, 8 << 20, "largest photo upload");
ABSL_FLAG(int, rate_per_user_per_minute, 600, "requests per signed-in caller per minute");
ABSL_FLAG(int, rate_per_address_per_minute, 1200, "requests per client address per minute");
ABSL_FLAG(int, login_rate_per_address_per_minute, 30, "sign-in attempts per address per minute");
ABSL_FLAG(std::string, trusted_proxies, "",
          "comma-separated addresses or CIDR ranges of the proxies in front (the TLS terminator) "
          "whose X-Forwarded-For names the client; empty: the peer is the client");
ABSL_FLAG(std::string, redis_prefix, "gw:", "prefix of the gateway's Redis keys");
ABSL_FLAG(absl::Duration, access_token_ttl, absl::Minutes(15), "lifetime of access tokens");
ABSL_FLAG(absl::Duration, refresh_token_ttl, absl::Hours(24 * 30), "lifetime of refresh tokens");
ABSL_FLAG(absl::Duration, refresh_reuse_grace, absl::Seconds(10),
          "a spent refresh token presented again later than this after it was spent is a replay "
          "and ends its session; sooner it is refused only (a parallel refresh of one phone)");
ABSL_FLAG(int, max_failed_logins, 5, "consecutive wrong passwords before a staff lockout");
ABSL_FLAG(absl::Duration, lockout, absl::Minutes(15), "how long a staff lockout lasts");
ABSL_FLAG(std::string, password_cost, "interactive",
          "Argon2id cost of new password hashes: interactive or minimum (tests only)");
ABSL_FLAG(std::string, migrations_dir, "",
          "when set, the gateway applies its schema migrations from this folder at start");
ABSL_FLAG(std::string, bootstrap_admin_username, "",
          "creates this district_official account at start unless it exists");
ABSL_FLAG(std::string, bootstrap_admin_password_file, "",
          "file holding the bootstrap account's password");

namespace {

using namespace jifen;  // NOLINT: main wires everything together.

std::string ReadSecretFile(const std::string& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return std::string(absl::StripTrailingAsciiWhitespace(text));
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    out.emplace_back(absl::StripAsciiWhitespace(item));
  }
  return out;
}

int Run(int argc, char** argv) {
  grpc_util::BlockTerminationSignals();
  config::ParseFlagsAndEnvironment(argc, argv, "jifen-gateway: HTTP/JSON API gateway");
  const config::ServiceFlags flags = config::ReadServiceFlags();
  config::Validator validator;
  config::ValidateServiceFlags(flags, /*needs_redis=*/true, validator);
  validator.RequireReadableFile("token_private_key", absl::GetFlag(FLAGS_token_private_key));
  validator.RequireDirectory("photo_dir", absl::GetFlag(FLAGS_photo_dir));
  validator.RequireRange("http_threads", absl::GetFlag(FLAGS_http_threads), 2, 4096);
  validator.RequireRange("photo_max_bytes", absl::GetFlag(FLAGS_photo_max_bytes), 1024, 64 << 20);
  validator.RequireRange("max_json_body_bytes", absl::GetFlag(FLAGS_max_json_body_bytes), 1024,
                         16 << 20);
  // Streams must leave workers for ordinary requests.
  validator.RequireRange("max_streams", absl::GetFlag(FLAGS_max_streams), 0,
                         absl::GetFlag(FLAGS_http_threads) - 1);
  validator.RequireRange("max_streams_per_caller", absl::GetFlag(FLAGS_max_streams_per_caller), 1,
                         4096);
  validator.RequireRange("stream_heartbeat (ms)",
                         absl::ToInt64Milliseconds(absl::GetFlag(FLAGS_stream_heartbeat)), 100,
                         300'000);
  validator.RequireRange("stream_max_duration (s)",
                         absl::ToInt64Seconds(absl::GetFlag(FLAGS_stream_max_duration)), 1,
                         24 * 3600);
  if (!absl::GetFlag(FLAGS_wechat_app_secret_file).empty()) {
    validator.RequireReadableFile("wechat_app_secret_file",
                                  absl::GetFlag(FLAGS_wechat_app_secret_file));
  }
  absl::StatusOr<gateway::TrustedProxies> trusted_proxies =
      gateway::TrustedProxies::Parse(absl::GetFlag(FLAGS_trusted_proxies));
  if (!trusted_proxies.ok()) {
    validator.Add(absl::InvalidArgumentError(
        absl::StrCat("--trusted_proxies: ", trusted_proxies.status().message())));
  }
  const std::string cost_name = absl::GetFlag(FLAGS_password_cost);
  if (cost_name != "interactive" && cost_name != "minimum") {
    validator.Add(absl::InvalidArgumentError("--password_cost must be interactive or minimum"));
  }
  std::map<std::string, std::string> backends = {
      {"scoring", absl::GetFlag(FLAGS_scoring_address)},
      {"publicity", absl::GetFlag(FLAGS_publicity_address)},
      {"redemption", absl::GetFlag(FLAGS_redemption_address)},
      {"audit", absl::GetFlag(FLAGS_audit_address)}};
  for (const std::string& item : SplitList(absl::GetFlag(FLAGS_extra_backends))) {
    std::pair<std::string, std::string> kv = absl::StrSplit(item, absl::MaxSplits('=', 1));
    if (kv.first.empty() || kv.second.empty()) {
      validator.Add(absl::InvalidArgumentError("--extra_backends: want name=host:port,..."));
      continue;
    }
    backends[kv.first] = kv.second;
  }
  for (const auto& [name, address] : backends) {
    if (!address.empty()) validator.RequireHostPort(absl::StrCat(name, "_address"), address);
  }
  const std::string audit_address = absl::GetFlag(FLAGS_audit_address);
  if (!audit_address.empty()) {
    // The relay presents the gateway's own service identity (subject "gateway") to jifen-audit.
    validator.RequireReadableFile("service_token_file", flags.service_token_file);
  }
  const std::string listen = flags.listen;
  const size_t colon = listen.rfind(':');
  int listen_port = -1;
  if (colon == std::string::npos || !absl::SimpleAtoi(listen.substr(colon + 1), &listen_port)) {
    validator.Add(absl::InvalidArgumentError("--listen must be host:port"));
  }
  validator.ExitIfInvalid();

  log::SetServiceName("gateway");
  if (absl::Status level = log::SetMinLevel(flags.log_level); !level.ok()) {
    validator.Add(level);
    validator.ExitIfInvalid();
  }
  auto verifier = auth::TokenVerifier::FromPublicKeyFile(flags.token_public_key, {});
  auto signer = auth::TokenSigner::FromPrivateKeyFile(absl::GetFlag(FLAGS_token_private_key), {});
  if (!verifier.ok()) validator.Add(verifier.status());
  if (!signer.ok()) validator.Add(signer.status());
  validator.ExitIfInvalid();

  absl::StatusOr<gateway::RouteTable> routes = gateway::RouteTable::FromGeneratedPool();
  if (!routes.ok()) {
    log::Error("cannot build routes", {{"error", routes.status().ToString()}});
    return 1;
  }
  for (const std::string& problem : routes->problems()) {
    log::Error("route left out", {{"problem", problem}});
  }
  std::map<std::string, int> unserved;
  for (const gateway::Route& route : routes->routes()) {
    if (backends[route.backend].empty()) ++unserved[route.backend];
  }
  for (const auto& [backend, count] : unserved) {
    log::Warning("no address for a routed backend: its routes answer 503",
                 {{"backend", backend}, {"routes", absl::StrCat(count)}});
  }

  mysql::ConnectionPool pool(grpc_util::MySqlConfigFrom(flags));
  if (const std::string dir = absl::GetFlag(FLAGS_migrations_dir); !dir.empty()) {
    // Development and tests: the gateway's own account runs the DDL (so it needs the rights);
    // production applies migrations with jifen-migrate and an admin account.
    auto applied = migrate::ApplyMigrations(pool, dir, {{"SERVICE_USER", flags.mysql_user}});
    if (!applied.ok()) {
      log::Error("migrations failed", {{"error", applied.status().ToString()}});
      return 1;
    }
  }

  // Account changes write their audit records into the outbox in their own transactions; the relay
  // delivers them to jifen-audit, and retries while it is unreachable.
  std::unique_ptr<audit::AuditRelay> audit_relay;
  if (!audit_address.empty()) {
    auto started = audit::AuditRelay::Start(pool, audit_address, flags.service_token_file);
    if (!started.ok()) {
      log::Error("cannot start the audit relay", {{"error", started.status().ToString()}});
      return 1;
    }
    audit_relay = *std::move(started);
  } else {
    log::Warning("no --audit_address: audit records of account changes stay in the outbox");
  }

  redis::RedisConfig redis_config;
  redis_config.host = flags.redis_host;
  redis_config.port = flags.redis_port;
  redis_config.pool_size = 16;
  redis_config.command_timeout = absl::Milliseconds(500);
  redis::RedisPool redis_pool(redis_config);
  gateway::RedisThrottle throttle(&redis_pool, absl::GetFlag(FLAGS_redis_prefix));

  gateway::WeChatConfig wechat_config;
  wechat_config.api_base = absl::GetFlag(FLAGS_wechat_api_base);
  wechat_config.app_id = absl::GetFlag(FLAGS_wechat_app_id);
  if (!absl::GetFlag(FLAGS_wechat_app_secret_file).empty()) {
    wechat_config.app_secret = ReadSecretFile(absl::GetFlag(FLAGS_wechat_app_secret_file));
  }
  gateway::HttpWeChatClient wechat(wechat_config);

  gateway::MySqlAccountStore accounts(&pool);
  gateway::LoginOptions login_options;
  login_options.access_token_ttl = absl::GetFlag(FLAGS_access_token_ttl);
  login_options.refresh_token_ttl = absl::GetFlag(FLAGS_refresh_token_ttl);
  login_options.refresh_reuse_grace = absl::GetFlag(FLAGS_refresh_reuse_grace);
  login_options.max_failed_logins = absl::GetFlag(FLAGS_max_failed_logins);
  login_options.lockout = absl::GetFlag(FLAGS_lockout);
  if (cost_name == "minimum") login_options.password_cost = gateway::PasswordCost::Minimum();
  gateway::LoginService login(&accounts, signer->get(), &wechat, login_options,
                              [] { return absl::Now(); });
  if (const std::string admin = absl::GetFlag(FLAGS_bootstrap_admin_username); !admin.empty()) {
    gateway::NewStaff staff;
    staff.username = admin;
    staff.password = ReadSecretFile(absl::GetFlag(FLAGS_bootstrap_admin_password_file));
    staff.role = "district_official";
    if (absl::Status s = login.EnsureStaff(staff); !s.ok()) {
      log::Error("bootstrap account failed", {{"error", s.ToString()}});
      return 1;
    }
  }

  gateway::Backends backend_channels(backends, flags.max_message_bytes);
  gateway::PhotoStore photos(absl::GetFlag(FLAGS_photo_dir), absl::GetFlag(FLAGS_photo_max_bytes));
  gateway::MySqlPhotoVillages photo_villages(&pool);

  std::unique_ptr<metrics::MetricsServer> metrics_server;
  if (!flags.metrics_listen.empty()) {
    auto started = metrics::MetricsServer::Start(flags.metrics_listen);
    if (!started.ok()) {
      log::Error("cannot serve metrics", {{"error", started.status().ToString()}});
      return 1;
    }
    metrics_server = *std::move(started);
  }

  gateway::GatewayConfig config;
  config.listen_host = listen.substr(0, colon);
  config.listen_port = listen_port;
  config.http_threads = absl::GetFlag(FLAGS_http_threads);
  config.max_json_body_bytes = absl::GetFlag(FLAGS_max_json_body_bytes);
  config.backend_timeout = absl::GetFlag(FLAGS_backend_timeout);
  config.cors_origins = SplitList(absl::GetFlag(FLAGS_cors_origins));
  config.rate_per_user_per_minute = absl::GetFlag(FLAGS_rate_per_user_per_minute);
  config.rate_per_address_per_minute = absl::GetFlag(FLAGS_rate_per_address_per_minute);
  config.login_rate_per_address_per_minute = absl::GetFlag(FLAGS_login_rate_per_address_per_minute);
  config.trusted_proxies = *trusted_proxies;
  config.access_token_ttl = login_options.access_token_ttl;
  config.streams.max_streams = absl::GetFlag(FLAGS_max_streams);
  config.streams.max_streams_per_caller = absl::GetFlag(FLAGS_max_streams_per_caller);
  config.streams.heartbeat = absl::GetFlag(FLAGS_stream_heartbeat);
  config.streams.max_duration = absl::GetFlag(FLAGS_stream_max_duration);
  gateway::GatewayDeps deps;
  deps.routes = &*routes;
  deps.backends = &backend_channels;
  deps.verifier = verifier->get();
  deps.login = &login;
  deps.throttle = &throttle;
  deps.photos = &photos;
  deps.photo_villages = &photo_villages;
  // /healthz answers within 3 s even while MariaDB hangs (health::BoundedCheck).
  health::BoundedCheck readiness([&pool] { return pool.Ping(); }, absl::Seconds(3));
  deps.readiness = [&readiness] { return readiness.Check(); };
  gateway::GatewayServer server(config, deps);
  if (absl::Status started = server.Start(); !started.ok()) {
    log::Error("cannot start", {{"error", started.ToString()}});
    return 1;
  }
  if (absl::Status written = grpc_util::WritePortFile(flags.port_file, server.port());
      !written.ok()) {
    log::Error("cannot write the port file", {{"error", written.ToString()}});
    return 1;
  }
  log::Info("serving", {{"port", absl::StrCat(server.port())},
                        {"routes", absl::StrCat(routes->routes().size())}});
  const int signal = grpc_util::WaitForTerminationSignal();
  log::Info("stopping", {{"signal", absl::StrCat(signal)}});
  server.Stop();
  log::Info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
