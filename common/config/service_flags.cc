#include "common/config/service_flags.h"

#include <string>

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0", "host:port to serve on; port 0 picks a free one");
ABSL_FLAG(std::string, metrics_listen, "", "host:port for Prometheus /metrics; empty disables");
ABSL_FLAG(std::string, port_file, "",
          "file to write the bound port to once serving (for tests and the stack runner)");
ABSL_FLAG(std::string, mysql_host, "127.0.0.1", "MariaDB host");
ABSL_FLAG(int, mysql_port, 3306, "MariaDB port");
ABSL_FLAG(std::string, mysql_user, "", "MariaDB account of this service");
ABSL_FLAG(std::string, mysql_password, "", "password of that account");
ABSL_FLAG(std::string, mysql_database, "", "this service's own schema");
ABSL_FLAG(int, mysql_pool_size, 32, "MariaDB connections at most");
ABSL_FLAG(absl::Duration, mysql_io_timeout, absl::Seconds(30),
          "how long a statement may wait on MariaDB before its connection counts as broken");
ABSL_FLAG(std::string, redis_host, "127.0.0.1", "Redis host");
ABSL_FLAG(int, redis_port, 6379, "Redis port");
ABSL_FLAG(std::string, token_public_key, "", "PEM file with the public key that verifies tokens");
ABSL_FLAG(std::string, service_token_file, "",
          "file holding this service's identity token for the calls it makes to other services");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warning or error");
ABSL_FLAG(absl::Duration, drain_timeout, absl::Seconds(10),
          "on SIGTERM, how long calls in flight may finish before the process exits");
ABSL_FLAG(int, max_concurrent_streams, 200, "HTTP/2 streams per connection at most");
ABSL_FLAG(int, max_message_bytes, 4 << 20, "largest request or response message");
ABSL_FLAG(int, handler_threads, 256,
          "threads that may run handlers at once (they block on MariaDB); more calls than this are "
          "refused with RESOURCE_EXHAUSTED");
ABSL_FLAG(int, idle_handler_threads, 64,
          "handler threads kept waiting for calls between bursts (gRPC's MAX_POLLERS); fewer make "
          "gRPC start and end a thread for most calls under load");

namespace jifen::config {

ServiceFlags ReadServiceFlags() {
  ServiceFlags flags;
  flags.listen = absl::GetFlag(FLAGS_listen);
  flags.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  flags.port_file = absl::GetFlag(FLAGS_port_file);
  flags.mysql_host = absl::GetFlag(FLAGS_mysql_host);
  flags.mysql_port = absl::GetFlag(FLAGS_mysql_port);
  flags.mysql_user = absl::GetFlag(FLAGS_mysql_user);
  flags.mysql_password = absl::GetFlag(FLAGS_mysql_password);
  flags.mysql_database = absl::GetFlag(FLAGS_mysql_database);
  flags.mysql_pool_size = absl::GetFlag(FLAGS_mysql_pool_size);
  flags.mysql_io_timeout = absl::GetFlag(FLAGS_mysql_io_timeout);
  flags.redis_host = absl::GetFlag(FLAGS_redis_host);
  flags.redis_port = absl::GetFlag(FLAGS_redis_port);
  flags.token_public_key = absl::GetFlag(FLAGS_token_public_key);
  flags.service_token_file = absl::GetFlag(FLAGS_service_token_file);
  flags.log_level = absl::GetFlag(FLAGS_log_level);
  flags.drain_timeout = absl::GetFlag(FLAGS_drain_timeout);
  flags.max_concurrent_streams = absl::GetFlag(FLAGS_max_concurrent_streams);
  flags.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  flags.handler_threads = absl::GetFlag(FLAGS_handler_threads);
  flags.idle_handler_threads = absl::GetFlag(FLAGS_idle_handler_threads);
  return flags;
}

void ValidateServiceFlags(const ServiceFlags& flags, bool needs_redis, Validator& validator) {
  validator.RequireHostPort("listen", flags.listen);
  if (!flags.metrics_listen.empty()) validator.RequireHostPort("metrics_listen", flags.metrics_listen);
  validator.RequireNonEmpty("mysql_host", flags.mysql_host);
  validator.RequirePort("mysql_port", flags.mysql_port);
  validator.RequireNonEmpty("mysql_user", flags.mysql_user);
  validator.RequireNonEmpty("mysql_database", flags.mysql_database);
  validator.RequireRange("mysql_pool_size", flags.mysql_pool_size, 1, 512);
  // In whole seconds, as the driver takes it.
  validator.RequireRange("mysql_io_timeout",
                         absl::ToInt64Seconds(flags.mysql_io_timeout), 1, 24 * 3600);
  if (needs_redis) {
    validator.RequireNonEmpty("redis_host", flags.redis_host);
    validator.RequirePort("redis_port", flags.redis_port);
  }
  validator.RequireReadableFile("token_public_key", flags.token_public_key);
  if (!flags.service_token_file.empty()) {
    validator.RequireReadableFile("service_token_file", flags.service_token_file);
  }
  validator.RequireRange("drain_timeout (seconds)", absl::ToInt64Seconds(flags.drain_timeout), 0,
                         600);
  validator.RequireRange("max_concurrent_streams", flags.max_concurrent_streams, 1, 100000);
  validator.RequireRange("max_message_bytes", flags.max_message_bytes, 1024, 64 << 20);
  validator.RequireRange("handler_threads", flags.handler_threads, 1, 1024);
  validator.RequireRange("idle_handler_threads", flags.idle_handler_threads, 1, 1024);
}

}  // namespace jifen::config
