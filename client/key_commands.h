#ifndef MPOWER_CLIENT_KEY_COMMANDS_H_
#define MPOWER_CLIENT_KEY_COMMANDS_H_

// `mpower keys generate` and `mpower keys fingerprint`: the CLI side of
// partners' published keys. The private halves live only here, owner-only,
// in the key directory (--key-dir, MPOWER_KEY_DIR, or
// $XDG_CONFIG_HOME/mpower/keys, by default ~/.config/mpower/keys).

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/args.h"
#include "client/rpc.h"

namespace mpower::cli {

// Makes a key pair, saves the private halves, then publishes the public
// ones under --parent with a proof of possession.
absl::Status RunKeysGenerate(RpcClient& rpc, const Args& args, const std::string& output,
                             absl::Duration timeout);
// Reads a published key, checks its proof of possession and computes its
// fingerprint here, rather than trusting the server's copy of either.
absl::Status RunKeysFingerprint(RpcClient& rpc, const Args& args, const std::string& output,
                                absl::Duration timeout);

std::string KeysGenerateHelp();
std::string KeysFingerprintHelp();

}  // namespace mpower::cli

#endif  // MPOWER_CLIENT_KEY_COMMANDS_H_
