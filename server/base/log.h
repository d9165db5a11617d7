#ifndef MPOWER_SERVER_BASE_LOG_H_
#define MPOWER_SERVER_BASE_LOG_H_

// A minimal structured logger: one `key=value` line per event on stderr.
// Abseil 20220623 has no logging library, and the server needs only this.
// Never log protected alert details or request bodies.

#include "absl/strings/string_view.h"

namespace mpower {

enum class LogLevel { kInfo, kWarning, kError };

// Writes `level=... component=... msg="..."` as one line. Thread-safe.
void Log(LogLevel level, absl::string_view component, absl::string_view message);

}  // namespace mpower

#endif  // MPOWER_SERVER_BASE_LOG_H_
