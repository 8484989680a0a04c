#include "services/redemption/storage/test_database.h"

#include "tests/support/service_database.h"

namespace jifen::redemption::testing {

MigratedDatabase CreateMigratedDatabase(const std::string& suite, const std::string& migrations) {
  const jifen::testing::ServiceDatabase schema =
      jifen::testing::CreateServiceDatabase(suite, migrations);
  MigratedDatabase db;
  db.name = schema.database;
  db.admin = schema.AdminConfig();
  db.service = schema.ServiceConfig(/*pool_size=*/64);
  return db;
}

}  // namespace jifen::redemption::testing
