#include "server/service/status_conversion.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "server/base/log.h"

namespace mpower {

grpc::Status ToGrpcStatus(const absl::Status& status, absl::string_view method) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  switch (status.code()) {
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kUnknown:
      Log(LogLevel::kError, "rpc", absl::StrCat(method, ": ", status.ToString()));
      return grpc::Status(code, "internal error; the server log has details");
    default:
      return grpc::Status(code, std::string(status.message()));
  }
}

}  // namespace mpower
