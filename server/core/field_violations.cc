#include "server/core/field_violations.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"

namespace mpower {

void FieldViolations::Add(absl::string_view field, absl::string_view description) {
  violations_.push_back({std::string(field), std::string(description)});
}

absl::Status FieldViolations::ToStatus() const {
  if (violations_.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrJoin(violations_, "; ", [](std::string* out, const Violation& v) {
        absl::StrAppend(out, v.field, ": ", v.description);
      }));
}

}  // namespace mpower
