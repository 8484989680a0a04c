// MySqlStoreRepository against the fixture's MariaDB, through the service account (so the grants
// of the migrations are exercised too).
#include "services/redemption/storage/mysql_store_repository.h"

#include <cppconn/connection.h>
#include <cppconn/resultset.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/mysql/statement.h"
#include "common/mysql/transaction.h"
#include "jifen/audit/v1/audit.pb.h"
#include "services/redemption/domain/errors.h"
#include "services/redemption/storage/test_database.h"

namespace jifen::redemption {
namespace {

constexpr int64_t kVillage = 7;
constexpr int64_t kNow = 1767196800000 + 86400000;  // 2026-01-02 Shanghai

const Actor kActor{"admin-7", "village_admin"};

class MySqlStoreRepositoryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_ = new testing::MigratedDatabase(testing::CreateMigratedDatabase(
        "redemption_storage", "services/redemption/migrations"));
  }
  static void TearDownTestSuite() { delete db_; }

  MySqlStoreRepositoryTest() : pool_(db_->service), admin_pool_(db_->admin), repository_(&pool_) {}

  StoreItem Item(int64_t stock, int32_t limit = 0) {
    StoreItem item;
    item.village_id = kVillage;
    item.name = "毛巾";
    item.price_points = 20;
    item.stock = stock;
    item.value_fen = 800;
    item.limit_per_household = limit;
    item.created_at_ms = kNow;
    item.updated_at_ms = kNow;
    absl::StatusOr<StoreItem> created =
        repository_.CreateItem(item, Request("create_item"), kActor);
    EXPECT_TRUE(created.ok()) << created.status();
    return *created;
  }

  static Order MakeOrder(const std::string& id, const StoreItem& item, int64_t household,
                         int32_t quantity = 1) {
    Order order;
    order.order_id = id;
    order.village_id = kVillage;
    order.household_id = household;
    order.item_id = item.item_id;
    order.item_name = item.name;
    order.quantity = quantity;
    order.price_points = item.price_points;
    order.total_points = item.price_points * quantity;
    order.value_fen = item.value_fen * quantity;
    order.limit_period_key = "2026Q1";
    order.ordered_by_user_id = absl::StrCat("resident-", household);
    order.created_at_ms = kNow;
    order.updated_at_ms = kNow;
    return order;
  }

  // A request under a fresh id.
  static ClientRequest Request(const std::string& kind, const std::string& payload = "p") {
    static std::atomic<int> next{0};
    return {absl::StrCat("storage-request-", ++next), kind, payload};
  }

  int64_t Stock(const StoreItem& item) {
    absl::StatusOr<StoreItem> now = repository_.GetItem(kVillage, item.item_id);
    EXPECT_TRUE(now.ok());
    return now.ok() ? now->stock : -1;
  }

  // Audit records for an object, in outbox order.
  std::vector<audit::v1::AuditRecord> AuditsOf(const std::string& object_id) {
    std::vector<audit::v1::AuditRecord> events;
    const absl::Status status = mysql::RunWithConnection(admin_pool_, [&](sql::Connection& c) {
      auto rows =
          mysql::Statement(c, "SELECT payload FROM outbox WHERE topic = 'audit' ORDER BY id")
              .Query();
      while (rows->next()) {
        audit::v1::AuditRecord event;
        if (event.ParseFromString(rows->getString(1).asStdString()) &&
            event.object_id() == object_id) {
          events.push_back(event);
        }
      }
      return absl::OkStatus();
    });
    EXPECT_TRUE(status.ok()) << status;
    return events;
  }

  static testing::MigratedDatabase* db_;
  mysql::ConnectionPool pool_;
  mysql::ConnectionPool admin_pool_;
  MySqlStoreRepository repository_;
};

testing::MigratedDatabase* MySqlStoreRepositoryTest::db_ = nullptr;

TEST_F(MySqlStoreRepositoryTest, TwoHundredConcurrentReservationsForLastUnitGiveOne) {
  const StoreItem item = Item(1);
  std::atomic<int> reserved{0}, sold_out{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 200; ++i) {
    threads.emplace_back([&, i] {
      absl::StatusOr<Order> order =
          repository_.Reserve(MakeOrder(absl::StrCat("last-unit-", i), item, 100 + i), 0, kActor);
      if (order.ok()) {
        ++reserved;
      } else if (MachineCodeOf(order.status()) == kSoldOut) {
        ++sold_out;
      } else {
        ++other;
        ADD_FAILURE() << order.status();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(reserved.load(), 1);
  EXPECT_EQ(sold_out.load(), 199);
  EXPECT_EQ(Stock(item), 0);
}

TEST_F(MySqlStoreRepositoryTest, HouseholdLimitHoldsUnderConcurrency) {
  const StoreItem item = Item(100, /*limit=*/3);
  std::atomic<int> reserved{0}, limited{0};
  absl::Mutex mutex;
  std::string a_reserved_id;
  std::vector<std::thread> threads;
  for (int i = 0; i < 40; ++i) {
    threads.emplace_back([&, i] {
      absl::StatusOr<Order> order =
          repository_.Reserve(MakeOrder(absl::StrCat("limit-", i), item, 42), 3, kActor);
      if (order.ok()) {
        ++reserved;
        absl::MutexLock lock(&mutex);
        a_reserved_id = order->order_id;
      }
      if (MachineCodeOf(order.status()) == kLimitReached) ++limited;
      if (!order.ok() && MachineCodeOf(order.status()) != kLimitReached) {
        ADD_FAILURE() << order.status();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(reserved.load(), 3);
  EXPECT_EQ(limited.load(), 37);
  EXPECT_EQ(Stock(item), 97);
  // Another household is not affected; a failed order frees its units.
  EXPECT_TRUE(repository_.Reserve(MakeOrder("limit-other", item, 43), 3, kActor).ok());
  EXPECT_EQ(
      MachineCodeOf(repository_.Reserve(MakeOrder("limit-more", item, 42), 3, kActor).status()),
      kLimitReached);
  absl::StatusOr<OrderUpdate> failed =
      repository_.Fail(a_reserved_id, "WALLET_INSUFFICIENT: x", kNow, kActor);
  ASSERT_TRUE(failed.ok()) << failed.status();
  EXPECT_TRUE(failed->changed);
  EXPECT_TRUE(repository_.Reserve(MakeOrder("limit-again", item, 42), 3, kActor).ok());
}

TEST_F(MySqlStoreRepositoryTest, OrderLifecycleIsConditionalAndAudited) {
  const StoreItem item = Item(2);
  absl::StatusOr<Order> life1 = repository_.Reserve(MakeOrder("life-0001", item, 9), 0, kActor);
  ASSERT_TRUE(life1.ok());
  EXPECT_TRUE(absl::IsAlreadyExists(
      repository_.Reserve(MakeOrder("life-0001", item, 9), 0, kActor).status()));
  EXPECT_EQ(Stock(item), 1);

  absl::StatusOr<OrderUpdate> confirmed = repository_.Confirm(*life1, "123456", 80, kNow, kActor);
  ASSERT_TRUE(confirmed.ok());
  EXPECT_TRUE(confirmed->changed);
  EXPECT_EQ(confirmed->order.status, OrderStatus::kConfirmed);
  // Not RESERVED any more: Fail changes nothing and returns no stock.
  absl::StatusOr<OrderUpdate> late_fail = repository_.Fail("life-0001", "x", kNow, kActor);
  ASSERT_TRUE(late_fail.ok());
  EXPECT_FALSE(late_fail->changed);
  EXPECT_EQ(Stock(item), 1);

  // A second order cannot take the same pickup code in the village.
  absl::StatusOr<Order> life2 = repository_.Reserve(MakeOrder("life-0002", item, 9), 0, kActor);
  ASSERT_TRUE(life2.ok());
  EXPECT_TRUE(
      absl::IsAlreadyExists(repository_.Confirm(*life2, "123456", 60, kNow, kActor).status()));

  EXPECT_EQ(confirmed->order.wallet_balance_points, 80);
  absl::StatusOr<OrderUpdate> cancelling =
      repository_.BeginCancel("life-0001", "不要了", kNow, kActor);
  ASSERT_TRUE(cancelling.ok());
  // The balance after a debit that is being refunded is no balance to show.
  EXPECT_EQ(cancelling->order.wallet_balance_points, 0);
  absl::StatusOr<OrderUpdate> cancelled = repository_.FinishCancel("life-0001", kNow, kActor);
  ASSERT_TRUE(cancelled.ok());
  EXPECT_TRUE(cancelled->changed);
  EXPECT_EQ(cancelled->order.wallet_balance_points, 0);
  absl::StatusOr<std::optional<Order>> read = repository_.FindOrder("life-0001");
  ASSERT_TRUE(read.ok() && read->has_value());
  EXPECT_EQ((*read)->wallet_balance_points, 0);
  EXPECT_EQ(Stock(item), 1);  // one back from life-0001, one held by life-0002
  absl::StatusOr<OrderUpdate> again = repository_.FinishCancel("life-0001", kNow, kActor);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->changed);
  EXPECT_EQ(Stock(item), 1);

  const std::vector<audit::v1::AuditRecord> audits = AuditsOf("life-0001");
  ASSERT_EQ(audits.size(), 4u);
  EXPECT_EQ(audits[0].action(), "reserve");
  EXPECT_EQ(audits[1].action(), "confirm");
  EXPECT_EQ(audits[2].action(), "request_cancel");
  EXPECT_EQ(audits[3].action(), "cancel");
  EXPECT_EQ(audits[3].actor_user_id(), "admin-7");
  EXPECT_FALSE(audits[3].before().empty());
  EXPECT_EQ(audits[3].village_id(), kVillage);
}

TEST_F(MySqlStoreRepositoryTest, FulfilByPickupCode) {
  const StoreItem item = Item(1);
  absl::StatusOr<Order> reserved =
      repository_.Reserve(MakeOrder("pickup-0001", item, 5), 0, kActor);
  ASSERT_TRUE(reserved.ok());
  ASSERT_TRUE(repository_.Confirm(*reserved, "654321", 0, kNow, kActor).ok());
  absl::StatusOr<OrderUpdate> done = repository_.Fulfil(kVillage, "654321", kNow, kActor);
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(done->changed);
  EXPECT_EQ(done->order.fulfilled_by_user_id, "admin-7");
  absl::StatusOr<OrderUpdate> twice = repository_.Fulfil(kVillage, "654321", kNow, kActor);
  ASSERT_TRUE(twice.ok());
  EXPECT_FALSE(twice->changed);
  EXPECT_EQ(MachineCodeOf(repository_.Fulfil(kVillage + 1, "654321", kNow, kActor).status()),
            kPickupCodeUnknown);
}

TEST_F(MySqlStoreRepositoryTest, RestockIsConditionalAndAudited) {
  const StoreItem item = Item(3);
  absl::StatusOr<StoreItem> up =
      repository_.AdjustStock(kVillage, item.item_id, 10, "到货", kNow, Request("r"), kActor);
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up->stock, 13);
  EXPECT_EQ(
      MachineCodeOf(
          repository_.AdjustStock(kVillage, item.item_id, -14, "损耗", kNow, Request("r"), kActor)
              .status()),
      kNegativeStock);
  EXPECT_EQ(
      MachineCodeOf(
          repository_.AdjustStock(kVillage + 1, item.item_id, 1, "x", kNow, Request("r"), kActor)
              .status()),
      kItemNotFound);
  const std::vector<audit::v1::AuditRecord> audits = AuditsOf(absl::StrCat(item.item_id));
  ASSERT_EQ(audits.size(), 2u);
  EXPECT_EQ(audits[1].action(), "restock");
  EXPECT_NE(audits[1].after().find("到货"), std::string::npos);  // the reason
}

// QA found that an edit of the description or the photo left before == after in the trail.
TEST_F(MySqlStoreRepositoryTest, AnEditOfDescriptionOrPhotoIsVisibleInTheAuditRecord) {
  StoreItem item = Item(3);
  item.description = "每户限领一瓶";
  ASSERT_TRUE(repository_.UpdateItem(item, kActor).ok());
  item.photo_ref = std::string(64, 'a');
  ASSERT_TRUE(repository_.UpdateItem(item, kActor).ok());
  const std::vector<audit::v1::AuditRecord> audits = AuditsOf(absl::StrCat(item.item_id));
  ASSERT_EQ(audits.size(), 3u);
  ASSERT_EQ(audits[1].action(), "update");
  EXPECT_NE(audits[1].before(), audits[1].after());
  EXPECT_NE(audits[1].after().find("每户限领一瓶"), std::string::npos) << audits[1].after();
  ASSERT_EQ(audits[2].action(), "update");
  EXPECT_NE(audits[2].before(), audits[2].after());
  EXPECT_NE(audits[2].after().find(item.photo_ref), std::string::npos) << audits[2].after();
}

// The client's request id is recorded with the write in its transaction: a second write under it,
// sequential or concurrent, writes nothing (no second stock change, donation or audit record).
TEST_F(MySqlStoreRepositoryTest, AWriteUnderATakenRequestIdWritesNothing) {
  const StoreItem item = Item(5);
  const ClientRequest restock{"restock-twice-1", "restock_item", "payload"};
  std::atomic<int> written{0}, taken{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 12; ++i) {
    threads.emplace_back([&] {
      absl::StatusOr<StoreItem> after =
          repository_.AdjustStock(kVillage, item.item_id, 3, "到货", kNow, restock, kActor);
      if (after.ok()) {
        ++written;
      } else if (absl::IsAlreadyExists(after.status())) {
        ++taken;
      } else {
        ADD_FAILURE() << after.status();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(written.load(), 1);
  EXPECT_EQ(taken.load(), 11);
  EXPECT_EQ(Stock(item), 8);
  EXPECT_EQ(AuditsOf(absl::StrCat(item.item_id)).size(), 2u);  // create, one restock
  absl::StatusOr<std::optional<RecordedRequest>> found =
      repository_.FindRequest(kVillage, "restock-twice-1");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->kind, "restock_item");
  EXPECT_EQ((*found)->payload, "payload");
  EXPECT_EQ((*found)->object_id, item.item_id);
  // Another village's id space.
  absl::StatusOr<std::optional<RecordedRequest>> elsewhere =
      repository_.FindRequest(kVillage + 1, "restock-twice-1");
  ASSERT_TRUE(elsewhere.ok());
  EXPECT_FALSE(elsewhere->has_value());

  constexpr int64_t kGiving = 9;
  absl::StatusOr<FundingSource> gifts = repository_.CreateFundingSource(
      {0, kGiving, 2026, FundingKind::kDonation, "社会捐赠", 0, kNow}, Request("f"), kActor);
  ASSERT_TRUE(gifts.ok());
  const Donation donation{0,  kGiving, gifts->funding_source_id, "某公司", 50000, "2026-03-01",
                          "", kNow};
  const ClientRequest record{"donation-twice-1", "record_donation", "payload"};
  absl::StatusOr<Donation> first = repository_.RecordDonation(donation, record, kActor);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(absl::IsAlreadyExists(repository_.RecordDonation(donation, record, kActor).status()));
  absl::StatusOr<std::vector<Donation>> listed = repository_.ListDonations(kGiving, "", "");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 1u);
  absl::StatusOr<Donation> read = repository_.GetDonation(kGiving, first->donation_id);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->donated_on, "2026-03-01");
  EXPECT_EQ(read->amount_fen, 50000);
  absl::StatusOr<FundingSource> source =
      repository_.GetFundingSource(kGiving, gifts->funding_source_id);
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_EQ(source->name, "社会捐赠");
  EXPECT_EQ(
      MachineCodeOf(repository_.GetFundingSource(kGiving + 1, gifts->funding_source_id).status()),
      kFundingSourceNotFound);
}

// An ended year's budget is written only as its first record: another figure is refused and
// leaves the record as it was, the same figure writes nothing; a correction replaces it with its
// reason on the trail.
TEST_F(MySqlStoreRepositoryTest, AFirstOnlyBudgetWriteNeverChangesARecordedOne) {
  constexpr int64_t kClosing = 10;
  const Actor district{"district-1", "district_official"};
  absl::StatusOr<Budget> first =
      repository_.SetBudget({kClosing, 2025, 500000, kNow}, BudgetWrite::kFirstOnly, "", kActor);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<Budget> lowered =
      repository_.SetBudget({kClosing, 2025, 1, kNow + 1}, BudgetWrite::kFirstOnly, "", kActor);
  EXPECT_EQ(MachineCodeOf(lowered.status()), kBudgetYearClosed) << lowered.status();
  absl::StatusOr<Budget> same = repository_.SetBudget({kClosing, 2025, 500000, kNow + 2},
                                                      BudgetWrite::kFirstOnly, "", kActor);
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(same->updated_at_ms, kNow);  // the recorded one, untouched
  absl::StatusOr<BudgetFacts> facts = repository_.GetBudgetFacts(kClosing, 2026, 0, 1);
  ASSERT_TRUE(facts.ok());
  EXPECT_EQ(facts->previous_budget_fen.value_or(-1), 500000);
  EXPECT_EQ(AuditsOf(absl::StrCat(kClosing, "/2025")).size(), 1u);

  ASSERT_TRUE(repository_
                  .SetBudget({kClosing, 2025, 480000, kNow + 3}, BudgetWrite::kReplace,
                             "村委会决议更正", district)
                  .ok());
  const std::vector<audit::v1::AuditRecord> audits = AuditsOf(absl::StrCat(kClosing, "/2025"));
  ASSERT_EQ(audits.size(), 2u);
  EXPECT_EQ(audits[1].actor_user_id(), "district-1");
  EXPECT_NE(audits[1].before().find("500000"), std::string::npos) << audits[1].before();
  EXPECT_NE(audits[1].after().find("480000"), std::string::npos) << audits[1].after();
  EXPECT_NE(audits[1].after().find("村委会决议更正"), std::string::npos) << audits[1].after();
}

TEST_F(MySqlStoreRepositoryTest, ListOrdersPagesNewestFirstAndFindsUnfinished) {
  const StoreItem item = Item(10);
  for (int i = 0; i < 5; ++i) {
    Order order = MakeOrder(absl::StrCat("page-000", i), item, 77);
    order.created_at_ms = kNow + i;
    order.updated_at_ms = kNow + i;
    ASSERT_TRUE(repository_.Reserve(order, 0, kActor).ok());
  }
  OrderQuery query;
  query.village_id = kVillage;
  query.household_id = 77;
  query.page_size = 3;
  absl::StatusOr<OrderPage> first = repository_.ListOrders(query);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->orders.size(), 3u);
  EXPECT_TRUE(first->more);
  EXPECT_EQ(first->orders[0].order_id, "page-0004");
  query.after_created_at_ms = first->orders.back().created_at_ms;
  query.after_order_id = first->orders.back().order_id;
  absl::StatusOr<OrderPage> second = repository_.ListOrders(query);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->orders.size(), 2u);
  EXPECT_FALSE(second->more);
  EXPECT_EQ(second->orders[1].order_id, "page-0000");

  absl::StatusOr<std::vector<Order>> unfinished = repository_.ListUnfinishedOrders(kNow + 2, 100);
  ASSERT_TRUE(unfinished.ok());
  int page_orders = 0;
  for (const Order& o : *unfinished) page_orders += o.household_id == 77;
  EXPECT_EQ(page_orders, 2);
}

TEST_F(MySqlStoreRepositoryTest, FundingDonationsAndBudgetFacts) {
  constexpr int64_t kOther = 8;
  FundingSource funds{0, kOther, 2026, FundingKind::kVillageFunds, "村集体经费", 300000, kNow};
  FundingSource gifts{0, kOther, 2026, FundingKind::kDonation, "社会捐赠", 0, kNow};
  absl::StatusOr<FundingSource> funds_saved =
      repository_.CreateFundingSource(funds, Request("f"), kActor);
  absl::StatusOr<FundingSource> gifts_saved =
      repository_.CreateFundingSource(gifts, Request("f"), kActor);
  ASSERT_TRUE(funds_saved.ok() && gifts_saved.ok());
  Donation donation{0,  kOther, gifts_saved->funding_source_id, "某公司", 50000, "2026-03-01",
                    "", kNow};
  ASSERT_TRUE(repository_.RecordDonation(donation, Request("d"), kActor).ok());
  donation.funding_source_id = funds_saved->funding_source_id;
  EXPECT_EQ(MachineCodeOf(repository_.RecordDonation(donation, Request("d"), kActor).status()),
            kNotADonationSource);
  donation.donated_on = "2025-12-31";
  donation.funding_source_id = gifts_saved->funding_source_id;
  ASSERT_TRUE(repository_.RecordDonation(donation, Request("d"), kActor).ok());

  constexpr BudgetWrite kReplace = BudgetWrite::kReplace;
  ASSERT_TRUE(repository_.SetBudget({kOther, 2025, 200000, kNow}, kReplace, "", kActor).ok());
  ASSERT_TRUE(repository_.SetBudget({kOther, 2026, 100000, kNow}, kReplace, "", kActor).ok());
  ASSERT_TRUE(repository_.SetBudget({kOther, 2026, 250000, kNow}, kReplace, "", kActor).ok());

  absl::StatusOr<BudgetFacts> facts =
      repository_.GetBudgetFacts(kOther, 2026, 1767196800000, 1798732800000);
  ASSERT_TRUE(facts.ok());
  EXPECT_EQ(facts->budget_fen.value_or(-1), 250000);
  EXPECT_EQ(facts->previous_budget_fen.value_or(-1), 200000);
  EXPECT_EQ(facts->funding_committed_fen, 300000);
  EXPECT_EQ(facts->donations_fen, 50000);
  EXPECT_EQ(facts->redeemed_value_fen, 0);

  absl::StatusOr<std::vector<Donation>> listed =
      repository_.ListDonations(kOther, "2026-01-01", "2027-01-01");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].donated_on, "2026-03-01");
  EXPECT_EQ(AuditsOf(absl::StrCat(kOther, "/2026")).size(), 2u);
}

}  // namespace
}  // namespace jifen::redemption
