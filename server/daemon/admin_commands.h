#ifndef MPOWER_SERVER_DAEMON_ADMIN_COMMANDS_H_
#define MPOWER_SERVER_DAEMON_ADMIN_COMMANDS_H_

// mpowerd's subcommands for operators, run on the data directory itself
// rather than through a server: credentials create, audit verify, keys
// rotate, backup and restore.

#include <string>
#include <vector>

#include "server/daemon/data_dir.h"

namespace mpower {

// What `mpowerd credentials create` issues, from its flags.
struct CredentialRequest {
  std::string id;
  std::string principal;
  std::string role;     // admin, partner-editor or partner-viewer
  std::string partner;  // partners/{partner} for partner roles
};

// Runs the subcommand `command` (e.g. {"audit", "verify"}) and returns the
// process's exit code: 0 done, 1 failed, 2 a usage error (an unknown
// command included). Prints its result on stdout and errors on stderr.
int RunAdminCommand(const std::vector<std::string>& command, const DataPaths& paths,
                    const CredentialRequest& credential);

}  // namespace mpower

#endif  // MPOWER_SERVER_DAEMON_ADMIN_COMMANDS_H_
