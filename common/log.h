#pragma once
// Structured logging: one JSON object per line on stderr, so that Kubernetes log
// collectors parse it without configuration.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tuopin::common {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

using LogField = std::pair<absl::string_view, std::string>;

void Log(LogLevel level, absl::string_view message, std::initializer_list<LogField> fields = {});
// The same line, handed to a background writer instead of written on the caller's
// thread (per-call logs such as the gateway's access log), which writes every 512 lines
// or 50 ms. Never blocks: past 64k
// queued lines a line is dropped and counted (DroppedAsyncLogLines).
void LogAsync(LogLevel level, absl::string_view message,
              std::initializer_list<LogField> fields = {});
uint64_t DroppedAsyncLogLines();
// Writes the queued lines now (a server's last step, so a stop loses none).
void FlushAsyncLog();
void SetMinLogLevel(LogLevel level);
// Quotes and escapes a string as a JSON string literal.
std::string JsonQuote(absl::string_view s);
// The time as log lines write it: RFC 3339, UTC, microseconds ("...T21:00:00.123456Z").
std::string FormatLogTime(absl::Time t);

inline void LogInfo(absl::string_view m, std::initializer_list<LogField> f = {}) {
  Log(LogLevel::kInfo, m, f);
}
inline void LogWarning(absl::string_view m, std::initializer_list<LogField> f = {}) {
  Log(LogLevel::kWarning, m, f);
}
inline void LogError(absl::string_view m, std::initializer_list<LogField> f = {}) {
  Log(LogLevel::kError, m, f);
}

}  // namespace tuopin::common
