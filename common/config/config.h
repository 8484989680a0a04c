// Configuration from flags and environment, validated at start.
//
// Every flag may also be given as an environment variable JIFEN_<FLAG_NAME_IN_CAPITALS>; a flag on
// the command line wins. A bad value, from either source, ends the process with exit code 2 and a
// message naming the setting, before anything is started.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace jifen::config {

// Parses argv (absl flags) after applying the environment. Returns positional arguments.
std::vector<char*> ParseFlagsAndEnvironment(int argc, char** argv, absl::string_view usage);

// Collects every problem so that one start names all bad settings at once.
class Validator final {
 public:
  void RequireNonEmpty(absl::string_view name, const std::string& value);
  void RequireHostPort(absl::string_view name, const std::string& value);  // "host:port", port 0 ok
  void RequirePort(absl::string_view name, int port);                      // 1..65535
  void RequireRange(absl::string_view name, int64_t value, int64_t min, int64_t max);
  void RequireReadableFile(absl::string_view name, const std::string& path);
  void RequireDirectory(absl::string_view name, const std::string& path);
  void Add(absl::Status status);  // a service-specific check

  absl::Status status() const;
  // Prints "invalid configuration: ..." to stderr and exits 2 when there are problems.
  void ExitIfInvalid() const;

 private:
  void Fail(absl::string_view name, absl::string_view why);
  std::vector<std::string> problems_;
};

}  // namespace jifen::config
