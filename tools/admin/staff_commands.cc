#include "tools/admin/staff_commands.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "common/auth/caller.h"

namespace jifen::admin {
namespace {

int Report(const absl::Status& status, std::FILE* err) {
  std::fprintf(err, "jifen-admin: %s\n", std::string(status.message()).c_str());
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kUnauthenticated:  // the token file given is not the gateway's
      return kExitUsage;
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
      return kExitNoSuchState;
    default:
      return kExitFailed;
  }
}

std::string State(const gateway::StaffAccount& account, int64_t now_ms) {
  if (account.disabled) return "disabled";
  if (account.locked_until_ms > now_ms) {
    return absl::StrCat("locked(", (account.locked_until_ms - now_ms + 999) / 1000, "s)");
  }
  return "active";
}

int List(const CommandArgs& args, gateway::StaffAccounts& accounts, std::FILE* out,
         std::FILE* err) {
  absl::StatusOr<std::vector<gateway::StaffAccount>> list =
      accounts.List(args.town_id, args.village_id);
  if (!list.ok()) return Report(list.status(), err);
  std::fprintf(out,
               "account_id\tusername\trole\ttown_id\tvillage_id\tgrid_id\tteam_id\tstate\t"
               "failed_attempts\n");
  for (const gateway::StaffAccount& a : *list) {
    std::fprintf(out, "%lld\t%s\t%s\t%lld\t%lld\t%lld\t%lld\t%s\t%d\n",
                 static_cast<long long>(a.account_id), a.username.c_str(),
                 std::string(auth::RoleName(a.role)).c_str(), static_cast<long long>(a.town_id),
                 static_cast<long long>(a.village_id), static_cast<long long>(a.grid_id),
                 static_cast<long long>(a.team_id), State(a, args.now_ms).c_str(),
                 a.failed_attempts);
  }
  return kExitOk;
}

// A grid worker scores only the grid that names them, so their account is made only together with
// that naming in scoring, as the gateway makes it: without scoring there is nothing to create.
int CreateGridWorker(const gateway::NewStaff& request, const CommandArgs& args,
                     gateway::StaffAccounts& accounts, gateway::GridRegistry* registry,
                     std::FILE* out, std::FILE* err) {
  if (registry == nullptr) {
    std::fprintf(err,
                 "jifen-admin: a grid worker's account is made together with its naming as the "
                 "grid's worker in scoring (until then it scores nothing): give --scoring_address "
                 "and --service_token_file (the gateway's service token)\n");
    return kExitUsage;
  }
  const gateway::AuditContext actor = gateway::OperatorContext(args.operator_name);
  // Without a village or grid the account is refused for its scope below; scoring is not asked.
  std::optional<gateway::GridWorkerNaming> naming;
  if (request.village_id > 0 && request.grid_id > 0) {
    absl::StatusOr<gateway::RegisteredGrid> grid =
        gateway::GridForNewWorker(*registry, request.grid_id, request.village_id);
    if (!grid.ok()) return Report(grid.status(), err);
    naming.emplace(registry, *std::move(grid));
  }
  absl::StatusOr<int64_t> id =
      accounts.Create(request, actor, naming ? naming->Confirmation() : gateway::ConfirmNewStaff{});
  if (!id.ok()) return Report(id.status(), err);
  if (!naming || !naming->named()) {  // Create refuses a grid worker without village and grid
    return Report(absl::InternalError("grid worker created without its grid"), err);
  }
  const gateway::RegisteredGrid& named = *naming->named();
  std::fprintf(out, "created %s: account %lld, role grid_worker, named the worker of grid %lld\n",
               args.username.c_str(), static_cast<long long>(*id),
               static_cast<long long>(named.grid_id));
  // The grid's previous worker's account lets go of the grid (and its sessions end), as after
  // PUT /v1/grids/{grid_id}/worker. Scoring already refuses them the grid, so a failure here
  // leaves a stale claim only: the account is made and named either way.
  absl::StatusOr<std::vector<std::string>> followed = accounts.FollowGridWorker(
      named.village_id, named.grid_id, *id, args.now_ms, args.now_ms, actor);
  if (!followed.ok()) {
    std::fprintf(err,
                 "jifen-admin: warning: the grid's previous worker's account still claims grid "
                 "%lld (%s); scoring refuses it to them already\n",
                 static_cast<long long>(named.grid_id),
                 std::string(followed.status().message()).c_str());
  }
  return kExitOk;
}

}  // namespace

bool NeedsPassword(const std::string& command) {
  return command == "create" || command == "reset-password";
}

bool IsCommand(const std::string& command) {
  return NeedsPassword(command) || command == "unlock" || command == "disable" ||
         command == "enable" || command == "list";
}

int RunCommand(const std::string& command, const CommandArgs& args,
               gateway::StaffAccounts& accounts, gateway::GridRegistry* grids,
               gateway::ScopeRegistry* scopes, std::FILE* out, std::FILE* err) {
  if (command == "list") return List(args, accounts, out, err);
  if (args.username.empty()) {
    std::fprintf(err, "jifen-admin: %s needs --username\n", command.c_str());
    return kExitUsage;
  }
  const gateway::AuditContext actor = gateway::OperatorContext(args.operator_name);
  absl::Status status;
  if (command == "create") {
    gateway::NewStaff request{args.username,   args.password, args.role,   args.town_id,
                              args.village_id, args.grid_id,  args.team_id};
    if (gateway::NamesRegistryScope(request)) {
      if (scopes == nullptr) {
        std::fprintf(err, "jifen-admin: %s\n", kScopeNeedsRegistry);
        return kExitUsage;
      }
      if (absl::Status scope = gateway::CheckStaffScope(*scopes, request); !scope.ok()) {
        return Report(scope, err);
      }
    }
    if (args.role == auth::RoleName(auth::Role::kGridWorker)) {
      return CreateGridWorker(request, args, accounts, grids, out, err);
    }
    absl::StatusOr<int64_t> id = accounts.Create(request, actor);
    if (!id.ok()) return Report(id.status(), err);
    std::fprintf(out, "created %s: account %lld, role %s\n", args.username.c_str(),
                 static_cast<long long>(*id), args.role.c_str());
    return kExitOk;
  }
  if (command == "reset-password") {
    status = accounts.ResetPassword(args.username, args.password, actor);
  } else if (command == "unlock") {
    status = accounts.Unlock(args.username, actor);
  } else if (command == "disable" || command == "enable") {
    status = accounts.SetDisabled(args.username, command == "disable", actor);
  } else {
    std::fprintf(err, "jifen-admin: unknown command %s\n", command.c_str());
    return kExitUsage;
  }
  if (!status.ok()) return Report(status, err);
  std::fprintf(out, "%s %s: done\n", command.c_str(), args.username.c_str());
  return kExitOk;
}

}  // namespace jifen::admin
