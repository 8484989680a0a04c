// Acceptance tests of the redemption service with the real processes: jifen-redemption and
// jifen-scoring, each on its own fresh database of the fixture's MariaDB, talking gRPC with
// tokens as in production.
#include <arpa/inet.h>
#include <cppconn/connection.h>
#include <cppconn/resultset.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/auth/test_keys.h"
#include "common/grpc/client.h"
#include "common/mysql/statement.h"
#include "common/mysql/transaction.h"
#include "gtest/gtest.h"
#include "jifen/audit/v1/audit.grpc.pb.h"
#include "jifen/redemption/v1/redemption.grpc.pb.h"
#include "jifen/scoring/v1/assessment.grpc.pb.h"
#include "jifen/scoring/v1/ledger.grpc.pb.h"
#include "jifen/scoring/v1/rulebook.grpc.pb.h"
#include "services/redemption/storage/test_database.h"
#include "tests/support/audit_outbox.h"
#include "tests/support/black_hole.h"
#include "tests/support/scoring_harness.h"
#include "tests/support/service_process.h"
#include "tests/support/testenv.h"

namespace jifen::redemption {
namespace {

namespace rv1 = ::jifen::redemption::v1;
namespace sv1 = ::jifen::scoring::v1;
using ::jifen::testing::ScoringHarness;
using ::jifen::testing::SeededVillage;
using ::jifen::testing::ServiceProcess;

class RedemptionProcessTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    scoring_ = new ScoringHarness("redemption_scoring");
    ASSERT_TRUE(scoring_->Start());
    db_ = new testing::MigratedDatabase(testing::CreateMigratedDatabase(
        "redemption_process", "services/redemption/migrations"));
    token_file_ = new std::string(scoring_->WriteServiceTokenFile("redemption"));
    redemption_ = StartRedemption(scoring_->address()).release();
    ASSERT_NE(redemption_, nullptr);
  }
  static void TearDownTestSuite() {
    delete redemption_;
    delete token_file_;
    delete db_;
    delete scoring_;
  }

  // A jifen-redemption process on the suite's database, talking to `scoring_address`. The
  // periodic sweep is off (an hour) so that only the tests decide when recovery runs.
  static std::unique_ptr<ServiceProcess> StartRedemption(const std::string& scoring_address,
                                                         const std::string& scoring_timeout = "5s",
                                                         const std::string& audit_address = "") {
    auto process = std::make_unique<ServiceProcess>(
        "redemption", "services/redemption/jifen-redemption",
        std::vector<std::string>{
            absl::StrCat("--mysql_host=", db_->service.host),
            absl::StrCat("--mysql_port=", db_->service.port),
            absl::StrCat("--mysql_user=", db_->service.user),
            absl::StrCat("--mysql_password=", db_->service.password),
            absl::StrCat("--mysql_database=", db_->service.database),
            "--mysql_pool_size=32",
            absl::StrCat("--token_public_key=", scoring_->public_key_path()),
            absl::StrCat("--service_token_file=", *token_file_),
            absl::StrCat("--scoring_address=", scoring_address),
            absl::StrCat("--scoring_timeout=", scoring_timeout),
            "--recovery_interval=1h",
            absl::StrCat("--audit_address=", audit_address),
            // The sync server refuses calls beyond its threads; 200 concurrent orders need 200.
            "--handler_threads=256",
        });
    if (!process->Start()) return nullptr;
    return process;
  }

  void SetUp() override {
    ASSERT_NE(redemption_, nullptr);
    store_ =
        rv1::RedemptionService::NewStub(grpc_util::NewChannel(redemption_->address(), 4 << 20));
    ledger_ = sv1::LedgerService::NewStub(scoring_->channel());
  }
  void TearDown() override { scoring_->ExpectLedgerInvariants(); }

  SeededVillage Village(int households) { return scoring_->FundableVillage(households); }

  void Fund(const SeededVillage& village, const std::vector<int64_t>& households, int points) {
    scoring_->FundWallets(village, households, points);
  }

  int64_t Wallet(int64_t household_id) { return scoring_->WalletBalance(household_id); }

  rv1::StoreItem CreateItem(int64_t village_id, int64_t price, int64_t stock, int32_t limit = 0) {
    rv1::CreateItemRequest request;
    rv1::StoreItem* item = request.mutable_item();
    item->set_village_id(village_id);
    item->set_name("洗衣液 2kg");
    item->set_price_points(price);
    item->set_stock(stock);
    item->set_value_fen(2590);
    item->set_limit_per_household(limit);
    item->set_active(true);
    request.set_client_request_id(absl::StrCat("item-", ++next_request_));
    rv1::StoreItem created;
    const grpc::Status status = store_->CreateItem(
        ScoringHarness::Context(scoring_->VillageAdminToken(village_id)).get(), request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  grpc::Status Order(int64_t village_id, int64_t household_id, int64_t item_id,
                     const std::string& order_id, rv1::Order* order,
                     absl::Duration deadline = absl::Seconds(30), int32_t quantity = 1) {
    rv1::PlaceOrderRequest request;
    request.set_order_id(order_id);
    request.set_village_id(village_id);
    request.set_household_id(household_id);
    request.set_item_id(item_id);
    request.set_quantity(quantity);
    auto context =
        grpc_util::NewClientContext(deadline, scoring_->ResidentToken(village_id, household_id));
    return store_->PlaceOrder(context.get(), request, order);
  }

  int64_t Stock(int64_t village_id, int64_t item_id) {
    rv1::GetItemRequest request;
    request.set_village_id(village_id);
    request.set_item_id(item_id);
    rv1::StoreItem item;
    EXPECT_TRUE(
        store_
            ->GetItem(ScoringHarness::Context(scoring_->VillageAdminToken(village_id)).get(),
                      request, &item)
            .ok());
    return item.stock();
  }

  // Units of the item held by orders that still count (reserved, confirmed, picked up,
  // cancelling), read straight from the redemption database.
  int64_t UnitsOut(int64_t item_id) {
    mysql::ConnectionPool pool(db_->admin);
    int64_t units = -1;
    EXPECT_TRUE(mysql::RunWithConnection(pool, [&](sql::Connection& c) {
                  auto rows =
                      mysql::Statement(c,
                                       "SELECT CAST(COALESCE(SUM(quantity), 0) AS SIGNED)"
                                       " FROM orders WHERE item_id = ? AND status IN (1, 2, 3, 4)")
                          .Bind(item_id)
                          .Query();
                  if (rows->next()) units = rows->getInt64(1);
                  return absl::OkStatus();
                }).ok());
    return units;
  }

  int OrderStatusInDb(const std::string& order_id) {
    mysql::ConnectionPool pool(db_->admin);
    int status = 0;
    EXPECT_TRUE(mysql::RunWithConnection(pool, [&](sql::Connection& c) {
                  auto rows = mysql::Statement(c, "SELECT status FROM orders WHERE order_id = ?")
                                  .Bind(order_id)
                                  .Query();
                  if (rows->next()) status = rows->getInt(1);
                  return absl::OkStatus();
                }).ok());
    return status;
  }

  static ScoringHarness* scoring_;
  static testing::MigratedDatabase* db_;
  static std::string* token_file_;
  static ServiceProcess* redemption_;
  std::unique_ptr<rv1::RedemptionService::Stub> store_;
  std::unique_ptr<sv1::LedgerService::Stub> ledger_;
  static std::atomic<int> next_request_;
};

std::atomic<int> RedemptionProcessTest::next_request_{1000};

ScoringHarness* RedemptionProcessTest::scoring_ = nullptr;
testing::MigratedDatabase* RedemptionProcessTest::db_ = nullptr;
std::string* RedemptionProcessTest::token_file_ = nullptr;
ServiceProcess* RedemptionProcessTest::redemption_ = nullptr;

TEST_F(RedemptionProcessTest, TwoHundredConcurrentOrdersForTheLastUnitGiveOneSuccess) {
  const SeededVillage village = Village(20);
  Fund(village, village.household_ids, 50);
  const rv1::StoreItem item = CreateItem(village.village_id, 10, 1);
  std::atomic<int> confirmed{0}, sold_out{0};
  absl::Mutex mutex;
  std::map<std::string, int> others;
  std::vector<std::thread> threads;
  for (int i = 0; i < 200; ++i) {
    threads.emplace_back([&, i] {
      const int64_t household = village.household_ids[i % village.household_ids.size()];
      rv1::Order order;
      const grpc::Status status = Order(village.village_id, household, item.item_id(),
                                        absl::StrCat("last-unit-", i), &order);
      if (status.ok() && order.status() == rv1::ORDER_STATUS_CONFIRMED) {
        ++confirmed;
      } else if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION &&
                 absl::StartsWith(status.error_message(), "SOLD_OUT: ")) {
        ++sold_out;
      } else {
        absl::MutexLock lock(&mutex);
        ++others[absl::StrCat(status.error_code(), " ", status.error_message())];
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(confirmed.load(), 1);
  EXPECT_EQ(sold_out.load(), 199);
  for (const auto& [what, count] : others) ADD_FAILURE() << count << " x " << what;
  EXPECT_EQ(Stock(village.village_id, item.item_id()), 0);
  EXPECT_EQ(UnitsOut(item.item_id()), 1);
  int64_t total = 0;
  for (int64_t household : village.household_ids) total += Wallet(household);
  EXPECT_EQ(total, 20 * 50 - 10);
}

TEST_F(RedemptionProcessTest, FiftyConcurrentOrdersOfSixtyFromOneHundredPointsGiveOne) {
  const SeededVillage village = Village(1);
  const int64_t household = village.household_ids[0];
  Fund(village, {household}, 100);
  ASSERT_EQ(Wallet(household), 100);
  const rv1::StoreItem item = CreateItem(village.village_id, 60, 100);
  std::atomic<int> confirmed{0}, short_wallet{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 50; ++i) {
    threads.emplace_back([&, i] {
      rv1::Order order;
      const grpc::Status status = Order(village.village_id, household, item.item_id(),
                                        absl::StrCat("sixty-order-", i), &order);
      if (status.ok()) {
        ++confirmed;
      } else if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION &&
                 absl::StartsWith(status.error_message(), "WALLET_INSUFFICIENT: ")) {
        ++short_wallet;
      } else {
        ++other;
        ADD_FAILURE() << status.error_code() << " " << status.error_message();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(confirmed.load(), 1);
  EXPECT_EQ(short_wallet.load(), 49);
  EXPECT_EQ(Wallet(household), 40);
  // Every failed order gave its unit back.
  EXPECT_EQ(Stock(village.village_id, item.item_id()), 99);
  EXPECT_EQ(UnitsOut(item.item_id()), 1);
}

// SOLD_OUT ("商品已兑完") only when nothing is left: with a few units left the resident is told
// OUT_OF_STOCK and how many remain, so that they can order fewer.
TEST_F(RedemptionProcessTest, OrderingMoreThanIsLeftIsOutOfStockAndNothingLeftIsSoldOut) {
  const SeededVillage village = Village(1);
  const int64_t household = village.household_ids[0];
  Fund(village, {household}, 100);
  const rv1::StoreItem item = CreateItem(village.village_id, 10, 3);
  rv1::Order order;
  const grpc::Status four = Order(village.village_id, household, item.item_id(), "stock-four-1",
                                  &order, absl::Seconds(30), /*quantity=*/4);
  EXPECT_EQ(four.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(four.error_message(), "OUT_OF_STOCK: only 3 of \"洗衣液 2kg\" left");
  EXPECT_EQ(Stock(village.village_id, item.item_id()), 3);
  EXPECT_EQ(Wallet(household), 100);

  ASSERT_TRUE(Order(village.village_id, household, item.item_id(), "stock-three-1", &order,
                    absl::Seconds(30), /*quantity=*/3)
                  .ok());
  const grpc::Status none =
      Order(village.village_id, household, item.item_id(), "stock-none-1", &order);
  EXPECT_EQ(none.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(absl::StartsWith(none.error_message(), "SOLD_OUT: ")) << none.error_message();
  EXPECT_EQ(Stock(village.village_id, item.item_id()), 0);
  EXPECT_EQ(Wallet(household), 70);
}

// The resident reads why an order failed in Chinese, the same words as the staff's ledger export;
// programs get the code in failure_code. A cancellation's reason stays as its author wrote it.
TEST_F(RedemptionProcessTest, AFailedOrdersReasonIsChineseAndItsCodeSeparate) {
  const SeededVillage village = Village(1);
  const int64_t household = village.household_ids[0];
  Fund(village, {household}, 50);
  const rv1::StoreItem dear = CreateItem(village.village_id, 60, 5);
  const rv1::StoreItem cheap = CreateItem(village.village_id, 20, 5);
  rv1::Order order;
  const grpc::Status refused =
      Order(village.village_id, household, dear.item_id(), "reason-short-1", &order);
  EXPECT_TRUE(absl::StartsWith(refused.error_message(), "WALLET_INSUFFICIENT: "))
      << refused.error_message();
  ASSERT_TRUE(Order(village.village_id, household, cheap.item_id(), "reason-cancel-1", &order).ok());
  const std::string token = scoring_->ResidentToken(village.village_id, household);
  rv1::CancelOrderRequest cancel;
  cancel.set_order_id("reason-cancel-1");
  cancel.set_reason("买错了");
  ASSERT_TRUE(store_->CancelOrder(ScoringHarness::Context(token).get(), cancel, &order).ok());

  rv1::GetOrderRequest get;
  get.set_order_id("reason-short-1");
  rv1::Order failed;
  ASSERT_TRUE(store_->GetOrder(ScoringHarness::Context(token).get(), get, &failed).ok());
  EXPECT_EQ(failed.status(), rv1::ORDER_STATUS_FAILED);
  EXPECT_EQ(failed.status_reason(), "积分不足，兑换未成功（需 60 积分）");
  EXPECT_EQ(failed.failure_code(), "WALLET_INSUFFICIENT");

  rv1::ListOrdersRequest list;
  list.set_village_id(village.village_id);
  list.set_household_id(household);
  rv1::ListOrdersResponse listed;
  ASSERT_TRUE(store_->ListOrders(ScoringHarness::Context(token).get(), list, &listed).ok());
  ASSERT_EQ(listed.orders_size(), 2);
  for (const rv1::Order& o : listed.orders()) {
    if (o.order_id() == "reason-short-1") {
      EXPECT_EQ(o.status_reason(), "积分不足，兑换未成功（需 60 积分）");
      EXPECT_EQ(o.failure_code(), "WALLET_INSUFFICIENT");
    } else {
      EXPECT_TRUE(o.status() == rv1::ORDER_STATUS_CANCELLED ||
                  o.status() == rv1::ORDER_STATUS_CANCELLING)
          << o.status();
      EXPECT_EQ(o.status_reason(), "买错了");
      EXPECT_EQ(o.failure_code(), "");
    }
  }
  // Staff's ledger export says the same.
  rv1::ExportLedgerRequest export_request;
  export_request.set_village_id(village.village_id);
  rv1::ExportLedgerResponse exported;
  ASSERT_TRUE(store_
                  ->ExportLedger(ScoringHarness::Context(
                                     scoring_->VillageAdminToken(village.village_id))
                                     .get(),
                                 export_request, &exported)
                  .ok());
  EXPECT_TRUE(absl::StrContains(exported.csv(), "积分不足，兑换未成功（需 60 积分）"))
      << exported.csv();
}

TEST_F(RedemptionProcessTest, HouseholdLimitHoldsUnderConcurrency) {
  const SeededVillage village = Village(1);
  const int64_t household = village.household_ids[0];
  Fund(village, {household}, 500);
  const rv1::StoreItem item = CreateItem(village.village_id, 10, 100, /*limit=*/2);
  std::atomic<int> confirmed{0}, limited{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 30; ++i) {
    threads.emplace_back([&, i] {
      rv1::Order order;
      const grpc::Status status = Order(village.village_id, household, item.item_id(),
                                        absl::StrCat("limit-order-", i), &order);
      if (status.ok()) ++confirmed;
      if (absl::StartsWith(status.error_message(), "LIMIT_REACHED: ")) ++limited;
      if (!status.ok() && !absl::StartsWith(status.error_message(), "LIMIT_REACHED: ")) {
        ADD_FAILURE() << status.error_code() << " " << status.error_message();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(confirmed.load(), 2);
  EXPECT_EQ(limited.load(), 28);
  EXPECT_EQ(Wallet(household), 480);
  EXPECT_EQ(Stock(village.village_id, item.item_id()), 98);
}

TEST_F(RedemptionProcessTest, RetryCancelFulfilAndScope) {
  const SeededVillage village = Village(2);
  const int64_t household = village.household_ids[0];
  Fund(village, {household}, 100);
  const rv1::StoreItem item = CreateItem(village.village_id, 30, 5);

  rv1::Order first, again;
  ASSERT_TRUE(Order(village.village_id, household, item.item_id(), "flow-0001", &first).ok());
  EXPECT_EQ(first.pickup_code().size(), 6u);
  ASSERT_TRUE(Order(village.village_id, household, item.item_id(), "flow-0001", &again).ok());
  EXPECT_EQ(again.pickup_code(), first.pickup_code());
  EXPECT_EQ(Wallet(household), 70);

  // Another household's resident can't order for this one.
  rv1::PlaceOrderRequest foreign;
  foreign.set_order_id("flow-foreign");
  foreign.set_village_id(village.village_id);
  foreign.set_household_id(household);
  foreign.set_item_id(item.item_id());
  rv1::Order ignored;
  EXPECT_EQ(
      store_
          ->PlaceOrder(ScoringHarness::Context(
                           scoring_->ResidentToken(village.village_id, village.household_ids[1]))
                           .get(),
                       foreign, &ignored)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  // No token, no service.
  EXPECT_EQ(store_->PlaceOrder(ScoringHarness::Context("").get(), foreign, &ignored).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  rv1::CancelOrderRequest cancel;
  cancel.set_order_id("flow-0001");
  rv1::Order cancelled;
  const std::string resident = scoring_->ResidentToken(village.village_id, household);
  ASSERT_TRUE(
      store_->CancelOrder(ScoringHarness::Context(resident).get(), cancel, &cancelled).ok());
  EXPECT_EQ(cancelled.status(), rv1::ORDER_STATUS_CANCELLED);
  // The debit was refunded: no "balance after the debit" to show (the contract: 0 unless paid).
  EXPECT_EQ(first.wallet_balance_points(), 70);
  EXPECT_EQ(cancelled.wallet_balance_points(), 0);
  ASSERT_TRUE(
      store_->CancelOrder(ScoringHarness::Context(resident).get(), cancel, &cancelled).ok());
  EXPECT_EQ(cancelled.wallet_balance_points(), 0);
  rv1::GetOrderRequest get;
  get.set_order_id("flow-0001");
  rv1::Order read;
  ASSERT_TRUE(store_->GetOrder(ScoringHarness::Context(resident).get(), get, &read).ok());
  EXPECT_EQ(read.wallet_balance_points(), 0);
  EXPECT_EQ(Wallet(household), 100);
  EXPECT_EQ(Stock(village.village_id, item.item_id()), 5);

  rv1::Order second;
  ASSERT_TRUE(Order(village.village_id, household, item.item_id(), "flow-0002", &second).ok());
  rv1::FulfilOrderRequest fulfil;
  fulfil.set_village_id(village.village_id);
  fulfil.set_pickup_code(second.pickup_code());
  rv1::Order picked;
  const std::string admin = scoring_->VillageAdminToken(village.village_id);
  ASSERT_TRUE(store_->FulfilOrder(ScoringHarness::Context(admin).get(), fulfil, &picked).ok());
  EXPECT_EQ(picked.status(), rv1::ORDER_STATUS_FULFILLED);
  const grpc::Status twice =
      store_->FulfilOrder(ScoringHarness::Context(admin).get(), fulfil, &picked);
  EXPECT_TRUE(absl::StartsWith(twice.error_message(), "ALREADY_FULFILLED: "));
  cancel.set_order_id("flow-0002");
  EXPECT_TRUE(absl::StartsWith(
      store_->CancelOrder(ScoringHarness::Context(resident).get(), cancel, &cancelled)
          .error_message(),
      "NOT_CANCELLABLE: "));

  rv1::ExportLedgerRequest export_request;
  export_request.set_village_id(village.village_id);
  rv1::ExportLedgerResponse exported;
  ASSERT_TRUE(
      store_->ExportLedger(ScoringHarness::Context(admin).get(), export_request, &exported).ok());
  EXPECT_EQ(exported.rows(), 2);
  EXPECT_TRUE(absl::StartsWith(exported.csv(), "\xEF\xBB\xBF"));
  // The service passed the admin's own token to the registry: the head's name in full, beside
  // the household's id; the goods were handed over by the admin's account.
  const std::string picked_row = absl::StrCat("flow-0002,", household, ",第1村民小组,1号,张建华,",
                                              item.item_id(), ",");
  EXPECT_TRUE(absl::StrContains(exported.csv(), absl::StrCat("\r\n", picked_row)))
      << exported.csv();
  EXPECT_TRUE(absl::StrContains(exported.csv(), absl::StrCat(",admin-", village.village_id, ",")))
      << exported.csv();
}

// A village phone retries store and funding writes whose answers were lost, also at once (a
// double tap): each is written once, every attempt gets the first write's object, and the same
// id with another payload is IDEMPOTENCY_CONFLICT.
TEST_F(RedemptionProcessTest, StoreAndFundingWritesAreRetrySafe) {
  const SeededVillage village = Village(1);
  const std::string admin = scoring_->VillageAdminToken(village.village_id);
  rv1::CreateItemRequest create;
  create.set_client_request_id("retry-create-item-1");
  create.mutable_item()->set_village_id(village.village_id);
  create.mutable_item()->set_name("香皂");
  create.mutable_item()->set_price_points(5);
  create.mutable_item()->set_stock(10);
  create.mutable_item()->set_active(true);
  rv1::StoreItem first, again;
  ASSERT_TRUE(store_->CreateItem(ScoringHarness::Context(admin).get(), create, &first).ok());
  ASSERT_TRUE(store_->CreateItem(ScoringHarness::Context(admin).get(), create, &again).ok());
  EXPECT_EQ(again.item_id(), first.item_id());
  rv1::ListItemsRequest list;
  list.set_village_id(village.village_id);
  rv1::ListItemsResponse items;
  ASSERT_TRUE(store_->ListItems(ScoringHarness::Context(admin).get(), list, &items).ok());
  EXPECT_EQ(items.items_size(), 1);
  create.set_client_request_id("");
  const grpc::Status no_id =
      store_->CreateItem(ScoringHarness::Context(admin).get(), create, &again);
  EXPECT_EQ(no_id.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(no_id.error_message(), "client_request_id: "))
      << no_id.error_message();

  rv1::RestockItemRequest restock;
  restock.set_client_request_id("retry-restock-0001");
  restock.set_village_id(village.village_id);
  restock.set_item_id(first.item_id());
  restock.set_delta(5);
  restock.set_reason("到货");
  std::atomic<int> answered{0};
  std::vector<std::thread> taps;
  for (int i = 0; i < 8; ++i) {
    taps.emplace_back([&] {
      rv1::StoreItem after;
      const grpc::Status status =
          store_->RestockItem(ScoringHarness::Context(admin).get(), restock, &after);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (status.ok()) ++answered;
    });
  }
  for (std::thread& t : taps) t.join();
  EXPECT_EQ(answered.load(), 8);
  EXPECT_EQ(Stock(village.village_id, first.item_id()), 15);
  restock.set_delta(6);
  rv1::StoreItem ignored;
  const grpc::Status conflict =
      store_->RestockItem(ScoringHarness::Context(admin).get(), restock, &ignored);
  EXPECT_EQ(conflict.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_TRUE(absl::StartsWith(conflict.error_message(), "IDEMPOTENCY_CONFLICT: "))
      << conflict.error_message();
  EXPECT_EQ(Stock(village.village_id, first.item_id()), 15);

  rv1::CreateFundingSourceRequest funding;
  funding.set_client_request_id("retry-funding-0001");
  funding.mutable_source()->set_village_id(village.village_id);
  funding.mutable_source()->set_year(2026);
  funding.mutable_source()->set_kind(rv1::FUNDING_KIND_DONATION);
  funding.mutable_source()->set_name("社会捐赠 2026");
  rv1::FundingSource source, source_again;
  ASSERT_TRUE(
      store_->CreateFundingSource(ScoringHarness::Context(admin).get(), funding, &source).ok());
  ASSERT_TRUE(
      store_->CreateFundingSource(ScoringHarness::Context(admin).get(), funding, &source_again)
          .ok());
  EXPECT_EQ(source_again.funding_source_id(), source.funding_source_id());

  rv1::RecordDonationRequest donate;
  donate.set_client_request_id("retry-donation-0001");
  rv1::Donation* gift = donate.mutable_donation();
  gift->set_village_id(village.village_id);
  gift->set_funding_source_id(source.funding_source_id());
  gift->set_donor("某物业公司");
  gift->set_amount_fen(300000);
  gift->set_donated_on("2026-03-01");
  rv1::Donation recorded, recorded_again;
  ASSERT_TRUE(store_->RecordDonation(ScoringHarness::Context(admin).get(), donate, &recorded).ok());
  ASSERT_TRUE(
      store_->RecordDonation(ScoringHarness::Context(admin).get(), donate, &recorded_again).ok());
  EXPECT_EQ(recorded_again.donation_id(), recorded.donation_id());
  EXPECT_EQ(recorded_again.amount_fen(), 300000);
  rv1::ListDonationsRequest donations_request;
  donations_request.set_village_id(village.village_id);
  rv1::ListDonationsResponse donations;
  ASSERT_TRUE(
      store_->ListDonations(ScoringHarness::Context(admin).get(), donations_request, &donations)
          .ok());
  EXPECT_EQ(donations.donations_size(), 1);
  rv1::ListFundingSourcesRequest sources_request;
  sources_request.set_village_id(village.village_id);
  rv1::ListFundingSourcesResponse sources;
  ASSERT_TRUE(
      store_->ListFundingSources(ScoringHarness::Context(admin).get(), sources_request, &sources)
          .ok());
  EXPECT_EQ(sources.sources_size(), 1);
}

// kill -9 of redemption while the wallet debit is in flight, then a restart against a working
// scoring: the order is completed (the wallet had the points) or undone (it did not), with stock
// and wallet consistent, and the points taken at most once.
TEST_F(RedemptionProcessTest, KillBetweenReservationAndDebitThenRestartIsConsistent) {
  const SeededVillage village = Village(3);
  const int64_t rich = village.household_ids[0];
  const int64_t debited_before_crash = village.household_ids[1];
  const int64_t poor = village.household_ids[2];
  Fund(village, {rich, debited_before_crash}, 100);
  const rv1::StoreItem item = CreateItem(village.village_id, 60, 10);

  jifen::testing::BlackHole black_hole;
  std::unique_ptr<ServiceProcess> stuck = StartRedemption(black_hole.address(), "10m");
  ASSERT_NE(stuck, nullptr);
  auto stuck_store =
      rv1::RedemptionService::NewStub(grpc_util::NewChannel(stuck->address(), 4 << 20));
  for (const auto& [household, order_id] : std::vector<std::pair<int64_t, std::string>>{
           {rich, "crash-rich"}, {debited_before_crash, "crash-debited"}, {poor, "crash-poor"}}) {
    rv1::PlaceOrderRequest request;
    request.set_order_id(order_id);
    request.set_village_id(village.village_id);
    request.set_household_id(household);
    request.set_item_id(item.item_id());
    rv1::Order order;
    auto context = grpc_util::NewClientContext(
        absl::Milliseconds(1500), scoring_->ResidentToken(village.village_id, household));
    EXPECT_EQ(stuck_store->PlaceOrder(context.get(), request, &order).error_code(),
              grpc::StatusCode::DEADLINE_EXCEEDED);
    EXPECT_EQ(OrderStatusInDb(order_id), 1);  // RESERVED: stock taken, debit in flight
  }
  EXPECT_EQ(Stock(village.village_id, item.item_id()), 7);
  stuck->Kill();

  // One debit did reach scoring before the crash; its answer was lost with the process.
  sv1::DebitRequest debit;
  debit.set_household_id(debited_before_crash);
  debit.set_points(60);
  debit.set_order_id("crash-debited");
  sv1::DebitResponse debited;
  ASSERT_TRUE(ledger_
                  ->Debit(ScoringHarness::Context(scoring_->ServiceToken("redemption")).get(),
                          debit, &debited)
                  .ok());

  // The restart settles every reserved order before it serves.
  std::unique_ptr<ServiceProcess> restarted = StartRedemption(scoring_->address());
  ASSERT_NE(restarted, nullptr);
  EXPECT_EQ(OrderStatusInDb("crash-rich"), 2);     // CONFIRMED
  EXPECT_EQ(OrderStatusInDb("crash-debited"), 2);  // CONFIRMED, debited once
  EXPECT_EQ(OrderStatusInDb("crash-poor"), 6);     // FAILED: wallet short, unit returned
  EXPECT_EQ(Wallet(rich), 40);
  EXPECT_EQ(Wallet(debited_before_crash), 40);
  EXPECT_EQ(Wallet(poor), 0);
  EXPECT_EQ(Stock(village.village_id, item.item_id()), 8);
  EXPECT_EQ(UnitsOut(item.item_id()), 2);
  EXPECT_EQ(restarted->Terminate(), 0);
}

// A debit request can reach scoring after the store released its order: sent by a process that
// was killed before the answer came back, and overtaken by the restarted process's own attempt,
// which was refused for want of points. If the wallet has grown in between (here: a refund), the
// late request must still be refused: its order failed and gave its unit back, so points taken
// now would be lost to the household.
TEST_F(RedemptionProcessTest, ALateDebitForAReleasedOrderTakesNoPoints) {
  const SeededVillage village = Village(1);
  const int64_t household = village.household_ids[0];
  Fund(village, {household}, 100);
  const rv1::StoreItem item = CreateItem(village.village_id, 60, 5);

  rv1::Order paid, refused;
  ASSERT_TRUE(Order(village.village_id, household, item.item_id(), "late-paid-1", &paid).ok());
  const grpc::Status short_wallet =
      Order(village.village_id, household, item.item_id(), "late-refused-1", &refused);
  ASSERT_EQ(short_wallet.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << short_wallet.error_message();
  EXPECT_EQ(OrderStatusInDb("late-refused-1"), 6);  // FAILED, unit back
  rv1::CancelOrderRequest cancel;
  cancel.set_order_id("late-paid-1");
  rv1::Order cancelled;
  ASSERT_TRUE(store_
                  ->CancelOrder(ScoringHarness::Context(
                                    scoring_->ResidentToken(village.village_id, household))
                                    .get(),
                                cancel, &cancelled)
                  .ok());
  ASSERT_EQ(Wallet(household), 100);

  // The dead process's request for the released order arrives now.
  sv1::DebitRequest late;
  late.set_household_id(household);
  late.set_points(60);
  late.set_order_id("late-refused-1");
  sv1::DebitResponse response;
  const grpc::Status status = ledger_->Debit(
      ScoringHarness::Context(scoring_->ServiceToken("redemption")).get(), late, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Wallet(household), 100);
  EXPECT_EQ(Stock(village.village_id, item.item_id()), 5);
  EXPECT_EQ(OrderStatusInDb("late-refused-1"), 6);
}

TEST_F(RedemptionProcessTest, BudgetCheckForDashboards) {
  const SeededVillage village = Village(1);
  const std::string admin = scoring_->VillageAdminToken(village.village_id);
  for (const auto& [year, fen] :
       std::vector<std::pair<int, int64_t>>{{2025, 500000}, {2026, 400000}}) {
    rv1::SetBudgetRequest request;
    request.set_village_id(village.village_id);
    request.set_year(year);
    request.set_budget_fen(fen);
    rv1::Budget budget;
    ASSERT_TRUE(store_->SetBudget(ScoringHarness::Context(admin).get(), request, &budget).ok());
  }
  rv1::GetBudgetCheckRequest request;
  request.set_village_id(village.village_id);
  request.set_year(2026);
  rv1::BudgetCheck check;
  ASSERT_TRUE(store_
                  ->GetBudgetCheck(ScoringHarness::Context(scoring_->DistrictToken()).get(),
                                   request, &check)
                  .ok());
  EXPECT_FALSE(check.not_lower_than_last_year());
  EXPECT_EQ(check.previous_budget_fen(), 500000);

  // QA: lowering 2025's budget after 2026's check failed made it pass. 2025 has ended (the
  // test runs in 2026 or later): the village can't change it any more; the district corrects.
  rv1::SetBudgetRequest lower;
  lower.set_village_id(village.village_id);
  lower.set_year(2025);
  lower.set_budget_fen(1);
  rv1::Budget budget;
  const grpc::Status closed =
      store_->SetBudget(ScoringHarness::Context(admin).get(), lower, &budget);
  EXPECT_EQ(closed.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(absl::StartsWith(closed.error_message(), "BUDGET_YEAR_CLOSED: "))
      << closed.error_message();
  ASSERT_TRUE(store_
                  ->GetBudgetCheck(ScoringHarness::Context(scoring_->DistrictToken()).get(),
                                   request, &check)
                  .ok());
  EXPECT_FALSE(check.not_lower_than_last_year());
  EXPECT_EQ(check.previous_budget_fen(), 500000);
  lower.set_budget_fen(450000);
  lower.set_reason("区级巡查核实后更正");
  ASSERT_TRUE(
      store_->SetBudget(ScoringHarness::Context(scoring_->DistrictToken()).get(), lower, &budget)
          .ok());
  EXPECT_EQ(budget.budget_fen(), 450000);
  // Another village's admin may not read it.
  EXPECT_EQ(
      store_
          ->GetBudgetCheck(
              ScoringHarness::Context(scoring_->VillageAdminToken(village.village_id + 1000)).get(),
              request, &check)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
}

// Every change's audit record reaches the real audit service through the outbox relay.
TEST_F(RedemptionProcessTest, AuditRecordsReachTheAuditService) {
  const testing::MigratedDatabase audit_db =
      testing::CreateMigratedDatabase("redemption_audit", "services/audit/migrations");
  const std::string key_path = absl::StrCat(*token_file_, ".audit-signing.pem");
  std::ofstream(key_path) << auth::GenerateTestKeyPair().private_key_pem;
  ServiceProcess audit("audit", "services/audit/jifen-audit",
                       {absl::StrCat("--mysql_host=", audit_db.service.host),
                        absl::StrCat("--mysql_port=", audit_db.service.port),
                        absl::StrCat("--mysql_user=", audit_db.service.user),
                        absl::StrCat("--mysql_password=", audit_db.service.password),
                        absl::StrCat("--mysql_database=", audit_db.service.database),
                        absl::StrCat("--token_public_key=", scoring_->public_key_path()),
                        absl::StrCat("--audit_signing_key=", key_path), "--checks_interval=0s"});
  ASSERT_TRUE(audit.Start());
  std::unique_ptr<ServiceProcess> relaying =
      StartRedemption(scoring_->address(), "5s", audit.address());
  ASSERT_NE(relaying, nullptr);

  const SeededVillage village = Village(1);
  const int64_t household = village.household_ids[0];
  Fund(village, {household}, 50);
  const rv1::StoreItem item = CreateItem(village.village_id, 20, 3);
  rv1::Order order;
  ASSERT_TRUE(Order(village.village_id, household, item.item_id(), "audited-0001", &order).ok());

  auto trail = audit::v1::AuditService::NewStub(grpc_util::NewChannel(audit.address(), 4 << 20));
  audit::v1::ListRecordsRequest request;
  request.set_village_id(village.village_id);
  request.set_object_type("order");
  request.set_object_id("audited-0001");
  audit::v1::ListRecordsResponse response;
  // The relay polls every 200 ms; give it a bounded while.
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline) {
    response.Clear();
    const grpc::Status status = trail->ListRecords(
        ScoringHarness::Context(scoring_->DistrictToken()).get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    if (response.records_size() >= 2) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_EQ(response.records_size(), 2);
  EXPECT_EQ(response.records(0).record().action(), "reserve");
  EXPECT_EQ(response.records(1).record().action(), "confirm");
  EXPECT_EQ(response.records(0).source_service(), "redemption");
  EXPECT_EQ(response.records(0).record().actor_role(), "resident");
  EXPECT_EQ(relaying->Terminate(), 0);
  EXPECT_EQ(audit.Terminate(), 0);
}

// The request id a call carries is on redemption's audit records of the order and, passed on
// with the wallet calls, on scoring's records of the debit and the refund: the trail joins one
// resident's request across both services.
TEST_F(RedemptionProcessTest, AnOrdersRequestIdIsOnItsAuditRecordsInBothServices) {
  const SeededVillage village = Village(1);
  const int64_t household = village.household_ids[0];
  Fund(village, {household}, 50);
  const rv1::StoreItem item = CreateItem(village.village_id, 20, 3);
  mysql::ConnectionPool store_db(db_->admin);
  const int64_t store_start = jifen::testing::LastOutboxId(store_db);
  const int64_t scoring_start = jifen::testing::LastOutboxId(scoring_->admin_pool());
  const std::string resident = scoring_->ResidentToken(village.village_id, household);

  rv1::PlaceOrderRequest place;
  place.set_order_id("request-id-0001");
  place.set_village_id(village.village_id);
  place.set_household_id(household);
  place.set_item_id(item.item_id());
  place.set_quantity(1);
  rv1::Order order;
  grpc::Status status = store_->PlaceOrder(
      grpc_util::NewClientContext(absl::Seconds(30), resident, "req-order-1").get(), place, &order);
  ASSERT_TRUE(status.ok()) << status.error_message();
  rv1::CancelOrderRequest cancel;
  cancel.set_order_id("request-id-0001");
  status = store_->CancelOrder(
      grpc_util::NewClientContext(absl::Seconds(30), resident, "req-cancel-1").get(), cancel,
      &order);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(order.status(), rv1::ORDER_STATUS_CANCELLED);

  std::map<std::string, std::string> store_records;  // action -> request id
  for (const jifen::testing::OutboxAudit& row :
       jifen::testing::AuditOutboxAfter(store_db, store_start)) {
    ASSERT_TRUE(row.parsed);
    EXPECT_EQ(row.record.object_id(), "request-id-0001") << row.record.action();
    store_records[row.record.action()] = row.record.request_id();
  }
  ASSERT_EQ(store_records.count("reserve"), 1u);
  ASSERT_EQ(store_records.count("confirm"), 1u);
  EXPECT_EQ(store_records["reserve"], "req-order-1");
  EXPECT_EQ(store_records["confirm"], "req-order-1");
  store_records.erase("reserve");
  store_records.erase("confirm");
  ASSERT_FALSE(store_records.empty()) << "the cancellation's records";
  for (const auto& [action, request_id] : store_records) {
    EXPECT_EQ(request_id, "req-cancel-1") << action;
  }

  std::map<std::string, std::string> wallet_records;
  for (const jifen::testing::OutboxAudit& row :
       jifen::testing::AuditOutboxAfter(scoring_->admin_pool(), scoring_start)) {
    if (row.record.village_id() == village.village_id) {
      wallet_records[row.record.action()] = row.record.request_id();
    }
  }
  EXPECT_EQ(wallet_records,
            (std::map<std::string, std::string>{{"debit_wallet", "req-order-1"},
                                                {"refund_wallet", "req-cancel-1"}}));
}

}  // namespace
}  // namespace jifen::redemption
