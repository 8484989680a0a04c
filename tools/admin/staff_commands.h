// The commands of jifen-admin on the gateway's staff accounts, apart from flags and wiring so that
// each is a plain function of its arguments. Output goes to `out` (results) and `err` (problems);
// the return value is the process exit code.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "services/gateway/auth/grid_workers.h"
#include "services/gateway/auth/staff_accounts.h"

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

// True for the commands that need a password.
bool NeedsPassword(const std::string& command);
// True for a known command name.
bool IsCommand(const std::string& command);

// `registry` is scoring's (null when jifen-admin was given no --scoring_address): `create` makes a
// grid worker's account only together with its naming as the grid's worker there, all or nothing
// as POST /v1/auth/staff does (services/gateway/auth/grid_workers.h), and refuses without it.
int RunCommand(const std::string& command, const CommandArgs& args,
               gateway::StaffAccounts& accounts, gateway::GridRegistry* registry, std::FILE* out,
               std::FILE* err);

}  // namespace jifen::admin
