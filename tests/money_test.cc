#include "server/core/money.h"

#include "tests/test_support.h"

namespace mpower {
namespace {

using ::mpower::testing::StatusIs;

v1::Money Usd(int64_t units, int32_t nanos = 0) {
  v1::Money money;
  money.set_currency_code("USD");
  money.set_units(units);
  money.set_nanos(nanos);
  return money;
}

TEST(MoneyTest, AddsTheSeedsFiguresExactly) {
  // 424.6 million assessed + 192.0 million voluntary = 616.6 million.
  absl::StatusOr<v1::Money> total = AddMoney(Usd(424'600'000), Usd(192'000'000));
  ASSERT_TRUE(total.ok());
  EXPECT_EQ(total->units(), 616'600'000);
  EXPECT_EQ(total->nanos(), 0);
}

TEST(MoneyTest, CarriesNanosWithoutRounding) {
  // 0.1 + 0.2 is exactly 0.3 here, unlike with doubles.
  absl::StatusOr<v1::Money> total = AddMoney(Usd(0, 100'000'000), Usd(0, 200'000'000));
  ASSERT_TRUE(total.ok());
  EXPECT_EQ(FormatDecimal(*total), "0.30");
  total = AddMoney(Usd(1, 600'000'000), Usd(2, 700'000'000));
  ASSERT_TRUE(total.ok());
  EXPECT_EQ(total->units(), 4);
  EXPECT_EQ(total->nanos(), 300'000'000);
}

TEST(MoneyTest, NeverAddsDifferentCurrencies) {
  v1::Money euros = Usd(1);
  euros.set_currency_code("EUR");
  EXPECT_THAT(AddMoney(Usd(1), euros), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(MoneyTest, ReportsOverflowInsteadOfWrapping) {
  EXPECT_THAT(AddMoney(Usd(INT64_MAX, 999'999'999), Usd(0, 1)),
              StatusIs(absl::StatusCode::kOutOfRange));
}

TEST(MoneyTest, ParsesAndFormatsDecimals) {
  absl::StatusOr<v1::Money> money = ParseMoney("USD", "44000000.5");
  ASSERT_TRUE(money.ok());
  EXPECT_EQ(money->units(), 44'000'000);
  EXPECT_EQ(money->nanos(), 500'000'000);
  EXPECT_EQ(FormatDecimal(*money), "44000000.50");
  money = ParseMoney("USD", "-0.000000001");
  ASSERT_TRUE(money.ok());
  EXPECT_EQ(money->nanos(), -1);
  EXPECT_EQ(FormatDecimal(*money), "-0.000000001");
  for (const char* bad :
       {"", "1.", ".5", "1e6", "1,000", "0.0000000001", "12a", "--1", "99999999999999999999"}) {
    EXPECT_THAT(ParseMoney("USD", bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(MoneyTest, ChecksCurrencySignAndRange) {
  FieldViolations violations;
  v1::Money bad = Usd(-5);
  bad.set_currency_code("US$");
  CheckMoney(violations, "amount", bad, /*allow_negative=*/false);
  ASSERT_EQ(violations.violations().size(), 2u);
  EXPECT_EQ(violations.violations()[0].field, "amount.currency_code");
  EXPECT_EQ(violations.violations()[1].field, "amount");

  FieldViolations mixed_signs;
  CheckMoney(mixed_signs, "amount", Usd(1, -5), /*allow_negative=*/true);
  ASSERT_EQ(mixed_signs.violations().size(), 1u);
  EXPECT_EQ(mixed_signs.violations()[0].field, "amount.nanos");

  FieldViolations fine;
  CheckMoney(fine, "amount", Usd(616'600'000), /*allow_negative=*/false);
  EXPECT_TRUE(fine.empty());
}

}  // namespace
}  // namespace mpower
