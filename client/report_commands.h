#ifndef MPOWER_CLIENT_REPORT_COMMANDS_H_
#define MPOWER_CLIENT_REPORT_COMMANDS_H_

// Reports on the command line: `mpower report commitments|alerts|
// reconciliation|export` and `mpower country brief CC`, each a table for
// people or JSON (-o json) for scripts.

#include <string>

#include "absl/status/status.h"
#include "client/args.h"
#include "client/rpc.h"

namespace mpower::cli {

// The flags report commands take beyond the common ones.
extern const char* const kReportFlags[];

// Usage of `mpower report` and `mpower country`.
std::string ReportHelp();

// Runs `mpower report <what>` or `mpower country brief <CC>`. Returns the
// exit code.
absl::Status ReportCommand(RpcClient& rpc, const Args& args, const std::string& output);

}  // namespace mpower::cli

#endif  // MPOWER_CLIENT_REPORT_COMMANDS_H_
