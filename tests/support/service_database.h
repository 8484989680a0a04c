// A service's schema for a test: a fresh database, the service's own restricted account (what the
// migrations grant to), and the service's migrations applied, as jifen-migrate does in production.
#pragma once

#include <string>
#include <vector>

#include "common/mysql/connection_pool.h"

namespace jifen::testing {

struct ServiceDatabase {
  std::string database;
  std::string user;  // the service's account: only what its migrations grant
  std::string password;

  // A config for the service's account on the test server (pool_size as given).
  mysql::MySqlConfig ServiceConfig(int pool_size = 8) const;
  // A config for the test server's admin account on this database.
  mysql::MySqlConfig AdminConfig(int pool_size = 4) const;
  // The --mysql_* flags of a service process on this database, as its own account.
  std::vector<std::string> MySqlFlags() const;
};

// A config for the test server's admin account on `database` (any schema, e.g. a scratch one).
mysql::MySqlConfig AdminConfigFor(const std::string& database, int pool_size = 4);

// Creates the database for `suite` (CreateFreshDatabase), the account and applies the migrations
// in `migrations_folder` (relative to the source tree, e.g. "services/publicity/migrations", or an
// absolute path, e.g. a test's own schema written under TempDir).
// Fails the current test (ADD_FAILURE) and returns what it has on error; check
// ::testing::Test::HasFatalFailure() or the test's later assertions.
ServiceDatabase CreateServiceDatabase(const std::string& suite,
                                      const std::string& migrations_folder);

}  // namespace jifen::testing
