#include "tests/support/service_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"
#include "tests/support/testenv.h"

namespace jifen::testing {
namespace {

std::string TempDir() {
  const char* dir = std::getenv("TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

}  // namespace

ServiceProcess::ServiceProcess(std::string name, std::string binary, std::vector<std::string> flags)
    : name_(std::move(name)), binary_(std::move(binary)), flags_(std::move(flags)) {}

ServiceProcess::~ServiceProcess() { Kill(); }

std::string ServiceProcess::address() const { return absl::StrCat("127.0.0.1:", port_); }

bool ServiceProcess::Start() {
  static int counter = 0;
  const std::string stem = absl::StrCat(TempDir(), "/jifen-", name_, "-", getpid(), "-", ++counter);
  port_file_ = stem + ".port";
  log_path_ = stem + ".log";
  unlink(port_file_.c_str());
  const std::string path = BinaryPath(binary_);
  std::vector<std::string> args = {path, "--listen=" + listen_, "--port_file=" + port_file_};
  args.insert(args.end(), flags_.begin(), flags_.end());

  pid_ = fork();
  if (pid_ == 0) {
    const int log_fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (log_fd >= 0) {
      dup2(log_fd, STDOUT_FILENO);
      dup2(log_fd, STDERR_FILENO);
    }
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    execv(path.c_str(), argv.data());
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    int port = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(ReadWhole(port_file_)), &port) && port > 0) {
      port_ = port;
      return true;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      ADD_FAILURE() << name_ << " exited during start; log:\n" << ReadWhole(log_path_);
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ADD_FAILURE() << name_ << " did not report a port within 30 s; log:\n" << ReadWhole(log_path_);
  Kill();
  return false;
}

int ServiceProcess::WaitForExit(int timeout_seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

int ServiceProcess::Terminate(int timeout_seconds) {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  return WaitForExit(timeout_seconds);
}

bool ServiceProcess::Restart() {
  if (pid_ > 0 || port_ == 0) {
    ADD_FAILURE() << name_ << ": Restart() needs a process that ran and stopped";
    return false;
  }
  listen_ = address();
  return Start();
}

void ServiceProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

}  // namespace jifen::testing
