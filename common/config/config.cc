#include "common/config/config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"

namespace jifen::config {
namespace {

std::string EnvironmentName(absl::string_view flag_name) {
  return absl::StrCat("JIFEN_", absl::AsciiStrToUpper(flag_name));
}

bool GivenOnCommandLine(int argc, char** argv, absl::string_view name) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") break;
    for (absl::string_view prefix : {"--", "-"}) {
      if (absl::ConsumePrefix(&arg, prefix)) break;
    }
    if (arg == name || absl::StartsWith(arg, absl::StrCat(name, "=")) ||
        arg == absl::StrCat("no", name)) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::vector<char*> ParseFlagsAndEnvironment(int argc, char** argv, absl::string_view usage) {
  // Debian's Abseil is built with absl::Mutex deadlock detection on: every lock and unlock, gRPC's
  // included, then updates a lock graph under one global mutex, which serialises the handler
  // threads (measured: SubmitInspection at 8 clients slower than at 2; see docs/benchmarks.md).
  // Lock order is checked by the thread-safety annotations and the tests instead.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::SetProgramUsageMessage(usage);
  std::vector<std::string> problems;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    const std::string variable = EnvironmentName(name);
    const char* value = std::getenv(variable.c_str());
    if (value == nullptr || GivenOnCommandLine(argc, argv, name)) continue;
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      problems.push_back(absl::StrCat(variable, "=\"", value, "\": ", error));
    }
  }
  if (!problems.empty()) {
    std::cerr << "invalid configuration: " << absl::StrJoin(problems, "; ") << std::endl;
    std::exit(2);
  }
  return absl::ParseCommandLine(argc, argv);
}

void Validator::Fail(absl::string_view name, absl::string_view why) {
  problems_.push_back(absl::StrCat("--", name, " (or ", EnvironmentName(name), ") ", why));
}

void Validator::RequireNonEmpty(absl::string_view name, const std::string& value) {
  if (value.empty()) Fail(name, "must be set");
}

void Validator::RequireHostPort(absl::string_view name, const std::string& value) {
  const size_t colon = value.rfind(':');
  int port = -1;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(absl::string_view(value).substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    Fail(name, absl::StrCat("must be host:port, got \"", value, "\""));
  }
}

void Validator::RequirePort(absl::string_view name, int port) {
  if (port < 1 || port > 65535) Fail(name, absl::StrCat("must be a port 1-65535, got ", port));
}

void Validator::RequireRange(absl::string_view name, int64_t value, int64_t min, int64_t max) {
  if (value < min || value > max) {
    Fail(name, absl::StrCat("must be in [", min, ", ", max, "], got ", value));
  }
}

void Validator::RequireReadableFile(absl::string_view name, const std::string& path) {
  if (path.empty()) {
    Fail(name, "must name a file");
  } else if (access(path.c_str(), R_OK) != 0) {
    Fail(name, absl::StrCat("names a file that cannot be read: ", path));
  }
}

void Validator::RequireDirectory(absl::string_view name, const std::string& path) {
  struct stat info {};
  if (path.empty() || stat(path.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    Fail(name, absl::StrCat("must name an existing folder, got \"", path, "\""));
  }
}

void Validator::Add(absl::Status status) {
  if (!status.ok()) problems_.push_back(std::string(status.message()));
}

absl::Status Validator::status() const {
  if (problems_.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(problems_, "; "));
}

void Validator::ExitIfInvalid() const {
  if (problems_.empty()) return;
  std::cerr << "invalid configuration: " << absl::StrJoin(problems_, "; ") << std::endl;
  std::exit(2);
}

}  // namespace jifen::config
