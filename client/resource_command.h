#ifndef MPOWER_CLIENT_RESOURCE_COMMAND_H_
#define MPOWER_CLIENT_RESOURCE_COMMAND_H_

// `mpower <resource> <verb>`: the standard verbs (get, list, create,
// update, delete, undelete, revoke) of every resource, reached through the
// protos' descriptors, so the CLI follows the API as it grows.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client/args.h"
#include "client/resources.h"
#include "client/rpc.h"

namespace mpower::cli {

// Runs `verb` on `spec`'s resource with `args`, printing the result as
// `output` ("table" or "json") on stdout. Errors as command_status.h says.
absl::Status RunResourceCommand(const ResourceSpec& spec, const Args& args, RpcClient& rpc,
                                const std::string& output, const std::string& verb);

// The names of the first page (up to 100) of `spec`'s resources, across
// every parent, in the server's order; empty when the call fails. For
// shell completion, so it waits only as long as `rpc`'s deadline.
std::vector<std::string> ListFirstNames(const ResourceSpec& spec, RpcClient& rpc);

}  // namespace mpower::cli

#endif  // MPOWER_CLIENT_RESOURCE_COMMAND_H_
