// Orders per second through the redemption service's own code (domain rules + MySqlStoreRepository
// + the pool, with an in-process wallet that always pays) against the same SQL statements run raw
// through Connector/C++ (one connection per thread, statements prepared once), in the same run, on
// the same server. Two workloads: orders spread over many items, and every order on one hot item.
// The wallet call to scoring is left out of both: it is the same gRPC call either way.
//
//   build-redemption/services/redemption/redemption-bench --mysql_port=PORT --mysql_user=U \
//       --mysql_password=P [--threads=16] [--orders=4000] [--items=1000]
//
// It creates (and drops at the end) a database named by --database.
#include <cppconn/connection.h>
#include <cppconn/driver.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/migrate/migrator.h"
#include "common/mysql/connection_pool.h"
#include "common/mysql/transaction.h"
#include "services/redemption/domain/redemption_service.h"
#include "services/redemption/storage/mysql_store_repository.h"

ABSL_FLAG(std::string, mysql_host, "127.0.0.1", "MariaDB host");
ABSL_FLAG(int, mysql_port, 3306, "MariaDB port");
ABSL_FLAG(std::string, mysql_user, "root", "an account that may create databases");
ABSL_FLAG(std::string, mysql_password, "", "its password");
ABSL_FLAG(std::string, database, "redemption_bench", "scratch database (dropped and recreated)");
ABSL_FLAG(std::string, migrations, "services/redemption/migrations", "the migrations folder");
ABSL_FLAG(int, threads, 16, "concurrent clients");
ABSL_FLAG(int, orders, 4000, "orders per measurement");
ABSL_FLAG(int, items, 1000, "items in the spread-out workload");

namespace jifen::redemption {
namespace {

constexpr int64_t kVillage = 1;

class InstantWallet final : public WalletClient {
 public:
  absl::StatusOr<DebitResult> Debit(int64_t, int64_t, const std::string&,
                                    const std::string&) override {
    return DebitResult{1000000, 1};
  }
  absl::Status Refund(const std::string&, const std::string&) override {
    return absl::OkStatus();
  }
};

class WallClock final : public Clock {
 public:
  int64_t NowMs() override { return absl::ToUnixMillis(absl::Now()); }
};

mysql::MySqlConfig Config(const std::string& database, int pool_size) {
  mysql::MySqlConfig config;
  config.host = absl::GetFlag(FLAGS_mysql_host);
  config.port = absl::GetFlag(FLAGS_mysql_port);
  config.user = absl::GetFlag(FLAGS_mysql_user);
  config.password = absl::GetFlag(FLAGS_mysql_password);
  config.database = database;
  config.pool_size = pool_size;
  return config;
}

void Execute(mysql::ConnectionPool& pool, const std::string& sql) {
  const absl::Status status = mysql::RunWithConnection(pool, [&](sql::Connection& c) {
    std::unique_ptr<sql::Statement>(c.createStatement())->execute(sql);
    return absl::OkStatus();
  });
  if (!status.ok()) {
    std::fprintf(stderr, "%s: %s\n", sql.c_str(), status.ToString().c_str());
    std::exit(1);
  }
}

// Creates `count` items with plenty of stock; returns their ids.
std::vector<int64_t> CreateItems(StoreRepository& repository, int count) {
  std::vector<int64_t> ids;
  for (int i = 0; i < count; ++i) {
    StoreItem item;
    item.village_id = kVillage;
    item.name = absl::StrCat("item ", i);
    item.price_points = 10;
    item.stock = 1000000;
    item.value_fen = 500;
    item.created_at_ms = item.updated_at_ms = absl::ToUnixMillis(absl::Now());
    absl::StatusOr<StoreItem> created = repository.CreateItem(item, {"bench", "village_admin"});
    if (!created.ok()) {
      std::fprintf(stderr, "create item: %s\n", created.status().ToString().c_str());
      std::exit(1);
    }
    ids.push_back(created->item_id);
  }
  return ids;
}

// Runs `orders` orders on `threads` threads; `place(thread, n)` places order n. Returns orders/s.
template <typename Place>
double Measure(int threads, int orders, Place place) {
  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  const absl::Time start = absl::Now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int n = next++; n < orders; n = next++) {
        if (!place(t, n)) ++failures;
      }
    });
  }
  for (std::thread& w : workers) w.join();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  if (failures > 0) std::fprintf(stderr, "  %d orders failed\n", failures.load());
  return orders / seconds;
}

// The service path: rules, repository, pool, transactions, audit records.
double MeasureService(RedemptionService& service, const std::vector<int64_t>& items,
                      const std::string& run, int threads, int orders) {
  return Measure(threads, orders, [&](int t, int n) {
    thread_local absl::BitGen bits;
    const int64_t item = items[absl::Uniform<size_t>(bits, 0, items.size())];
    const int64_t household = 1 + n;
    auth::Caller caller;
    caller.user_id = absl::StrCat("bench-", household);
    caller.role = auth::Role::kResident;
    caller.village_id = kVillage;
    caller.household_id = household;
    absl::StatusOr<Order> order =
        service.PlaceOrder(caller, {absl::StrCat(run, "-", n), kVillage, household, item, 1});
    if (!order.ok()) std::fprintf(stderr, "  %s\n", order.status().ToString().c_str());
    return order.ok();
  });
}

// The same statements, raw: one connection per thread, prepared once.
class RawClient {
 public:
  explicit RawClient(const mysql::MySqlConfig& config) {
    sql::ConnectOptionsMap options;
    options["hostName"] = sql::SQLString(absl::StrCat("tcp://", config.host, ":", config.port));
    options["userName"] = sql::SQLString(config.user);
    options["password"] = sql::SQLString(config.password);
    options["schema"] = sql::SQLString(config.database);
    connection_.reset(get_driver_instance()->connect(options));
    std::unique_ptr<sql::Statement>(connection_->createStatement())
        ->execute("SET time_zone = '+08:00'");
    find_order_.reset(connection_->prepareStatement(
        "SELECT village_id, order_id, household_id, item_id, item_name, quantity, price_points,"
        " total_points, value_fen, funding_source_id, status, COALESCE(pickup_code, ''),"
        " status_reason, wallet_balance_points, limit_period_key, ordered_by_user_id,"
        " created_at_ms, confirmed_at_ms, fulfilled_at_ms, fulfilled_by_user_id, cancelled_at_ms,"
        " updated_at_ms FROM orders WHERE order_id = ?"));
    get_item_.reset(connection_->prepareStatement(
        "SELECT village_id, item_id, name, description, photo_ref, price_points, stock, value_fen,"
        " funding_source_id, on_sale_from_ms, on_sale_until_ms, limit_per_household,"
        " limit_period, active, created_at_ms, updated_at_ms FROM store_items"
        " WHERE village_id = ? AND item_id = ?"));
    take_stock_.reset(connection_->prepareStatement(
        "UPDATE store_items SET stock = stock - ? WHERE village_id = ? AND item_id = ?"
        " AND stock >= ?"));
    insert_order_.reset(connection_->prepareStatement(
        "INSERT INTO orders (village_id, order_id, household_id, item_id, item_name, quantity,"
        " price_points, total_points, value_fen, funding_source_id, status, limit_period_key,"
        " ordered_by_user_id, created_at_ms, updated_at_ms)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)"));
    confirm_.reset(connection_->prepareStatement(
        "UPDATE orders SET status = 2, pickup_code = ?, wallet_balance_points = ?,"
        " confirmed_at_ms = ?, updated_at_ms = ? WHERE order_id = ? AND status = 1"));
    outbox_.reset(connection_->prepareStatement(
        "INSERT INTO outbox (village_id, topic, payload, created_at) VALUES (?, ?, ?, NOW(6))"));
    statement_.reset(connection_->createStatement());
  }

  bool Place(int64_t item, int64_t household, const std::string& order_id) {
    try {
      const int64_t now_ms = absl::ToUnixMillis(absl::Now());
      find_order_->setString(1, order_id);
      std::unique_ptr<sql::ResultSet>(find_order_->executeQuery())->next();
      get_item_->setInt64(1, kVillage);
      get_item_->setInt64(2, item);
      std::string name;
      {
        std::unique_ptr<sql::ResultSet> rows(get_item_->executeQuery());
        if (!rows->next()) return false;
        name = rows->getString(3);
      }
      statement_->execute("START TRANSACTION");
      take_stock_->setInt(1, 1);
      take_stock_->setInt64(2, kVillage);
      take_stock_->setInt64(3, item);
      take_stock_->setInt(4, 1);
      if (take_stock_->executeUpdate() != 1) {
        statement_->execute("ROLLBACK");
        return false;
      }
      insert_order_->setInt64(1, kVillage);
      insert_order_->setString(2, order_id);
      insert_order_->setInt64(3, household);
      insert_order_->setInt64(4, item);
      insert_order_->setString(5, name);
      insert_order_->setInt(6, 1);
      insert_order_->setInt64(7, 10);
      insert_order_->setInt64(8, 10);
      insert_order_->setInt64(9, 500);
      insert_order_->setInt64(10, 0);
      insert_order_->setString(11, "2026Q1");
      insert_order_->setString(12, "bench");
      insert_order_->setInt64(13, now_ms);
      insert_order_->setInt64(14, now_ms);
      insert_order_->executeUpdate();
      Audit();
      statement_->execute("COMMIT");
      statement_->execute("START TRANSACTION");
      confirm_->setString(1, absl::StrCat(100000 + household % 900000));
      confirm_->setInt64(2, 1000000);
      confirm_->setInt64(3, now_ms);
      confirm_->setInt64(4, now_ms);
      confirm_->setString(5, order_id);
      confirm_->executeUpdate();
      find_order_->setString(1, order_id);
      std::unique_ptr<sql::ResultSet>(find_order_->executeQuery())->next();
      Audit();
      statement_->execute("COMMIT");
      return true;
    } catch (const sql::SQLException& e) {
      std::fprintf(stderr, "  raw: %s (%d)\n", e.what(), e.getErrorCode());
      try {
        statement_->execute("ROLLBACK");
      } catch (const sql::SQLException&) {
      }
      return false;
    }
  }

 private:
  void Audit() {
    // About the size of a serialized AuditEvent of an order.
    static const std::string payload(260, 'x');
    std::istringstream stream(payload);
    outbox_->setInt64(1, kVillage);
    outbox_->setString(2, "audit");
    outbox_->setBlob(3, &stream);
    outbox_->executeUpdate();
  }

  std::unique_ptr<sql::Connection> connection_;
  std::unique_ptr<sql::PreparedStatement> find_order_, get_item_, take_stock_, insert_order_,
      confirm_, outbox_;
  std::unique_ptr<sql::Statement> statement_;
};

double MeasureRaw(const mysql::MySqlConfig& config, const std::vector<int64_t>& items,
                  const std::string& run, int threads, int orders) {
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int t = 0; t < threads; ++t) clients.push_back(std::make_unique<RawClient>(config));
  return Measure(threads, orders, [&](int t, int n) {
    thread_local absl::BitGen bits;
    const int64_t item = items[absl::Uniform<size_t>(bits, 0, items.size())];
    // Different households from the service runs so that pickup codes rarely collide.
    return clients[t]->Place(item, 1000000 + n, absl::StrCat(run, "-", n));
  });
}

int Run() {
  const std::string database = absl::GetFlag(FLAGS_database);
  const int threads = absl::GetFlag(FLAGS_threads);
  const int orders = absl::GetFlag(FLAGS_orders);
  {
    mysql::ConnectionPool admin(Config("", 1));
    Execute(admin, absl::StrCat("DROP DATABASE IF EXISTS `", database, "`"));
    Execute(admin, absl::StrCat("CREATE DATABASE `", database, "` CHARACTER SET utf8mb4"));
    Execute(admin, "CREATE USER IF NOT EXISTS 'redemption_bench'@'127.0.0.1' IDENTIFIED BY 'x'");
    Execute(admin, "CREATE USER IF NOT EXISTS 'redemption_bench'@'localhost' IDENTIFIED BY 'x'");
  }
  const mysql::MySqlConfig config = Config(database, threads);
  mysql::ConnectionPool pool(config);
  absl::StatusOr<migrate::MigrationResult> migrated = migrate::ApplyMigrations(
      pool, absl::GetFlag(FLAGS_migrations), {{"SERVICE_USER", "redemption_bench"}});
  if (!migrated.ok()) {
    std::fprintf(stderr, "migrations: %s\n", migrated.status().ToString().c_str());
    return 1;
  }
  MySqlStoreRepository repository(&pool);
  InstantWallet wallet;
  WallClock clock;
  RedemptionService service(&repository, &wallet, &clock, RandomPickupCode);

  const std::vector<int64_t> many = CreateItems(repository, absl::GetFlag(FLAGS_items));
  const std::vector<int64_t> hot = CreateItems(repository, 1);
  std::printf("redemption-bench: %d threads, %d orders per measurement, MariaDB %s:%d\n", threads,
              orders, config.host.c_str(), config.port);
  std::printf("%-22s %12s %12s %8s\n", "workload", "raw ord/s", "service", "ratio");
  struct Workload {
    const char* name;
    const std::vector<int64_t>* items;
  };
  for (const Workload& w : {Workload{"many items", &many}, Workload{"one hot item", &hot}}) {
    // Warm both paths, then alternate raw and service twice and keep the better of each.
    const std::string tag = absl::StrCat("bench-", w.items == &many ? "many" : "hot");
    MeasureRaw(config, *w.items, absl::StrCat(tag, "-rw"), threads, orders / 4);
    MeasureService(service, *w.items, absl::StrCat(tag, "-sw"), threads, orders / 4);
    double raw = 0, ours = 0;
    for (int round = 0; round < 2; ++round) {
      raw = std::max(raw, MeasureRaw(config, *w.items, absl::StrCat(tag, "-r", round), threads,
                                     orders));
      ours = std::max(ours, MeasureService(service, *w.items, absl::StrCat(tag, "-s", round),
                                           threads, orders));
    }
    std::printf("%-22s %12.0f %12.0f %7.2fx\n", w.name, raw, ours, ours / raw);
  }
  {
    mysql::ConnectionPool admin(Config("", 1));
    Execute(admin, absl::StrCat("DROP DATABASE IF EXISTS `", database, "`"));
  }
  return 0;
}

}  // namespace
}  // namespace jifen::redemption

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return jifen::redemption::Run();
}
