#ifndef MPOWER_SERVER_SERVICE_STATUS_CONVERSION_H_
#define MPOWER_SERVER_SERVICE_STATUS_CONVERSION_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace mpower {

// The one place an absl::Status becomes a grpc::Status. The code carries
// over unchanged. Faults the client cannot act on (INTERNAL, DATA_LOSS,
// UNKNOWN) are logged with `method` and reach the client as a generic
// message, so no internal detail leaves the server.
grpc::Status ToGrpcStatus(const absl::Status& status, absl::string_view method);

}  // namespace mpower

#endif  // MPOWER_SERVER_SERVICE_STATUS_CONVERSION_H_
