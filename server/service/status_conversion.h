#ifndef MPOWER_SERVER_SERVICE_STATUS_CONVERSION_H_
#define MPOWER_SERVER_SERVICE_STATUS_CONVERSION_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace mpower {

// The one place an absl::Status becomes a grpc::Status. The code and the
// message carry over unchanged, and the error as data goes with them: a
// google.rpc.Status in grpc-status-details-bin with the google.rpc details
// attached (error_details.h), a BadRequest for an INVALID_ARGUMENT that
// names its field, a RetryInfo on RESOURCE_EXHAUSTED and UNAVAILABLE, and
// always an ErrorInfo (reason and domain). Faults the client cannot act on
// (INTERNAL, DATA_LOSS, UNKNOWN) are logged with `method` and reach the
// client as a generic message, so no internal detail leaves the server.
grpc::Status ToGrpcStatus(const absl::Status& status, absl::string_view method);

}  // namespace mpower

#endif  // MPOWER_SERVER_SERVICE_STATUS_CONVERSION_H_
