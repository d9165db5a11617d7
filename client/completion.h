#ifndef MPOWER_CLIENT_COMPLETION_H_
#define MPOWER_CLIENT_COMPLETION_H_

// Shell completion, as cobra does it for kubectl: the shell's script (one
// small function per shell) hands the words typed so far to the hidden
// command `mpower __complete`, which prints one candidate a line. So the
// three shells share one implementation, and it knows the CLI's commands
// and flags because it reads the same tables as the parser.

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/resources.h"

namespace mpower::cli {

// A candidate that asks the shell to complete a file name instead.
inline constexpr char kCompleteFiles[] = ":files";

// Names of resources of `spec`'s kind, from the server; empty when it
// cannot answer at once.
using NameLister = std::function<std::vector<std::string>(const ResourceSpec& spec)>;

// The candidates for the last of `words` (the words after `mpower`, the
// last being the one under the cursor, "" when starting a new one), in the
// order to offer them: resources, verbs, flags, the values of enum and
// other known flags, and names from `names` where a resource name goes.
std::vector<std::string> Complete(const std::vector<std::string>& words, const NameLister& names);

// The script that wires `mpower __complete` into `shell` ("bash", "zsh"
// or "fish"); INVALID_ARGUMENT naming the three for any other.
absl::StatusOr<std::string> CompletionScript(absl::string_view shell);

}  // namespace mpower::cli

#endif  // MPOWER_CLIENT_COMPLETION_H_
