// Test helper: a fresh database on the fixture's MariaDB with a service's migrations applied and a
// service account holding only the grants those migrations give it.
#pragma once

#include <string>

#include "common/mysql/connection_pool.h"

namespace jifen::redemption::testing {

struct MigratedDatabase {
  std::string name;
  mysql::MySqlConfig admin;    // every privilege
  mysql::MySqlConfig service;  // the service account (grants from the migrations only)
};

// `migrations` relative to the source tree, e.g. "services/redemption/migrations". Aborts the
// test (fatal failure) when the database can't be prepared.
MigratedDatabase CreateMigratedDatabase(const std::string& suite, const std::string& migrations);

}  // namespace jifen::redemption::testing
