#include "common/log/log.h"

#include <errno.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "nlohmann/json.hpp"

namespace jifen::log {
namespace {

struct Logger {
  absl::Mutex mu;
  std::string service ABSL_GUARDED_BY(mu) = program_invocation_short_name != nullptr
                                                ? program_invocation_short_name
                                                : "";
  std::function<void(std::string_view)> sink ABSL_GUARDED_BY(mu);
  std::atomic<int> min_level{static_cast<int>(Level::kInfo)};
};

// Leaked on purpose: threads may still log while static destructors run.
Logger& GetLogger() {
  static Logger* const logger = new Logger;
  return *logger;
}

// Appends `text` as a JSON string literal. Invalid UTF-8 becomes U+FFFD instead of throwing, so a
// malformed field from a client can never take the logger (or the caller) down.
void AppendJsonString(std::string& out, std::string_view text) {
  out += nlohmann::json(std::string(text))
             .dump(-1, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
}

bool IsReservedKey(std::string_view key) {
  return key == "ts" || key == "level" || key == "service" || key == "msg";
}

void WriteToStderr(const std::string& line) {
  const char* data = line.data();
  size_t left = line.size();
  while (left > 0) {
    const ssize_t written = ::write(STDERR_FILENO, data, left);
    if (written < 0) {
      if (errno == EINTR) continue;
      return;  // Nowhere left to report a failing stderr.
    }
    data += written;
    left -= static_cast<size_t>(written);
  }
}

}  // namespace

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarning:
      return "warning";
    case Level::kError:
      return "error";
  }
  return "unknown";
}

absl::StatusOr<Level> ParseLevel(std::string_view text) {
  const std::string lower = absl::AsciiStrToLower(absl::string_view(text.data(), text.size()));
  for (Level level : {Level::kDebug, Level::kInfo, Level::kWarning, Level::kError}) {
    if (lower == LevelName(level)) return level;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("log level must be one of debug|info|warning|error, got \"",
                   absl::string_view(text.data(), text.size()), "\""));
}

void SetServiceName(std::string name) {
  Logger& logger = GetLogger();
  absl::MutexLock lock(&logger.mu);
  logger.service = std::move(name);
}

void SetMinLevel(Level level) {
  GetLogger().min_level.store(static_cast<int>(level), std::memory_order_relaxed);
}

absl::Status SetMinLevel(std::string_view level) {
  absl::StatusOr<Level> parsed = ParseLevel(level);
  if (!parsed.ok()) return parsed.status();
  SetMinLevel(*parsed);
  return absl::OkStatus();
}

Level MinLevel() {
  return static_cast<Level>(GetLogger().min_level.load(std::memory_order_relaxed));
}

bool IsEnabled(Level level) {
  return static_cast<int>(level) >= GetLogger().min_level.load(std::memory_order_relaxed);
}

std::string FormatLine(Level level, absl::Time time, const absl::TimeZone& zone,
                       std::string_view service, std::string_view message, const Fields& fields) {
  std::string line = "{\"ts\":";
  AppendJsonString(line, absl::FormatTime("%Y-%m-%d%ET%H:%M:%E3S%Ez", time, zone));
  line += ",\"level\":";
  AppendJsonString(line, LevelName(level));
  line += ",\"service\":";
  AppendJsonString(line, service);
  line += ",\"msg\":";
  AppendJsonString(line, message);
  for (const auto& [key, value] : fields) {
    line += ',';
    AppendJsonString(line, IsReservedKey(key) ? absl::StrCat("field.", key) : key);
    line += ':';
    AppendJsonString(line, value);
  }
  line += '}';
  return line;
}

void Log(Level level, std::string_view message, const Fields& fields) {
  if (!IsEnabled(level)) return;
  static const absl::TimeZone zone = absl::LocalTimeZone();
  const absl::Time now = absl::Now();
  Logger& logger = GetLogger();
  absl::MutexLock lock(&logger.mu);
  std::string line = FormatLine(level, now, zone, logger.service, message, fields);
  if (logger.sink) {
    logger.sink(line);
    return;
  }
  line += '\n';
  WriteToStderr(line);
}

void Debug(std::string_view message, const Fields& fields) { Log(Level::kDebug, message, fields); }
void Info(std::string_view message, const Fields& fields) { Log(Level::kInfo, message, fields); }
void Warning(std::string_view message, const Fields& fields) {
  Log(Level::kWarning, message, fields);
}
void Error(std::string_view message, const Fields& fields) { Log(Level::kError, message, fields); }

void SetSinkForTest(std::function<void(std::string_view line)> sink) {
  Logger& logger = GetLogger();
  absl::MutexLock lock(&logger.mu);
  logger.sink = std::move(sink);
}

}  // namespace jifen::log
