#ifndef MPOWER_SERVER_SERVICE_CALLER_ADDRESS_H_
#define MPOWER_SERVER_SERVICE_CALLER_ADDRESS_H_

// Where a call came from. A call over HTTP reaches the services as an
// in-process gRPC call, whose own peer says nothing of the HTTP client; the
// gateway passes the client's address along, with a key only this process
// knows, so that no gRPC caller can claim another's address.

#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/strings/string_view.h"

namespace mpower {

// Marks the in-process call `context` as made for the HTTP client at
// `address` (e.g. "127.0.0.1:53122").
void SetHttpCallerAddress(grpc::ClientContext& context, absl::string_view address);

// The address of the caller of `context`: the HTTP client's for a call the
// gateway made, else the gRPC peer ("ipv4:127.0.0.1:5555"), without the
// port when `with_port` is false: one address, one rate-limit bucket.
std::string CallerAddress(const grpc::ServerContextBase& context, bool with_port = true);

}  // namespace mpower

#endif  // MPOWER_SERVER_SERVICE_CALLER_ADDRESS_H_
