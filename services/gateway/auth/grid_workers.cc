#include "services/gateway/auth/grid_workers.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace jifen::gateway {
namespace {

absl::Status GridNotInVillage(int64_t grid_id, int64_t village_id) {
  return absl::InvalidArgumentError(absl::StrCat("GRID_NOT_IN_VILLAGE: grid_id: grid ", grid_id,
                                                 " is not a grid of village ", village_id));
}

// Refusals that leave the grid as it was: scoring decided and wrote nothing.
bool RefusedOutright(const absl::Status& status) {
  return absl::IsNotFound(status) || absl::IsPermissionDenied(status) ||
         absl::IsFailedPrecondition(status) || absl::IsInvalidArgument(status) ||
         absl::IsUnauthenticated(status);
}

}  // namespace

absl::StatusOr<RegisteredGrid> GridForNewWorker(GridRegistry& registry, int64_t grid_id,
                                                int64_t village_id) {
  absl::StatusOr<RegisteredGrid> grid = registry.GetGrid(grid_id);
  // Unknown, or outside the caller's scope (another village's): both are the same mistake in the
  // form.
  if (absl::IsNotFound(grid.status()) || absl::IsPermissionDenied(grid.status())) {
    return GridNotInVillage(grid_id, village_id);
  }
  if (!grid.ok()) return grid.status();
  if (grid->village_id != village_id) return GridNotInVillage(grid_id, village_id);
  return grid;
}

GridWorkerNaming::GridWorkerNaming(GridRegistry* registry, RegisteredGrid grid)
    : registry_(registry), grid_(std::move(grid)) {}

ConfirmNewStaff GridWorkerNaming::Confirmation() {
  return {[this](int64_t account_id) { return Name(account_id); },
          [this](int64_t account_id) { return Withdraw(account_id); }};
}

absl::Status GridWorkerNaming::Name(int64_t account_id) {
  const std::string user_id = StaffUserId(account_id);
  absl::StatusOr<RegisteredGrid> named =
      registry_->AssignWorker(grid_.grid_id, user_id, grid_.worker_user_id);
  if (named.ok()) {
    named_ = *std::move(named);
    return absl::OkStatus();
  }
  const absl::Status& refused = named.status();
  // The grid was readable a moment ago; a refusal for it now is the same mistake.
  if (absl::IsNotFound(refused) || absl::IsPermissionDenied(refused)) {
    return GridNotInVillage(grid_.grid_id, grid_.village_id);
  }
  if (absl::IsFailedPrecondition(refused)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "GRID_WORKER_CHANGED: grid ", grid_.grid_id, "'s worker changed while the account was ",
        "being made, so it was not made; look at the grid and send the form again"));
  }
  if (RefusedOutright(refused)) return refused;
  // A deadline or a dropped connection leaves unknown whether scoring named the account before
  // the answer was lost; the account is not going to be stored, so the grid goes back now.
  const absl::Status given_back = GiveBack(user_id);
  return absl::UnavailableError(absl::StrCat(
      "GRID_WORKER_NOT_ASSIGNED: grid ", grid_.grid_id, " could not name ", user_id,
      " its worker, so the account was not created: ", refused.ToString(),
      given_back.ok()
          ? ""
          : absl::StrCat("; the grid may still name ", user_id,
                         " until the form is sent again (giving it back to \"",
                         grid_.worker_user_id, "\" failed: ", given_back.ToString(), ")")));
}

absl::Status GridWorkerNaming::Withdraw(int64_t account_id) {
  named_.reset();
  const std::string user_id = StaffUserId(account_id);
  const absl::Status given_back = GiveBack(user_id);
  if (given_back.ok()) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat(
      "GRID_WORKER_NOT_ASSIGNED: the account was not stored, and grid ", grid_.grid_id,
      " still names ", user_id, ", which no account will have, until the form is sent again ",
      "(giving it back to \"", grid_.worker_user_id, "\" failed: ", given_back.ToString(), ")"));
}

absl::Status GridWorkerNaming::GiveBack(const std::string& user_id) {
  absl::StatusOr<RegisteredGrid> grid =
      registry_->AssignWorker(grid_.grid_id, grid_.worker_user_id, user_id);
  if (grid.ok() || absl::IsFailedPrecondition(grid.status())) return absl::OkStatus();
  return grid.status();
}

}  // namespace jifen::gateway
