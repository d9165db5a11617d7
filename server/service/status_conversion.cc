#include "server/service/status_conversion.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "server/base/log.h"
#include "server/core/error_details.h"
#include "server/storage/commit_outcome.h"

namespace mpower {
namespace {

// The default ErrorInfo reason of a code, when the code that failed gave
// none more specific: the code's own name.
std::string DefaultReason(absl::StatusCode code) {
  return absl::AsciiStrToUpper(absl::StatusCodeToString(code));
}

// Whether `text` looks like a request field path, "alert.country_code" or
// "commitment.milestones[1].stage".
bool IsFieldPath(absl::string_view text) {
  if (text.empty() || !absl::ascii_islower(text[0])) return false;
  for (char c : text) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != '.' && c != '[' && c != ']') return false;
  }
  return true;
}

// An INVALID_ARGUMENT made without FieldViolations still names its field
// first, "field: what to do"; that becomes its one field violation.
void AddBadRequestFromMessage(absl::string_view message, google::rpc::Status& rpc) {
  const size_t colon = message.find(": ");
  if (colon == absl::string_view::npos || !IsFieldPath(message.substr(0, colon))) return;
  google::rpc::BadRequest bad_request;
  google::rpc::BadRequest::FieldViolation* violation = bad_request.add_field_violations();
  violation->set_field(std::string(message.substr(0, colon)));
  violation->set_description(std::string(message.substr(colon + 2)));
  rpc.add_details()->PackFrom(bad_request);
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status, absl::string_view method) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  google::rpc::Status rpc;
  rpc.set_code(static_cast<int>(status.code()));
  switch (status.code()) {
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kUnknown: {
      Log(LogLevel::kError, "rpc", absl::StrCat(method, ": ", status.ToString()));
      rpc.set_message("internal error; the server log has details");
      // Nothing the failure carried leaves the server.
      google::rpc::ErrorInfo info;
      info.set_reason("INTERNAL");
      info.set_domain(std::string(kErrorDomain));
      rpc.add_details()->PackFrom(info);
      return grpc::Status(code, rpc.message(), rpc.SerializeAsString());
    }
    default:
      break;
  }
  rpc.set_message(std::string(status.message()));
  bool has_reason = false, has_bad_request = false, has_retry = false;
  const std::string reason_url = TypeUrlOf(google::rpc::ErrorInfo());
  const std::string bad_request_url = TypeUrlOf(google::rpc::BadRequest());
  const std::string retry_url = TypeUrlOf(google::rpc::RetryInfo());
  status.ForEachPayload([&](absl::string_view url, const absl::Cord& value) {
    // Only google.rpc details travel; any other payload is internal.
    if (!absl::StartsWith(url, "type.googleapis.com/google.rpc.")) return;
    google::protobuf::Any* detail = rpc.add_details();
    detail->set_type_url(std::string(url));
    detail->set_value(std::string(value));
    has_reason = has_reason || url == reason_url;
    has_bad_request = has_bad_request || url == bad_request_url;
    has_retry = has_retry || url == retry_url;
  });
  if (status.code() == absl::StatusCode::kInvalidArgument && !has_bad_request) {
    AddBadRequestFromMessage(status.message(), rpc);
  }
  if (!has_retry && (status.code() == absl::StatusCode::kUnavailable ||
                     status.code() == absl::StatusCode::kResourceExhausted)) {
    google::rpc::RetryInfo retry;
    retry.mutable_retry_delay()->set_seconds(1);
    rpc.add_details()->PackFrom(retry);
  }
  if (!has_reason) {
    google::rpc::ErrorInfo info;
    // An UNAVAILABLE write is "not written" unless it says otherwise here.
    info.set_reason(IsCommitOutcomeUnknown(status) ? "COMMIT_OUTCOME_UNKNOWN"
                                                   : DefaultReason(status.code()));
    info.set_domain(std::string(kErrorDomain));
    rpc.add_details()->PackFrom(info);
  }
  return grpc::Status(code, rpc.message(), rpc.SerializeAsString());
}

}  // namespace mpower
