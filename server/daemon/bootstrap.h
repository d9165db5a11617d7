#ifndef MPOWER_SERVER_DAEMON_BOOTSTRAP_H_
#define MPOWER_SERVER_DAEMON_BOOTSTRAP_H_

#include <string>

#include "absl/status/status.h"
#include "server/storage/store.h"

namespace mpower {

// On a database without credentials, issues the first admin credential and
// hands it to the local user as kind and minikube hand out a kubeconfig:
// in the CLI's config file (`client_config`, or the CLI's default path when
// empty), owner-only, never overwriting one; if that cannot be written, in
// DATA_DIR/local-admin.config. `address` is where the CLI should call.
absl::Status BootstrapLocalAdmin(Store* store, const std::string& address,
                                 const std::string& data_dir, const std::string& client_config);

}  // namespace mpower

#endif  // MPOWER_SERVER_DAEMON_BOOTSTRAP_H_
