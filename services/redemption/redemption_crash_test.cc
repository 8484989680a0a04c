// Issue 6 acceptance with the real processes: orders interrupted by kill -9 of jifen-scoring, or of
// MariaDB, while residents keep ordering, are completed or undone once the dead process is back:
// every order ends confirmed with exactly one debit, or cancelled or failed with its unit back and
// no net debit; each wallet is its funding minus its confirmed orders; stock + confirmed units =
// initial stock; nothing is negative. (The kill -9 of jifen-redemption itself is in
// redemption_process_test.)
//
// The MariaDB case kills the server every test shares, so this binary is RUN_SERIAL.
#include <cppconn/connection.h>
#include <cppconn/resultset.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/grpc/client.h"
#include "common/mysql/statement.h"
#include "common/mysql/transaction.h"
#include "gtest/gtest.h"
#include "jifen/redemption/v1/redemption.grpc.pb.h"
#include "jifen/scoring/v1/ledger.grpc.pb.h"
#include "services/redemption/storage/test_database.h"
#include "tests/support/scoring_harness.h"
#include "tests/support/service_process.h"
#include "tests/support/testenv.h"

namespace jifen::redemption {
namespace {

namespace rv1 = ::jifen::redemption::v1;
using ::jifen::testing::ScoringHarness;
using ::jifen::testing::SeededVillage;
using ::jifen::testing::ServiceProcess;

constexpr int kHouseholds = 8;
// Wallets run out before the stock does, so recovery must both confirm and refuse: a household
// with more orders pending than its wallet pays for gets the rest failed and their units back.
constexpr int kFundingPoints = 50;     // per household (FundWallets takes multiples of 50)
constexpr int64_t kPricePoints = 10;   // five orders empty a wallet
constexpr int64_t kInitialStock = 60;  // more than the 40 units all wallets together pay for
constexpr int kOrdersMax = 40;         // per household, so the run is bounded

// Polls `done` until it holds or `timeout` passes; the caller asserts on the result. Recovery
// happens inside other processes, so there is nothing to wait on but its visible effect.
bool Eventually(const std::function<bool()>& done, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return done();
}

struct Outcome {
  std::string order_id;
  int64_t household_id = 0;
  grpc::Status status;
  rv1::Order order;
  bool cancel_asked = false;  // the resident then asked to cancel the confirmed order
  grpc::Status cancel_status;
  rv1::Order cancelled;
};

// An answer that says a process or the database was away, not a decision about the order.
bool IsOutage(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::INTERNAL ||
         code == grpc::StatusCode::DEADLINE_EXCEEDED || code == grpc::StatusCode::ABORTED;
}

struct StoredOrder {
  int64_t household_id = 0;
  int status = 0;
  int64_t total_points = 0;
  int64_t quantity = 0;
};

class RedemptionCrashTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    scoring_ = new ScoringHarness("redemption_crash_scoring");
    ASSERT_TRUE(scoring_->Start());
    db_ = new testing::MigratedDatabase(testing::CreateMigratedDatabase(
        "redemption_crash", "services/redemption/migrations"));
    token_file_ = new std::string(scoring_->WriteServiceTokenFile("redemption"));
  }
  static void TearDownTestSuite() {
    delete token_file_;
    delete db_;
    delete scoring_;
  }

  // A redemption whose recovery sweep runs often and soon, since no client retries here: the
  // sweep alone must finish what the crash interrupted.
  void SetUp() override {
    ASSERT_NE(scoring_, nullptr);
    redemption_ = std::make_unique<ServiceProcess>(
        "redemption", "services/redemption/jifen-redemption",
        std::vector<std::string>{absl::StrCat("--mysql_host=", db_->service.host),
                                 absl::StrCat("--mysql_port=", db_->service.port),
                                 absl::StrCat("--mysql_user=", db_->service.user),
                                 absl::StrCat("--mysql_password=", db_->service.password),
                                 absl::StrCat("--mysql_database=", db_->service.database),
                                 absl::StrCat("--token_public_key=", scoring_->public_key_path()),
                                 absl::StrCat("--service_token_file=", *token_file_),
                                 absl::StrCat("--scoring_address=", scoring_->address()),
                                 "--scoring_timeout=2s", "--recovery_interval=200ms",
                                 "--recovery_min_age=500ms", "--drain_timeout=2s"});
    ASSERT_TRUE(redemption_->Start());
    store_ =
        rv1::RedemptionService::NewStub(grpc_util::NewChannel(redemption_->address(), 4 << 20));
    village_ = scoring_->FundableVillage(kHouseholds);
    scoring_->FundWallets(village_, village_.household_ids, kFundingPoints);
    item_id_ = CreateItem();
    ASSERT_GT(item_id_, 0);
  }
  void TearDown() override {
    if (redemption_ != nullptr) {
      EXPECT_EQ(redemption_->Terminate(), 0);
    }
    scoring_->ExpectLedgerInvariants();
  }

  int64_t CreateItem() {
    rv1::CreateItemRequest request;
    rv1::StoreItem* item = request.mutable_item();
    item->set_village_id(village_.village_id);
    item->set_name("毛巾");
    item->set_price_points(kPricePoints);
    item->set_stock(kInitialStock);
    item->set_value_fen(990);
    item->set_active(true);
    request.set_client_request_id("crash-test-item");
    rv1::StoreItem created;
    const grpc::Status status = store_->CreateItem(
        ScoringHarness::Context(scoring_->VillageAdminToken(village_.village_id)).get(), request,
        &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created.item_id();
  }

  Outcome PlaceOrder(int64_t household_id, const std::string& order_id) {
    rv1::PlaceOrderRequest request;
    request.set_order_id(order_id);
    request.set_village_id(village_.village_id);
    request.set_household_id(household_id);
    request.set_item_id(item_id_);
    request.set_quantity(1);
    Outcome outcome;
    outcome.order_id = order_id;
    outcome.household_id = household_id;
    auto context = grpc_util::NewClientContext(
        absl::Seconds(20), scoring_->ResidentToken(village_.village_id, household_id));
    outcome.status = store_->PlaceOrder(context.get(), request, &outcome.order);
    return outcome;
  }

  // Every household orders one unit after another while `crash` kills a process (once some
  // orders and some cancellations went through) and `restart` brings it back (once some orders were interrupted); the
  // orders go on for another round after the restart. Returns every call's outcome.
  std::vector<Outcome> OrderThrough(const std::string& tag, const std::function<void()>& crash,
                                    const std::function<void()>& restart) {
    std::vector<std::vector<Outcome>> per_household(kHouseholds);
    std::atomic<int> finished{0}, cancels_answered{0}, refused_by_outage{0};
    std::atomic<bool> stop{false};
    const int total = kHouseholds * kOrdersMax;
    std::vector<std::thread> threads;
    for (int h = 0; h < kHouseholds; ++h) {
      threads.emplace_back([&, h] {
        for (int i = 0; i < kOrdersMax && !stop.load(); ++i) {
          Outcome outcome =
              PlaceOrder(village_.household_ids[h], absl::StrCat(tag, "-", h, "-", i));
          if (IsOutage(outcome.status.error_code())) ++refused_by_outage;
          // Every third confirmed order is cancelled again, so refunds are crashed too.
          if (outcome.status.ok() && i % 3 == 1) {
            outcome.cancel_asked = true;
            rv1::CancelOrderRequest cancel;
            cancel.set_order_id(outcome.order_id);
            outcome.cancel_status = store_->CancelOrder(
                ScoringHarness::Context(
                    scoring_->ResidentToken(village_.village_id, village_.household_ids[h]))
                    .get(),
                cancel, &outcome.cancelled);
            if (IsOutage(outcome.cancel_status.error_code())) ++refused_by_outage;
            if (outcome.cancel_status.ok()) ++cancels_answered;
          }
          per_household[h].push_back(std::move(outcome));
          ++finished;
        }
      });
    }
    // Waiting for an answered cancellation too: without it a crash right after the first orders
    // could leave the run with no cancelled order at all, and refunds would go untested.
    const bool some_done = Eventually(
        [&] { return finished.load() >= kHouseholds && cancels_answered.load() > 0; },
        absl::Seconds(30));
    crash();
    const bool some_interrupted =
        Eventually([&] { return refused_by_outage.load() >= 3; }, absl::Seconds(30));
    restart();
    const int after_restart = finished.load();
    Eventually([&] { return finished.load() >= std::min(after_restart + kHouseholds, total); },
               absl::Seconds(30));
    stop = true;
    for (std::thread& thread : threads) thread.join();
    EXPECT_TRUE(some_done);
    EXPECT_TRUE(some_interrupted) << "the crash interrupted no order";
    std::vector<Outcome> outcomes;
    for (auto& list : per_household) {
      for (Outcome& outcome : list) outcomes.push_back(std::move(outcome));
    }
    return outcomes;
  }

  std::map<std::string, StoredOrder> StoredOrders() {
    std::map<std::string, StoredOrder> orders;
    mysql::ConnectionPool pool(db_->admin);
    const absl::Status read = mysql::RunWithConnection(pool, [&](sql::Connection& c) {
      orders.clear();
      auto rows = mysql::Statement(c,
                                   "SELECT order_id, household_id, status, total_points, quantity "
                                   "FROM orders WHERE village_id = ?")
                      .Bind(village_.village_id)
                      .Query();
      while (rows->next()) {
        orders[rows->getString(1)] = {rows->getInt64(2), rows->getInt(3), rows->getInt64(4),
                                      rows->getInt64(5)};
      }
      return absl::OkStatus();
    });
    EXPECT_TRUE(read.ok()) << read;
    return orders;
  }

  int64_t Stock() {
    mysql::ConnectionPool pool(db_->admin);
    int64_t stock = -1;
    EXPECT_TRUE(mysql::RunWithConnection(pool, [&](sql::Connection& c) {
                  auto rows = mysql::Statement(c, "SELECT stock FROM store_items WHERE item_id = ?")
                                  .Bind(item_id_)
                                  .Query();
                  if (rows->next()) stock = rows->getInt64(1);
                  return absl::OkStatus();
                }).ok());
    return stock;
  }

  // Net wallet points the ledger holds for each order id: redemption debits and refunds carry the
  // order id as their source id.
  std::map<std::string, int64_t> LedgerNetByOrder() {
    std::map<std::string, int64_t> net;
    // A pool of its own: the harness's pool may hold a connection the MariaDB crash killed.
    mysql::MySqlConfig config = db_->admin;
    config.database = scoring_->database();
    mysql::ConnectionPool pool(config);
    const absl::Status read = mysql::RunWithConnection(pool, [&](sql::Connection& c) {
      net.clear();
      auto rows = mysql::Statement(c,
                                   "SELECT source_id, CAST(SUM(points) AS SIGNED) "
                                   "FROM ledger_entries WHERE village_id = ? AND account = 2 AND "
                                   "source IN (6, 7) GROUP BY source_id")  // redemption, refund
                      .Bind(village_.village_id)
                      .Query();
      while (rows->next()) net[rows->getString(1)] = rows->getInt64(2);
      return absl::OkStatus();
    });
    EXPECT_TRUE(read.ok()) << read;
    return net;
  }

  // What the residents rely on, once recovery had its chance.
  void ExpectEveryOrderSettledAndNothingLost(const std::vector<Outcome>& outcomes) {
    ASSERT_TRUE(Eventually(
        [&] {
          for (const auto& [id, order] : StoredOrders()) {
            if (order.status == 1 || order.status == 4) return false;  // RESERVED, CANCELLING
          }
          return true;
        },
        absl::Seconds(60)))
        << "orders still unfinished after recovery";

    // Scoring answers again (its pool drops connections the crash killed as it meets them).
    auto ledger_stub = scoring::v1::LedgerService::NewStub(scoring_->channel());
    ASSERT_TRUE(Eventually(
        [&] {
          scoring::v1::GetWalletRequest request;
          request.set_household_id(village_.household_ids[0]);
          scoring::v1::Wallet wallet;
          return ledger_stub
              ->GetWallet(ScoringHarness::Context(scoring_->DistrictToken()).get(), request,
                          &wallet)
              .ok();
        },
        absl::Seconds(30)));

    const std::map<std::string, StoredOrder> orders = StoredOrders();
    const std::map<std::string, int64_t> ledger = LedgerNetByOrder();
    std::map<int64_t, int64_t> spent;
    int64_t confirmed_units = 0;
    int confirmed = 0, cancelled = 0, failed = 0;
    for (const auto& [id, order] : orders) {
      const auto entry = ledger.find(id);
      const int64_t net = entry == ledger.end() ? 0 : entry->second;
      if (order.status == 2) {
        ++confirmed;
        confirmed_units += order.quantity;
        spent[order.household_id] += order.total_points;
        EXPECT_EQ(net, -order.total_points) << id << ": a confirmed order is debited exactly once";
      } else if (order.status == 5) {
        ++cancelled;
        EXPECT_EQ(net, 0) << id << ": a cancelled order is refunded exactly once";
      } else {
        ++failed;
        EXPECT_EQ(order.status, 6) << id << ": neither confirmed, cancelled nor failed";
        EXPECT_EQ(net, 0) << id << ": a failed order keeps no points";
      }
    }
    // What a resident was told holds: a confirmed order stays confirmed unless they cancelled it,
    // and a cancellation that was answered is done.
    for (const Outcome& outcome : outcomes) {
      if (!outcome.status.ok()) continue;
      const auto stored = orders.find(outcome.order_id);
      ASSERT_NE(stored, orders.end()) << outcome.order_id;
      if (!outcome.cancel_asked) {
        EXPECT_EQ(stored->second.status, 2) << outcome.order_id << " was confirmed to the resident";
      } else if (outcome.cancel_status.ok()) {
        EXPECT_EQ(stored->second.status, 5)
            << outcome.order_id << " was cancelled for the resident";
      } else {
        EXPECT_TRUE(stored->second.status == 2 || stored->second.status == 5) << outcome.order_id;
      }
    }
    for (const auto& [id, net] : ledger) {
      EXPECT_TRUE(net == 0 || orders.count(id) != 0) << id << ": points taken for no order";
    }
    for (int64_t household : village_.household_ids) {
      const int64_t wallet = scoring_->WalletBalance(household);
      EXPECT_EQ(wallet, kFundingPoints - spent[household]) << "household " << household;
      EXPECT_GE(wallet, 0);
    }
    const int64_t stock = Stock();
    EXPECT_GE(stock, 0);
    EXPECT_EQ(stock + confirmed_units, kInitialStock);
    EXPECT_GT(confirmed, 0);
    EXPECT_GT(cancelled, 0);
    RecordProperty("confirmed", confirmed);
    RecordProperty("cancelled", cancelled);
    RecordProperty("failed", failed);

    // A resident who retries an interrupted order with its id gets the recovered outcome, and the
    // retry changes nothing.
    for (const Outcome& outcome : outcomes) {
      const auto stored = orders.find(outcome.order_id);
      if (outcome.status.ok() || stored == orders.end()) continue;
      const Outcome retry = PlaceOrder(outcome.household_id, outcome.order_id);
      if (stored->second.status == 2) {
        EXPECT_TRUE(retry.status.ok()) << outcome.order_id << ": " << retry.status.error_message();
        EXPECT_EQ(retry.order.status(), rv1::ORDER_STATUS_CONFIRMED);
      } else {
        EXPECT_EQ(retry.status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
            << outcome.order_id << ": " << retry.status.error_message();
      }
    }
    EXPECT_EQ(StoredOrders().size(), orders.size());
    EXPECT_EQ(Stock(), stock);
  }

  static ScoringHarness* scoring_;
  static testing::MigratedDatabase* db_;
  static std::string* token_file_;
  std::unique_ptr<ServiceProcess> redemption_;
  std::unique_ptr<rv1::RedemptionService::Stub> store_;
  SeededVillage village_;
  int64_t item_id_ = 0;
};

ScoringHarness* RedemptionCrashTest::scoring_ = nullptr;
testing::MigratedDatabase* RedemptionCrashTest::db_ = nullptr;
std::string* RedemptionCrashTest::token_file_ = nullptr;

TEST_F(RedemptionCrashTest, KillScoringWhileOrdersAreInFlightThenRestart) {
  const std::vector<Outcome> outcomes = OrderThrough(
      "scoring-crash", [] { scoring_->process().Kill(); },
      [] { ASSERT_TRUE(scoring_->process().Restart()); });
  ExpectEveryOrderSettledAndNothingLost(outcomes);
}

TEST_F(RedemptionCrashTest, KillMariaDbWhileOrdersAreInFlightThenRestart) {
  const std::vector<Outcome> outcomes = OrderThrough(
      "mariadb-crash", [] { jifen::testing::KillMySql(); }, [] { jifen::testing::StartMySql(); });
  ExpectEveryOrderSettledAndNothingLost(outcomes);
}

}  // namespace
}  // namespace jifen::redemption
