#ifndef MPOWER_SERVER_CORE_ERROR_DETAILS_H_
#define MPOWER_SERVER_CORE_ERROR_DETAILS_H_

// Errors as data: google.rpc error details (BadRequest, ErrorInfo,
// RetryInfo, PreconditionFailure) carried on an absl::Status as payloads
// keyed by their type URL, so that the code that knows the detail attaches
// it and status_conversion.cc sends it in grpc-status-details-bin. The
// message stays what it was; the details say the same for programs.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"

namespace mpower {

// The ErrorInfo domain of every mpower error.
inline constexpr absl::string_view kErrorDomain = "mpower.v1";

// "type.googleapis.com/google.rpc.BadRequest" for a BadRequest.
std::string TypeUrlOf(const google::protobuf::Message& detail);

// Attaches `detail` to `status` (not OK), replacing one of the same type.
void AttachDetail(absl::Status& status, const google::protobuf::Message& detail);

// `status` with an ErrorInfo of `reason` (UPPER_SNAKE_CASE, stable: clients
// may switch on it) in mpower's domain.
absl::Status WithReason(absl::Status status, absl::string_view reason);

// `status` with a RetryInfo saying when to try again.
absl::Status WithRetryDelay(absl::Status status, absl::Duration delay);

// `status` with a PreconditionFailure of one violation.
absl::Status WithPreconditionFailure(absl::Status status, absl::string_view type,
                                     absl::string_view subject, absl::string_view description);

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_ERROR_DETAILS_H_
