#ifndef MPOWER_SERVER_SERVICE_AUTHENTICATOR_H_
#define MPOWER_SERVER_SERVICE_AUTHENTICATOR_H_

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "server/core/access.h"
#include "server/core/credentials.h"

namespace mpower {

// Works out who is calling: a bearer token in the `authorization` metadata,
// else a client certificate that mutual TLS verified, else nobody (a public
// reader when the operator enabled public read). Thread-safe.
class Authenticator {
 public:
  // REQUIRES: `credentials` outlives this object.
  Authenticator(const CredentialManager* credentials, bool public_read)
      : credentials_(credentials), public_read_(public_read) {}

  // UNAUTHENTICATED if credentials are presented and do not check out;
  // a call without credentials is anonymous (or a public reader), and
  // core decides what that may do.
  absl::StatusOr<Principal> Authenticate(const grpc::CallbackServerContext& context) const;

 private:
  const CredentialManager* credentials_;
  const bool public_read_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_SERVICE_AUTHENTICATOR_H_
