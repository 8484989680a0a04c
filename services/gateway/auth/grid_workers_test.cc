// GridWorkerNaming with StaffAccounts on the gateway's real account store (MySqlAccountStore on a
// fresh database with the gateway's migrations, under the gateway's restricted account) and
// scoring's real registry: jifen-admin's GrpcRegistry under the gateway's service token,
// against a real jifen-scoring (tests/support/scoring_harness.h). One scoring and one database for
// the suite; each test has its own seeded village (so its own grid) and its own user names.
//
// Faults are real: scoring down is the registry at a loopback port nothing listens on; a lost
// answer is the real AssignGridWorker made, its answer then dropped by the wrapper; someone else's
// change is a real AssignGridWorker; a failed commit is the account's transaction's connection
// killed (KILL CONNECTION) while the naming runs, so that the real COMMIT fails.
// The same steps through the real gateway: tests/e2e/gateway_e2e_test.cc.
#include "services/gateway/auth/grid_workers.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/mysql/statement.h"
#include "common/mysql/transaction.h"
#include "services/gateway/auth/staff_accounts.h"
#include "services/gateway/storage/mysql_account_store.h"
#include "tests/support/audit_outbox.h"
#include "tests/support/closed_port.h"
#include "tests/support/scoring_harness.h"
#include "tests/support/service_database.h"
#include "services/gateway/auth/grpc_registry.h"

namespace jifen::gateway {
namespace {

using ::jifen::testing::ClosedPort;
using ::jifen::testing::ScoringHarness;
using ::jifen::testing::SeededVillage;
using ::jifen::testing::ServiceDatabase;

// The real registry as the naming steps use it, with the test's faults around the real calls:
// `down` sends the calls to a scoring that is not there; `lose_answer` drops the answer of the
// next assignment scoring made; `after_assign` runs once, after the next assignment scoring made
// (while the account's transaction is still open), with the grid and the worker it now names.
class FaultyRegistry final : public GridRegistry {
 public:
  FaultyRegistry(GridRegistry* scoring, GridRegistry* unreachable)
      : scoring_(scoring), unreachable_(unreachable) {}

  absl::StatusOr<RegisteredGrid> GetGrid(int64_t grid_id) override {
    return Target().GetGrid(grid_id);
  }
  absl::StatusOr<RegisteredGrid> AssignWorker(int64_t grid_id, const std::string& worker_user_id,
                                              const std::string& current_worker_user_id) override {
    ++assign_calls;
    absl::StatusOr<RegisteredGrid> grid =
        Target().AssignWorker(grid_id, worker_user_id, current_worker_user_id);
    if (!grid.ok()) return grid;
    if (after_assign) {
      std::function<void(const RegisteredGrid&)> hook = std::move(after_assign);
      after_assign = nullptr;
      hook(*grid);
    }
    if (lose_answer) {
      lose_answer = false;
      return absl::DeadlineExceededError("the answer was lost");
    }
    return grid;
  }

  bool down = false;
  bool lose_answer = false;
  std::function<void(const RegisteredGrid&)> after_assign;
  int assign_calls = 0;

 private:
  GridRegistry& Target() { return down ? *unreachable_ : *scoring_; }

  GridRegistry* scoring_;
  GridRegistry* unreachable_;
};

class GridWorkerNamingTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    database_ = new ServiceDatabase(
        testing::CreateServiceDatabase("grid_workers", "services/gateway/migrations"));
    ASSERT_FALSE(HasFailure());
    scoring_ = new ScoringHarness("grid_workers_scoring");
    ASSERT_TRUE(scoring_->Start());
    closed_port_ = new ClosedPort();
  }
  static void TearDownTestSuite() {
    delete closed_port_;
    delete scoring_;
    delete database_;
    closed_port_ = nullptr;
    scoring_ = nullptr;
    database_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(scoring_, nullptr);
    village_ = scoring_->SeedVillage(/*households=*/0, /*groups=*/1);
    ASSERT_GT(village_.grid_id, 0);
    previous_ = village_.grid_worker_user_id;
    ASSERT_EQ(Worker(), previous_);
  }

  // The gateway's and jifen-admin's steps: read the grid, create the account with its naming.
  absl::StatusOr<int64_t> Create(const std::string& username) {
    return CreateIn(username, village_.grid_id, village_.village_id);
  }
  absl::StatusOr<int64_t> CreateIn(const std::string& username, int64_t grid_id,
                                   int64_t village_id) {
    absl::StatusOr<RegisteredGrid> grid = GridForNewWorker(registry_, grid_id, village_id);
    if (!grid.ok()) return grid.status();
    GridWorkerNaming naming(&registry_, *grid);
    absl::StatusOr<int64_t> id = accounts_.Create(
        {username, "long enough pw", "grid_worker", village_.town_id, village_id, grid_id, 0},
        OperatorContext("alice"), naming.Confirmation());
    if (id.ok()) {
      EXPECT_TRUE(naming.named().has_value());
      if (naming.named()) {
        EXPECT_EQ(naming.named()->worker_user_id, StaffUserId(*id));
      }
    }
    return id;
  }

  // The grid's worker as scoring has it.
  std::string Worker() { return WorkerOf(village_.grid_id); }
  std::string WorkerOf(int64_t grid_id) {
    absl::StatusOr<RegisteredGrid> grid = scoring_registry_.GetGrid(grid_id);
    EXPECT_TRUE(grid.ok()) << grid.status();
    return grid.ok() ? grid->worker_user_id : "(unreadable)";
  }
  bool Exists(const std::string& username) { return store_.FindStaffByUsername(username).ok(); }

  // From inside the naming: kills the connection of the account's open transaction (the gateway's
  // account on this suite's database), so that its COMMIT fails.
  void KillTheAccountsTransaction() {
    int64_t thread_id = -1;
    // InnoDB refills its transaction table only when it was last read more than 0.1 s before (an
    // earlier test's read may have just filled it): poll, slower than that, bounded. The live
    // process list keeps a stale row of an earlier test's (killed) transaction out.
    for (int attempt = 0; attempt < 40 && thread_id < 0; ++attempt) {
      const absl::Status read = mysql::RunWithConnection(admin_, [&](sql::Connection& c) {
        auto rows = mysql::Statement(
                        c,
                        "SELECT t.trx_mysql_thread_id FROM information_schema.INNODB_TRX t "
                        "JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id "
                        "WHERE p.DB = ? AND p.USER = ?")
                        .Bind(database_->database)
                        .Bind(database_->user)
                        .Query();
        if (rows->next()) thread_id = rows->getInt64(1);
        return absl::OkStatus();
      });
      ASSERT_TRUE(read.ok()) << read;
      if (thread_id < 0) std::this_thread::sleep_for(std::chrono::milliseconds(150));
    }
    ASSERT_GT(thread_id, 0) << "the account's transaction was not found";
    const absl::Status killed = mysql::RunWithConnection(admin_, [&](sql::Connection& c) {
      mysql::Statement(c, absl::StrCat("KILL CONNECTION ", thread_id).c_str()).Update();
      return absl::OkStatus();
    });
    ASSERT_TRUE(killed.ok()) << killed;
  }

  // The naming's commit fails: once scoring named the account, its transaction's connection dies.
  void FailTheNextCommit(std::function<void(const RegisteredGrid&)> also = nullptr) {
    registry_.after_assign = [this, also](const RegisteredGrid& named) {
      if (also) also(named);
      KillTheAccountsTransaction();
    };
  }

  inline static ServiceDatabase* database_ = nullptr;
  inline static ScoringHarness* scoring_ = nullptr;
  inline static ClosedPort* closed_port_ = nullptr;

  SeededVillage village_;
  std::string previous_;  // the seeded grid worker
  mysql::ConnectionPool pool_{database_->ServiceConfig(2)};
  mysql::ConnectionPool admin_{database_->AdminConfig(1)};
  MySqlAccountStore store_{&pool_};
  StaffAccounts accounts_{&store_, PasswordCost::Minimum(), kMinPasswordLength};
  // Scoring's registry as the gateway itself is known to it (role service, subject gateway).
  GrpcRegistry scoring_registry_{scoring_->address(), scoring_->ServiceToken("gateway")};
  GrpcRegistry unreachable_registry_{closed_port_->address(),
                                                scoring_->ServiceToken("gateway")};
  FaultyRegistry registry_{&scoring_registry_, &unreachable_registry_};
};

TEST_F(GridWorkerNamingTest, TheAccountIsMadeWithTheGridNamingIt) {
  absl::StatusOr<int64_t> id = Create("grid.new");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(Worker(), StaffUserId(*id));
  EXPECT_TRUE(Exists("grid.new"));
}

TEST_F(GridWorkerNamingTest, AGridOfAnotherVillageOrNoneIsRefusedBeforeAnythingIsMade) {
  const SeededVillage other_village = scoring_->SeedVillage(/*households=*/0, /*groups=*/1);
  const int64_t outbox_before = testing::LastOutboxId(admin_);
  absl::StatusOr<int64_t> other =
      CreateIn("grid.other", other_village.grid_id, village_.village_id);
  EXPECT_EQ(other.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(other.status().message(), "GRID_NOT_IN_VILLAGE: grid_id:"))
      << other.status();
  const int64_t no_grid = other_village.grid_id + 1000000;
  EXPECT_TRUE(
      absl::StartsWith(CreateIn("grid.none", no_grid, village_.village_id).status().message(),
                       "GRID_NOT_IN_VILLAGE"));
  EXPECT_EQ(registry_.assign_calls, 0);
  EXPECT_TRUE(testing::AuditOutboxAfter(admin_, outbox_before).empty());
  EXPECT_FALSE(Exists("grid.other"));
  EXPECT_FALSE(Exists("grid.none"));
  EXPECT_EQ(Worker(), previous_);
  EXPECT_EQ(WorkerOf(other_village.grid_id), other_village.grid_worker_user_id);
}

// The commit fails after scoring named the account: the grid goes back to its previous worker,
// and the admin's retry makes a new account that the grid names.
TEST_F(GridWorkerNamingTest, AFailedCommitGivesTheGridBackAndARetryWorks) {
  const int64_t outbox_before = testing::LastOutboxId(admin_);
  FailTheNextCommit();
  absl::StatusOr<int64_t> failed = Create("grid.retried");
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable) << failed.status();
  EXPECT_EQ(registry_.assign_calls, 2);  // named, then given back
  EXPECT_EQ(Worker(), previous_);
  EXPECT_FALSE(Exists("grid.retried"));
  EXPECT_TRUE(testing::AuditOutboxAfter(admin_, outbox_before).empty());

  absl::StatusOr<int64_t> retried = Create("grid.retried");
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(Worker(), StaffUserId(*retried));
}

// Giving back is itself compare-and-set: a change someone made after the naming stays.
TEST_F(GridWorkerNamingTest, GivingBackLeavesSomeoneElsesLaterChange) {
  const std::string others = absl::StrCat("staff-other-admins-", village_.village_id);
  FailTheNextCommit([&](const RegisteredGrid& named) {
    // Another admin names their own worker, in scoring, while the account is being made.
    absl::StatusOr<RegisteredGrid> changed =
        scoring_registry_.AssignWorker(named.grid_id, others, named.worker_user_id);
    EXPECT_TRUE(changed.ok()) << changed.status();
  });
  absl::StatusOr<int64_t> late = Create("grid.late");
  EXPECT_EQ(late.status().code(), absl::StatusCode::kUnavailable) << late.status();
  EXPECT_EQ(Worker(), others);
  EXPECT_FALSE(Exists("grid.late"));
}

// The grid changed between the read and the naming: nothing is made or overwritten.
TEST_F(GridWorkerNamingTest, AWorkerChangedSinceTheReadIsNotOverwritten) {
  absl::StatusOr<RegisteredGrid> grid =
      GridForNewWorker(registry_, village_.grid_id, village_.village_id);
  ASSERT_TRUE(grid.ok()) << grid.status();
  const std::string meanwhile = absl::StrCat("staff-meanwhile-", village_.village_id);
  absl::StatusOr<RegisteredGrid> changed =
      scoring_registry_.AssignWorker(village_.grid_id, meanwhile, previous_);
  ASSERT_TRUE(changed.ok()) << changed.status();
  GridWorkerNaming naming(&registry_, *grid);
  absl::StatusOr<int64_t> id =
      accounts_.Create({"grid.stale", "long enough pw", "grid_worker", village_.town_id,
                        village_.village_id, village_.grid_id, 0},
                       OperatorContext("alice"), naming.Confirmation());
  EXPECT_EQ(id.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StartsWith(id.status().message(), "GRID_WORKER_CHANGED")) << id.status();
  EXPECT_EQ(Worker(), meanwhile);
  EXPECT_FALSE(Exists("grid.stale"));
}

// Scoring named the account but its answer was lost: the account is not stored, so the grid goes
// back rather than naming an account that will never exist.
TEST_F(GridWorkerNamingTest, ANamingWhoseAnswerWasLostIsGivenBack) {
  registry_.lose_answer = true;
  absl::StatusOr<int64_t> lost = Create("grid.lost");
  EXPECT_EQ(lost.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StartsWith(lost.status().message(), "GRID_WORKER_NOT_ASSIGNED"))
      << lost.status();
  EXPECT_EQ(registry_.assign_calls, 2);  // named (answer lost), then given back
  EXPECT_EQ(Worker(), previous_);
  EXPECT_FALSE(Exists("grid.lost"));
}

// Scoring went away between the naming and the giving back: the answer says the grid still names
// the account that was not stored, and the retry names a new one in its place.
TEST_F(GridWorkerNamingTest, WhenTheGridCantBeGivenBackTheAnswerSaysSo) {
  std::string stranded;
  FailTheNextCommit([&](const RegisteredGrid& named) {
    stranded = named.worker_user_id;
    registry_.down = true;
  });
  absl::StatusOr<int64_t> failed = Create("grid.stranded");
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StartsWith(failed.status().message(), "GRID_WORKER_NOT_ASSIGNED"));
  EXPECT_TRUE(absl::StrContains(failed.status().message(), "until the form is sent again"))
      << failed.status();
  EXPECT_TRUE(absl::StartsWith(Worker(), "staff-")) << Worker();
  EXPECT_NE(Worker(), previous_);
  EXPECT_EQ(Worker(), stranded);
  EXPECT_FALSE(Exists("grid.stranded"));

  registry_.down = false;
  absl::StatusOr<int64_t> retried = Create("grid.stranded");
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(Worker(), StaffUserId(*retried));
}

}  // namespace
}  // namespace jifen::gateway
