// The store's rules (RedemptionService) on the real things: MySqlStoreRepository on a fresh
// database with redemption's migrations, under the service's own account, and the production
// wallet client (ScoringWalletClient) talking gRPC to a real jifen-scoring. One scoring process
// and one database serve the suite; each test has its own villages, households and items.
//
// The ledger export (LedgerExporter) reads the households' names from the same scoring's registry
// with the production client (ScoringHouseholdDirectory) and a token minted for the test's caller.
//
// Faults are real ones: scoring unreachable is a client pointed at a closed port, a slow scoring
// a port that never answers, a refused token one that scoring refuses. Only time is faked (a
// clock the test sets), since the rules depend on dates.
#include "services/redemption/domain/redemption_service.h"

#include <arpa/inet.h>
#include <cppconn/connection.h>
#include <cppconn/resultset.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/grpc/client.h"
#include "common/mysql/statement.h"
#include "common/mysql/transaction.h"
#include "jifen/scoring/v1/ledger.grpc.pb.h"
#include "jifen/scoring/v1/registry.grpc.pb.h"
#include "services/redemption/domain/calendar.h"
#include "services/redemption/domain/errors.h"
#include "services/redemption/domain/ledger_export.h"
#include "services/redemption/handler/scoring_household_directory.h"
#include "services/redemption/handler/scoring_wallet_client.h"
#include "services/redemption/storage/mysql_store_repository.h"
#include "services/redemption/storage/test_database.h"
#include "tests/support/audit_outbox.h"
#include "tests/support/black_hole.h"
#include "tests/support/closed_port.h"
#include "tests/support/shared_scoring_test.h"

namespace jifen::redemption {
namespace {

using auth::Caller;
using auth::Role;
using jifen::testing::ClosedPort;
using jifen::testing::SeededVillage;

constexpr int64_t kNow = 1767196800000 + 40LL * 86400 * 1000;  // 2026-02-10 Shanghai

Caller Admin(int64_t village) {
  Caller c;
  c.user_id = absl::StrCat("admin-", village);
  c.role = Role::kVillageAdmin;
  c.village_id = village;
  return c;
}

Caller Resident(int64_t village, int64_t household) {
  Caller c;
  c.user_id = absl::StrCat("resident-", household);
  c.role = Role::kResident;
  c.village_id = village;
  c.household_id = household;
  return c;
}

// The ledger row of `order_id` ("" if the CSV has none).
std::string RowOf(const std::string& csv, const std::string& order_id) {
  for (absl::string_view line : absl::StrSplit(csv, "\r\n")) {
    if (absl::StartsWith(line, absl::StrCat(order_id, ","))) return std::string(line);
  }
  return "";
}

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t now_ms) : now_ms_(now_ms) {}
  int64_t NowMs() override {
    absl::MutexLock lock(&mutex_);
    return now_ms_;
  }
  void Advance(int64_t ms) {
    absl::MutexLock lock(&mutex_);
    now_ms_ += ms;
  }

 private:
  absl::Mutex mutex_;
  int64_t now_ms_ ABSL_GUARDED_BY(mutex_);
};

// Scoring takes the points, but its answer never arrives (the connection dropped after the
// request went out): the debit really happened, the caller only sees UNAVAILABLE.
class AnswerLostWallet final : public WalletClient {
 public:
  explicit AnswerLostWallet(WalletClient* scoring) : scoring_(scoring) {}
  absl::StatusOr<DebitResult> Debit(int64_t household_id, int64_t points,
                                    const std::string& order_id, const std::string& reason,
                                    const std::string& request_id) override {
    const absl::StatusOr<DebitResult> debited =
        scoring_->Debit(household_id, points, order_id, reason, request_id);
    EXPECT_TRUE(debited.ok()) << debited.status();
    return absl::UnavailableError("connection reset: the answer was lost");
  }
  absl::Status Refund(const std::string& order_id, const std::string& reason,
                      const std::string& request_id) override {
    return scoring_->Refund(order_id, reason, request_id);
  }

 private:
  WalletClient* scoring_;
};

// Another call releases the order (having seen a refusal) while this call's debit is on its way,
// and the debit then succeeds: the race the confirm step must repair.
class ReleasedMeanwhileWallet final : public WalletClient {
 public:
  ReleasedMeanwhileWallet(WalletClient* scoring, StoreRepository* repository)
      : scoring_(scoring), repository_(repository) {}
  absl::StatusOr<DebitResult> Debit(int64_t household_id, int64_t points,
                                    const std::string& order_id, const std::string& reason,
                                    const std::string& request_id) override {
    EXPECT_TRUE(repository_
                    ->Fail(order_id, "WALLET_INSUFFICIENT: seen by another call", kNow,
                           {"other", "resident"})
                    .ok());
    return scoring_->Debit(household_id, points, order_id, reason, request_id);
  }
  absl::Status Refund(const std::string& order_id, const std::string& reason,
                      const std::string& request_id) override {
    return scoring_->Refund(order_id, reason, request_id);
  }

 private:
  WalletClient* scoring_;
  StoreRepository* repository_;
};

class RedemptionServiceTest : public jifen::testing::SharedScoringTest<RedemptionServiceTest> {
 public:
  static constexpr char kSuite[] = "redemption_service";

 protected:
  static void SetUpTestSuite() {
    SharedScoringTest::SetUpTestSuite();
    if (HasFatalFailure()) return;
    db_ = new testing::MigratedDatabase(testing::CreateMigratedDatabase(
        "redemption_service_store", "services/redemption/migrations"));
    pool_ = new mysql::ConnectionPool(db_->service);
    admin_pool_ = new mysql::ConnectionPool(db_->admin);
    repository_ = new MySqlStoreRepository(pool_);
    token_file_ = new std::string(harness_->WriteServiceTokenFile("redemption"));
    wallet_ = WalletAt(harness_->address(), *token_file_).release();
    households_ = DirectoryAt(harness_->address()).release();
  }
  static void TearDownTestSuite() {
    delete households_;
    households_ = nullptr;
    delete wallet_;
    delete token_file_;
    delete repository_;
    delete admin_pool_;
    delete pool_;
    delete db_;
    wallet_ = nullptr;
    token_file_ = nullptr;
    repository_ = nullptr;
    admin_pool_ = nullptr;
    pool_ = nullptr;
    db_ = nullptr;
    SharedScoringTest::TearDownTestSuite();
  }

  // The production client, as jifen-redemption builds it.
  static std::unique_ptr<ScoringWalletClient> WalletAt(const std::string& address,
                                                       const std::string& token_file,
                                                       absl::Duration timeout = absl::Seconds(5)) {
    auto wallet = std::make_unique<ScoringWalletClient>(
        scoring::v1::LedgerService::NewStub(grpc_util::NewChannel(address, 4 << 20)), token_file,
        timeout);
    EXPECT_TRUE(wallet->LoadToken().ok());
    return wallet;
  }

  // The production registry client, as jifen-redemption builds it.
  static std::unique_ptr<ScoringHouseholdDirectory> DirectoryAt(
      const std::string& address, absl::Duration timeout = absl::Seconds(5)) {
    return std::make_unique<ScoringHouseholdDirectory>(
        scoring::v1::RegistryService::NewStub(grpc_util::NewChannel(address, 4 << 20)), timeout);
  }

  RedemptionServiceTest()
      : clock_(kNow),
        service_(ServiceWith(wallet_)),
        exporter_(repository_, households_, &clock_) {}

  void SetUp() override {
    ASSERT_NE(repository_, nullptr);
    ASSERT_NE(wallet_, nullptr);
  }

  void TearDown() override {
    // The recovery sweep takes unfinished orders of every village: one left behind would be
    // settled by a later test's sweep and change what that test counts.
    if (admin_pool_ != nullptr) {
      const absl::Status checked = mysql::RunWithConnection(*admin_pool_, [&](sql::Connection& c) {
        auto rows =
            mysql::Statement(c, "SELECT order_id FROM orders WHERE status IN (1, 4)").Query();
        while (rows->next()) ADD_FAILURE() << "left unfinished: " << rows->getString(1);
        return absl::OkStatus();
      });
      EXPECT_TRUE(checked.ok()) << checked;
    }
    SharedScoringTest::TearDown();
  }

  // The rules with the suite's store and `wallet`, on this test's clock and pickup codes.
  RedemptionService ServiceWith(WalletClient* wallet) {
    return RedemptionService(repository_, wallet, &clock_, [this] { return NextCode(); });
  }

  // The ledger export as `caller`'s client asks for it: with a token of their own, which the
  // exporter hands on to the registry.
  absl::StatusOr<LedgerExport> Export(LedgerExporter& exporter, const Caller& caller,
                                      int64_t village, int64_t from_ms = 0, int64_t until_ms = 0) {
    return exporter.Export(caller, harness_->Token(caller), village, from_ms, until_ms);
  }
  absl::StatusOr<LedgerExport> Export(const Caller& caller, int64_t village, int64_t from_ms = 0,
                                      int64_t until_ms = 0) {
    return Export(exporter_, caller, village, from_ms, until_ms);
  }

  // A household registered by the village's admin in the village's grid (so that its wallet can
  // be funded), with the head as its only member.
  int64_t AddHousehold(const SeededVillage& village, int64_t group_id,
                       const std::string& house_number, const std::string& head_name) {
    scoring::v1::CreateHouseholdRequest request;
    scoring::v1::Household* household = request.mutable_household();
    household->set_village_id(village.village_id);
    household->set_group_id(group_id);
    household->set_grid_id(village.grid_id);
    household->set_house_number(house_number);
    household->set_head_name(head_name);
    household->set_kind(scoring::v1::HOUSEHOLD_KIND_REGISTERED);
    request.add_members()->set_name(head_name);
    scoring::v1::HouseholdDetail created;
    const grpc::Status status =
        scoring::v1::RegistryService::NewStub(harness_->channel())
            ->CreateHousehold(jifen::testing::ScoringHarness::Context(
                                  harness_->VillageAdminToken(village.village_id))
                                  .get(),
                              request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created.household().household_id();
  }

  std::string NextCode() { return absl::StrCat(100000 + next_code_++); }
  std::string NextRequestId() { return absl::StrCat("request-", ++next_request_); }

  // A village of the registry with no households, for tests of the store and its funding.
  int64_t NewVillage() { return harness_->SeedVillage(0, 1).village_id; }

  // A village whose households each hold `points` (a multiple of 50) in their wallets.
  SeededVillage FundedVillage(int households, int points) {
    SeededVillage village = harness_->FundableVillage(households);
    if (points > 0) harness_->FundWallets(village, village.household_ids, points);
    return village;
  }

  StoreItem MakeItem(int64_t village, int64_t stock, int64_t price, int32_t limit = 0) {
    StoreItem item;
    item.village_id = village;
    item.name = "洗衣液";
    item.price_points = price;
    item.stock = stock;
    item.value_fen = 1500;
    item.limit_per_household = limit;
    absl::StatusOr<StoreItem> created = service_.CreateItem(Admin(village), item, NextRequestId());
    EXPECT_TRUE(created.ok()) << created.status();
    return created.value_or(StoreItem());
  }

  // An order of the village's first household.
  absl::StatusOr<Order> Place(RedemptionService& service, const SeededVillage& village,
                              const std::string& id, int64_t item_id, int32_t qty = 1) {
    const int64_t household = village.household_ids[0];
    return service.PlaceOrder(Resident(village.village_id, household),
                              {id, village.village_id, household, item_id, qty});
  }
  absl::StatusOr<Order> Place(const SeededVillage& village, const std::string& id, int64_t item_id,
                              int32_t qty = 1) {
    return Place(service_, village, id, item_id, qty);
  }

  int64_t Stock(int64_t village, int64_t item_id) {
    absl::StatusOr<StoreItem> item = repository_->GetItem(village, item_id);
    EXPECT_TRUE(item.ok()) << item.status();
    return item.ok() ? item->stock : -1;
  }

  int64_t Wallet(const SeededVillage& village) {
    return harness_->WalletBalance(village.household_ids[0]);
  }

  // The audit records a service wrote into its outbox for `village` since `after_id`
  // (LastOutboxId), oldest first.
  static std::vector<audit::v1::AuditRecord> AuditsOf(mysql::ConnectionPool& outbox,
                                                      int64_t village, int64_t after_id) {
    std::vector<audit::v1::AuditRecord> records;
    for (const jifen::testing::OutboxAudit& row :
         jifen::testing::AuditOutboxAfter(outbox, after_id)) {
      EXPECT_TRUE(row.parsed);
      if (row.village_id == village) records.push_back(row.record);
    }
    return records;
  }

  inline static testing::MigratedDatabase* db_ = nullptr;
  inline static mysql::ConnectionPool* pool_ = nullptr;
  inline static mysql::ConnectionPool* admin_pool_ = nullptr;
  inline static MySqlStoreRepository* repository_ = nullptr;
  inline static std::string* token_file_ = nullptr;
  inline static ScoringWalletClient* wallet_ = nullptr;
  inline static ScoringHouseholdDirectory* households_ = nullptr;

  FakeClock clock_;
  int next_code_ = 0;
  int next_request_ = 0;
  RedemptionService service_;
  LedgerExporter exporter_;
};

TEST_F(RedemptionServiceTest, OrderDebitsWalletAndConfirmsWithPickupCode) {
  const SeededVillage village = FundedVillage(1, 100);
  const StoreItem item = MakeItem(village.village_id, 5, 60);
  absl::StatusOr<Order> order = Place(village, "order-00001", item.item_id);
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_EQ(order->status, OrderStatus::kConfirmed);
  EXPECT_EQ(order->pickup_code.size(), 6u);
  EXPECT_EQ(order->wallet_balance_points, 40);
  EXPECT_EQ(Wallet(village), 40);
  EXPECT_EQ(Stock(village.village_id, item.item_id), 4);
}

TEST_F(RedemptionServiceTest, RetryReturnsSameOrderAndConflictingPayloadIsRefused) {
  const SeededVillage village = FundedVillage(1, 100);
  const StoreItem item = MakeItem(village.village_id, 5, 10);
  absl::StatusOr<Order> first = Place(village, "order-00002", item.item_id);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<Order> again = Place(village, "order-00002", item.item_id);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->pickup_code, first->pickup_code);
  EXPECT_EQ(Wallet(village), 90);
  EXPECT_EQ(Stock(village.village_id, item.item_id), 4);

  absl::StatusOr<Order> other = Place(village, "order-00002", item.item_id, 2);
  EXPECT_TRUE(absl::IsAlreadyExists(other.status())) << other.status();
  EXPECT_EQ(MachineCodeOf(other.status()), kOrderConflict);
}

TEST_F(RedemptionServiceTest, WalletShortReleasesStockWithDistinctCode) {
  const SeededVillage village = FundedVillage(1, 50);
  const StoreItem item = MakeItem(village.village_id, 1, 60);
  absl::StatusOr<Order> order = Place(village, "order-00003", item.item_id);
  EXPECT_TRUE(absl::IsFailedPrecondition(order.status())) << order.status();
  EXPECT_EQ(MachineCodeOf(order.status()), kWalletInsufficient);
  EXPECT_EQ(Stock(village.village_id, item.item_id), 1);
  // A retry gets the same answer from the store, without asking the wallet again: even with
  // scoring unreachable it is not left pending.
  ClosedPort down;
  std::unique_ptr<ScoringWalletClient> unreachable = WalletAt(down.address(), *token_file_);
  RedemptionService cut_off = ServiceWith(unreachable.get());
  EXPECT_EQ(MachineCodeOf(Place(cut_off, village, "order-00003", item.item_id).status()),
            kWalletInsufficient);
  EXPECT_EQ(Wallet(village), 50);
}

TEST_F(RedemptionServiceTest, SoldOutNotOnSaleAndLimitHaveDistinctCodes) {
  const SeededVillage village = FundedVillage(1, 50);
  const int64_t v = village.village_id;
  const StoreItem none = MakeItem(v, 0, 10);
  EXPECT_EQ(MachineCodeOf(Place(village, "order-00004", none.item_id).status()), kSoldOut);

  StoreItem later = MakeItem(v, 5, 10);
  later.on_sale_from_ms = kNow + 1000;
  ASSERT_TRUE(service_.UpdateItem(Admin(v), later).ok());
  EXPECT_EQ(MachineCodeOf(Place(village, "order-00005", later.item_id).status()), kNotOnSale);

  const StoreItem limited = MakeItem(v, 10, 10, /*limit=*/2);
  EXPECT_TRUE(Place(village, "order-00006", limited.item_id, 2).ok());
  absl::StatusOr<Order> third = Place(village, "order-00007", limited.item_id);
  EXPECT_EQ(MachineCodeOf(third.status()), kLimitReached) << third.status();
  EXPECT_EQ(Stock(v, limited.item_id), 8);
  EXPECT_EQ(Wallet(village), 30);
}

TEST_F(RedemptionServiceTest, LostDebitAnswerLeavesOrderReservedUntilRecovery) {
  const SeededVillage village = FundedVillage(1, 100);
  const StoreItem item = MakeItem(village.village_id, 3, 30);
  AnswerLostWallet answer_lost(wallet_);
  RedemptionService cut_off = ServiceWith(&answer_lost);
  absl::StatusOr<Order> order = Place(cut_off, village, "order-00008", item.item_id);
  EXPECT_TRUE(absl::IsUnavailable(order.status())) << order.status();
  EXPECT_EQ(MachineCodeOf(order.status()), kOrderPending);
  EXPECT_EQ(Wallet(village), 70);  // the debit did happen
  EXPECT_EQ(Stock(village.village_id, item.item_id), 2);
  // The household goes on ordering meanwhile.
  absl::StatusOr<Order> next = Place(village, "order-00008-next", item.item_id);
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->wallet_balance_points, 40);

  absl::StatusOr<RecoveryStats> stats = service_.RecoverUnfinished(0, 100);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->confirmed, 1);
  absl::StatusOr<Order> now =
      service_.GetOrder(Resident(village.village_id, village.household_ids[0]), "order-00008");
  ASSERT_TRUE(now.ok()) << now.status();
  EXPECT_EQ(now->status, OrderStatus::kConfirmed);
  // What the lost answer said: the wallet right after this order's debit, not after later ones.
  EXPECT_EQ(now->wallet_balance_points, 70);
  EXPECT_EQ(Wallet(village), 40);  // each order debited once
  EXPECT_EQ(Stock(village.village_id, item.item_id), 1);
}

TEST_F(RedemptionServiceTest, UnreachableWalletThenRefusalUndoesOrder) {
  const SeededVillage village = harness_->SeedVillage(1);  // an empty wallet
  const StoreItem item = MakeItem(village.village_id, 1, 30);
  ClosedPort down;
  std::unique_ptr<ScoringWalletClient> unreachable = WalletAt(down.address(), *token_file_);
  RedemptionService cut_off = ServiceWith(unreachable.get());
  EXPECT_EQ(MachineCodeOf(Place(cut_off, village, "order-00009", item.item_id).status()),
            kOrderPending);
  EXPECT_EQ(Stock(village.village_id, item.item_id), 0);
  // The sweep leaves young orders alone...
  ASSERT_TRUE(service_.RecoverUnfinished(30000, 100).ok());
  EXPECT_EQ(Stock(village.village_id, item.item_id), 0);
  // ...and settles old ones once scoring answers: the wallet is empty, so the order fails and the
  // stock returns.
  clock_.Advance(60000);
  absl::StatusOr<RecoveryStats> stats = service_.RecoverUnfinished(30000, 100);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->failed, 1);
  EXPECT_EQ(Stock(village.village_id, item.item_id), 1);
}

TEST_F(RedemptionServiceTest, PermissionDeniedFromWalletDoesNotReleaseStock) {
  const SeededVillage village = FundedVillage(1, 50);
  const StoreItem item = MakeItem(village.village_id, 1, 30);
  // A valid token of the wrong role (a village admin's): scoring refuses it.
  const std::string admin_token_file = *token_file_ + ".village-admin";
  std::ofstream(admin_token_file) << harness_->VillageAdminToken(village.village_id);
  std::unique_ptr<ScoringWalletClient> refused = WalletAt(harness_->address(), admin_token_file);
  ASSERT_TRUE(absl::IsPermissionDenied(refused->Refund("order-00010", "", "")));
  RedemptionService wrong_token = ServiceWith(refused.get());
  EXPECT_EQ(MachineCodeOf(Place(wrong_token, village, "order-00010", item.item_id).status()),
            kOrderPending);
  EXPECT_EQ(Stock(village.village_id, item.item_id), 0);
  EXPECT_EQ(Wallet(village), 50);
  // The refusal said nothing about the debit, so the order waited for an answer it can trust.
  absl::StatusOr<RecoveryStats> stats = service_.RecoverUnfinished(0, 100);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->confirmed, 1);
  EXPECT_EQ(Wallet(village), 20);
  EXPECT_EQ(Stock(village.village_id, item.item_id), 0);
}

TEST_F(RedemptionServiceTest, CancelRefundsAndReturnsStockOnceThenFulfilIsRefused) {
  const SeededVillage village = FundedVillage(1, 100);
  const int64_t v = village.village_id;
  const Caller resident = Resident(v, village.household_ids[0]);
  const StoreItem item = MakeItem(v, 2, 40);
  absl::StatusOr<Order> order = Place(village, "order-00011", item.item_id);
  ASSERT_TRUE(order.ok()) << order.status();
  absl::StatusOr<Order> cancelled = service_.CancelOrder(resident, "order-00011", "changed mind");
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->status, OrderStatus::kCancelled);
  EXPECT_EQ(cancelled->wallet_balance_points, 0);  // the debit it reported is refunded
  EXPECT_EQ(Wallet(village), 100);
  EXPECT_EQ(Stock(v, item.item_id), 2);
  ASSERT_TRUE(service_.CancelOrder(resident, "order-00011", "").ok());
  EXPECT_EQ(Wallet(village), 100);
  EXPECT_EQ(Stock(v, item.item_id), 2);
  // The clerk scanning a cancelled order's code is told it was cancelled.
  EXPECT_EQ(MachineCodeOf(service_.FulfilOrder(Admin(v), v, order->pickup_code).status()),
            kOrderCancelled);
}

TEST_F(RedemptionServiceTest, RefundFailureLeavesCancellingForRecovery) {
  const SeededVillage village = FundedVillage(1, 100);
  const int64_t v = village.village_id;
  const StoreItem item = MakeItem(v, 2, 40);
  ASSERT_TRUE(Place(village, "order-00012", item.item_id).ok());
  jifen::testing::BlackHole stuck;
  std::unique_ptr<ScoringWalletClient> slow =
      WalletAt(stuck.address(), *token_file_, absl::Milliseconds(200));
  RedemptionService timing_out = ServiceWith(slow.get());
  EXPECT_EQ(MachineCodeOf(timing_out.CancelOrder(Admin(v), "order-00012", "").status()),
            kCancelPending);
  EXPECT_EQ(Stock(v, item.item_id), 1);
  EXPECT_EQ(Wallet(village), 60);
  clock_.Advance(60000);
  absl::StatusOr<RecoveryStats> stats = service_.RecoverUnfinished(30000, 100);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->cancelled, 1);
  EXPECT_EQ(Wallet(village), 100);
  EXPECT_EQ(Stock(v, item.item_id), 2);
}

TEST_F(RedemptionServiceTest, FulfilByCode) {
  const SeededVillage village = FundedVillage(1, 100);
  const int64_t v = village.village_id;
  const StoreItem item = MakeItem(v, 2, 40);
  absl::StatusOr<Order> order = Place(village, "order-00013", item.item_id);
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_EQ(service_.FulfilOrder(Admin(v + 1), v, order->pickup_code).status().code(),
            absl::StatusCode::kPermissionDenied);
  absl::StatusOr<Order> done = service_.FulfilOrder(Admin(v), v, order->pickup_code);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->status, OrderStatus::kFulfilled);
  EXPECT_EQ(MachineCodeOf(service_.FulfilOrder(Admin(v), v, order->pickup_code).status()),
            kAlreadyFulfilled);
  EXPECT_EQ(MachineCodeOf(service_.FulfilOrder(Admin(v), v, "999999").status()),
            kPickupCodeUnknown);
  EXPECT_EQ(
      MachineCodeOf(
          service_.CancelOrder(Resident(v, village.household_ids[0]), "order-00013", "").status()),
      kNotCancellable);
}

TEST_F(RedemptionServiceTest, ObjectLevelAuthorization) {
  const SeededVillage village = FundedVillage(2, 100);
  const int64_t v = village.village_id;
  const int64_t mine = village.household_ids[0];
  const int64_t neighbour = village.household_ids[1];
  const StoreItem item = MakeItem(v, 2, 40);
  // A resident orders only for their own household.
  EXPECT_TRUE(absl::IsPermissionDenied(
      service_.PlaceOrder(Resident(v, mine), {"order-00014", v, neighbour, item.item_id, 1})
          .status()));
  // A village admin manages only their own village.
  StoreItem foreign = item;
  foreign.village_id = v + 1;
  EXPECT_TRUE(
      absl::IsPermissionDenied(service_.CreateItem(Admin(v), foreign, "request-foreign").status()));
  EXPECT_TRUE(absl::IsPermissionDenied(
      service_.RestockItem(Admin(v + 1), v, item.item_id, 5, "x", "request-x").status()));
  // Another household does not see the order.
  ASSERT_TRUE(Place(village, "order-00015", item.item_id).ok());
  EXPECT_TRUE(absl::IsNotFound(service_.GetOrder(Resident(v, neighbour), "order-00015").status()));
  EXPECT_TRUE(
      absl::IsNotFound(service_.CancelOrder(Resident(v, neighbour), "order-00015", "").status()));
  // Residents list only their household's orders.
  OrderQuery query;
  query.village_id = v;
  absl::StatusOr<OrderPage> page = service_.ListOrders(Resident(v, neighbour), query);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_TRUE(page->orders.empty());
  EXPECT_EQ(harness_->WalletBalance(neighbour), 100);
}

TEST_F(RedemptionServiceTest, RestockIsValidatedAndAudited) {
  const int64_t v = NewVillage();
  const StoreItem item = MakeItem(v, 1, 10);
  const int64_t before = jifen::testing::LastOutboxId(*admin_pool_);
  EXPECT_TRUE(absl::IsInvalidArgument(
      service_.RestockItem(Admin(v), v, item.item_id, 5, "", NextRequestId()).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      service_.RestockItem(Admin(v), v, item.item_id, 5, "   ", NextRequestId()).status()));
  absl::StatusOr<StoreItem> restocked =
      service_.RestockItem(Admin(v), v, item.item_id, 5, "delivery", NextRequestId());
  ASSERT_TRUE(restocked.ok()) << restocked.status();
  EXPECT_EQ(restocked->stock, 6);
  EXPECT_EQ(
      MachineCodeOf(service_.RestockItem(Admin(v), v, item.item_id, -7, "breakage", NextRequestId())
                        .status()),
      kNegativeStock);
  EXPECT_EQ(Stock(v, item.item_id), 6);
  // The restock is on the trail, by whom; the refused changes left nothing there.
  const std::vector<audit::v1::AuditRecord> audits = AuditsOf(*admin_pool_, v, before);
  ASSERT_EQ(audits.size(), 1u);
  EXPECT_EQ(audits[0].action(), "restock");
  EXPECT_EQ(audits[0].object_type(), "store_item");
  EXPECT_EQ(audits[0].object_id(), absl::StrCat(item.item_id));
  EXPECT_EQ(audits[0].actor_user_id(), Admin(v).user_id);
}

// A village phone retries a write whose answer was lost: the retry must not add stock, a donation
// or an item twice (QA: RestockItem and RecordDonation took no client id).
TEST_F(RedemptionServiceTest, StoreAndFundingWritesAreRetrySafe) {
  const int64_t v = NewVillage();
  StoreItem soap;
  soap.village_id = v;
  soap.name = "肥皂";
  soap.price_points = 5;
  soap.stock = 10;
  absl::StatusOr<StoreItem> created = service_.CreateItem(Admin(v), soap, "create-soap-1");
  ASSERT_TRUE(created.ok()) << created.status();
  absl::StatusOr<StoreItem> again = service_.CreateItem(Admin(v), soap, "create-soap-1");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->item_id, created->item_id);
  EXPECT_EQ(service_.ListItems(Admin(v), v, false)->size(), 1u);
  // A client that sends no id can't be told from a new write.
  EXPECT_TRUE(absl::IsInvalidArgument(service_.CreateItem(Admin(v), soap, "").status()));
  soap.price_points = 6;
  absl::StatusOr<StoreItem> changed = service_.CreateItem(Admin(v), soap, "create-soap-1");
  EXPECT_TRUE(absl::IsAlreadyExists(changed.status())) << changed.status();
  EXPECT_EQ(MachineCodeOf(changed.status()), kIdempotencyConflict);

  const int64_t id = created->item_id;
  ASSERT_EQ(service_.RestockItem(Admin(v), v, id, 5, "到货", "restock-0001")->stock, 15);
  absl::StatusOr<StoreItem> restocked =
      service_.RestockItem(Admin(v), v, id, 5, "到货", "restock-0001");
  ASSERT_TRUE(restocked.ok()) << restocked.status();
  EXPECT_EQ(restocked->stock, 15);
  EXPECT_EQ(Stock(v, id), 15);
  EXPECT_EQ(
      MachineCodeOf(service_.RestockItem(Admin(v), v, id, 6, "到货", "restock-0001").status()),
      kIdempotencyConflict);
  // An id is one write: the item's creation id can't restock.
  EXPECT_EQ(
      MachineCodeOf(service_.RestockItem(Admin(v), v, id, 5, "到货", "create-soap-1").status()),
      kIdempotencyConflict);
  // Removing all the units, then the retry: the first removal answers, not NEGATIVE_STOCK.
  ASSERT_TRUE(service_.RestockItem(Admin(v), v, id, -15, "损耗", "remove-all-1").ok());
  absl::StatusOr<StoreItem> removed =
      service_.RestockItem(Admin(v), v, id, -15, "损耗", "remove-all-1");
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(removed->stock, 0);

  FundingSource gifts;
  gifts.village_id = v;
  gifts.year = 2026;
  gifts.kind = FundingKind::kDonation;
  gifts.name = "社会捐赠";
  absl::StatusOr<FundingSource> source = service_.CreateFundingSource(Admin(v), gifts, "source-01");
  ASSERT_TRUE(source.ok()) << source.status();
  absl::StatusOr<FundingSource> source_again =
      service_.CreateFundingSource(Admin(v), gifts, "source-01");
  ASSERT_TRUE(source_again.ok()) << source_again.status();
  EXPECT_EQ(source_again->funding_source_id, source->funding_source_id);
  EXPECT_EQ(service_.ListFundingSources(Admin(v), v, 2026)->size(), 1u);

  Donation gift;
  gift.village_id = v;
  gift.funding_source_id = source->funding_source_id;
  gift.donor = "某企业";
  gift.amount_fen = 100000;
  gift.donated_on = "2026-02-01";
  absl::StatusOr<Donation> recorded = service_.RecordDonation(Admin(v), gift, "donation-01");
  ASSERT_TRUE(recorded.ok()) << recorded.status();
  absl::StatusOr<Donation> recorded_again = service_.RecordDonation(Admin(v), gift, "donation-01");
  ASSERT_TRUE(recorded_again.ok()) << recorded_again.status();
  EXPECT_EQ(recorded_again->donation_id, recorded->donation_id);
  EXPECT_EQ(service_.ListDonations(Admin(v), v, 2026)->size(), 1u);
  EXPECT_EQ(service_.GetBudgetCheck(Admin(v), v, 2026)->donations_fen, 100000);
  gift.amount_fen = 200000;
  EXPECT_EQ(MachineCodeOf(service_.RecordDonation(Admin(v), gift, "donation-01").status()),
            kIdempotencyConflict);

  // Ids are the village's own: another village's id of the same text is another write.
  const int64_t elsewhere = NewVillage();
  StoreItem other = soap;
  other.village_id = elsewhere;
  absl::StatusOr<StoreItem> theirs = service_.CreateItem(Admin(elsewhere), other, "create-soap-1");
  ASSERT_TRUE(theirs.ok()) << theirs.status();
  EXPECT_NE(theirs->item_id, created->item_id);
}

// QA: blank names, control characters, made-up funding sources and photo paths went on sale;
// limits counted bytes though the messages say characters.
TEST_F(RedemptionServiceTest, ItemFieldsAreCheckedAsPeopleTypeThem) {
  const int64_t v = NewVillage();
  const auto create = [&](const StoreItem& item) {
    return service_.CreateItem(Admin(v), item, NextRequestId());
  };
  const auto refused_field = [&](const StoreItem& item) -> std::string {
    const absl::Status status = create(item).status();
    if (!absl::IsInvalidArgument(status)) return absl::StrCat("not refused: ", status.ToString());
    return std::string(status.message().substr(0, status.message().find(':')));
  };
  StoreItem item;
  item.village_id = v;
  item.price_points = 5;
  item.stock = 3;
  for (const char* blank : {"", "   ", "\xE3\x80\x80\xE3\x80\x80", "\xC2\xA0\t"}) {
    item.name = blank;
    EXPECT_EQ(refused_field(item), "name") << blank;
  }
  item.name = std::string("\0\a皂", 5);
  EXPECT_EQ(refused_field(item), "name");
  item.name = "皂\xC2\x85";  // U+0085, a C1 control
  EXPECT_EQ(refused_field(item), "name");
  item.name = "\xFF皂";
  EXPECT_EQ(refused_field(item), "name");
  // 100 characters of three bytes each fit; 101 do not.
  std::string hundred;
  for (int i = 0; i < 100; ++i) hundred += "皂";
  item.name = hundred;
  absl::StatusOr<StoreItem> longest = create(item);
  ASSERT_TRUE(longest.ok()) << longest.status();
  EXPECT_EQ(service_.GetItem(Admin(v), v, longest->item_id)->name, hundred);
  item.name = hundred + "皂";
  EXPECT_EQ(refused_field(item), "name");
  // Spaces around a name are no part of it.
  item.name = "\xE3\x80\x80 洗衣液 ";
  absl::StatusOr<StoreItem> trimmed = create(item);
  ASSERT_TRUE(trimmed.ok()) << trimmed.status();
  EXPECT_EQ(trimmed->name, "洗衣液");

  std::string long_description;
  for (int i = 0; i < 2000; ++i) long_description += "说";
  item.description = long_description + "\n第二行";
  EXPECT_EQ(refused_field(item), "description");
  item.description = long_description;
  absl::StatusOr<StoreItem> described = create(item);
  ASSERT_TRUE(described.ok()) << described.status();
  EXPECT_EQ(service_.GetItem(Admin(v), v, described->item_id)->description, long_description);
  item.description = "每户一瓶\n限本村";
  EXPECT_TRUE(create(item).ok());
  item.description = "bell\a";
  EXPECT_EQ(refused_field(item), "description");
  item.description = "";

  for (const std::string& ref : {std::string("../../etc/passwd"), std::string(64, 'A'),
                                 std::string(63, 'a'), std::string(65, 'a')}) {
    item.photo_ref = ref;
    EXPECT_EQ(refused_field(item), "photo_ref") << ref;
  }
  item.photo_ref = std::string(32, 'a') + std::string(32, '9');
  EXPECT_TRUE(create(item).ok());

  item.funding_source_id = 999;
  EXPECT_EQ(MachineCodeOf(create(item).status()), kFundingSourceNotFound);
  const int64_t elsewhere = NewVillage();
  FundingSource funds;
  funds.village_id = elsewhere;
  funds.year = 2026;
  funds.kind = FundingKind::kVillageFunds;
  funds.name = "村集体经费";
  absl::StatusOr<FundingSource> theirs =
      service_.CreateFundingSource(Admin(elsewhere), funds, NextRequestId());
  ASSERT_TRUE(theirs.ok()) << theirs.status();
  item.funding_source_id = theirs->funding_source_id;
  EXPECT_EQ(MachineCodeOf(create(item).status()), kFundingSourceNotFound);
  funds.village_id = v;
  absl::StatusOr<FundingSource> ours =
      service_.CreateFundingSource(Admin(v), funds, NextRequestId());
  ASSERT_TRUE(ours.ok()) << ours.status();
  item.funding_source_id = ours->funding_source_id;
  absl::StatusOr<StoreItem> funded = create(item);
  ASSERT_TRUE(funded.ok()) << funded.status();

  // An update is held to the same rules.
  StoreItem edit = *funded;
  edit.name = "　";
  EXPECT_TRUE(absl::IsInvalidArgument(service_.UpdateItem(Admin(v), edit).status()));
  edit = *funded;
  edit.photo_ref = "../../etc/passwd";
  EXPECT_TRUE(absl::IsInvalidArgument(service_.UpdateItem(Admin(v), edit).status()));
  edit = *funded;
  edit.funding_source_id = theirs->funding_source_id;
  EXPECT_EQ(MachineCodeOf(service_.UpdateItem(Admin(v), edit).status()), kFundingSourceNotFound);
  EXPECT_EQ(service_.GetItem(Admin(v), v, funded->item_id)->funding_source_id,
            ours->funding_source_id);
}

TEST_F(RedemptionServiceTest, FundingNamesDonorsDatesAndReasonsAreChecked) {
  const int64_t v = NewVillage();
  FundingSource source;
  source.village_id = v;
  source.year = 2026;
  source.kind = FundingKind::kDonation;
  source.name = "\xE3\x80\x80 ";
  EXPECT_TRUE(absl::IsInvalidArgument(
      service_.CreateFundingSource(Admin(v), source, "source-blank").status()));
  source.name = " 社会捐赠 ";
  absl::StatusOr<FundingSource> created =
      service_.CreateFundingSource(Admin(v), source, "source-gifts");
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->name, "社会捐赠");

  Donation gift;
  gift.village_id = v;
  gift.funding_source_id = created->funding_source_id;
  gift.amount_fen = 5000;
  gift.donated_on = "2026-02-10";  // today in Shanghai: received
  gift.donor = "   ";
  EXPECT_TRUE(
      absl::IsInvalidArgument(service_.RecordDonation(Admin(v), gift, "gift-blank").status()));
  gift.donor = std::string("某\0公司", 9);
  EXPECT_TRUE(
      absl::IsInvalidArgument(service_.RecordDonation(Admin(v), gift, "gift-ctrl1").status()));
  gift.donor = "某公司";
  gift.donated_on = "2099-01-01";
  absl::Status future = service_.RecordDonation(Admin(v), gift, "gift-future").status();
  EXPECT_TRUE(absl::IsInvalidArgument(future));
  EXPECT_TRUE(absl::StartsWith(future.message(), "donated_on: ")) << future;
  gift.donated_on = "2026-02-11";  // tomorrow
  EXPECT_TRUE(
      absl::IsInvalidArgument(service_.RecordDonation(Admin(v), gift, "gift-tmrw").status()));
  gift.donated_on = "2026-02-10";
  EXPECT_TRUE(service_.RecordDonation(Admin(v), gift, "gift-today").ok());
  EXPECT_EQ(service_.ListDonations(Admin(v), v, 2026)->size(), 1u);

  // A reason of full-width spaces says nothing.
  const StoreItem item = MakeItem(v, 1, 10);
  EXPECT_TRUE(absl::IsInvalidArgument(
      service_
          .RestockItem(Admin(v), v, item.item_id, 5, "\xE3\x80\x80\xE3\x80\x80", "restock-blank")
          .status()));
  std::string long_reason;
  for (int i = 0; i < 500; ++i) long_reason += "货";
  EXPECT_TRUE(service_.RestockItem(Admin(v), v, item.item_id, 5, long_reason, "restock-long").ok());
  EXPECT_TRUE(absl::IsInvalidArgument(
      service_.RestockItem(Admin(v), v, item.item_id, 5, long_reason + "货", "restock-2long")
          .status()));
  EXPECT_EQ(Stock(v, item.item_id), 6);
}

TEST_F(RedemptionServiceTest, BudgetRuleNotLowerThanLastYear) {
  const SeededVillage village = FundedVillage(1, 100);
  const int64_t v = village.village_id;
  ASSERT_TRUE(service_.SetBudget(Admin(v), {v, 2025, 500000, 0}, "").ok());
  absl::StatusOr<BudgetCheck> check = service_.GetBudgetCheck(Admin(v), v, 2026);
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_FALSE(check->budget_set);
  EXPECT_FALSE(check->not_lower_than_last_year);  // nothing set this year yet

  ASSERT_TRUE(service_.SetBudget(Admin(v), {v, 2026, 400000, 0}, "").ok());
  EXPECT_FALSE(service_.GetBudgetCheck(Admin(v), v, 2026)->not_lower_than_last_year);
  ASSERT_TRUE(service_.SetBudget(Admin(v), {v, 2026, 500000, 0}, "").ok());

  FundingSource donations;
  donations.village_id = v;
  donations.year = 2026;
  donations.kind = FundingKind::kDonation;
  donations.name = "社会捐赠";
  absl::StatusOr<FundingSource> source =
      service_.CreateFundingSource(Admin(v), donations, NextRequestId());
  ASSERT_TRUE(source.ok()) << source.status();
  Donation gift;
  gift.village_id = v;
  gift.funding_source_id = source->funding_source_id;
  gift.donor = "某企业";
  gift.amount_fen = 100000;
  gift.donated_on = "2026-02-01";
  ASSERT_TRUE(service_.RecordDonation(Admin(v), gift, NextRequestId()).ok());
  gift.donated_on = "2026-02-31";
  EXPECT_TRUE(
      absl::IsInvalidArgument(service_.RecordDonation(Admin(v), gift, NextRequestId()).status()));

  const StoreItem item = MakeItem(v, 5, 10);  // value 1500 fen
  ASSERT_TRUE(Place(village, "order-00016", item.item_id, 2).ok());

  check = service_.GetBudgetCheck(Admin(v), v, 2026);
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_TRUE(check->not_lower_than_last_year);
  EXPECT_EQ(check->donations_fen, 100000);
  EXPECT_EQ(check->redeemed_value_fen, 3000);
  EXPECT_EQ(check->remaining_fen, 497000);
  EXPECT_TRUE(absl::IsPermissionDenied(
      service_.GetBudgetCheck(Resident(v, village.household_ids[0]), v, 2026).status()));
}

// QA: after 2026's check failed, PUT .../budgets/2025 with a tiny amount made it pass. Once a year
// has ended (Shanghai time) its recorded budget is fixed for the village; the district corrects.
TEST_F(RedemptionServiceTest, AnEndedYearsBudgetIsFixedForTheVillage) {
  const int64_t v = NewVillage();
  // kNow is 2026-02-10: 2025 has ended. A budget never recorded may still be recorded once.
  ASSERT_TRUE(service_.SetBudget(Admin(v), {v, 2025, 500000, 0}, "").ok());
  ASSERT_TRUE(service_.SetBudget(Admin(v), {v, 2026, 400000, 0}, "").ok());
  ASSERT_FALSE(service_.GetBudgetCheck(Admin(v), v, 2026)->not_lower_than_last_year);

  absl::StatusOr<Budget> lowered = service_.SetBudget(Admin(v), {v, 2025, 1, 0}, "");
  EXPECT_TRUE(absl::IsFailedPrecondition(lowered.status())) << lowered.status();
  EXPECT_EQ(MachineCodeOf(lowered.status()), kBudgetYearClosed);
  EXPECT_FALSE(service_.GetBudgetCheck(Admin(v), v, 2026)->not_lower_than_last_year);
  EXPECT_EQ(service_.GetBudgetCheck(Admin(v), v, 2026)->previous_budget_fen, 500000);
  // The recorded figure again (a retried PUT) is no change.
  EXPECT_TRUE(service_.SetBudget(Admin(v), {v, 2025, 500000, 0}, "").ok());

  // The running year stays the village's to set, up to its last millisecond in Shanghai.
  clock_.Advance(YearStartMs(2027) - 1 - kNow);
  ASSERT_TRUE(service_.SetBudget(Admin(v), {v, 2026, 450000, 0}, "").ok());
  clock_.Advance(1);  // 2027-01-01 00:00 Shanghai (2026-12-31 16:00 UTC)
  EXPECT_EQ(MachineCodeOf(service_.SetBudget(Admin(v), {v, 2026, 300000, 0}, "").status()),
            kBudgetYearClosed);

  // The district corrects a wrong record, saying why; nobody else may.
  Caller district;
  district.user_id = "district-1";
  district.role = Role::kDistrictOfficial;
  EXPECT_TRUE(absl::IsInvalidArgument(
      service_.SetBudget(district, {v, 2025, 480000, 0}, "\xE3\x80\x80").status()));
  const int64_t before = jifen::testing::LastOutboxId(*admin_pool_);
  ASSERT_TRUE(service_.SetBudget(district, {v, 2025, 480000, 0}, "村委会决议更正为48万元").ok());
  EXPECT_EQ(service_.GetBudgetCheck(district, v, 2026)->previous_budget_fen, 480000);
  // The correction is on the trail: who, the figures before and after, and why.
  const std::vector<audit::v1::AuditRecord> audits = AuditsOf(*admin_pool_, v, before);
  ASSERT_EQ(audits.size(), 1u);
  EXPECT_EQ(audits[0].action(), "set");
  EXPECT_EQ(audits[0].object_id(), absl::StrCat(v, "/2025"));
  EXPECT_EQ(audits[0].actor_user_id(), "district-1");
  EXPECT_TRUE(absl::StrContains(audits[0].before(), "500000")) << audits[0].before();
  EXPECT_TRUE(absl::StrContains(audits[0].after(), "480000")) << audits[0].after();
  EXPECT_TRUE(absl::StrContains(audits[0].after(), "村委会决议更正为48万元")) << audits[0].after();
  Caller inspector = district;
  inspector.role = Role::kDistrictInspector;
  EXPECT_TRUE(
      absl::IsPermissionDenied(service_.SetBudget(inspector, {v, 2025, 1, 0}, "巡查").status()));
  EXPECT_TRUE(
      absl::IsPermissionDenied(service_.SetBudget(Admin(v + 1), {v, 2026, 1, 0}, "").status()));
}

TEST_F(RedemptionServiceTest, ExportLedger) {
  const SeededVillage village = FundedVillage(1, 100);
  const int64_t v = village.village_id;
  const StoreItem item = MakeItem(v, 5, 10);
  ASSERT_TRUE(Place(village, "order-00017", item.item_id).ok());
  absl::StatusOr<LedgerExport> exported = Export(Admin(v), v, 0, 0);
  ASSERT_TRUE(exported.ok()) << exported.status();
  EXPECT_EQ(exported->rows, 1);
  EXPECT_TRUE(absl::StartsWith(exported->csv, "\xEF\xBB\xBF"));
  EXPECT_TRUE(absl::StrContains(exported->csv, "order-00017"));
  EXPECT_TRUE(
      absl::IsPermissionDenied(Export(Resident(v, village.household_ids[0]), v, 0, 0).status()));
}

TEST_F(RedemptionServiceTest, ExportFileNameSaysTheDatesItCovers) {
  const int64_t v = NewVillage();
  const int64_t year_2026 = YearStartMs(2026);
  absl::StatusOr<LedgerExport> open = Export(Admin(v), v, 0, 0);
  ASSERT_TRUE(open.ok()) << open.status();
  EXPECT_EQ(open->file_name, absl::StrCat("redemption-ledger-", v, "-start-20260210.csv"));
  // QA: INT64_MAX for "no end" named the file "...-start-2922789940817.csv".
  absl::StatusOr<LedgerExport> no_end = Export(Admin(v), v, year_2026, INT64_MAX);
  ASSERT_TRUE(no_end.ok()) << no_end.status();
  EXPECT_EQ(no_end->file_name, absl::StrCat("redemption-ledger-", v, "-20260101-20260210.csv"));
  absl::StatusOr<LedgerExport> january =
      Export(Admin(v), v, year_2026, year_2026 + 31LL * 86400 * 1000);
  ASSERT_TRUE(january.ok()) << january.status();
  EXPECT_EQ(january->file_name, absl::StrCat("redemption-ledger-", v, "-20260101-20260201.csv"));
  EXPECT_TRUE(absl::IsInvalidArgument(Export(Admin(v), v, INT64_MAX - 1, 0).status()));
}

TEST_F(RedemptionServiceTest, ExportNotesAreChineseForStaff) {
  const SeededVillage village = FundedVillage(1, 50);
  const int64_t v = village.village_id;
  const StoreItem item = MakeItem(v, 5, 60);
  ASSERT_EQ(MachineCodeOf(Place(village, "order-short1", item.item_id).status()),
            kWalletInsufficient);
  absl::StatusOr<LedgerExport> exported = Export(Admin(v), v, 0, 0);
  ASSERT_TRUE(exported.ok()) << exported.status();
  EXPECT_TRUE(absl::StrContains(exported->csv, "积分不足，兑换未成功（需 60 积分）"))
      << exported->csv;
  EXPECT_FALSE(absl::StrContains(exported->csv, "WALLET_INSUFFICIENT")) << exported->csv;
  EXPECT_FALSE(absl::StrContains(exported->csv, "wallet holds")) << exported->csv;
}

// What staff print for auditors names each household as the village knows it (group, house
// number, head) and each funding source by its name, with the ids beside them for tracing; the
// staff member who handed the goods over is the account id (no service holds their name). Names
// people typed stay single cells and never run as formulas.
TEST_F(RedemptionServiceTest, ExportNamesHouseholdsAndFundingBesideTheirIds) {
  const SeededVillage village = harness_->FundableVillage(1);
  const int64_t v = village.village_id;
  const int64_t seeded = village.household_ids[0];  // 第1村民小组, 1号, 张建华
  const int64_t crafted = AddHousehold(village, village.group_ids[1], "=8号", "=王,\"小\"明");
  harness_->FundWallets(village, {seeded, crafted}, 100);
  FundingSource gifts;
  gifts.village_id = v;
  gifts.year = 2026;
  gifts.kind = FundingKind::kDonation;
  gifts.name = "@爱心企业,\"捐赠\"";
  absl::StatusOr<FundingSource> source = service_.CreateFundingSource(Admin(v), gifts, "gifts-01");
  ASSERT_TRUE(source.ok()) << source.status();
  const int64_t f = source->funding_source_id;
  StoreItem item;
  item.village_id = v;
  item.name = "大米";
  item.price_points = 20;
  item.stock = 5;
  item.funding_source_id = f;
  absl::StatusOr<StoreItem> created = service_.CreateItem(Admin(v), item, NextRequestId());
  ASSERT_TRUE(created.ok()) << created.status();
  const int64_t i = created->item_id;
  absl::StatusOr<Order> first = Place(village, "names-0001", i);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(service_.PlaceOrder(Resident(v, crafted), {"names-0002", v, crafted, i, 1}).ok());
  ASSERT_TRUE(service_.FulfilOrder(Admin(v), v, first->pickup_code).ok());

  const int64_t scoring_before = jifen::testing::LastOutboxId(harness_->admin_pool());
  absl::StatusOr<LedgerExport> exported = Export(Admin(v), v);
  ASSERT_TRUE(exported.ok()) << exported.status();
  EXPECT_TRUE(
      absl::StartsWith(exported->csv, "\xEF\xBB\xBF订单号,户编号,村民小组,门牌号,户主,商品编号,"))
      << exported->csv;
  const std::string seeded_row = RowOf(exported->csv, "names-0001");
  EXPECT_TRUE(absl::StartsWith(
      seeded_row, absl::StrCat("names-0001,", seeded, ",第1村民小组,1号,张建华,", i, ",大米,")))
      << seeded_row;
  EXPECT_TRUE(
      absl::StrContains(seeded_row, absl::StrCat(",", f, ",\"'@爱心企业,\"\"捐赠\"\"\",已领取,")))
      << seeded_row;
  EXPECT_TRUE(absl::StrContains(seeded_row, absl::StrCat(",admin-", v, ","))) << seeded_row;
  const std::string crafted_row = RowOf(exported->csv, "names-0002");
  EXPECT_TRUE(absl::StartsWith(
      crafted_row,
      absl::StrCat("names-0002,", crafted, ",第2村民小组,'=8号,\"'=王,\"\"小\"\"明\",", i, ",")))
      << crafted_row;
  // The registry answered the admin (their token), and put the view of the heads' names on the
  // trail under the admin's name.
  std::vector<std::string> viewers;
  for (const audit::v1::AuditRecord& record : AuditsOf(harness_->admin_pool(), v, scoring_before)) {
    if (record.action() == "view_personal_data") viewers.push_back(record.actor_user_id());
  }
  EXPECT_EQ(viewers, (std::vector<std::string>{absl::StrCat("admin-", v)}));

  // A district official gets the heads masked, as the registry shows them outside the village,
  // and the same ids.
  Caller district;
  district.user_id = "district-1";
  district.role = Role::kDistrictOfficial;
  absl::StatusOr<LedgerExport> district_view = Export(district, v);
  ASSERT_TRUE(district_view.ok()) << district_view.status();
  EXPECT_TRUE(
      absl::StartsWith(RowOf(district_view->csv, "names-0001"),
                       absl::StrCat("names-0001,", seeded, ",第1村民小组,1号,张*华,", i, ",")))
      << district_view->csv;
  EXPECT_FALSE(absl::StrContains(district_view->csv, "张建华")) << district_view->csv;
}

// The registry answers 500 households a page: a household past the first page is named too.
TEST_F(RedemptionServiceTest, ExportNamesHouseholdsPastTheRegistrysFirstPage) {
  const SeededVillage village = harness_->FundableVillage(1);
  const int64_t v = village.village_id;
  std::string roster = "村民小组,门牌号,户主,成员\n";
  for (int n = 0; n < 500; ++n) {
    absl::StrAppend(&roster, "第1村民小组,", 100 + n, "号,赵", n, ",赵", n, "\n");
  }
  scoring::v1::ImportRosterRequest import;
  import.set_village_id(v);
  import.set_csv(roster);
  scoring::v1::ImportRosterResponse imported;
  const grpc::Status status =
      scoring::v1::RegistryService::NewStub(harness_->channel())
          ->ImportRoster(
              jifen::testing::ScoringHarness::Context(harness_->VillageAdminToken(v)).get(), import,
              &imported);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(imported.households_created(), 500);
  // Registered after the 500: the highest id, on the listing's second page.
  const int64_t last = AddHousehold(village, village.group_ids[0], "900号", "钱小红");
  harness_->FundWallets(village, {last}, 50);
  const StoreItem item = MakeItem(v, 5, 10);
  ASSERT_TRUE(
      service_.PlaceOrder(Resident(v, last), {"paged-0001", v, last, item.item_id, 1}).ok());
  absl::StatusOr<LedgerExport> exported = Export(Admin(v), v);
  ASSERT_TRUE(exported.ok()) << exported.status();
  EXPECT_TRUE(absl::StartsWith(RowOf(exported->csv, "paged-0001"),
                               absl::StrCat("paged-0001,", last, ",第1村民小组,900号,钱小红,")))
      << exported->csv;
}

// Without the registry the export fails and says why (REGISTRY_UNAVAILABLE, retry), rather than
// hand staff a ledger to print without house numbers and heads (ledger_export.cc says why).
TEST_F(RedemptionServiceTest, ExportWithoutTheRegistryFailsAndSaysWhy) {
  const SeededVillage village = FundedVillage(1, 100);
  const int64_t v = village.village_id;
  const StoreItem item = MakeItem(v, 5, 10);
  ASSERT_TRUE(Place(village, "unnamed-0001", item.item_id).ok());

  ClosedPort down;
  std::unique_ptr<ScoringHouseholdDirectory> unreachable = DirectoryAt(down.address());
  LedgerExporter cut_off(repository_, unreachable.get(), &clock_);
  const absl::Status refused = Export(cut_off, Admin(v), v).status();
  EXPECT_TRUE(absl::IsUnavailable(refused)) << refused;
  EXPECT_EQ(MachineCodeOf(refused), kRegistryUnavailable) << refused;

  jifen::testing::BlackHole stuck;
  std::unique_ptr<ScoringHouseholdDirectory> slow =
      DirectoryAt(stuck.address(), absl::Milliseconds(300));
  LedgerExporter timing_out(repository_, slow.get(), &clock_);
  const absl::Status late = Export(timing_out, Admin(v), v).status();
  EXPECT_TRUE(absl::IsUnavailable(late)) << late;
  EXPECT_EQ(MachineCodeOf(late), kRegistryUnavailable) << late;

  // With no orders there is nothing to name, and the registry is not asked.
  const int64_t quiet = NewVillage();
  absl::StatusOr<LedgerExport> empty = Export(cut_off, Admin(quiet), quiet);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->rows, 0);
}

// The debit succeeds only after another caller has released the order: the points must come back.
TEST_F(RedemptionServiceTest, DebitLandingOnReleasedOrderIsRefunded) {
  const SeededVillage village = FundedVillage(1, 100);
  const int64_t v = village.village_id;
  StoreItem item;
  item.village_id = v;
  item.name = "米";
  item.price_points = 30;
  item.stock = 1;
  absl::StatusOr<StoreItem> created = service_.CreateItem(Admin(v), item, "request-race");
  ASSERT_TRUE(created.ok()) << created.status();
  ReleasedMeanwhileWallet racing(wallet_, repository_);
  RedemptionService raced = ServiceWith(&racing);
  const int64_t scoring_before = jifen::testing::LastOutboxId(harness_->admin_pool());
  absl::StatusOr<Order> order = Place(raced, village, "order-race-1", created->item_id);
  EXPECT_TRUE(absl::IsFailedPrecondition(order.status())) << order.status();
  EXPECT_EQ(Wallet(village), 100);
  EXPECT_EQ(Stock(v, created->item_id), 1);  // returned by the release
  // Scoring did take the points, and gave them back.
  std::vector<std::string> moves;
  for (const audit::v1::AuditRecord& record : AuditsOf(harness_->admin_pool(), v, scoring_before)) {
    moves.push_back(record.action());
  }
  EXPECT_EQ(moves, (std::vector<std::string>{"debit_wallet", "refund_wallet"}));
}

}  // namespace
}  // namespace jifen::redemption
