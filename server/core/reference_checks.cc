#include "server/core/reference_checks.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "server/base/status_macros.h"

namespace mpower {

void CheckNameFormat(FieldViolations& violations, absl::string_view field, absl::string_view value,
                     const NamePattern& pattern) {
  if (value.empty()) return;
  absl::StatusOr<ParsedName> parsed = ParseName(value, pattern, field);
  if (!parsed.ok()) {
    violations.Add(field, absl::StrCat("not a valid name; expected ", pattern.Describe()));
  }
}

void CheckNameList(FieldViolations& violations, absl::string_view field,
                   const google::protobuf::RepeatedPtrField<std::string>& values,
                   const NamePattern& pattern, size_t max_items) {
  if (static_cast<size_t>(values.size()) > max_items) {
    violations.Add(field, absl::StrCat("too many; at most ", max_items));
    return;
  }
  std::set<absl::string_view> seen;
  for (int i = 0; i < values.size(); ++i) {
    const std::string element = absl::StrCat(field, "[", i, "]");
    if (values[i].empty()) {
      violations.Add(element, absl::StrCat("empty; expected ", pattern.Describe()));
      continue;
    }
    CheckNameFormat(violations, element, values[i], pattern);
    if (!seen.insert(values[i]).second) violations.Add(element, "duplicate");
  }
}

absl::Status CheckExists(WriteTransaction& txn, absl::string_view field, absl::string_view name) {
  if (name.empty()) return absl::OkStatus();
  MPOWER_ASSIGN_OR_RETURN(std::optional<StoredResource> found, txn.Get(name));
  if (!found.has_value() || found->deleted) {
    return absl::NotFoundError(absl::StrCat(field, ": ", name, " does not exist"));
  }
  return absl::OkStatus();
}

absl::Status CheckAllExist(WriteTransaction& txn, absl::string_view field,
                           const google::protobuf::RepeatedPtrField<std::string>& names) {
  for (int i = 0; i < names.size(); ++i) {
    MPOWER_RETURN_IF_ERROR(CheckExists(txn, absl::StrCat(field, "[", i, "]"), names[i]));
  }
  return absl::OkStatus();
}

}  // namespace mpower
