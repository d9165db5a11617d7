#include "client/command_status.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace mpower::cli {
namespace {

// Which kind of failure a status is, as a payload under this key. Usage
// errors cannot go by their code alone: a server's INVALID_ARGUMENT is an
// RPC failure, not a usage error.
constexpr absl::string_view kKind = "type.mpower.dev/cli.failure";

absl::Status Tagged(absl::Status status, absl::string_view kind) {
  status.SetPayload(kKind, absl::Cord(kind));
  return status;
}

}  // namespace

absl::Status UsageError(absl::string_view message) {
  return Tagged(absl::InvalidArgumentError(message), "usage");
}

absl::Status LocalError(absl::string_view message) {
  return Tagged(absl::FailedPreconditionError(message), "local");
}

absl::Status RpcError(const grpc::Status& status) {
  std::string message = absl::StrCat(CodeName(status.error_code()), ": ", status.error_message());
  // The server's field violations (google.rpc.BadRequest in the status
  // details): with more than one, each on its own line.
  google::rpc::Status details;
  if (!status.error_details().empty() && details.ParseFromString(status.error_details())) {
    for (const google::protobuf::Any& detail : details.details()) {
      google::rpc::BadRequest bad_request;
      if (!detail.UnpackTo(&bad_request) || bad_request.field_violations_size() < 2) continue;
      message = absl::StrCat(CodeName(status.error_code()), ": ",
                             bad_request.field_violations_size(), " fields are invalid:");
      for (const auto& violation : bad_request.field_violations()) {
        absl::StrAppend(&message, "\n  ", violation.field(), ": ", violation.description());
      }
    }
  }
  return Tagged(absl::Status(static_cast<absl::StatusCode>(status.error_code()), message), "rpc");
}

int ExitCode(const absl::Status& status) {
  if (status.ok()) return kExitOk;
  const auto kind = status.GetPayload(kKind);  // an absl::optional<absl::Cord>
  if (kind == "rpc") return kExitRpcBase + static_cast<int>(status.code());
  if (kind == "usage") return kExitUsage;
  return kExitLocalError;
}

const char* CodeName(grpc::StatusCode code) {
  static const char* kNames[] = {"OK",
                                 "CANCELLED",
                                 "UNKNOWN",
                                 "INVALID_ARGUMENT",
                                 "DEADLINE_EXCEEDED",
                                 "NOT_FOUND",
                                 "ALREADY_EXISTS",
                                 "PERMISSION_DENIED",
                                 "RESOURCE_EXHAUSTED",
                                 "FAILED_PRECONDITION",
                                 "ABORTED",
                                 "OUT_OF_RANGE",
                                 "UNIMPLEMENTED",
                                 "INTERNAL",
                                 "UNAVAILABLE",
                                 "DATA_LOSS",
                                 "UNAUTHENTICATED"};
  const int index = static_cast<int>(code);
  return index >= 0 && index <= 16 ? kNames[index] : "UNKNOWN";
}

}  // namespace mpower::cli
