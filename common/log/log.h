// Structured logs: one JSON object per line on stderr, e.g.
//   {"ts":"2026-11-29T11:44:19.123+08:00","level":"info","service":"scoring","msg":"...","k":"v"}
// Keys come in that order: ts, level, service, msg, then the fields in the caller's order. The
// timestamp is in the process's local time zone (TZ) with its UTC offset. Text is escaped by
// nlohmann::json; invalid UTF-8 is replaced by U+FFFD rather than dropped or thrown on.
//
// Thread-safe: every line is written with one write(2) under a mutex, so lines never interleave
// within the process. Logging never throws and never fails the caller.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace jifen::log {

// Extra key/value pairs of one line. A key equal to one of the fixed keys (ts, level, service,
// msg) is written as "field.<key>" so that it cannot overwrite them.
using Fields = std::vector<std::pair<std::string, std::string>>;

enum class Level { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// "debug", "info", "warning", "error".
std::string_view LevelName(Level level);

// Parses "debug|info|warning|error" (ASCII case-insensitive). INVALID_ARGUMENT otherwise.
absl::StatusOr<Level> ParseLevel(std::string_view text);

// The "service" value of every line. Defaults to the program's name.
void SetServiceName(std::string name);

// Lines below the minimum level are dropped. Defaults to kInfo.
void SetMinLevel(Level level);
// Same, from configuration text; INVALID_ARGUMENT (and no change) on anything but
// "debug|info|warning|error".
absl::Status SetMinLevel(std::string_view level);
Level MinLevel();
bool IsEnabled(Level level);

void Log(Level level, std::string_view message, const Fields& fields = {});
void Debug(std::string_view message, const Fields& fields = {});
void Info(std::string_view message, const Fields& fields = {});
void Warning(std::string_view message, const Fields& fields = {});
void Error(std::string_view message, const Fields& fields = {});

// Sends every line (without its trailing newline) to `sink` instead of stderr; an empty function
// restores stderr. The sink is called under the logging mutex: it must not log.
void SetSinkForTest(std::function<void(std::string_view line)> sink);

// The line that Log writes, without the trailing newline. Pure; exposed for tests.
std::string FormatLine(Level level, absl::Time time, const absl::TimeZone& zone,
                       std::string_view service, std::string_view message, const Fields& fields);

}  // namespace jifen::log
