#include "client/config.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace mpower::cli {

absl::StatusOr<std::map<std::string, std::string>> ReadConfig(const std::string& path) {
  std::map<std::string, std::string> settings;
  struct stat info;
  if (stat(path.c_str(), &info) != 0) return settings;
  if ((info.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " holds a token but others can read it; run chmod 600 ", path));
  }
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || text.front() == '#') continue;
    const size_t equals = text.find('=');
    if (equals == absl::string_view::npos) continue;
    settings[std::string(absl::StripAsciiWhitespace(text.substr(0, equals)))] =
        std::string(absl::StripAsciiWhitespace(text.substr(equals + 1)));
  }
  return settings;
}

}  // namespace mpower::cli
