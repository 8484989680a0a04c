// The commands of jifen-admin on the gateway's staff accounts, apart from flags and wiring so that
// each is a plain function of its arguments. Output goes to `out` (results) and `err` (problems);
// the return value is the process exit code.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "services/gateway/auth/grid_workers.h"
#include "services/gateway/auth/staff_accounts.h"
#include "services/gateway/auth/staff_scope.h"

namespace jifen::admin {

// Exit codes, by what the operator should do next.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;       // the database failed or something unexpected: retry
inline constexpr int kExitUsage = 2;        // fix the command line (or a value it gave)
inline constexpr int kExitNoSuchState = 3;  // no such account, or the user name is taken

struct CommandArgs {
  std::string username;
  std::string role;
  int64_t town_id = 0;
  int64_t village_id = 0;
  int64_t grid_id = 0;
  int64_t team_id = 0;
  std::string password;       // create and reset-password only; never printed
  int64_t now_ms = 0;         // to tell a live lock from an expired one in `list`
  std::string operator_name;  // the audit trail's actor of every change (role "operator")
};

// Why `create` of an account naming a town, village or team needs --scoring_address.
inline constexpr char kScopeNeedsRegistry[] =
    "an account that names a town, village or team is made only when scoring's registry has them "
    "(else it signs in and can do nothing): give --scoring_address and --service_token_file (the "
    "gateway's service token)";

// True for the commands that need a password.
bool NeedsPassword(const std::string& command);
// True for a known command name.
bool IsCommand(const std::string& command);

// `grids` and `scopes` are scoring's registry (both null when jifen-admin was given no
// --scoring_address). As POST /v1/auth/staff does, `create` makes an account that names a town,
// village or team only when they exist and agree (services/gateway/auth/staff_scope.h), and a
// grid worker's only together with its naming as the grid's worker, all or nothing
// (services/gateway/auth/grid_workers.h); without the registry it makes neither.
int RunCommand(const std::string& command, const CommandArgs& args,
               gateway::StaffAccounts& accounts, gateway::GridRegistry* grids,
               gateway::ScopeRegistry* scopes, std::FILE* out, std::FILE* err);

}  // namespace jifen::admin
