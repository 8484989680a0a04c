#include "tools/admin/staff_commands.h"

#include "absl/strings/str_cat.h"
#include "common/auth/caller.h"

namespace jifen::admin {
namespace {

int Report(const absl::Status& status, std::FILE* err) {
  std::fprintf(err, "jifen-admin: %s\n", std::string(status.message()).c_str());
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
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

}  // namespace

bool NeedsPassword(const std::string& command) {
  return command == "create" || command == "reset-password";
}

bool IsCommand(const std::string& command) {
  return NeedsPassword(command) || command == "unlock" || command == "disable" ||
         command == "enable" || command == "list";
}

int RunCommand(const std::string& command, const CommandArgs& args,
               gateway::StaffAccounts& accounts, std::FILE* out, std::FILE* err) {
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
