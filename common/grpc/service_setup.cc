#include "common/grpc/service_setup.h"

namespace jifen::grpc_util {

mysql::MySqlConfig MySqlConfigFrom(const config::ServiceFlags& flags) {
  mysql::MySqlConfig config;
  config.host = flags.mysql_host;
  config.port = flags.mysql_port;
  config.user = flags.mysql_user;
  config.password = flags.mysql_password;
  config.database = flags.mysql_database;
  config.pool_size = flags.mysql_pool_size;
  config.io_timeout = flags.mysql_io_timeout;
  return config;
}

ServerOptions ServerOptionsFrom(std::string service_name, const config::ServiceFlags& flags) {
  ServerOptions options;
  options.service_name = std::move(service_name);
  options.listen_address = flags.listen;
  options.max_message_bytes = flags.max_message_bytes;
  options.max_concurrent_streams = flags.max_concurrent_streams;
  options.handler_threads = flags.handler_threads;
  options.idle_handler_threads = flags.idle_handler_threads;
  options.drain_timeout = flags.drain_timeout;
  return options;
}

}  // namespace jifen::grpc_util
