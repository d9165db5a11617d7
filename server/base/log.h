#ifndef MPOWER_SERVER_BASE_LOG_H_
#define MPOWER_SERVER_BASE_LOG_H_

// A minimal structured logger: one line per event on stderr (so that the
// journal takes it under systemd), as `key=value` text or as one JSON
// object. Abseil 20220623 has no logging library, and the server needs
// only this. Never log protected alert details, request bodies or a
// caller's free text.

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace mpower {

enum class LogLevel { kDebug, kInfo, kWarning, kError };
enum class LogFormat { kText, kJson };

// Process-wide; set once at start, before other threads log.
void SetLogFormat(LogFormat format);
void SetMinLogLevel(LogLevel level);
// "text"/"json" and "debug"/"info"/"warning"/"error"; INVALID_ARGUMENT
// naming the choices otherwise.
absl::Status ParseLogFormat(absl::string_view text, LogFormat& format);
absl::Status ParseLogLevel(absl::string_view text, LogLevel& level);

// Writes `time=... level=... component=... msg="..."` (or the same as JSON)
// as one line, if `level` is at least the minimum. Thread-safe.
void Log(LogLevel level, absl::string_view component, absl::string_view message);

// The same with more fields after the message, e.g. an access log line's
// method, code and duration. Values are escaped; keys must be plain words.
void LogFields(LogLevel level, absl::string_view component, absl::string_view message,
               const std::vector<std::pair<absl::string_view, std::string>>& fields);

}  // namespace mpower

#endif  // MPOWER_SERVER_BASE_LOG_H_
