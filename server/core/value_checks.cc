#include "server/core/value_checks.h"

#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace mpower {
namespace {

#include "server/core/iso_codes_data.inc"

// Counts the characters of valid UTF-8 text; -1 if it is not valid UTF-8 or
// holds control characters other than newline and tab.
long CountCharacters(absl::string_view text) {
  long count = 0;
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    size_t length;
    uint32_t code_point;
    if (c < 0x80) {
      if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) return -1;
      length = 1;
      code_point = c;
    } else if ((c & 0xE0) == 0xC0) {
      length = 2;
      code_point = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3;
      code_point = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4;
      code_point = c & 0x07;
    } else {
      return -1;
    }
    if (i + length > text.size()) return -1;
    for (size_t k = 1; k < length; ++k) {
      const unsigned char next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return -1;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    // Reject overlong forms, surrogates and values past Unicode's range.
    static constexpr uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < kMinimum[length] || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return -1;
    }
    i += length;
    ++count;
  }
  return count;
}

template <size_t N>
bool Contains(const absl::string_view (&sorted)[N], absl::string_view code) {
  return std::binary_search(std::begin(sorted), std::end(sorted), code);
}

bool IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

}  // namespace

void CheckText(FieldViolations& violations, absl::string_view field, absl::string_view value,
               size_t max_chars, Presence presence) {
  if (value.empty()) {
    if (presence == Presence::kRequired) violations.Add(field, "required");
    return;
  }
  // Bound the work before decoding: no character is more than 4 bytes.
  if (value.size() > max_chars * 4) {
    violations.Add(field, absl::StrCat("too long; at most ", max_chars, " characters"));
    return;
  }
  const long characters = CountCharacters(value);
  if (characters < 0) {
    violations.Add(field, "must be valid UTF-8 text without control characters");
  } else if (static_cast<size_t>(characters) > max_chars) {
    violations.Add(field, absl::StrCat("too long; at most ", max_chars, " characters"));
  }
}

bool IsCountryCode(absl::string_view code) { return Contains(kCountryCodes, code); }

bool IsCurrencyCode(absl::string_view code) { return Contains(kCurrencyCodes, code); }

void CheckCountryCode(FieldViolations& violations, absl::string_view field, absl::string_view value,
                      Presence presence) {
  if (value.empty()) {
    if (presence == Presence::kRequired) {
      violations.Add(field, "required; give an ISO 3166-1 alpha-2 code such as \"ID\"");
    }
    return;
  }
  if (!IsCountryCode(value)) {
    violations.Add(
        field, "not an ISO 3166-1 alpha-2 country code; use two capital letters such as \"ID\"");
  }
}

void CheckCountryCodes(FieldViolations& violations, absl::string_view field,
                       const google::protobuf::RepeatedPtrField<std::string>& values,
                       size_t max_items) {
  if (static_cast<size_t>(values.size()) > max_items) {
    violations.Add(field, absl::StrCat("too many; at most ", max_items));
    return;
  }
  std::set<absl::string_view> seen;
  for (int i = 0; i < values.size(); ++i) {
    const std::string element = absl::StrCat(field, "[", i, "]");
    CheckCountryCode(violations, element, values[i], Presence::kRequired);
    if (!seen.insert(values[i]).second) violations.Add(element, "duplicate");
  }
}

void CheckEnum(FieldViolations& violations, absl::string_view field, int value,
               const google::protobuf::EnumDescriptor* type, Presence presence) {
  if (type->FindValueByNumber(value) == nullptr) {
    violations.Add(field, absl::StrCat("unknown value ", value, " for ", type->name()));
  } else if (value == 0 && presence == Presence::kRequired) {
    violations.Add(field, absl::StrCat("required; choose a ", type->name(), " value"));
  }
}

void CheckEnumList(FieldViolations& violations, absl::string_view field,
                   const google::protobuf::RepeatedField<int>& values,
                   const google::protobuf::EnumDescriptor* type) {
  std::set<int> seen;
  for (int i = 0; i < values.size(); ++i) {
    const std::string element = absl::StrCat(field, "[", i, "]");
    CheckEnum(violations, element, values[i], type, Presence::kRequired);
    if (!seen.insert(values[i]).second) violations.Add(element, "duplicate");
  }
}

std::string FormatDate(const v1::Date& date) {
  return absl::StrFormat("%04d-%02d-%02d", date.year(), date.month(), date.day());
}

void CheckDate(FieldViolations& violations, absl::string_view field, const v1::Date& date) {
  static constexpr int kDaysInMonth[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (date.year() < 1 || date.year() > 9999 || date.month() < 1 || date.month() > 12 ||
      date.day() < 1) {
    violations.Add(field, "not a valid date; give year 1-9999, month 1-12 and a day of that month");
    return;
  }
  int days = kDaysInMonth[date.month() - 1];
  if (date.month() == 2 && IsLeapYear(date.year())) days = 29;
  if (date.day() > days) {
    violations.Add(field, "not a valid date; the month has fewer days");
  }
}

void CheckDateRange(FieldViolations& violations, absl::string_view prefix, bool has_start,
                    const v1::Date& start, bool has_end, const v1::Date& end) {
  FieldViolations own;
  if (has_start) CheckDate(own, absl::StrCat(prefix, ".start_date"), start);
  if (has_end) CheckDate(own, absl::StrCat(prefix, ".end_date"), end);
  if (own.empty() && has_start && has_end && CompareDates(end, start) < 0) {
    own.Add(absl::StrCat(prefix, ".end_date"), "must not be before start_date");
  }
  for (const auto& violation : own.violations()) {
    violations.Add(violation.field, violation.description);
  }
}

int CompareDates(const v1::Date& a, const v1::Date& b) {
  const long x = a.year() * 10000L + a.month() * 100L + a.day();
  const long y = b.year() * 10000L + b.month() * 100L + b.day();
  return x < y ? -1 : (x > y ? 1 : 0);
}

void CheckTimestamp(FieldViolations& violations, absl::string_view field,
                    const google::protobuf::Timestamp& time) {
  // 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z, as google.protobuf.Timestamp.
  constexpr int64_t kMinSeconds = -62135596800;
  constexpr int64_t kMaxSeconds = 253402300799;
  if (time.seconds() < kMinSeconds || time.seconds() > kMaxSeconds || time.nanos() < 0 ||
      time.nanos() > 999999999) {
    violations.Add(field, "out of range; timestamps run from year 1 to 9999");
  }
}

void CheckHttpUri(FieldViolations& violations, absl::string_view field, absl::string_view value) {
  if (value.empty()) return;
  CheckText(violations, field, value, 2000, Presence::kOptional);
  const bool has_scheme = absl::StartsWith(value, "https://") || absl::StartsWith(value, "http://");
  if (!has_scheme || absl::StrContains(value, " ") || value.find("://") + 3 == value.size()) {
    violations.Add(field, "must be an absolute http:// or https:// URI");
  }
}

}  // namespace mpower
