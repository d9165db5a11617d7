#include "server/core/field_violations.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "google/rpc/error_details.pb.h"
#include "server/core/error_details.h"

namespace mpower {

void FieldViolations::Add(absl::string_view field, absl::string_view description) {
  violations_.push_back({std::string(field), std::string(description)});
}

absl::Status FieldViolations::ToStatus() const {
  if (violations_.empty()) return absl::OkStatus();
  absl::Status status = absl::InvalidArgumentError(
      absl::StrJoin(violations_, "; ", [](std::string* out, const Violation& v) {
        absl::StrAppend(out, v.field, ": ", v.description);
      }));
  google::rpc::BadRequest bad_request;
  for (const Violation& v : violations_) {
    google::rpc::BadRequest::FieldViolation* violation = bad_request.add_field_violations();
    violation->set_field(v.field);
    violation->set_description(v.description);
  }
  AttachDetail(status, bad_request);
  return status;
}

}  // namespace mpower
