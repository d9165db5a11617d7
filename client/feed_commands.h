#ifndef MPOWER_CLIENT_FEED_COMMANDS_H_
#define MPOWER_CLIENT_FEED_COMMANDS_H_

// The change feed on the command line: `mpower changes list` and
// `mpower alerts watch`.

#include <string>

#include "absl/status/status.h"
#include "client/args.h"
#include "client/rpc.h"

namespace mpower::cli {

// Prints changes after --after (default 0), filtered by --collections,
// --partner and --country. Returns the exit code.
absl::Status ListChangesCommand(RpcClient& rpc, const Args& args, const std::string& output);

// Prints alerts as they are filed or change, filtered by --countries,
// --categories and --min-severity, from now on (or after --after), until
// interrupted or --for has passed. Reconnects by itself and resumes after
// the last revision it saw. Returns the exit code.
absl::Status WatchAlertsCommand(RpcClient& rpc, const Args& args, const std::string& output);

}  // namespace mpower::cli

#endif  // MPOWER_CLIENT_FEED_COMMANDS_H_
