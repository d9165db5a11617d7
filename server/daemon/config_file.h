#ifndef MPOWER_SERVER_DAEMON_CONFIG_FILE_H_
#define MPOWER_SERVER_DAEMON_CONFIG_FILE_H_

// mpowerd's configuration file (--config): one `name = value` a line,
// `name` being a flag's name (hyphens or underscores), `#` starting a
// comment. The file's values replace the defaults and the command line's
// replace the file's, as with the CLI's config file.

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace mpower {

// The path that argv gives with --config=PATH or --config PATH; "" if none.
std::string ConfigFileArgument(int argc, char** argv);

// The value `path` gives the setting `name` (with underscores), or nullopt
// if it gives none; errors as ApplyConfigFile's. For SIGHUP's reload.
absl::StatusOr<std::optional<std::string>> ReadConfigSetting(const std::string& path,
                                                             const std::string& name);

// Sets the flags `path` names to its values. INVALID_ARGUMENT naming
// `path`, the line and what is wrong for an unknown name, a malformed line
// or a bad value; FAILED_PRECONDITION if the file cannot be read. Call
// before absl::ParseCommandLine, so that the command line wins.
absl::Status ApplyConfigFile(const std::string& path);

}  // namespace mpower

#endif  // MPOWER_SERVER_DAEMON_CONFIG_FILE_H_
