#ifndef MPOWER_CLIENT_FIELD_TEXT_H_
#define MPOWER_CLIENT_FIELD_TEXT_H_

// Field values as people type and read them on a command line: enums
// without their prefix, dates as YYYY-MM-DD, times in RFC 3339, money as
// "122000000 USD", lists comma-separated.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace mpower::cli {

// Sets the top-level field `path` of `message` from `text`. For a repeated
// field, `text` is comma-separated and replaces the list. INVALID_ARGUMENT
// saying what form is expected.
absl::Status SetFieldFromText(google::protobuf::Message& message, absl::string_view path,
                              absl::string_view text);

// The value at dotted `path` of `message` as short text for a table cell;
// "" when unset.
std::string FieldToText(const google::protobuf::Message& message, absl::string_view path);

}  // namespace mpower::cli

#endif  // MPOWER_CLIENT_FIELD_TEXT_H_
