#include "server/daemon/config_file.h"

#include <cstring>
#include <fstream>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "server/daemon/flags.h"

namespace mpower {

std::string ConfigFileArgument(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (arg == "--") break;
    if (absl::StartsWith(arg, "--config=")) return std::string(arg.substr(9));
    if (arg == "--config" && i + 1 < argc) return argv[i + 1];
  }
  return "";
}

namespace {

// One `name = value` line of a configuration file.
struct Setting {
  std::string where;    // "PATH:LINE: ", for messages
  std::string written;  // the name as the file writes it
  std::string name;     // with underscores, as the flag's
  std::string value;
};

// Every setting of `path`, in order. INVALID_ARGUMENT naming the line for a
// malformed one; FAILED_PRECONDITION if the file cannot be read.
absl::StatusOr<std::vector<Setting>> ReadSettings(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::FailedPreconditionError(absl::StrCat("--config: cannot read ", path));
  }
  std::vector<Setting> settings;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    absl::string_view text = line;
    if (const size_t hash = text.find('#'); hash != absl::string_view::npos) {
      text = text.substr(0, hash);
    }
    text = absl::StripAsciiWhitespace(text);
    if (text.empty()) continue;
    Setting setting;
    setting.where = absl::StrCat(path, ":", number, ": ");
    const size_t equals = text.find('=');
    if (equals == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(setting.where, "expected `name = value`, e.g. `listen = 127.0.0.1:50051`"));
    }
    setting.written = std::string(absl::StripAsciiWhitespace(text.substr(0, equals)));
    setting.name = absl::StrReplaceAll(setting.written, {{"-", "_"}});
    setting.value = std::string(absl::StripAsciiWhitespace(text.substr(equals + 1)));
    settings.push_back(std::move(setting));
  }
  return settings;
}

}  // namespace

absl::StatusOr<std::optional<std::string>> ReadConfigSetting(const std::string& path,
                                                             const std::string& name) {
  absl::StatusOr<std::vector<Setting>> settings = ReadSettings(path);
  if (!settings.ok()) return settings.status();
  std::optional<std::string> value;
  for (const Setting& setting : *settings) {
    if (setting.name == name) value = setting.value;
  }
  return value;
}

absl::Status ApplyConfigFile(const std::string& path) {
  absl::StatusOr<std::vector<Setting>> settings = ReadSettings(path);
  if (!settings.ok()) return settings.status();
  for (const Setting& setting : *settings) {
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(setting.name);
    // Abseil's own flags (flagfile, help, ...) are not settings.
    if (flag == nullptr || setting.name == "config" || !IsMpowerdFlag(*flag)) {
      return absl::InvalidArgumentError(
          absl::StrCat(setting.where, "unknown setting \"", setting.written,
                       "\"; the settings are mpowerd's flags (mpowerd --help)"));
    }
    std::string error;
    if (!flag->ParseFrom(setting.value, &error)) {
      return absl::InvalidArgumentError(absl::StrCat(setting.where, error));
    }
  }
  return absl::OkStatus();
}

}  // namespace mpower
