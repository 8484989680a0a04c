// A new grid worker's account and its naming as the grid's worker in scoring's registry, made all
// or nothing. A grid worker scores only the grid that names them, so an account the grid does not
// name is useless, and a grid naming an account that was never stored has lost its worker (ids
// are not reused). The gateway (POST /v1/auth/staff, under the creator's token) and jifen-admin
// (under the gateway's service token) both go through here.
//
// The steps: the grid is read (GridForNewWorker: its worker then is the one the new account
// replaces); the account's row is inserted and, before it commits, scoring names it in that
// worker's place (GridWorkerNaming::confirm); should the account then not be stored after all,
// the grid is given back to that worker (withdraw). Both writes to the grid are compare-and-set
// (AssignGridWorkerRequest.check_current_worker): naming happens only while the grid names the
// worker read, giving back only while it names the new account, so neither undoes a change
// someone else made meanwhile. Giving back was chosen over reserving the account first: a
// reservation would be a second kind of account row (unusable, to be cleaned up) that sign-in,
// lists and the audit trail would all have to know about, and a retry of the admin's form would
// have to adopt it; giving back touches only the grid, and a retry is just a new creation.
//
// Errors (leading codes, shared by the HTTP answer and jifen-admin's message):
//   GRID_NOT_IN_VILLAGE (INVALID_ARGUMENT, field grid_id): unknown grid, another village's, or out
//     of the caller's scope.
//   GRID_WORKER_CHANGED (FAILED_PRECONDITION): the grid's worker changed between the read and the
//     naming; nothing was made, the form can be sent again.
//   GRID_WORKER_NOT_ASSIGNED (UNAVAILABLE): scoring could not name the account; nothing was made.
//     Its text says so when the grid may still name the account (scoring unreachable while giving
//     it back); sending the form again names a new account in its place.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/gateway/auth/account_store.h"

namespace jifen::gateway {

// A grid as scoring's registry has it.
struct RegisteredGrid {
  int64_t grid_id = 0;
  int64_t village_id = 0;
  std::string worker_user_id;  // "" while the grid has no worker
};

// Scoring's registry, as far as grid workers go. Statuses are scoring's own (NOT_FOUND,
// PERMISSION_DENIED, FAILED_PRECONDITION, UNAVAILABLE, ...).
class GridRegistry {
 public:
  virtual ~GridRegistry() = default;
  virtual absl::StatusOr<RegisteredGrid> GetGrid(int64_t grid_id) = 0;
  // AssignGridWorker: names `worker_user_id` ("" : none) the grid's worker only while the grid
  // names `current_worker_user_id` (FAILED_PRECONDITION GRID_WORKER_CHANGED otherwise; a grid that
  // already names `worker_user_id` is returned as it is). The grid as it then is.
  virtual absl::StatusOr<RegisteredGrid> AssignWorker(
      int64_t grid_id, const std::string& worker_user_id,
      const std::string& current_worker_user_id) = 0;
};

// The grid `grid_id` for a new grid worker of village `village_id`, read from the registry;
// GRID_NOT_IN_VILLAGE when it is unknown, out of the caller's scope or another village's. Other
// errors (scoring unreachable) as they come: nothing may be created then.
absl::StatusOr<RegisteredGrid> GridForNewWorker(GridRegistry& registry, int64_t grid_id,
                                                int64_t village_id);

// The naming of one new account; used once, with the grid GridForNewWorker read.
class GridWorkerNaming final {
 public:
  // `registry` must outlive this object.
  GridWorkerNaming(GridRegistry* registry, RegisteredGrid grid);

  // For StaffAccounts::Create / LoginService::CreateStaff. Holds a pointer to this object.
  ConfirmNewStaff Confirmation();

  // After the account was created: the grid as scoring named it.
  const std::optional<RegisteredGrid>& named() const { return named_; }

 private:
  absl::Status Name(int64_t account_id);
  absl::Status Withdraw(int64_t account_id);
  // Gives the grid back to its previous worker while it names `user_id`; OK also when it names
  // someone else (never named, or changed since by someone else: nothing of ours to undo).
  absl::Status GiveBack(const std::string& user_id);

  GridRegistry* registry_;
  RegisteredGrid grid_;  // as read: grid_.worker_user_id is the worker the account replaces
  std::optional<RegisteredGrid> named_;
};

}  // namespace jifen::gateway
