// jifen-admin: operators manage the gateway's staff accounts straight on the gateway's database,
// with the gateway's own account code (Argon2id, the same role and scope rules as POST
// /v1/auth/staff). For the first accounts, a forgotten password, a lockout, a person who left.
//
//   jifen-admin [--mysql_* flags] [--operator=NAME] create --username=U --role=R [--town_id=T]
//                  [--village_id=V] [--grid_id=G] [--team_id=M] [--password_file=F]
//                  [--scoring_address=H:P --service_token_file=F]
//                  (required when the account names a town, village, grid or team)
//   jifen-admin ... reset-password --username=U [--password_file=F]   (also lifts a lockout)
//   jifen-admin ... unlock --username=U
//   jifen-admin ... disable --username=U      (enable --username=U undoes it)
//   jifen-admin ... list [--town_id=T] [--village_id=V]
//
// The database flags are the gateway's own (--mysql_host, --mysql_port, --mysql_user,
// --mysql_password, --mysql_database, or JIFEN_MYSQL_* in the environment), so the CLI runs with
// the gateway's account and its rights. A password is read from --password_file, else from the
// first line of standard input (without echo on a terminal); never from the command line, which
// other users can see. Nothing prints a password or its hash.
//
// Every change is on the audit trail (the gateway's outbox, delivered by the gateway's relay) with
// the operator as its actor, role "operator": --operator names them, by default the Unix user
// running the command.
//
// A grid worker scores only the grid that names them in scoring's registry, so `create
// --role=grid_worker` makes the account only together with that naming, all or nothing, as POST
// /v1/auth/staff does (services/gateway/auth/grid_workers.h): it asks jifen-scoring at
// --scoring_address under the gateway's own service token (--service_token_file, as the gateway
// is given it), and without them it creates nothing. Likewise an account naming a town, village
// or team is made only when scoring's registry has them and they agree (a team of the village, a
// village of the town; services/gateway/auth/staff_scope.h).
//
// Exit codes: 0 done; 1 the database or scoring failed (retry); 2 bad usage or an invalid value
// (also a grid or team not of the village, an unknown town or village, or a token scoring refuses); 3 no such account, or the user name
// is taken.
#include <pwd.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/config/config.h"
#include "common/config/service_flags.h"
#include "common/grpc/service_setup.h"
#include "common/mysql/connection_pool.h"
#include "services/gateway/auth/staff_accounts.h"
#include "services/gateway/storage/mysql_account_store.h"
#include "services/gateway/auth/grpc_registry.h"
#include "tools/admin/staff_commands.h"

ABSL_FLAG(std::string, username, "", "the staff account's user name (3..64 bytes)");
ABSL_FLAG(std::string, role, "",
          "create: village_admin, grid_worker, assessor, town_official, district_official or "
          "district_inspector");
ABSL_FLAG(int64_t, town_id, 0, "create: the account's town; list: only this town (0: any)");
ABSL_FLAG(int64_t, village_id, 0, "create: the account's village; list: only this village");
ABSL_FLAG(int64_t, grid_id, 0, "create: a grid worker's grid");
ABSL_FLAG(int64_t, team_id, 0, "create: an assessor's assessment team");
ABSL_FLAG(std::string, password_file, "",
          "create, reset-password: file whose first line is the password; empty: standard input");
ABSL_FLAG(std::string, operator, "",
          "who makes the change, for the audit trail (letters, digits and . _ @ -, at most 64); "
          "default: the Unix user name running the command");
ABSL_FLAG(std::string, scoring_address, "",
          "create --role=grid_worker: jifen-scoring's host:port, where the new account is named "
          "its grid's worker under the gateway's service token (--service_token_file)");
ABSL_FLAG(std::string, password_cost, "interactive",
          "Argon2id cost of new hashes: interactive (as the gateway) or minimum (tests only)");

namespace {

using namespace jifen;  // NOLINT: a small tool.

constexpr char kUsage[] =
    "jifen-admin [--mysql_host --mysql_port --mysql_user --mysql_password --mysql_database] "
    "[--operator=NAME] COMMAND\n"
    "  create --username=U --role=R [--town_id --village_id --grid_id --team_id] "
    "[--password_file=F]\n"
    "    (a grid worker also --scoring_address=H:P --service_token_file=F, the gateway's token)\n"
    "  reset-password --username=U [--password_file=F]\n"
    "  unlock --username=U | disable --username=U | enable --username=U\n"
    "  list [--town_id=T] [--village_id=V]\n"
    "Exit: 0 done, 1 database or scoring failed, 2 bad usage, 3 no such account or user name "
    "taken.";

int Usage(const std::string& problem) {
  std::fprintf(stderr, "jifen-admin: %s\nusage: %s\n", problem.c_str(), kUsage);
  return admin::kExitUsage;
}

// Abseil's parser ends the process with 1 on an unknown flag or a bad value; checked first so that
// every usage error exits 2.
absl::Status CheckFlags(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") break;
    if (!absl::ConsumePrefix(&arg, "--") && !absl::ConsumePrefix(&arg, "-")) continue;
    const size_t equals = arg.find('=');
    const absl::string_view name = arg.substr(0, equals);
    if (absl::StartsWith(name, "help") || name == "version") continue;
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr && absl::ConsumePrefix(&arg, "no")) flag = absl::FindCommandLineFlag(arg);
    if (flag == nullptr) return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    if (equals == absl::string_view::npos) {
      if (flag->IsOfType<bool>()) continue;
      if (i + 1 >= argc)
        return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
      ++i;
    }
    const std::string value = equals == absl::string_view::npos
                                  ? std::string(argv[i])
                                  : std::string(arg.substr(equals + 1));
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, ": ", error));
    }
  }
  return absl::OkStatus();
}

// The operator named by --operator, else the Unix user running the command; INVALID_ARGUMENT when
// neither gives a name the audit trail can carry.
absl::StatusOr<std::string> OperatorName() {
  std::string name = absl::GetFlag(FLAGS_operator);
  if (name.empty()) {
    const passwd* user = ::getpwuid(::geteuid());
    if (user == nullptr || user->pw_name == nullptr || *user->pw_name == '\0') {
      return absl::InvalidArgumentError(absl::StrCat("--operator is needed: user id ", ::geteuid(),
                                                     " has no name in the password database"));
    }
    name = user->pw_name;
  }
  if (name.size() > 64) return absl::InvalidArgumentError("--operator: at most 64 characters");
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '@' && c != '-') {
      return absl::InvalidArgumentError(
          "--operator: letters, digits and . _ @ - only (it names who acted on the audit trail)");
    }
  }
  return name;
}

// The first line of `in`, without its line end.
std::string FirstLine(std::istream& in) {
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  return line;
}

absl::StatusOr<std::string> ReadPassword() {
  const std::string file = absl::GetFlag(FLAGS_password_file);
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read --password_file ", file));
    return FirstLine(in);
  }
  if (!::isatty(STDIN_FILENO)) return FirstLine(std::cin);
  std::fprintf(stderr, "password: ");
  termios saved;
  const bool quiet = ::tcgetattr(STDIN_FILENO, &saved) == 0;
  if (quiet) {
    termios silent = saved;
    silent.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent);
  }
  std::string password = FirstLine(std::cin);
  if (quiet) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
  std::fprintf(stderr, "\n");
  return password;
}

// The token in `path` (surrounding whitespace dropped, as jifen-token writes it without a newline
// and editors add one).
absl::StatusOr<std::string> ReadToken(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  const std::string token(absl::StripAsciiWhitespace(text.str()));
  if (!in || token.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--service_token_file ", path, " holds no token"));
  }
  return token;
}

int Run(int argc, char** argv) {
  if (absl::Status flags_ok = CheckFlags(argc, argv); !flags_ok.ok()) {
    return Usage(std::string(flags_ok.message()));
  }
  const std::vector<char*> positional = config::ParseFlagsAndEnvironment(argc, argv, kUsage);
  if (positional.size() != 2) return Usage("expected exactly one command");
  const std::string command = positional[1];
  if (!admin::IsCommand(command)) return Usage(absl::StrCat("unknown command ", command));

  const config::ServiceFlags flags = config::ReadServiceFlags();
  config::Validator validator;
  validator.RequireNonEmpty("mysql_host", flags.mysql_host);
  validator.RequirePort("mysql_port", flags.mysql_port);
  validator.RequireNonEmpty("mysql_user", flags.mysql_user);
  validator.RequireNonEmpty("mysql_database", flags.mysql_database);
  const std::string cost = absl::GetFlag(FLAGS_password_cost);
  if (cost != "interactive" && cost != "minimum") {
    validator.Add(absl::InvalidArgumentError("--password_cost must be interactive or minimum"));
  }
  if (command == "create" && absl::GetFlag(FLAGS_role).empty()) {
    validator.Add(absl::InvalidArgumentError("create needs --role"));
  }
  const std::string scoring_address = absl::GetFlag(FLAGS_scoring_address);
  // Refused before the password is asked for: the account could not be made anyway.
  if (command == "create" && absl::GetFlag(FLAGS_role) == "grid_worker" &&
      scoring_address.empty()) {
    validator.Add(absl::InvalidArgumentError(
        "a grid worker's account is made together with its naming as the grid's worker in "
        "scoring (until then it scores nothing): give --scoring_address and --service_token_file "
        "(the gateway's service token)"));
  }
  if (command == "create" && scoring_address.empty() &&
      (absl::GetFlag(FLAGS_town_id) > 0 || absl::GetFlag(FLAGS_village_id) > 0 ||
       absl::GetFlag(FLAGS_team_id) > 0) &&
      absl::GetFlag(FLAGS_role) != "grid_worker") {
    validator.Add(absl::InvalidArgumentError(admin::kScopeNeedsRegistry));
  }
  if (!scoring_address.empty()) {
    validator.RequireHostPort("scoring_address", scoring_address);
    validator.RequireNonEmpty("service_token_file", flags.service_token_file);
    if (!flags.service_token_file.empty()) {
      validator.RequireReadableFile("service_token_file", flags.service_token_file);
    }
  }
  // Only changes are audited; `list` needs no operator.
  absl::StatusOr<std::string> operator_name =
      command == "list" ? absl::StatusOr<std::string>("") : OperatorName();
  if (!operator_name.ok()) validator.Add(operator_name.status());
  if (!validator.status().ok()) return Usage(std::string(validator.status().message()));

  admin::CommandArgs args;
  args.username = absl::GetFlag(FLAGS_username);
  args.role = absl::GetFlag(FLAGS_role);
  args.town_id = absl::GetFlag(FLAGS_town_id);
  args.village_id = absl::GetFlag(FLAGS_village_id);
  args.grid_id = absl::GetFlag(FLAGS_grid_id);
  args.team_id = absl::GetFlag(FLAGS_team_id);
  args.now_ms = absl::ToUnixMillis(absl::Now());
  args.operator_name = *std::move(operator_name);
  if (admin::NeedsPassword(command)) {
    absl::StatusOr<std::string> password = ReadPassword();
    if (!password.ok()) return Usage(std::string(password.status().message()));
    args.password = *std::move(password);
  }

  std::unique_ptr<gateway::GrpcRegistry> registry;
  if (!scoring_address.empty()) {
    absl::StatusOr<std::string> token = ReadToken(flags.service_token_file);
    if (!token.ok()) return Usage(std::string(token.status().message()));
    registry = std::make_unique<gateway::GrpcRegistry>(scoring_address, *std::move(token));
  }

  mysql::MySqlConfig mysql_config = grpc_util::MySqlConfigFrom(flags);
  mysql_config.pool_size = 1;
  mysql::ConnectionPool pool(mysql_config);
  gateway::MySqlAccountStore store(&pool);
  const gateway::PasswordCost password_cost =
      cost == "minimum" ? gateway::PasswordCost::Minimum() : gateway::PasswordCost();
  gateway::StaffAccounts accounts(&store, password_cost, gateway::kMinPasswordLength);
  return admin::RunCommand(command, args, accounts, registry.get(), registry.get(), stdout, stderr);
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
