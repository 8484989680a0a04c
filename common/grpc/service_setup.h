// The shared settings of every service's main, turned into the objects that use them.
#pragma once

#include <string>

#include "common/config/service_flags.h"
#include "common/grpc/server_runner.h"
#include "common/mysql/connection_pool.h"

namespace jifen::grpc_util {

mysql::MySqlConfig MySqlConfigFrom(const config::ServiceFlags& flags);
ServerOptions ServerOptionsFrom(std::string service_name, const config::ServiceFlags& flags);

}  // namespace jifen::grpc_util
