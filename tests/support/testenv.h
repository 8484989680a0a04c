// Access to the throwaway MariaDB and Redis that the CTest fixture `jifen_servers` starts once per
// test run (tools/testenv/start.sh). Integration tests isolate themselves: a fresh database per
// suite, a fresh key prefix per test.
#pragma once

#include <string>

#include "common/redis/redis_client.h"

namespace jifen::testing {

struct MySqlServer {
  std::string host;  // always 127.0.0.1
  int port = 0;      // the free loopback port the fixture chose
  std::string user;  // an account with every privilege, for migrations and setup
  std::string password;
  std::string socket_path;  // the server's unix socket
  std::string data_dir;     // the server's data folder (for crash/restart tests)
  std::string pid_file;     // mariadbd writes its pid here
};

struct RedisServer {
  std::string host;  // always 127.0.0.1
  int port = 0;
  std::string pid_file;
};

// Reads $JIFEN_TESTENV (written by the fixture). Aborts the test binary with a clear message if the
// variable is unset: integration tests must run under ctest, which sets it.
const MySqlServer& TestMySql();
const RedisServer& TestRedis();
// Client settings for TestRedis() (the library's defaults otherwise).
redis::RedisConfig TestRedisConfig();

// Creates (dropping any leftover) a database with a name unique to this process and `suite`,
// e.g. "t_12345_ledger", and returns its name.
std::string CreateFreshDatabase(const std::string& suite);

// A Redis key prefix unique to this process and the current GoogleTest test, e.g.
// "t12345:Suite.Name:".
std::string FreshRedisPrefix();

// Restarts the fixture's MariaDB: kill -9 of mariadbd, then starts it again on the same port and
// data folder, and waits until it accepts connections. For crash-recovery tests.
void KillAndRestartMySql();

// The two halves of KillAndRestartMySql, for tests that observe the time the server is down.
void KillMySql();
void StartMySql();  // waits until it accepts connections

// SIGSTOP / SIGCONT of the fixture's mariadbd: while frozen it keeps its connections and the
// kernel still accepts new ones, but nothing is answered, as when a server or its disk hangs.
void FreezeMySql();
void ThawMySql();

// Same for redis-server (data is kept only if the server persisted it).
void KillAndRestartRedis();

// Path of a file under the source tree ($JIFEN_SOURCE_DIR/relative).
std::string SourcePath(const std::string& relative);
// Path of a built artefact ($JIFEN_BINARY_DIR/relative).
std::string BinaryPath(const std::string& relative);

}  // namespace jifen::testing
