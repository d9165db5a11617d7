#ifndef MPOWER_CLIENT_SYNC_COMMAND_H_
#define MPOWER_CLIENT_SYNC_COMMAND_H_

#include <string>

#include "absl/status/status.h"
#include "client/args.h"
#include "client/rpc.h"

namespace mpower::cli {

// `mpower commitments sync --parent partners/P -f FILE [--dry-run]
// [--mirror]`: reads commitments from CSV or JSON, reports every bad row by
// line and column without sending anything, else syncs them and prints
// what changed. Returns the exit code.
absl::Status SyncCommitmentsCommand(RpcClient& rpc, const Args& args, const std::string& output,
                                    absl::Duration timeout);

}  // namespace mpower::cli

#endif  // MPOWER_CLIENT_SYNC_COMMAND_H_
