#include "tests/support/testenv.h"

#include <cppconn/connection.h>
#include <cppconn/exception.h>
#include <cppconn/statement.h>
#include <hiredis/hiredis.h>
#include <mysql_driver.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

namespace jifen::testing {
namespace {

// A broken test environment leaves nothing meaningful to test, so every failure here ends the
// binary with a message that says what to fix (as testenv.h promises).
[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "testenv: %s\n", message.c_str());
  std::fflush(stderr);
  std::abort();
}

std::string RequireEnv(const char* name, const char* why) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    Die(absl::StrCat("$", name, " is not set: ", why));
  }
  return value;
}

// The fixture's env file: KEY=VALUE lines; the value is everything after the first '=' (the
// START commands contain '=' and spaces).
using EnvFile = std::map<std::string, std::string>;

const EnvFile& Env() {
  static const EnvFile* const env = [] {
    const std::string path = RequireEnv(
        "JIFEN_TESTENV",
        "integration tests run under ctest, whose fixture jifen_servers starts MariaDB and Redis "
        "(or run tools/testenv/start.sh DIR and export JIFEN_TESTENV=DIR/env)");
    std::ifstream in(path);
    if (!in) Die(absl::StrCat("cannot read $JIFEN_TESTENV=", path, ": ", std::strerror(errno)));
    auto* parsed = new EnvFile;
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      const size_t eq = line.find('=');
      if (eq == std::string::npos) Die(absl::StrCat(path, ": malformed line: ", line));
      (*parsed)[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return parsed;
  }();
  return *env;
}

const std::string& EnvValue(const std::string& key) {
  const auto it = Env().find(key);
  if (it == Env().end()) Die(absl::StrCat("$JIFEN_TESTENV file has no ", key));
  return it->second;
}

int EnvPort(const std::string& key) {
  int port = 0;
  if (!absl::SimpleAtoi(EnvValue(key), &port) || port <= 0 || port > 65535) {
    Die(absl::StrCat(key, " is not a port: ", EnvValue(key)));
  }
  return port;
}

using Clock = std::chrono::steady_clock;
constexpr auto kPollInterval = std::chrono::milliseconds(100);
constexpr auto kProcessExitTimeout = std::chrono::seconds(30);
// InnoDB crash recovery after kill -9 is usually well under a second here; the bound is generous
// for a loaded CI machine.
constexpr auto kServerStartTimeout = std::chrono::seconds(60);

std::unique_ptr<sql::Connection> ConnectMySql(int timeout_s) {
  const MySqlServer& server = TestMySql();
  sql::ConnectOptionsMap options;
  options["hostName"] = sql::SQLString(absl::StrCat("tcp://", server.host, ":", server.port));
  options["userName"] = sql::SQLString(server.user);
  options["password"] = sql::SQLString(server.password);
  options["OPT_CONNECT_TIMEOUT"] = timeout_s;
  options["OPT_READ_TIMEOUT"] = 60;
  options["OPT_WRITE_TIMEOUT"] = 60;
  return std::unique_ptr<sql::Connection>(
      sql::mysql::get_mysql_driver_instance()->connect(options));
}

bool RedisPingOnce() {
  const RedisServer& server = TestRedis();
  const timeval timeout{2, 0};
  redisContext* context = redisConnectWithTimeout(server.host.c_str(), server.port, timeout);
  bool ok = false;
  if (context != nullptr && context->err == 0) {
    auto* reply = static_cast<redisReply*>(redisCommand(context, "PING"));
    ok = reply != nullptr && reply->type == REDIS_REPLY_STATUS &&
         absl::string_view(reply->str, reply->len) == "PONG";
    if (reply != nullptr) freeReplyObject(reply);
  }
  if (context != nullptr) redisFree(context);
  return ok;
}

pid_t ReadPidFile(const std::string& path) {
  std::ifstream in(path);
  std::string text;
  int pid = 0;
  if (!in || !std::getline(in, text) || !absl::SimpleAtoi(text, &pid) || pid <= 1) {
    Die(absl::StrCat("no pid in ", path));
  }
  return static_cast<pid_t>(pid);
}

// A killed server is reparented; until its new parent reaps it, it lingers as a zombie, which
// holds no port or file lock any more and so counts as gone.
bool ProcessGone(pid_t pid) {
  if (kill(pid, 0) != 0) return errno == ESRCH;
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string content;
  std::getline(stat, content);
  const size_t paren = content.rfind(')');
  return paren != std::string::npos && paren + 2 < content.size() && content[paren + 2] == 'Z';
}

// Live processes named `comm` whose command line (as they retitled it) contains `needle` not
// followed by a digit (so ":2105" does not find ":21052").
std::vector<pid_t> ProcessesTitled(const std::string& comm, const std::string& needle) {
  std::vector<pid_t> found;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
    int pid = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &pid)) continue;
    std::ifstream comm_file(entry.path() / "comm");
    std::string name;
    if (!std::getline(comm_file, name) || name != comm) continue;
    std::ifstream cmdline_file(entry.path() / "cmdline");
    const std::string cmdline((std::istreambuf_iterator<char>(cmdline_file)),
                              std::istreambuf_iterator<char>());
    const size_t at = cmdline.find(needle);
    const size_t after = at + needle.size();
    const bool whole = at != std::string::npos &&
                       (after == cmdline.size() || !absl::ascii_isdigit(cmdline[after]));
    if (whole && !ProcessGone(pid)) found.push_back(pid);
  }
  return found;
}

void KillAndWait(pid_t pid, const std::string& what) {
  if (kill(pid, SIGKILL) != 0 && errno != ESRCH) {
    Die(absl::StrCat("kill -9 ", what, " (pid ", pid, "): ", std::strerror(errno)));
  }
  const auto deadline = Clock::now() + kProcessExitTimeout;
  while (!ProcessGone(pid)) {
    if (Clock::now() > deadline) Die(absl::StrCat(what, " (pid ", pid, ") survived kill -9"));
    std::this_thread::sleep_for(kPollInterval);
  }
}

// The START commands background the server themselves, so /bin/sh returns at once.
void RunStartCommand(const std::string& key) {
  const std::string& command = EnvValue(key);
  const int status = std::system(command.c_str());
  if (status != 0) Die(absl::StrCat(key, " exited with status ", status, ": ", command));
}

// The last lines of the server's log beside `pid_file` (redis.log / mysqld.log), so that a server
// that did not come back says why in the test's own output (CI removes the folder afterwards).
std::string LogTail(const std::string& pid_file) {
  const std::string folder = pid_file.substr(0, pid_file.find_last_of('/') + 1);
  std::string tail;
  for (const char* name : {"redis.log", "mysqld.log", "redis.out"}) {
    std::ifstream in(folder + name);
    if (!in) continue;
    std::deque<std::string> lines;
    for (std::string line; std::getline(in, line);) {
      lines.push_back(line);
      if (lines.size() > 15) lines.pop_front();
    }
    absl::StrAppend(&tail, "\n--- last lines of ", folder, name, ":");
    for (const std::string& line : lines) absl::StrAppend(&tail, "\n", line);
  }
  return tail;
}

template <typename Probe>
void WaitUntil(Probe probe, const std::string& what, const std::string& pid_file) {
  const auto deadline = Clock::now() + kServerStartTimeout;
  while (!probe()) {
    if (Clock::now() > deadline) {
      Die(absl::StrCat(
          what, " did not come back within ",
          std::chrono::duration_cast<std::chrono::seconds>(kServerStartTimeout).count(), "s",
          LogTail(pid_file)));
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

bool ValidDatabaseName(absl::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (const char c : name) {
    if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_')) return false;
  }
  return true;
}

}  // namespace

const MySqlServer& TestMySql() {
  static const MySqlServer* const server = [] {
    auto* s = new MySqlServer;
    s->host = EnvValue("JIFEN_TEST_MYSQL_HOST");
    s->port = EnvPort("JIFEN_TEST_MYSQL_PORT");
    s->user = EnvValue("JIFEN_TEST_MYSQL_USER");
    s->password = EnvValue("JIFEN_TEST_MYSQL_PASSWORD");
    s->socket_path = EnvValue("JIFEN_TEST_MYSQL_SOCKET");
    s->data_dir = EnvValue("JIFEN_TEST_MYSQL_DATADIR");
    s->pid_file = EnvValue("JIFEN_TEST_MYSQL_PIDFILE");
    return s;
  }();
  return *server;
}

const RedisServer& TestRedis() {
  static const RedisServer* const server = [] {
    auto* s = new RedisServer;
    s->host = EnvValue("JIFEN_TEST_REDIS_HOST");
    s->port = EnvPort("JIFEN_TEST_REDIS_PORT");
    s->pid_file = EnvValue("JIFEN_TEST_REDIS_PIDFILE");
    return s;
  }();
  return *server;
}

std::string CreateFreshDatabase(const std::string& suite) {
  // Suite names are CamelCase by convention; database names are lower case so that they mean the
  // same on servers with case-insensitive table names.
  const std::string name = absl::StrCat("t_", getpid(), "_", absl::AsciiStrToLower(suite));
  // A database name can't be a bound parameter, so it is checked before it is spliced into SQL.
  if (!ValidDatabaseName(name)) {
    Die(absl::StrCat("CreateFreshDatabase(\"", suite,
                     "\"): the suite may use only letters, digits and '_', and the name ", name,
                     " must fit in 64 characters"));
  }
  try {
    std::unique_ptr<sql::Connection> connection = ConnectMySql(10);
    std::unique_ptr<sql::Statement> statement(connection->createStatement());
    statement->execute(absl::StrCat("DROP DATABASE IF EXISTS `", name, "`"));
    // As jifen-migrate creates them (tools/migrate/main.cc): a schema default that differs from
    // the tables' own collation, so that SQL mixing the two fails here and not in production.
    statement->execute(absl::StrCat("CREATE DATABASE `", name,
                                    "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"));
  } catch (const sql::SQLException& e) {
    Die(absl::StrCat("CreateFreshDatabase(", name, "): MySQL error ", e.getErrorCode(), ": ",
                     e.what()));
  }
  return name;
}

redis::RedisConfig TestRedisConfig() {
  redis::RedisConfig config;
  config.host = TestRedis().host;
  config.port = TestRedis().port;
  return config;
}

std::string FreshRedisPrefix() {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string test =
      info != nullptr ? absl::StrCat(info->test_suite_name(), ".", info->name()) : "NoTest";
  return absl::StrCat("t", getpid(), ":", test, ":");
}

void KillMySql() {
  const MySqlServer& server = TestMySql();
  KillAndWait(ReadPidFile(server.pid_file), "mariadbd");
}

void FreezeMySql() {
  const pid_t pid = ReadPidFile(TestMySql().pid_file);
  if (pid <= 0 || kill(pid, SIGSTOP) != 0) ADD_FAILURE() << "cannot stop mariadbd " << pid;
}

void ThawMySql() {
  const pid_t pid = ReadPidFile(TestMySql().pid_file);
  if (pid <= 0 || kill(pid, SIGCONT) != 0) ADD_FAILURE() << "cannot continue mariadbd " << pid;
}

void KillAndRestartMySql() {
  KillMySql();
  StartMySql();
}

void StartMySql() {
  RunStartCommand("JIFEN_TEST_MYSQL_START");
  WaitUntil(
      [] {
        try {
          ConnectMySql(2);
          return true;
        } catch (const sql::SQLException&) {
          return false;
        }
      },
      "mariadbd", TestMySql().pid_file);
}

void KillAndRestartRedis() {
  const RedisServer& server = TestRedis();
  KillAndWait(ReadPidFile(server.pid_file), "redis-server");
  // Whatever else still serves the port would keep the restarted server from binding it (CI saw
  // that once, with the pid file naming another process): Redis titles itself "host:port".
  for (pid_t other : ProcessesTitled("redis-server", absl::StrCat(":", server.port))) {
    KillAndWait(other, "redis-server");
  }
  RunStartCommand("JIFEN_TEST_REDIS_START");
  WaitUntil(RedisPingOnce, "redis-server", server.pid_file);
}

std::string SourcePath(const std::string& relative) {
  return absl::StrCat(RequireEnv("JIFEN_SOURCE_DIR", "tests run under ctest set it"), "/",
                      relative);
}

std::string BinaryPath(const std::string& relative) {
  return absl::StrCat(RequireEnv("JIFEN_BINARY_DIR", "tests run under ctest set it"), "/",
                      relative);
}

}  // namespace jifen::testing
