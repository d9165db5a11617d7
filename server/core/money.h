#ifndef MPOWER_SERVER_CORE_MONEY_H_
#define MPOWER_SERVER_CORE_MONEY_H_

// Exact money arithmetic on mpower.v1.Money (units + nanos / 10^9). No
// floating point anywhere: sums of pledges and disbursements must add up to
// the cent in reports.

#include <string>
#include <string_view>

#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mpower/v1/common.pb.h"
#include "server/core/field_violations.h"

namespace mpower {

// Billionths of a unit in one unit.
inline constexpr int64_t kNanosPerUnit = 1'000'000'000;

// Adds a violation if `money` has an unknown currency, nanos out of range,
// units and nanos of opposite signs, or (unless `allow_negative`) is
// negative.
void CheckMoney(FieldViolations& violations, absl::string_view field, const v1::Money& money,
                bool allow_negative);

// The amount in billionths of a unit. REQUIRES: CheckMoney passed.
absl::int128 ToNanos(const v1::Money& money);

// The Money for `nanos` billionths in `currency_code`. OUT_OF_RANGE if it
// does not fit in int64 units.
absl::StatusOr<v1::Money> FromNanos(absl::string_view currency_code, absl::int128 nanos);

// a + b. INVALID_ARGUMENT if the currencies differ (amounts in different
// currencies are never added); OUT_OF_RANGE on overflow.
absl::StatusOr<v1::Money> AddMoney(const v1::Money& a, const v1::Money& b);

// A decimal such as "616600000" or "-12.5" or "0.000000001" into Money.
// INVALID_ARGUMENT if it is not a plain decimal with at most 9 fraction
// digits, or is out of range.
absl::StatusOr<v1::Money> ParseMoney(absl::string_view currency_code, absl::string_view decimal);

// The amount as a plain decimal with at least two fraction digits, e.g.
// "616600000.00" or "0.125".
std::string FormatDecimal(const v1::Money& money);

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_MONEY_H_
