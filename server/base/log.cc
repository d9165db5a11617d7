#include "server/base/log.h"

#include <atomic>
#include <cstdio>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace mpower {
namespace {

std::atomic<LogFormat> g_format{LogFormat::kText};
std::atomic<LogLevel> g_min_level{LogLevel::kInfo};
constexpr const char* kLevels[] = {"debug", "info", "warning", "error"};

// A value for a text line: quoted, with quotes, backslashes and line
// breaks escaped.
std::string TextValue(absl::string_view value) {
  return absl::StrCat(
      "\"", absl::StrReplaceAll(value, {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}}), "\"");
}

// A JSON string: every control character escaped, so a line stays a line.
std::string JsonValue(absl::string_view value) {
  std::string out = "\"";
  for (const char c : value) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

}  // namespace

void SetLogFormat(LogFormat format) { g_format.store(format); }
void SetMinLogLevel(LogLevel level) { g_min_level.store(level); }

absl::Status ParseLogFormat(absl::string_view text, LogFormat& format) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == "text") {
    format = LogFormat::kText;
  } else if (lower == "json") {
    format = LogFormat::kJson;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("\"", text, "\" is not one of text, json"));
  }
  return absl::OkStatus();
}

absl::Status ParseLogLevel(absl::string_view text, LogLevel& level) {
  const std::string lower = absl::AsciiStrToLower(text);
  for (int i = 0; i < 4; ++i) {
    if (lower == kLevels[i]) {
      level = static_cast<LogLevel>(i);
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("\"", text, "\" is not one of debug, info, warning, error"));
}

void LogFields(LogLevel level, absl::string_view component, absl::string_view message,
               const std::vector<std::pair<absl::string_view, std::string>>& fields) {
  if (level < g_min_level.load()) return;
  const std::string time = absl::FormatTime(absl::RFC3339_full, absl::Now(), absl::UTCTimeZone());
  const char* level_name = kLevels[static_cast<int>(level)];
  std::string line;
  if (g_format.load() == LogFormat::kJson) {
    line = absl::StrCat("{\"time\":", JsonValue(time), ",\"level\":\"", level_name,
                        "\",\"component\":", JsonValue(component), ",\"msg\":", JsonValue(message));
    for (const auto& [key, value] : fields) {
      absl::StrAppend(&line, ",", JsonValue(key), ":", JsonValue(value));
    }
    line += "}\n";
  } else {
    line = absl::StrCat("time=", time, " level=", level_name, " component=", component,
                        " msg=", TextValue(message));
    for (const auto& [key, value] : fields) absl::StrAppend(&line, " ", key, "=", TextValue(value));
    line += "\n";
  }
  // One fwrite per line keeps concurrent lines whole.
  std::fwrite(line.data(), 1, line.size(), stderr);
}

void Log(LogLevel level, absl::string_view component, absl::string_view message) {
  LogFields(level, component, message, {});
}

}  // namespace mpower
