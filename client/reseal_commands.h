#ifndef MPOWER_CLIENT_RESEAL_COMMANDS_H_
#define MPOWER_CLIENT_RESEAL_COMMANDS_H_

// `mpower alerts share` and `mpower alerts reseal`: sealing an alert's
// details again, on a machine that can open them, when who may open them
// changes. The server cannot do it: it never holds the details.

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/args.h"
#include "client/rpc.h"

namespace mpower::cli {

// Adds --partner to the alert's recipients and, if its details are sealed,
// seals them again to the new recipient's keys too, in one update.
absl::Status RunAlertsShare(RpcClient& rpc, const Args& args, const std::string& output,
                            absl::Duration timeout);
// Seals the alert's details again, under a fresh data key, to the ACTIVE
// keys of every partner entitled to them now: for a key published since,
// a recipient added without them, or a filer who lost its key (then signed
// with the secretariat's recovery key).
absl::Status RunAlertsReseal(RpcClient& rpc, const Args& args, const std::string& output,
                             absl::Duration timeout);

std::string AlertsShareHelp();
std::string AlertsResealHelp();

}  // namespace mpower::cli

#endif  // MPOWER_CLIENT_RESEAL_COMMANDS_H_
