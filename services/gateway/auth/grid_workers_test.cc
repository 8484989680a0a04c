// GridWorkerNaming with StaffAccounts on the in-memory store and an in-memory registry that
// behaves as scoring's AssignGridWorker (compare-and-set included). The same steps against the real
// processes and a real failed commit: tests/e2e/gateway_e2e_test.cc.
#include "services/gateway/auth/grid_workers.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/gateway/auth/fake_account_store.h"
#include "services/gateway/auth/staff_accounts.h"

namespace jifen::gateway {
namespace {

class FakeRegistry final : public GridRegistry {
 public:
  absl::StatusOr<RegisteredGrid> GetGrid(int64_t grid_id) override {
    if (down) return absl::UnavailableError("scoring is away");
    auto it = grids.find(grid_id);
    if (it == grids.end()) return absl::NotFoundError("no such grid");
    return it->second;
  }
  absl::StatusOr<RegisteredGrid> AssignWorker(int64_t grid_id, const std::string& worker_user_id,
                                              const std::string& current_worker_user_id) override {
    ++assign_calls;
    if (down) return absl::UnavailableError("scoring is away");
    auto it = grids.find(grid_id);
    if (it == grids.end()) return absl::NotFoundError("no such grid");
    RegisteredGrid& grid = it->second;
    if (grid.worker_user_id != worker_user_id) {
      if (grid.worker_user_id != current_worker_user_id) {
        return absl::FailedPreconditionError("GRID_WORKER_CHANGED: not the expected worker");
      }
      grid.worker_user_id = worker_user_id;
    }
    if (after_assign) after_assign();
    if (lose_answer) {
      lose_answer = false;
      return absl::DeadlineExceededError("the answer was lost");
    }
    return grid;
  }

  std::map<int64_t, RegisteredGrid> grids;
  bool down = false;
  bool lose_answer = false;            // the next assignment is made, its answer lost
  std::function<void()> after_assign;  // runs after each assignment is made
  int assign_calls = 0;
};

constexpr int64_t kVillage = 11;
constexpr int64_t kGrid = 4;

class GridWorkerNamingTest : public ::testing::Test {
 protected:
  GridWorkerNamingTest() { registry_.grids[kGrid] = {kGrid, kVillage, "staff-previous"}; }

  // The gateway's and jifen-admin's steps: read the grid, create the account with its naming.
  absl::StatusOr<int64_t> Create(const std::string& username) {
    absl::StatusOr<RegisteredGrid> grid = GridForNewWorker(registry_, kGrid, kVillage);
    if (!grid.ok()) return grid.status();
    GridWorkerNaming naming(&registry_, *grid);
    absl::StatusOr<int64_t> id =
        accounts_.Create({username, "long enough pw", "grid_worker", 2, kVillage, kGrid, 0},
                         OperatorContext("alice"), naming.Confirmation());
    if (id.ok()) {
      EXPECT_TRUE(naming.named().has_value());
      if (naming.named()) {
        EXPECT_EQ(naming.named()->worker_user_id, StaffUserId(*id));
      }
    }
    return id;
  }
  std::string Worker() { return registry_.grids[kGrid].worker_user_id; }
  bool Exists(const std::string& username) { return store_.FindStaffByUsername(username).ok(); }

  FakeAccountStore store_;
  StaffAccounts accounts_{&store_, PasswordCost::Minimum(), kMinPasswordLength};
  FakeRegistry registry_;
};

TEST_F(GridWorkerNamingTest, TheAccountIsMadeWithTheGridNamingIt) {
  absl::StatusOr<int64_t> id = Create("grid.new");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(Worker(), StaffUserId(*id));
  EXPECT_TRUE(Exists("grid.new"));
}

TEST_F(GridWorkerNamingTest, AGridOfAnotherVillageOrNoneIsRefusedBeforeAnythingIsMade) {
  registry_.grids[kGrid].village_id = kVillage + 1;
  absl::StatusOr<int64_t> other = Create("grid.other");
  EXPECT_EQ(other.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(other.status().message(), "GRID_NOT_IN_VILLAGE: grid_id:"));
  registry_.grids.clear();
  EXPECT_TRUE(absl::StartsWith(Create("grid.none").status().message(), "GRID_NOT_IN_VILLAGE"));
  EXPECT_EQ(registry_.assign_calls, 0);
  EXPECT_TRUE(store_.changes().empty());
}

// The commit fails after scoring named the account: the grid goes back to its previous worker,
// and the admin's retry makes a new account that the grid names.
TEST_F(GridWorkerNamingTest, AFailedCommitGivesTheGridBackAndARetryWorks) {
  store_.FailNextCommit();
  absl::StatusOr<int64_t> failed = Create("grid.retried");
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Worker(), "staff-previous");
  EXPECT_FALSE(Exists("grid.retried"));
  EXPECT_TRUE(store_.changes().empty());

  absl::StatusOr<int64_t> retried = Create("grid.retried");
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(Worker(), StaffUserId(*retried));
}

// Giving back is itself compare-and-set: a change someone made after the naming stays.
TEST_F(GridWorkerNamingTest, GivingBackLeavesSomeoneElsesLaterChange) {
  store_.FailNextCommit();
  registry_.after_assign = [&] {
    registry_.after_assign = nullptr;
    registry_.grids[kGrid].worker_user_id = "staff-other-admins";
  };
  EXPECT_EQ(Create("grid.late").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Worker(), "staff-other-admins");
}

// The grid changed between the read and the naming: nothing is made or overwritten.
TEST_F(GridWorkerNamingTest, AWorkerChangedSinceTheReadIsNotOverwritten) {
  absl::StatusOr<RegisteredGrid> grid = GridForNewWorker(registry_, kGrid, kVillage);
  ASSERT_TRUE(grid.ok());
  registry_.grids[kGrid].worker_user_id = "staff-meanwhile";
  GridWorkerNaming naming(&registry_, *grid);
  absl::StatusOr<int64_t> id =
      accounts_.Create({"grid.stale", "long enough pw", "grid_worker", 2, kVillage, kGrid, 0},
                       OperatorContext("alice"), naming.Confirmation());
  EXPECT_EQ(id.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StartsWith(id.status().message(), "GRID_WORKER_CHANGED")) << id.status();
  EXPECT_EQ(Worker(), "staff-meanwhile");
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
  EXPECT_EQ(Worker(), "staff-previous");
  EXPECT_FALSE(Exists("grid.lost"));
}

// Scoring went away between the naming and the giving back: the answer says the grid still names
// the account that was not stored, and the retry names a new one in its place.
TEST_F(GridWorkerNamingTest, WhenTheGridCantBeGivenBackTheAnswerSaysSo) {
  store_.FailNextCommit();
  registry_.after_assign = [&] {
    registry_.after_assign = nullptr;
    registry_.down = true;
  };
  absl::StatusOr<int64_t> failed = Create("grid.stranded");
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StartsWith(failed.status().message(), "GRID_WORKER_NOT_ASSIGNED"));
  EXPECT_TRUE(absl::StrContains(failed.status().message(), "until the form is sent again"))
      << failed.status();
  EXPECT_TRUE(absl::StartsWith(Worker(), "staff-")) << Worker();
  EXPECT_NE(Worker(), "staff-previous");

  registry_.down = false;
  absl::StatusOr<int64_t> retried = Create("grid.stranded");
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(Worker(), StaffUserId(*retried));
}

}  // namespace
}  // namespace jifen::gateway
