// Runs one of our binaries as a child process for integration and e2e tests: real processes, real
// ports. The child gets --listen=127.0.0.1:0 and --port_file, and Start() waits (bounded) until
// the port file appears, so no test sleeps or guesses a port.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace jifen::testing {

class ServiceProcess final {
 public:
  // `binary` relative to $JIFEN_BINARY_DIR (e.g. "services/scoring/jifen-scoring"). Extra flags
  // are passed as given. The child's stderr goes to <tmp>/<name>-<pid>.log (path in log_path()).
  ServiceProcess(std::string name, std::string binary, std::vector<std::string> flags);
  ~ServiceProcess();  // SIGKILL if still running

  // Starts the child and waits up to 30 s for its port. Aborts the test with the child's log on
  // failure (ADD_FAILURE + returns false).
  bool Start();
  int port() const { return port_; }
  std::string address() const;  // "127.0.0.1:<port>"
  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }

  // SIGTERM and wait for exit (bounded by `timeout_seconds`); returns the exit status as from
  // waitpid (use WIFEXITED/WEXITSTATUS), or -1 if it did not exit in time.
  int Terminate(int timeout_seconds = 30);
  // SIGKILL and reap.
  void Kill();
  // Starts a stopped process again on the port it had, so that clients (and other services
  // given its address) reach it again, as after a restart in production. False as Start().
  bool Restart();
  bool running() const { return pid_ > 0; }

 private:
  int WaitForExit(int timeout_seconds);
  std::string name_;
  std::string binary_;
  std::vector<std::string> flags_;
  std::string port_file_;
  std::string log_path_;
  std::string listen_ = "127.0.0.1:0";
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace jifen::testing
