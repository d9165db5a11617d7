#ifndef MPOWER_CLIENT_ARGS_H_
#define MPOWER_CLIENT_ARGS_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace mpower::cli {

// A command line split into positional words and flags.
struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> flags;  // "--page-size 5" -> {"page-size", "5"}
  // Flags in the order given, for those that set fields.
  std::vector<std::string> flag_order;

  bool Has(const std::string& flag) const { return flags.count(flag) > 0; }
  std::string Get(const std::string& flag, const std::string& otherwise = "") const;
};

// Parses `argv[1..argc)`. Accepts --name=value, --name value, and the short
// forms -o (output), -f (file) and -h (help). Flags in `booleans` take no
// value. INVALID_ARGUMENT for a flag not in `known`, one missing its value,
// or one given twice.
absl::StatusOr<Args> ParseArgs(int argc, char** argv, const std::set<std::string>& known,
                               const std::set<std::string>& booleans);

}  // namespace mpower::cli

#endif  // MPOWER_CLIENT_ARGS_H_
