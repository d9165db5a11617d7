#ifndef MPOWER_SERVER_CORE_REFERENCE_CHECKS_H_
#define MPOWER_SERVER_CORE_REFERENCE_CHECKS_H_

// Checks that names a resource refers to are well formed and exist.

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/repeated_field.h"
#include "server/core/field_violations.h"
#include "server/core/names.h"
#include "server/storage/store.h"

namespace mpower {

// Adds a violation if `value` is set and is not a name of `pattern`.
void CheckNameFormat(FieldViolations& violations, absl::string_view field, absl::string_view value,
                     const NamePattern& pattern);

// Each element a name of `pattern`, no duplicates, at most `max_items`.
void CheckNameList(FieldViolations& violations, absl::string_view field,
                   const google::protobuf::RepeatedPtrField<std::string>& values,
                   const NamePattern& pattern, size_t max_items);

// NOT_FOUND naming `field` if `name` is set and no live resource has it.
absl::Status CheckExists(WriteTransaction& txn, absl::string_view field, absl::string_view name);

// CheckExists for each element, naming "field[i]".
absl::Status CheckAllExist(WriteTransaction& txn, absl::string_view field,
                           const google::protobuf::RepeatedPtrField<std::string>& names);

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_REFERENCE_CHECKS_H_
