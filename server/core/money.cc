#include "server/core/money.h"

#include <limits>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "server/core/value_checks.h"

namespace mpower {
namespace {

// The largest magnitude Money can hold: int64 units and 999,999,999 nanos.
const absl::int128 kMaxNanos =
    absl::int128(std::numeric_limits<int64_t>::max()) * kNanosPerUnit + (kNanosPerUnit - 1);

}  // namespace

void CheckMoney(FieldViolations& violations, absl::string_view field, const v1::Money& money,
                bool allow_negative) {
  if (!IsCurrencyCode(money.currency_code())) {
    violations.Add(absl::StrCat(field, ".currency_code"),
                   "not an ISO 4217 currency code; use three capital letters such as \"USD\"");
  }
  if (money.nanos() <= -kNanosPerUnit || money.nanos() >= kNanosPerUnit) {
    violations.Add(absl::StrCat(field, ".nanos"), "must be between -999999999 and 999999999");
    return;
  }
  if ((money.units() > 0 && money.nanos() < 0) || (money.units() < 0 && money.nanos() > 0)) {
    violations.Add(absl::StrCat(field, ".nanos"), "must have the same sign as units");
    return;
  }
  if (!allow_negative && (money.units() < 0 || money.nanos() < 0)) {
    violations.Add(field, "must not be negative");
  }
}

absl::int128 ToNanos(const v1::Money& money) {
  return absl::int128(money.units()) * kNanosPerUnit + money.nanos();
}

absl::StatusOr<v1::Money> FromNanos(absl::string_view currency_code, absl::int128 nanos) {
  if (nanos > kMaxNanos || nanos < -kMaxNanos) {
    return absl::OutOfRangeError("amount is too large to represent");
  }
  v1::Money money;
  money.set_currency_code(std::string(currency_code));
  money.set_units(static_cast<int64_t>(nanos / kNanosPerUnit));
  money.set_nanos(static_cast<int32_t>(nanos % kNanosPerUnit));
  return money;
}

absl::StatusOr<v1::Money> AddMoney(const v1::Money& a, const v1::Money& b) {
  if (a.currency_code() != b.currency_code()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot add amounts in ", a.currency_code(), " and ", b.currency_code(),
                     "; amounts in different currencies are never added"));
  }
  return FromNanos(a.currency_code(), ToNanos(a) + ToNanos(b));
}

absl::StatusOr<v1::Money> ParseMoney(absl::string_view currency_code, absl::string_view decimal) {
  const auto invalid = [] {
    return absl::InvalidArgumentError(
        "not a plain decimal amount; write digits with an optional '-' and "
        "up to 9 digits after a '.', e.g. 616600000 or 44000000.50");
  };
  absl::string_view digits = decimal;
  bool negative = false;
  if (!digits.empty() && digits.front() == '-') {
    negative = true;
    digits.remove_prefix(1);
  }
  const size_t point = digits.find('.');
  absl::string_view whole = digits.substr(0, point);
  absl::string_view fraction =
      point == absl::string_view::npos ? absl::string_view() : digits.substr(point + 1);
  if (whole.empty() || fraction.size() > 9 ||
      (point != absl::string_view::npos && fraction.empty()) || whole.size() > 19) {
    return invalid();
  }
  absl::int128 nanos = 0;
  for (char c : whole) {
    if (!absl::ascii_isdigit(c)) return invalid();
    nanos = nanos * 10 + (c - '0');
  }
  nanos *= kNanosPerUnit;
  absl::int128 scale = kNanosPerUnit / 10;
  for (char c : fraction) {
    if (!absl::ascii_isdigit(c)) return invalid();
    nanos += (c - '0') * scale;
    scale /= 10;
  }
  return FromNanos(currency_code, negative ? -nanos : nanos);
}

std::string FormatDecimal(const v1::Money& money) {
  const absl::int128 nanos = ToNanos(money);
  const bool negative = nanos < 0;
  const absl::uint128 magnitude = absl::uint128(negative ? -nanos : nanos);
  const absl::uint128 whole = magnitude / kNanosPerUnit;
  std::string fraction =
      absl::StrCat(static_cast<uint64_t>(magnitude % kNanosPerUnit) + kNanosPerUnit).substr(1);
  while (fraction.size() > 2 && fraction.back() == '0') fraction.pop_back();
  return absl::StrCat(negative ? "-" : "", static_cast<uint64_t>(whole), ".", fraction);
}

}  // namespace mpower
