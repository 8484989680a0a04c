// The service's own MariaDB account. The migrations grant it its privileges @'127.0.0.1' and
// @'localhost' (a service beside its database, as on the local stack). A deployment whose services
// connect from elsewhere (containers, other machines) names those hosts (--service_hosts), and the
// account on each of them is given exactly the privileges of the 127.0.0.1 one, again after every
// migration run, so that a migration's GRANT reaches every host without naming it.
#pragma once

#include <cppconn/connection.h>

#include <string>

#include "absl/status/status.h"

namespace jifen::migrate_tool {

// The hosts the migrations grant to themselves.
inline constexpr char kGrantedHost[] = "127.0.0.1";

// INVALID_ARGUMENT unless `host` is a MariaDB host pattern of letters, digits and . % _ : -
// (e.g. "%", "10.0.0.%", "scoring.internal"), at most 255 characters.
absl::Status CheckHostPattern(const std::string& host);

// Creates `user`@`host` with `password` if it does not exist (an existing account keeps its
// password).
absl::Status CreateServiceUser(sql::Connection& connection, const std::string& user,
                               const std::string& host, const std::string& password);

// Makes the privileges of `user`@`host` those of `user`@kGrantedHost: nothing happens when they
// already are; otherwise every privilege of `user`@`host` is revoked and the others granted.
absl::Status MirrorGrants(sql::Connection& connection, const std::string& user,
                          const std::string& host);

}  // namespace jifen::migrate_tool
