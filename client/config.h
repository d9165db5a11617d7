#ifndef MPOWER_CLIENT_CONFIG_H_
#define MPOWER_CLIENT_CONFIG_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace mpower::cli {

// The `key = value` lines of the config file at `path` ('#' starts a
// comment); empty if there is no file. FAILED_PRECONDITION if the file is
// readable or writable by anyone but its owner, since it holds a token.
absl::StatusOr<std::map<std::string, std::string>> ReadConfig(const std::string& path);

}  // namespace mpower::cli

#endif  // MPOWER_CLIENT_CONFIG_H_
