#include "services/redemption/domain/redemption_service.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/redemption/domain/calendar.h"
#include "services/redemption/domain/errors.h"
#include "services/redemption/domain/fake_store_repository.h"

namespace jifen::redemption {
namespace {

using auth::Caller;
using auth::Role;

constexpr int64_t kVillage = 11;
constexpr int64_t kHousehold = 501;
constexpr int64_t kNow = 1767196800000 + 40LL * 86400 * 1000;  // 2026-02-10 Shanghai

Caller Admin(int64_t village = kVillage) {
  Caller c;
  c.user_id = "admin-1";
  c.role = Role::kVillageAdmin;
  c.village_id = village;
  return c;
}

Caller Resident(int64_t household = kHousehold, int64_t village = kVillage) {
  Caller c;
  c.user_id = absl::StrCat("resident-", household);
  c.role = Role::kResident;
  c.village_id = village;
  c.household_id = household;
  return c;
}

class RedemptionServiceTest : public ::testing::Test {
 protected:
  RedemptionServiceTest()
      : clock_(kNow), service_(&repository_, &wallet_, &clock_, [this] { return NextCode(); }) {}

  std::string NextCode() { return absl::StrCat(100000 + next_code_++); }
  std::string NextRequestId() { return absl::StrCat("request-", ++next_request_); }

  StoreItem MakeItem(int64_t stock, int64_t price, int32_t limit = 0) {
    StoreItem item;
    item.village_id = kVillage;
    item.name = "洗衣液";
    item.price_points = price;
    item.stock = stock;
    item.value_fen = 1500;
    item.limit_per_household = limit;
    absl::StatusOr<StoreItem> created = service_.CreateItem(Admin(), item, NextRequestId());
    EXPECT_TRUE(created.ok()) << created.status();
    return *created;
  }

  absl::StatusOr<Order> Place(const std::string& id, int64_t item_id, int32_t qty = 1,
                              int64_t household = kHousehold) {
    return service_.PlaceOrder(Resident(household), {id, kVillage, household, item_id, qty});
  }

  FakeStoreRepository repository_;
  FakeWallet wallet_;
  FakeClock clock_;
  int next_code_ = 0;
  int next_request_ = 0;
  RedemptionService service_;
};

TEST_F(RedemptionServiceTest, OrderDebitsWalletAndConfirmsWithPickupCode) {
  const StoreItem item = MakeItem(5, 60);
  wallet_.Credit(kHousehold, 100);
  absl::StatusOr<Order> order = Place("order-00001", item.item_id);
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_EQ(order->status, OrderStatus::kConfirmed);
  EXPECT_EQ(order->pickup_code.size(), 6u);
  EXPECT_EQ(order->wallet_balance_points, 40);
  EXPECT_EQ(wallet_.Balance(kHousehold), 40);
  EXPECT_EQ(repository_.StockOf(item.item_id), 4);
}

// Scoring's audit records of the debit and the refund carry the request they were made for.
TEST_F(RedemptionServiceTest, TheWalletIsAskedUnderTheOrdersRequestId) {
  const StoreItem item = MakeItem(5, 60);
  wallet_.Credit(kHousehold, 100);
  Caller placing = Resident();
  placing.request_id = "req-place-1";
  ASSERT_TRUE(
      service_.PlaceOrder(placing, {"order-req-01", kVillage, kHousehold, item.item_id, 1}).ok());
  Caller cancelling = Resident();
  cancelling.request_id = "req-cancel-1";
  ASSERT_TRUE(service_.CancelOrder(cancelling, "order-req-01", "").ok());
  EXPECT_EQ(wallet_.request_ids(), (std::vector<std::string>{"req-place-1", "req-cancel-1"}));
}

TEST_F(RedemptionServiceTest, RetryReturnsSameOrderAndConflictingPayloadIsRefused) {
  const StoreItem item = MakeItem(5, 10);
  wallet_.Credit(kHousehold, 100);
  absl::StatusOr<Order> first = Place("order-00002", item.item_id);
  ASSERT_TRUE(first.ok());
  absl::StatusOr<Order> again = Place("order-00002", item.item_id);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->pickup_code, first->pickup_code);
  EXPECT_EQ(wallet_.Balance(kHousehold), 90);
  EXPECT_EQ(repository_.StockOf(item.item_id), 4);

  absl::StatusOr<Order> other = Place("order-00002", item.item_id, 2);
  EXPECT_TRUE(absl::IsAlreadyExists(other.status()));
  EXPECT_EQ(MachineCodeOf(other.status()), kOrderConflict);
}

TEST_F(RedemptionServiceTest, WalletShortReleasesStockWithDistinctCode) {
  const StoreItem item = MakeItem(1, 60);
  wallet_.Credit(kHousehold, 50);
  absl::StatusOr<Order> order = Place("order-00003", item.item_id);
  EXPECT_TRUE(absl::IsFailedPrecondition(order.status()));
  EXPECT_EQ(MachineCodeOf(order.status()), kWalletInsufficient);
  EXPECT_EQ(repository_.StockOf(item.item_id), 1);
  // A retry gets the same answer, without asking the wallet again.
  const int calls = wallet_.debit_calls();
  EXPECT_EQ(MachineCodeOf(Place("order-00003", item.item_id).status()), kWalletInsufficient);
  EXPECT_EQ(wallet_.debit_calls(), calls);
}

TEST_F(RedemptionServiceTest, SoldOutNotOnSaleAndLimitHaveDistinctCodes) {
  const StoreItem none = MakeItem(0, 10);
  wallet_.Credit(kHousehold, 1000);
  EXPECT_EQ(MachineCodeOf(Place("order-00004", none.item_id).status()), kSoldOut);

  StoreItem later = MakeItem(5, 10);
  later.on_sale_from_ms = kNow + 1000;
  ASSERT_TRUE(service_.UpdateItem(Admin(), later).ok());
  EXPECT_EQ(MachineCodeOf(Place("order-00005", later.item_id).status()), kNotOnSale);

  const StoreItem limited = MakeItem(10, 10, /*limit=*/2);
  EXPECT_TRUE(Place("order-00006", limited.item_id, 2).ok());
  absl::StatusOr<Order> third = Place("order-00007", limited.item_id);
  EXPECT_EQ(MachineCodeOf(third.status()), kLimitReached);
  EXPECT_EQ(repository_.StockOf(limited.item_id), 8);
}

TEST_F(RedemptionServiceTest, LostDebitAnswerLeavesOrderReservedUntilRecovery) {
  const StoreItem item = MakeItem(3, 30);
  wallet_.Credit(kHousehold, 100);
  wallet_.LoseNextDebitAnswer();
  absl::StatusOr<Order> order = Place("order-00008", item.item_id);
  EXPECT_TRUE(absl::IsUnavailable(order.status()));
  EXPECT_EQ(MachineCodeOf(order.status()), kOrderPending);
  EXPECT_EQ(wallet_.Balance(kHousehold), 70);  // the debit did happen
  EXPECT_EQ(repository_.StockOf(item.item_id), 2);

  absl::StatusOr<RecoveryStats> stats = service_.RecoverUnfinished(0, 100);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->confirmed, 1);
  absl::StatusOr<Order> now = service_.GetOrder(Resident(), "order-00008");
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(now->status, OrderStatus::kConfirmed);
  EXPECT_EQ(wallet_.Balance(kHousehold), 70);  // debited once
}

TEST_F(RedemptionServiceTest, UnreachableWalletThenRefusalUndoesOrder) {
  const StoreItem item = MakeItem(1, 30);
  wallet_.FailNext(1, absl::UnavailableError("down"));
  EXPECT_EQ(MachineCodeOf(Place("order-00009", item.item_id).status()), kOrderPending);
  EXPECT_EQ(repository_.StockOf(item.item_id), 0);
  // The sweep leaves young orders alone...
  ASSERT_TRUE(service_.RecoverUnfinished(30000, 100).ok());
  EXPECT_EQ(repository_.StockOf(item.item_id), 0);
  // ...and settles old ones: the wallet is empty, so the order fails and the stock returns.
  clock_.Advance(60000);
  absl::StatusOr<RecoveryStats> stats = service_.RecoverUnfinished(30000, 100);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->failed, 1);
  EXPECT_EQ(repository_.StockOf(item.item_id), 1);
}

TEST_F(RedemptionServiceTest, PermissionDeniedFromWalletDoesNotReleaseStock) {
  const StoreItem item = MakeItem(1, 30);
  wallet_.FailNext(1, absl::PermissionDeniedError("bad service token"));
  EXPECT_EQ(MachineCodeOf(Place("order-00010", item.item_id).status()), kOrderPending);
  EXPECT_EQ(repository_.StockOf(item.item_id), 0);
}

TEST_F(RedemptionServiceTest, CancelRefundsAndReturnsStockOnceThenFulfilIsRefused) {
  const StoreItem item = MakeItem(2, 40);
  wallet_.Credit(kHousehold, 100);
  absl::StatusOr<Order> order = Place("order-00011", item.item_id);
  ASSERT_TRUE(order.ok());
  absl::StatusOr<Order> cancelled = service_.CancelOrder(Resident(), "order-00011", "changed mind");
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->status, OrderStatus::kCancelled);
  EXPECT_EQ(cancelled->wallet_balance_points, 0);  // the debit it reported is refunded
  EXPECT_EQ(wallet_.Balance(kHousehold), 100);
  EXPECT_EQ(repository_.StockOf(item.item_id), 2);
  ASSERT_TRUE(service_.CancelOrder(Resident(), "order-00011", "").ok());
  EXPECT_EQ(wallet_.Balance(kHousehold), 100);
  EXPECT_EQ(repository_.StockOf(item.item_id), 2);
  // The clerk scanning a cancelled order's code is told it was cancelled.
  EXPECT_EQ(MachineCodeOf(service_.FulfilOrder(Admin(), kVillage, order->pickup_code).status()),
            kOrderCancelled);
}

TEST_F(RedemptionServiceTest, RefundFailureLeavesCancellingForRecovery) {
  const StoreItem item = MakeItem(2, 40);
  wallet_.Credit(kHousehold, 100);
  ASSERT_TRUE(Place("order-00012", item.item_id).ok());
  wallet_.FailNext(1, absl::DeadlineExceededError("slow"));
  EXPECT_EQ(MachineCodeOf(service_.CancelOrder(Admin(), "order-00012", "").status()),
            kCancelPending);
  EXPECT_EQ(repository_.StockOf(item.item_id), 1);
  clock_.Advance(60000);
  absl::StatusOr<RecoveryStats> stats = service_.RecoverUnfinished(30000, 100);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->cancelled, 1);
  EXPECT_EQ(wallet_.Balance(kHousehold), 100);
  EXPECT_EQ(repository_.StockOf(item.item_id), 2);
}

TEST_F(RedemptionServiceTest, FulfilByCode) {
  const StoreItem item = MakeItem(2, 40);
  wallet_.Credit(kHousehold, 100);
  absl::StatusOr<Order> order = Place("order-00013", item.item_id);
  ASSERT_TRUE(order.ok());
  EXPECT_EQ(service_.FulfilOrder(Admin(kVillage + 1), kVillage, order->pickup_code).status().code(),
            absl::StatusCode::kPermissionDenied);
  absl::StatusOr<Order> done = service_.FulfilOrder(Admin(), kVillage, order->pickup_code);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->status, OrderStatus::kFulfilled);
  EXPECT_EQ(MachineCodeOf(service_.FulfilOrder(Admin(), kVillage, order->pickup_code).status()),
            kAlreadyFulfilled);
  EXPECT_EQ(MachineCodeOf(service_.FulfilOrder(Admin(), kVillage, "999999").status()),
            kPickupCodeUnknown);
  EXPECT_EQ(MachineCodeOf(service_.CancelOrder(Resident(), "order-00013", "").status()),
            kNotCancellable);
}

TEST_F(RedemptionServiceTest, ObjectLevelAuthorization) {
  const StoreItem item = MakeItem(2, 40);
  wallet_.Credit(kHousehold, 100);
  // A resident orders only for their own household.
  EXPECT_TRUE(absl::IsPermissionDenied(
      service_.PlaceOrder(Resident(kHousehold), {"order-00014", kVillage, 999, item.item_id, 1})
          .status()));
  // A village admin manages only their own village.
  StoreItem foreign = item;
  foreign.village_id = kVillage + 1;
  EXPECT_TRUE(
      absl::IsPermissionDenied(service_.CreateItem(Admin(), foreign, "request-foreign").status()));
  EXPECT_TRUE(absl::IsPermissionDenied(
      service_.RestockItem(Admin(kVillage + 1), kVillage, item.item_id, 5, "x", "request-x")
          .status()));
  // Another household does not see the order.
  ASSERT_TRUE(Place("order-00015", item.item_id).ok());
  EXPECT_TRUE(
      absl::IsNotFound(service_.GetOrder(Resident(kHousehold + 1), "order-00015").status()));
  EXPECT_TRUE(
      absl::IsNotFound(service_.CancelOrder(Resident(kHousehold + 1), "order-00015", "").status()));
  // Residents list only their household's orders.
  OrderQuery query;
  query.village_id = kVillage;
  absl::StatusOr<OrderPage> page = service_.ListOrders(Resident(kHousehold + 1), query);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->orders.empty());
}

TEST_F(RedemptionServiceTest, ConcurrentOrdersForLastUnitGiveOneSuccess) {
  const StoreItem item = MakeItem(1, 10);
  constexpr int kHouseholds = 50;
  for (int h = 0; h < kHouseholds; ++h) wallet_.Credit(1000 + h, 100);
  std::atomic<int> ok{0}, sold_out{0};
  std::vector<std::thread> threads;
  for (int h = 0; h < kHouseholds; ++h) {
    threads.emplace_back([&, h] {
      absl::StatusOr<Order> order =
          Place(absl::StrCat("order-c", h, "-xyz"), item.item_id, 1, 1000 + h);
      if (order.ok()) ++ok;
      if (MachineCodeOf(order.status()) == kSoldOut) ++sold_out;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(sold_out.load(), kHouseholds - 1);
  EXPECT_EQ(repository_.StockOf(item.item_id), 0);
}

TEST_F(RedemptionServiceTest, RestockIsValidatedAndAudited) {
  const StoreItem item = MakeItem(1, 10);
  EXPECT_TRUE(absl::IsInvalidArgument(
      service_.RestockItem(Admin(), kVillage, item.item_id, 5, "", NextRequestId()).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      service_.RestockItem(Admin(), kVillage, item.item_id, 5, "   ", NextRequestId()).status()));
  absl::StatusOr<StoreItem> restocked =
      service_.RestockItem(Admin(), kVillage, item.item_id, 5, "delivery", NextRequestId());
  ASSERT_TRUE(restocked.ok());
  EXPECT_EQ(restocked->stock, 6);
  EXPECT_EQ(
      MachineCodeOf(
          service_.RestockItem(Admin(), kVillage, item.item_id, -7, "breakage", NextRequestId())
              .status()),
      kNegativeStock);
  EXPECT_EQ(repository_.audits().back().action, "item.restocked");
}

// A village phone retries a write whose answer was lost: the retry must not add stock, a donation
// or an item twice (QA: RestockItem and RecordDonation took no client id).
TEST_F(RedemptionServiceTest, StoreAndFundingWritesAreRetrySafe) {
  StoreItem soap;
  soap.village_id = kVillage;
  soap.name = "肥皂";
  soap.price_points = 5;
  soap.stock = 10;
  absl::StatusOr<StoreItem> created = service_.CreateItem(Admin(), soap, "create-soap-1");
  ASSERT_TRUE(created.ok()) << created.status();
  absl::StatusOr<StoreItem> again = service_.CreateItem(Admin(), soap, "create-soap-1");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->item_id, created->item_id);
  EXPECT_EQ(service_.ListItems(Admin(), kVillage, false)->size(), 1u);
  // A client that sends no id can't be told from a new write.
  EXPECT_TRUE(absl::IsInvalidArgument(service_.CreateItem(Admin(), soap, "").status()));
  soap.price_points = 6;
  absl::StatusOr<StoreItem> changed = service_.CreateItem(Admin(), soap, "create-soap-1");
  EXPECT_TRUE(absl::IsAlreadyExists(changed.status()));
  EXPECT_EQ(MachineCodeOf(changed.status()), kIdempotencyConflict);

  const int64_t id = created->item_id;
  ASSERT_EQ(service_.RestockItem(Admin(), kVillage, id, 5, "到货", "restock-0001")->stock, 15);
  absl::StatusOr<StoreItem> restocked =
      service_.RestockItem(Admin(), kVillage, id, 5, "到货", "restock-0001");
  ASSERT_TRUE(restocked.ok()) << restocked.status();
  EXPECT_EQ(restocked->stock, 15);
  EXPECT_EQ(repository_.StockOf(id), 15);
  EXPECT_EQ(MachineCodeOf(
                service_.RestockItem(Admin(), kVillage, id, 6, "到货", "restock-0001").status()),
            kIdempotencyConflict);
  // An id is one write: the item's creation id can't restock.
  EXPECT_EQ(MachineCodeOf(
                service_.RestockItem(Admin(), kVillage, id, 5, "到货", "create-soap-1").status()),
            kIdempotencyConflict);
  // Removing all the units, then the retry: the first removal answers, not NEGATIVE_STOCK.
  ASSERT_TRUE(service_.RestockItem(Admin(), kVillage, id, -15, "损耗", "remove-all-1").ok());
  absl::StatusOr<StoreItem> removed =
      service_.RestockItem(Admin(), kVillage, id, -15, "损耗", "remove-all-1");
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(removed->stock, 0);

  FundingSource gifts;
  gifts.village_id = kVillage;
  gifts.year = 2026;
  gifts.kind = FundingKind::kDonation;
  gifts.name = "社会捐赠";
  absl::StatusOr<FundingSource> source = service_.CreateFundingSource(Admin(), gifts, "source-01");
  ASSERT_TRUE(source.ok()) << source.status();
  absl::StatusOr<FundingSource> source_again =
      service_.CreateFundingSource(Admin(), gifts, "source-01");
  ASSERT_TRUE(source_again.ok()) << source_again.status();
  EXPECT_EQ(source_again->funding_source_id, source->funding_source_id);
  EXPECT_EQ(service_.ListFundingSources(Admin(), kVillage, 2026)->size(), 1u);

  Donation gift;
  gift.village_id = kVillage;
  gift.funding_source_id = source->funding_source_id;
  gift.donor = "某企业";
  gift.amount_fen = 100000;
  gift.donated_on = "2026-02-01";
  absl::StatusOr<Donation> recorded = service_.RecordDonation(Admin(), gift, "donation-01");
  ASSERT_TRUE(recorded.ok()) << recorded.status();
  absl::StatusOr<Donation> recorded_again = service_.RecordDonation(Admin(), gift, "donation-01");
  ASSERT_TRUE(recorded_again.ok()) << recorded_again.status();
  EXPECT_EQ(recorded_again->donation_id, recorded->donation_id);
  EXPECT_EQ(service_.ListDonations(Admin(), kVillage, 2026)->size(), 1u);
  EXPECT_EQ(service_.GetBudgetCheck(Admin(), kVillage, 2026)->donations_fen, 100000);
  gift.amount_fen = 200000;
  EXPECT_EQ(MachineCodeOf(service_.RecordDonation(Admin(), gift, "donation-01").status()),
            kIdempotencyConflict);

  // Ids are the village's own: another village's id of the same text is another write.
  StoreItem other = soap;
  other.village_id = kVillage + 1;
  absl::StatusOr<StoreItem> theirs =
      service_.CreateItem(Admin(kVillage + 1), other, "create-soap-1");
  ASSERT_TRUE(theirs.ok()) << theirs.status();
  EXPECT_NE(theirs->item_id, created->item_id);
}

// QA: blank names, control characters, made-up funding sources and photo paths went on sale;
// limits counted bytes though the messages say characters.
TEST_F(RedemptionServiceTest, ItemFieldsAreCheckedAsPeopleTypeThem) {
  const auto create = [&](const StoreItem& item) {
    return service_.CreateItem(Admin(), item, NextRequestId());
  };
  const auto refused_field = [&](const StoreItem& item) -> std::string {
    const absl::Status status = create(item).status();
    if (!absl::IsInvalidArgument(status)) return absl::StrCat("not refused: ", status.ToString());
    return std::string(status.message().substr(0, status.message().find(':')));
  };
  StoreItem item;
  item.village_id = kVillage;
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
  EXPECT_TRUE(create(item).ok());
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
  EXPECT_TRUE(create(item).ok());
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
  FundingSource funds;
  funds.village_id = kVillage + 1;
  funds.year = 2026;
  funds.kind = FundingKind::kVillageFunds;
  funds.name = "村集体经费";
  absl::StatusOr<FundingSource> theirs =
      service_.CreateFundingSource(Admin(kVillage + 1), funds, NextRequestId());
  ASSERT_TRUE(theirs.ok());
  item.funding_source_id = theirs->funding_source_id;
  EXPECT_EQ(MachineCodeOf(create(item).status()), kFundingSourceNotFound);
  funds.village_id = kVillage;
  absl::StatusOr<FundingSource> ours =
      service_.CreateFundingSource(Admin(), funds, NextRequestId());
  ASSERT_TRUE(ours.ok());
  item.funding_source_id = ours->funding_source_id;
  absl::StatusOr<StoreItem> funded = create(item);
  ASSERT_TRUE(funded.ok()) << funded.status();

  // An update is held to the same rules.
  StoreItem edit = *funded;
  edit.name = "　";
  EXPECT_TRUE(absl::IsInvalidArgument(service_.UpdateItem(Admin(), edit).status()));
  edit = *funded;
  edit.photo_ref = "../../etc/passwd";
  EXPECT_TRUE(absl::IsInvalidArgument(service_.UpdateItem(Admin(), edit).status()));
  edit = *funded;
  edit.funding_source_id = theirs->funding_source_id;
  EXPECT_EQ(MachineCodeOf(service_.UpdateItem(Admin(), edit).status()), kFundingSourceNotFound);
}

TEST_F(RedemptionServiceTest, FundingNamesDonorsDatesAndReasonsAreChecked) {
  FundingSource source;
  source.village_id = kVillage;
  source.year = 2026;
  source.kind = FundingKind::kDonation;
  source.name = "\xE3\x80\x80 ";
  EXPECT_TRUE(absl::IsInvalidArgument(
      service_.CreateFundingSource(Admin(), source, "source-blank").status()));
  source.name = " 社会捐赠 ";
  absl::StatusOr<FundingSource> created =
      service_.CreateFundingSource(Admin(), source, "source-gifts");
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->name, "社会捐赠");

  Donation gift;
  gift.village_id = kVillage;
  gift.funding_source_id = created->funding_source_id;
  gift.amount_fen = 5000;
  gift.donated_on = "2026-02-10";  // today in Shanghai: received
  gift.donor = "   ";
  EXPECT_TRUE(
      absl::IsInvalidArgument(service_.RecordDonation(Admin(), gift, "gift-blank").status()));
  gift.donor = std::string("某\0公司", 9);
  EXPECT_TRUE(
      absl::IsInvalidArgument(service_.RecordDonation(Admin(), gift, "gift-ctrl1").status()));
  gift.donor = "某公司";
  gift.donated_on = "2099-01-01";
  absl::Status future = service_.RecordDonation(Admin(), gift, "gift-future").status();
  EXPECT_TRUE(absl::IsInvalidArgument(future));
  EXPECT_TRUE(absl::StartsWith(future.message(), "donated_on: ")) << future;
  gift.donated_on = "2026-02-11";  // tomorrow
  EXPECT_TRUE(
      absl::IsInvalidArgument(service_.RecordDonation(Admin(), gift, "gift-tmrw").status()));
  gift.donated_on = "2026-02-10";
  EXPECT_TRUE(service_.RecordDonation(Admin(), gift, "gift-today").ok());

  // A reason of full-width spaces says nothing.
  const StoreItem item = MakeItem(1, 10);
  EXPECT_TRUE(absl::IsInvalidArgument(service_
                                          .RestockItem(Admin(), kVillage, item.item_id, 5,
                                                       "\xE3\x80\x80\xE3\x80\x80", "restock-blank")
                                          .status()));
  std::string long_reason;
  for (int i = 0; i < 500; ++i) long_reason += "货";
  EXPECT_TRUE(
      service_.RestockItem(Admin(), kVillage, item.item_id, 5, long_reason, "restock-long").ok());
  EXPECT_TRUE(absl::IsInvalidArgument(
      service_.RestockItem(Admin(), kVillage, item.item_id, 5, long_reason + "货", "restock-2long")
          .status()));
}

TEST_F(RedemptionServiceTest, BudgetRuleNotLowerThanLastYear) {
  ASSERT_TRUE(service_.SetBudget(Admin(), {kVillage, 2025, 500000, 0}, "").ok());
  absl::StatusOr<BudgetCheck> check = service_.GetBudgetCheck(Admin(), kVillage, 2026);
  ASSERT_TRUE(check.ok());
  EXPECT_FALSE(check->budget_set);
  EXPECT_FALSE(check->not_lower_than_last_year);  // nothing set this year yet

  ASSERT_TRUE(service_.SetBudget(Admin(), {kVillage, 2026, 400000, 0}, "").ok());
  EXPECT_FALSE(service_.GetBudgetCheck(Admin(), kVillage, 2026)->not_lower_than_last_year);
  ASSERT_TRUE(service_.SetBudget(Admin(), {kVillage, 2026, 500000, 0}, "").ok());

  FundingSource donations;
  donations.village_id = kVillage;
  donations.year = 2026;
  donations.kind = FundingKind::kDonation;
  donations.name = "社会捐赠";
  absl::StatusOr<FundingSource> source =
      service_.CreateFundingSource(Admin(), donations, NextRequestId());
  ASSERT_TRUE(source.ok());
  Donation gift;
  gift.village_id = kVillage;
  gift.funding_source_id = source->funding_source_id;
  gift.donor = "某企业";
  gift.amount_fen = 100000;
  gift.donated_on = "2026-02-01";
  ASSERT_TRUE(service_.RecordDonation(Admin(), gift, NextRequestId()).ok());
  gift.donated_on = "2026-02-31";
  EXPECT_TRUE(
      absl::IsInvalidArgument(service_.RecordDonation(Admin(), gift, NextRequestId()).status()));

  const StoreItem item = MakeItem(5, 10);  // value 1500 fen
  wallet_.Credit(kHousehold, 100);
  ASSERT_TRUE(Place("order-00016", item.item_id, 2).ok());

  check = service_.GetBudgetCheck(Admin(), kVillage, 2026);
  ASSERT_TRUE(check.ok());
  EXPECT_TRUE(check->not_lower_than_last_year);
  EXPECT_EQ(check->donations_fen, 100000);
  EXPECT_EQ(check->redeemed_value_fen, 3000);
  EXPECT_EQ(check->remaining_fen, 497000);
  EXPECT_TRUE(
      absl::IsPermissionDenied(service_.GetBudgetCheck(Resident(), kVillage, 2026).status()));
}

// QA: after 2026's check failed, PUT .../budgets/2025 with a tiny amount made it pass. Once a year
// has ended (Shanghai time) its recorded budget is fixed for the village; the district corrects.
TEST_F(RedemptionServiceTest, AnEndedYearsBudgetIsFixedForTheVillage) {
  // kNow is 2026-02-10: 2025 has ended. A budget never recorded may still be recorded once.
  ASSERT_TRUE(service_.SetBudget(Admin(), {kVillage, 2025, 500000, 0}, "").ok());
  ASSERT_TRUE(service_.SetBudget(Admin(), {kVillage, 2026, 400000, 0}, "").ok());
  ASSERT_FALSE(service_.GetBudgetCheck(Admin(), kVillage, 2026)->not_lower_than_last_year);

  absl::StatusOr<Budget> lowered = service_.SetBudget(Admin(), {kVillage, 2025, 1, 0}, "");
  EXPECT_TRUE(absl::IsFailedPrecondition(lowered.status())) << lowered.status();
  EXPECT_EQ(MachineCodeOf(lowered.status()), kBudgetYearClosed);
  EXPECT_FALSE(service_.GetBudgetCheck(Admin(), kVillage, 2026)->not_lower_than_last_year);
  EXPECT_EQ(service_.GetBudgetCheck(Admin(), kVillage, 2026)->previous_budget_fen, 500000);
  // The recorded figure again (a retried PUT) is no change.
  EXPECT_TRUE(service_.SetBudget(Admin(), {kVillage, 2025, 500000, 0}, "").ok());

  // The running year stays the village's to set, up to its last millisecond in Shanghai.
  clock_.Advance(YearStartMs(2027) - 1 - kNow);
  ASSERT_TRUE(service_.SetBudget(Admin(), {kVillage, 2026, 450000, 0}, "").ok());
  clock_.Advance(1);  // 2027-01-01 00:00 Shanghai (2026-12-31 16:00 UTC)
  EXPECT_EQ(MachineCodeOf(service_.SetBudget(Admin(), {kVillage, 2026, 300000, 0}, "").status()),
            kBudgetYearClosed);

  // The district corrects a wrong record, saying why; nobody else may.
  Caller district;
  district.user_id = "district-1";
  district.role = Role::kDistrictOfficial;
  EXPECT_TRUE(absl::IsInvalidArgument(
      service_.SetBudget(district, {kVillage, 2025, 480000, 0}, "\xE3\x80\x80").status()));
  ASSERT_TRUE(
      service_.SetBudget(district, {kVillage, 2025, 480000, 0}, "村委会决议更正为48万元").ok());
  EXPECT_EQ(service_.GetBudgetCheck(district, kVillage, 2026)->previous_budget_fen, 480000);
  EXPECT_EQ(repository_.last_budget_reason(), "村委会决议更正为48万元");
  EXPECT_EQ(repository_.audits().back().actor_user_id, "district-1");
  Caller inspector = district;
  inspector.role = Role::kDistrictInspector;
  EXPECT_TRUE(absl::IsPermissionDenied(
      service_.SetBudget(inspector, {kVillage, 2025, 1, 0}, "巡查").status()));
  EXPECT_TRUE(absl::IsPermissionDenied(
      service_.SetBudget(Admin(kVillage + 1), {kVillage, 2026, 1, 0}, "").status()));
}

TEST_F(RedemptionServiceTest, ExportLedger) {
  const StoreItem item = MakeItem(5, 10);
  wallet_.Credit(kHousehold, 100);
  ASSERT_TRUE(Place("order-00017", item.item_id).ok());
  absl::StatusOr<LedgerExport> exported = service_.ExportLedger(Admin(), kVillage, 0, 0);
  ASSERT_TRUE(exported.ok());
  EXPECT_EQ(exported->rows, 1);
  EXPECT_TRUE(absl::StartsWith(exported->csv, "\xEF\xBB\xBF"));
  EXPECT_TRUE(absl::StrContains(exported->csv, "order-00017"));
  EXPECT_TRUE(absl::IsPermissionDenied(service_.ExportLedger(Resident(), kVillage, 0, 0).status()));
}

TEST_F(RedemptionServiceTest, ExportFileNameSaysTheDatesItCovers) {
  const int64_t year_2026 = YearStartMs(2026);
  absl::StatusOr<LedgerExport> open = service_.ExportLedger(Admin(), kVillage, 0, 0);
  ASSERT_TRUE(open.ok());
  EXPECT_EQ(open->file_name, "redemption-ledger-11-start-20260210.csv");
  // QA: INT64_MAX for "no end" named the file "...-start-2922789940817.csv".
  absl::StatusOr<LedgerExport> no_end =
      service_.ExportLedger(Admin(), kVillage, year_2026, INT64_MAX);
  ASSERT_TRUE(no_end.ok()) << no_end.status();
  EXPECT_EQ(no_end->file_name, "redemption-ledger-11-20260101-20260210.csv");
  absl::StatusOr<LedgerExport> january =
      service_.ExportLedger(Admin(), kVillage, year_2026, year_2026 + 31LL * 86400 * 1000);
  ASSERT_TRUE(january.ok());
  EXPECT_EQ(january->file_name, "redemption-ledger-11-20260101-20260201.csv");
  EXPECT_TRUE(
      absl::IsInvalidArgument(service_.ExportLedger(Admin(), kVillage, INT64_MAX - 1, 0).status()));
}

TEST_F(RedemptionServiceTest, ExportNotesAreChineseForStaff) {
  const StoreItem item = MakeItem(5, 60);
  wallet_.Credit(kHousehold, 50);
  ASSERT_EQ(MachineCodeOf(Place("order-short1", item.item_id).status()), kWalletInsufficient);
  absl::StatusOr<LedgerExport> exported = service_.ExportLedger(Admin(), kVillage, 0, 0);
  ASSERT_TRUE(exported.ok());
  EXPECT_TRUE(absl::StrContains(exported->csv, "积分不足，兑换未成功（需 60 积分）"))
      << exported->csv;
  EXPECT_FALSE(absl::StrContains(exported->csv, "WALLET_INSUFFICIENT")) << exported->csv;
  EXPECT_FALSE(absl::StrContains(exported->csv, "wallet holds")) << exported->csv;
}

// A wallet whose debit succeeds only after another caller has released the order (the race the
// confirm step must repair): the points must come back.
class ReleasingWallet final : public WalletClient {
 public:
  ReleasingWallet(FakeWallet* inner, StoreRepository* repository)
      : inner_(inner), repository_(repository) {}
  absl::StatusOr<DebitResult> Debit(int64_t household_id, int64_t points,
                                    const std::string& order_id, const std::string& reason,
                                    const std::string& request_id) override {
    EXPECT_TRUE(repository_
                    ->Fail(order_id, "WALLET_INSUFFICIENT: seen by another call", kNow,
                           {"other", "resident"})
                    .ok());
    return inner_->Debit(household_id, points, order_id, reason, request_id);
  }
  absl::Status Refund(const std::string& order_id, const std::string& reason,
                      const std::string& request_id) override {
    return inner_->Refund(order_id, reason, request_id);
  }

 private:
  FakeWallet* inner_;
  StoreRepository* repository_;
};

TEST(RedemptionRaceTest, DebitLandingOnReleasedOrderIsRefunded) {
  FakeStoreRepository repository;
  FakeWallet wallet;
  ReleasingWallet racing(&wallet, &repository);
  FakeClock clock(kNow);
  RedemptionService service(&repository, &racing, &clock, [] { return std::string("123456"); });
  StoreItem item;
  item.village_id = kVillage;
  item.name = "米";
  item.price_points = 30;
  item.stock = 1;
  absl::StatusOr<StoreItem> created = service.CreateItem(Admin(), item, "request-race");
  ASSERT_TRUE(created.ok());
  wallet.Credit(kHousehold, 100);
  absl::StatusOr<Order> order =
      service.PlaceOrder(Resident(), {"order-race-1", kVillage, kHousehold, created->item_id, 1});
  EXPECT_TRUE(absl::IsFailedPrecondition(order.status()));
  EXPECT_EQ(wallet.Balance(kHousehold), 100);          // debited, then refunded
  EXPECT_EQ(repository.StockOf(created->item_id), 1);  // returned by the release
}

}  // namespace
}  // namespace jifen::redemption
