// Orders per second through the redemption service's own code (domain rules + MySqlStoreRepository
// + the pool, with an in-process wallet that always pays) against the same SQL statements run raw
// through Connector/C++ in the same run, on the same server: once with statements prepared once per
// connection (the fastest use of the connector), once prepared before every execution (what
// common/mysql's Statement does). Two workloads: orders spread over many items, and every order on
// one hot item. The wallet call to scoring is left out of all three: it is the same gRPC call.
//
//   build-redemption/services/redemption/redemption-bench --mysql_port=PORT --mysql_user=U
//       --mysql_password=P [--threads=16] [--orders=3000] [--items=1000]
//
// tools/bench/redemption/run.sh starts a throwaway MariaDB and runs it. It creates (and drops at
// the end) the database named by --database.
#include <cppconn/connection.h>
#include <cppconn/driver.h>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "absl/synchronization/mutex.h"
#include "common/migrate/migrator.h"
#include "common/mysql/connection_pool.h"
#include "common/mysql/transaction.h"
#include "services/redemption/domain/client_requests.h"
#include "services/redemption/domain/redemption_service.h"
#include "services/redemption/storage/mysql_store_repository.h"

ABSL_FLAG(std::string, mysql_host, "127.0.0.1", "MariaDB host");
ABSL_FLAG(int, mysql_port, 3306, "MariaDB port");
ABSL_FLAG(std::string, mysql_user, "root", "an account that may create databases and users");
ABSL_FLAG(std::string, mysql_password, "", "its password");
ABSL_FLAG(std::string, database, "redemption_bench", "scratch database (dropped and recreated)");
ABSL_FLAG(std::string, migrations, "services/redemption/migrations", "the migrations folder");
ABSL_FLAG(int, threads, 16, "concurrent clients");
ABSL_FLAG(int, orders, 3000, "orders per measurement");
ABSL_FLAG(int, items, 1000, "items in the spread-out workload");

namespace jifen::redemption {
namespace {

constexpr int64_t kVillage = 1;

class InstantWallet final : public WalletClient {
 public:
  absl::StatusOr<DebitResult> Debit(int64_t, int64_t, const std::string&, const std::string&,
                                    const std::string&) override {
    return DebitResult{1000000, 1};
  }
  absl::Status Refund(const std::string&, const std::string&, const std::string&) override {
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

// Setup statements with identifiers (database names) that can't be parameters; values are ours.
void Execute(mysql::ConnectionPool& pool, const std::string& text) {
  const absl::Status status = mysql::RunWithConnection(pool, [&](sql::Connection& c) {
    std::unique_ptr<sql::Statement>(c.createStatement())->execute(text);
    return absl::OkStatus();
  });
  if (!status.ok()) {
    std::fprintf(stderr, "%s: %s\n", text.c_str(), status.ToString().c_str());
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
    // A fresh request id per item and run: a bench against a reused database must create, not
    // replay.
    const ClientRequest request =
        RequestToCreateItem(absl::StrCat("bench-", absl::ToUnixNanos(absl::Now()), "-", i), item);
    absl::StatusOr<StoreItem> created =
        repository.CreateItem(item, request, {"bench", "village_admin"});
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
  return Measure(threads, orders, [&](int, int n) {
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

// The same statements, raw: one connection per thread; prepared once (`prepare_once`), or
// prepared before every execution as common/mysql's Statement does.
class RawClient {
 public:
  RawClient(const mysql::MySqlConfig& config, bool prepare_once) : prepare_once_(prepare_once) {
    sql::ConnectOptionsMap options;
    options["hostName"] = sql::SQLString(absl::StrCat("tcp://", config.host, ":", config.port));
    options["userName"] = sql::SQLString(config.user);
    options["password"] = sql::SQLString(config.password);
    options["schema"] = sql::SQLString(config.database);
    connection_.reset(get_driver_instance()->connect(options));
    statement_.reset(connection_->createStatement());
    statement_->execute("SET time_zone = '+08:00'");
  }

  bool Place(int64_t item, int64_t household, const std::string& order_id) {
    try {
      const int64_t now_ms = absl::ToUnixMillis(absl::Now());
      sql::PreparedStatement& get_item = Prepared(kGetItem);
      get_item.setInt64(1, kVillage);
      get_item.setInt64(2, item);
      std::string name;
      {
        std::unique_ptr<sql::ResultSet> rows(get_item.executeQuery());
        if (!rows->next()) return false;
        name = rows->getString(3);
      }
      // The statements of MySqlStoreRepository::Reserve and ::Confirm, in the same order.
      statement_->execute("START TRANSACTION");
      sql::PreparedStatement& insert_order = Prepared(kInsertOrder);
      insert_order.setInt64(1, kVillage);
      insert_order.setString(2, order_id);
      insert_order.setInt64(3, household);
      insert_order.setInt64(4, item);
      insert_order.setString(5, name);
      insert_order.setInt(6, 1);
      insert_order.setInt64(7, 10);
      insert_order.setInt64(8, 10);
      insert_order.setInt64(9, 500);
      insert_order.setInt64(10, 0);
      insert_order.setString(11, "2026Q1");
      insert_order.setString(12, "bench");
      insert_order.setInt64(13, now_ms);
      insert_order.setInt64(14, now_ms);
      insert_order.executeUpdate();
      Audit();
      sql::PreparedStatement& take_stock = Prepared(kTakeStock);
      take_stock.setInt(1, 1);
      take_stock.setInt64(2, kVillage);
      take_stock.setInt64(3, item);
      take_stock.setInt(4, 1);
      if (take_stock.executeUpdate() != 1) {
        statement_->execute("ROLLBACK");
        return false;
      }
      statement_->execute("COMMIT");
      statement_->execute("START TRANSACTION");
      // Codes 900000..999999, counted (the service path uses the codes below).
      static std::atomic<int> next_code{0};
      sql::PreparedStatement& confirm = Prepared(kConfirm);
      confirm.setString(1, absl::StrCat(900000 + next_code++ % 100000));
      confirm.setInt64(2, 1000000);
      confirm.setInt64(3, now_ms);
      confirm.setInt64(4, now_ms);
      confirm.setString(5, order_id);
      confirm.executeUpdate();
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
  enum Which { kGetItem, kInsertOrder, kTakeStock, kConfirm, kOutbox, kCount };

  sql::PreparedStatement& Prepared(Which which) {
    static constexpr const char* kSql[kCount] = {
        "SELECT village_id, item_id, name, description, photo_ref, price_points, stock, value_fen,"
        " funding_source_id, on_sale_from_ms, on_sale_until_ms, limit_per_household,"
        " limit_period, active, created_at_ms, updated_at_ms FROM store_items"
        " WHERE village_id = ? AND item_id = ?",
        "INSERT INTO orders (village_id, order_id, household_id, item_id, item_name, quantity,"
        " price_points, total_points, value_fen, funding_source_id, status, limit_period_key,"
        " ordered_by_user_id, created_at_ms, updated_at_ms)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)",
        "UPDATE store_items SET stock = stock - ? WHERE village_id = ? AND item_id = ?"
        " AND stock >= ?",
        "UPDATE orders SET status = 2, pickup_code = ?, wallet_balance_points = ?,"
        " confirmed_at_ms = ?, updated_at_ms = ? WHERE order_id = ? AND status = 1",
        "INSERT INTO outbox (village_id, topic, payload, created_at) VALUES (?, ?, ?, NOW(6))",
    };
    if (!prepare_once_ || statements_[which] == nullptr) {
      statements_[which].reset(connection_->prepareStatement(kSql[which]));
    }
    return *statements_[which];
  }

  void Audit() {
    // About the size of a serialized audit record of an order.
    static const std::string payload(260, 'x');
    std::istringstream stream(payload);
    sql::PreparedStatement& outbox = Prepared(kOutbox);
    outbox.setInt64(1, kVillage);
    outbox.setString(2, "audit");
    outbox.setBlob(3, &stream);
    outbox.executeUpdate();
  }

  const bool prepare_once_;
  std::unique_ptr<sql::Connection> connection_;
  std::unique_ptr<sql::PreparedStatement> statements_[kCount];
  std::unique_ptr<sql::Statement> statement_;
};

double MeasureRaw(const mysql::MySqlConfig& config, const std::vector<int64_t>& items,
                  const std::string& run, int threads, int orders, bool prepare_once) {
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int t = 0; t < threads; ++t) {
    clients.push_back(std::make_unique<RawClient>(config, prepare_once));
  }
  return Measure(threads, orders, [&](int t, int n) {
    thread_local absl::BitGen bits;
    const int64_t item = items[absl::Uniform<size_t>(bits, 0, items.size())];
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
  // Pickup codes below 900000, counted: the raw path counts from 900000, so no run collides.
  std::atomic<int> next_code{0};
  RedemptionService service(&repository, &wallet, &clock,
                            [&next_code] { return absl::StrFormat("%06d", next_code++ % 900000); });

  const std::vector<int64_t> many = CreateItems(repository, absl::GetFlag(FLAGS_items));
  const std::vector<int64_t> hot = CreateItems(repository, 1);
  std::printf("redemption-bench: %d threads, %d orders per measurement, MariaDB %s:%d\n", threads,
              orders, config.host.c_str(), config.port);
  std::printf("%-14s %14s %14s %14s %10s %12s\n", "workload", "raw prepared", "raw per-call",
              "service", "vs raw", "vs per-call");
  struct Workload {
    const char* name;
    const char* tag;
    const std::vector<int64_t>* items;
  };
  for (const Workload& w :
       {Workload{"many items", "bench-many", &many}, Workload{"one hot item", "bench-hot", &hot}}) {
    // Warm every path, then alternate them twice and keep the best of each.
    MeasureRaw(config, *w.items, absl::StrCat(w.tag, "-rw"), threads, orders / 4, true);
    MeasureRaw(config, *w.items, absl::StrCat(w.tag, "-pw"), threads, orders / 4, false);
    MeasureService(service, *w.items, absl::StrCat(w.tag, "-sw"), threads, orders / 4);
    double raw = 0, per_call = 0, ours = 0;
    for (int round = 0; round < 2; ++round) {
      raw = std::max(raw, MeasureRaw(config, *w.items, absl::StrCat(w.tag, "-r", round), threads,
                                     orders, true));
      per_call = std::max(per_call, MeasureRaw(config, *w.items, absl::StrCat(w.tag, "-p", round),
                                               threads, orders, false));
      ours = std::max(ours, MeasureService(service, *w.items, absl::StrCat(w.tag, "-s", round),
                                           threads, orders));
    }
    std::printf("%-14s %14.0f %14.0f %14.0f %9.2fx %11.2fx\n", w.name, raw, per_call, ours,
                ours / raw, ours / per_call);
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
  // As the services do (common/config/config.cc): no absl::Mutex deadlock graph in a benchmark.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return jifen::redemption::Run();
}
