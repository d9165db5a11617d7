#ifndef MPOWER_CLIENT_VERSION_COMMAND_H_
#define MPOWER_CLIENT_VERSION_COMMAND_H_

// `mpower --version` and `mpower version`: what this client is, and, for
// the second, what the server it talks to is (ServerInfoService), side by
// side as `kubectl version` shows them.

#include <string>

#include "absl/status/status.h"
#include "client/rpc.h"

namespace mpower::cli {

// The client's release, commit, build and API, without asking anyone.
std::string ClientVersion();

// Prints the client's version, then asks the server for its own and prints
// that, as a table or (`output` "json") one JSON object with "client" and
// "server". The client's is printed even when the call fails.
absl::Status VersionCommand(RpcClient& rpc, const std::string& output);

}  // namespace mpower::cli

#endif  // MPOWER_CLIENT_VERSION_COMMAND_H_
