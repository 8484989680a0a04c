// The settings every Jifen process shares. Each service's main reads these plus its own flags.
#pragma once

#include <string>

#include "absl/flags/declare.h"
#include "absl/time/time.h"
#include "common/config/config.h"

namespace jifen::config {

struct ServiceFlags {
  std::string listen;            // gRPC (or HTTP for the gateway) host:port; port 0 picks one
  std::string metrics_listen;    // Prometheus /metrics host:port; empty disables
  std::string port_file;         // when set, the bound port is written here once serving
  std::string mysql_host;
  int mysql_port = 0;
  std::string mysql_user;
  std::string mysql_password;
  std::string mysql_database;
  int mysql_pool_size = 0;
  absl::Duration mysql_io_timeout;
  std::string redis_host;
  int redis_port = 0;
  std::string token_public_key;    // PEM file of the gateway's token signing key
  std::string service_token_file;  // this service's own identity token, for calls it makes
  std::string log_level;
  absl::Duration drain_timeout;    // graceful stop: how long calls in flight may still run
  int max_concurrent_streams = 0;
  int max_message_bytes = 0;
  int handler_threads = 0;         // sync-server threads: blocking MySQL work runs on these
  int idle_handler_threads = 0;    // of those, kept alive while waiting for calls
};

// Reads the flags (after config::ParseFlagsAndEnvironment).
ServiceFlags ReadServiceFlags();

// Adds a problem for every missing or out-of-range shared setting this process needs.
void ValidateServiceFlags(const ServiceFlags& flags, bool needs_redis, Validator& validator);

}  // namespace jifen::config
