#ifndef MPOWER_SERVER_CORE_VALUE_CHECKS_H_
#define MPOWER_SERVER_CORE_VALUE_CHECKS_H_

// Checks of single field values shared by every resource's validation. Each
// adds to `violations` rather than returning, so that one error names every
// bad field. None of them quotes the value it rejects.

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/repeated_field.h"
#include "google/protobuf/timestamp.pb.h"
#include "mpower/v1/common.pb.h"
#include "server/core/field_violations.h"

namespace mpower {

enum class Presence { kOptional, kRequired };

// Valid UTF-8, no control characters other than newline and tab, at most
// `max_chars` characters; non-empty when required.
void CheckText(FieldViolations& violations, absl::string_view field, absl::string_view value,
               size_t max_chars, Presence presence);

// An ISO 3166-1 alpha-2 code such as "ID"; empty allowed when optional.
void CheckCountryCode(FieldViolations& violations, absl::string_view field, absl::string_view value,
                      Presence presence);

// Each element a country code, no duplicates, at most `max_items`.
void CheckCountryCodes(FieldViolations& violations, absl::string_view field,
                       const google::protobuf::RepeatedPtrField<std::string>& values,
                       size_t max_items);

// True if `code` is an ISO 4217 alphabetic currency code such as "USD".
bool IsCurrencyCode(absl::string_view code);

// True if `code` is an ISO 3166-1 alpha-2 code.
bool IsCountryCode(absl::string_view code);

// A value of `type` that the schema defines, not UNSPECIFIED (0) when
// required. Rejects numbers unknown to this server, which proto3 would
// otherwise keep.
void CheckEnum(FieldViolations& violations, absl::string_view field, int value,
               const google::protobuf::EnumDescriptor* type, Presence presence);

// Each element a known, specified value of `type`, with no duplicates.
void CheckEnumList(FieldViolations& violations, absl::string_view field,
                   const google::protobuf::RepeatedField<int>& values,
                   const google::protobuf::EnumDescriptor* type);

// A real calendar date from 0001-01-01 to 9999-12-31. Call only for a date
// the request set.
void CheckDate(FieldViolations& violations, absl::string_view field, const v1::Date& date);

// Checks each date that `has_*` says is set, and that the end is not
// before the start: the usual period of an initiative or commitment.
void CheckDateRange(FieldViolations& violations, absl::string_view prefix, bool has_start,
                    const v1::Date& start, bool has_end, const v1::Date& end);

// Orders dates; REQUIRES: both valid.
int CompareDates(const v1::Date& a, const v1::Date& b);

// The date as YYYY-MM-DD.
std::string FormatDate(const v1::Date& date);

// A timestamp from year 1 to 9999 with nanos in range.
void CheckTimestamp(FieldViolations& violations, absl::string_view field,
                    const google::protobuf::Timestamp& time);

// An absolute http or https URI without spaces, at most 2,000 characters.
void CheckHttpUri(FieldViolations& violations, absl::string_view field, absl::string_view value);

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_VALUE_CHECKS_H_
