#ifndef MPOWER_SERVER_SERVICE_AUTHENTICATOR_H_
#define MPOWER_SERVER_SERVICE_AUTHENTICATOR_H_

#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/status/statusor.h"
#include "server/core/access.h"
#include "server/core/credentials.h"
#include "server/core/rate_limiter.h"

namespace mpower {

class CallObserver;

// Works out who is calling: a bearer token in the `authorization` metadata,
// else a client certificate that mutual TLS verified, else nobody (a public
// reader when the operator enabled public read), and holds each caller to
// its rate limit. Thread-safe.
class Authenticator {
 public:
  // REQUIRES: `credentials` and `limiter` (null for no limit) outlive this
  // object.
  // `observer`, if any, learns who each call is, for the access log.
  Authenticator(const CredentialManager* credentials, bool public_read,
                RateLimiter* limiter = nullptr, CallObserver* observer = nullptr)
      : credentials_(credentials),
        public_read_(public_read),
        limiter_(limiter),
        observer_(observer) {}

  // UNAUTHENTICATED if credentials are presented and do not check out;
  // a call without credentials is anonymous (or a public reader), and
  // core decides what that may do. RESOURCE_EXHAUSTED, with how long to
  // wait, when the caller is over its rate limit: every call counts, those
  // with bad credentials too, so guessing tokens is throttled as well.
  absl::StatusOr<Principal> Authenticate(const grpc::CallbackServerContext& context) const;

  // Who a limit applies to: the credential, or the network address of a
  // caller without one.
  static std::string CallerKey(const Principal& principal,
                               const grpc::CallbackServerContext& context);

 private:
  absl::StatusOr<Principal> Identify(const grpc::CallbackServerContext& context) const;

  const CredentialManager* credentials_;
  const bool public_read_;
  RateLimiter* limiter_;
  CallObserver* observer_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_SERVICE_AUTHENTICATOR_H_
