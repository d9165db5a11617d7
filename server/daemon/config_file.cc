#include "server/daemon/config_file.h"

#include <cstring>
#include <fstream>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"

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

absl::Status ApplyConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::FailedPreconditionError(absl::StrCat("--config: cannot read ", path));
  }
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    absl::string_view text = line;
    if (const size_t hash = text.find('#'); hash != absl::string_view::npos) {
      text = text.substr(0, hash);
    }
    text = absl::StripAsciiWhitespace(text);
    if (text.empty()) continue;
    const std::string where = absl::StrCat(path, ":", number, ": ");
    const size_t equals = text.find('=');
    if (equals == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "expected `name = value`, e.g. `listen = 127.0.0.1:50051`"));
    }
    const std::string name =
        absl::StrReplaceAll(absl::StripAsciiWhitespace(text.substr(0, equals)), {{"-", "_"}});
    const absl::string_view value = absl::StripAsciiWhitespace(text.substr(equals + 1));
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    // Abseil's own flags (flagfile, help, ...) are not settings.
    if (flag == nullptr || name == "config" ||
        !absl::StrContains(flag->Filename(), "server/main.cc")) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, "unknown setting \"", absl::StripAsciiWhitespace(text.substr(0, equals)),
          "\"; the settings are mpowerd's flags (mpowerd --help)"));
    }
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      return absl::InvalidArgumentError(absl::StrCat(where, error));
    }
  }
  return absl::OkStatus();
}

}  // namespace mpower
