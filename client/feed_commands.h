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
// the last revision it saw; when the server no longer holds the changes
// since (compacted), says so and lists the alerts as they are now.
absl::Status WatchAlertsCommand(RpcClient& rpc, const Args& args, const std::string& output);

// Prints every change it may see, filtered by --collections, --partner and
// --country, from now on (or after --after), until interrupted or --for
// has passed; resumes as WatchAlertsCommand does, and says when changes
// were compacted away while it was cut off.
absl::Status WatchChangesCommand(RpcClient& rpc, const Args& args, const std::string& output);

}  // namespace mpower::cli

#endif  // MPOWER_CLIENT_FEED_COMMANDS_H_
