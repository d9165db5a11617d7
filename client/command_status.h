#ifndef MPOWER_CLIENT_COMMAND_STATUS_H_
#define MPOWER_CLIENT_COMMAND_STATUS_H_

// The CLI's one error style. Every command returns an absl::Status; main
// prints a failure's message after "mpower: " on stderr and exits with
// ExitCode(status), grpcurl's codes: 0 ok, 1 a local error, 2 a usage
// error, 64 + the gRPC code for a call that failed.

#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace mpower::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitLocalError = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitRpcBase = 64;

// The command line is wrong: `message` says how, and what to run for help.
absl::Status UsageError(absl::string_view message);
// Something on this machine failed (a file that cannot be read, say).
absl::Status LocalError(absl::string_view message);
// The server refused or failed the call; the message names the code.
absl::Status RpcError(const grpc::Status& status);

// The process's exit code for a command that ended with `status`.
int ExitCode(const absl::Status& status);

// The name of a gRPC code, e.g. "NOT_FOUND".
const char* CodeName(grpc::StatusCode code);

}  // namespace mpower::cli

#endif  // MPOWER_CLIENT_COMMAND_STATUS_H_
