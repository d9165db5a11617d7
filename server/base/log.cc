#include "server/base/log.h"

#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace mpower {

void Log(LogLevel level, absl::string_view component, absl::string_view message) {
  static constexpr const char* kLevels[] = {"info", "warning", "error"};
  const std::string line = absl::StrCat(
      "time=", absl::FormatTime(absl::RFC3339_full, absl::Now(), absl::UTCTimeZone()),
      " level=", kLevels[static_cast<int>(level)], " component=", component, " msg=\"",
      absl::StrReplaceAll(message, {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}}), "\"\n");
  // One fwrite per line keeps concurrent lines whole.
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace mpower
