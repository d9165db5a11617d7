#include "server/core/filter.h"

#include "mpower/v1/alert.pb.h"
#include "mpower/v1/commitment.pb.h"
#include "server/core/alert_rules.h"
#include "server/core/commitment_rules.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

using ::mpower::testing::StatusIs;
using ::testing::HasSubstr;
using v1::Alert;
using v1::Commitment;

Filter ParseAlertFilter(absl::string_view text) {
  absl::StatusOr<Filter> filter =
      Filter::Parse(text, Alert::descriptor(), ResourceTraits<Alert>::FilterableFields());
  EXPECT_TRUE(filter.ok()) << filter.status();
  return filter.ok() ? *filter : Filter();
}

Alert OpenAlertIn(const std::string& country) {
  Alert alert;
  alert.set_country_code(country);
  alert.set_status(Alert::STATUS_OPEN);
  alert.set_severity(Alert::SEVERITY_SEVERE);
  alert.add_recipient_partners("partners/ilo");
  alert.mutable_create_time()->set_seconds(1700000000);
  return alert;
}

TEST(FilterTest, EmptyMatchesEverything) {
  EXPECT_TRUE(ParseAlertFilter("").Matches(Alert()));
  EXPECT_TRUE(ParseAlertFilter("   ").Matches(Alert()));
}

TEST(FilterTest, ComparesStringsAndEnumsWithOrWithoutPrefix) {
  const Alert alert = OpenAlertIn("ID");
  EXPECT_TRUE(ParseAlertFilter(R"(country_code = "ID" AND status = OPEN)").Matches(alert));
  EXPECT_TRUE(ParseAlertFilter(R"(status = STATUS_OPEN)").Matches(alert));
  EXPECT_FALSE(ParseAlertFilter(R"(country_code = "HN" AND status = OPEN)").Matches(alert));
  EXPECT_TRUE(ParseAlertFilter(R"(status != RESOLVED)").Matches(alert));
}

TEST(FilterTest, OrBindsTighterThanAndAsInAip160) {
  const Alert alert = OpenAlertIn("ID");
  // a AND b OR c means a AND (b OR c).
  EXPECT_TRUE(ParseAlertFilter(R"(status = OPEN AND country_code = "HN" OR country_code = "ID")")
                  .Matches(alert));
  EXPECT_FALSE(
      ParseAlertFilter(R"(status = RESOLVED AND country_code = "HN" OR country_code = "ID")")
          .Matches(alert));
}

TEST(FilterTest, NegationAndParentheses) {
  const Alert alert = OpenAlertIn("ID");
  EXPECT_FALSE(ParseAlertFilter(R"(NOT country_code = "ID")").Matches(alert));
  EXPECT_FALSE(ParseAlertFilter(R"(-country_code = "ID")").Matches(alert));
  EXPECT_TRUE(
      ParseAlertFilter(R"((country_code = "HN" OR country_code = "ID") AND severity = SEVERE)")
          .Matches(alert));
}

TEST(FilterTest, HasOperatorOnRepeatedFields) {
  const Alert alert = OpenAlertIn("ID");
  EXPECT_TRUE(ParseAlertFilter(R"(recipient_partners:"partners/ilo")").Matches(alert));
  EXPECT_FALSE(ParseAlertFilter(R"(recipient_partners:"partners/us-gov")").Matches(alert));
}

TEST(FilterTest, TimestampsCompareWithRfc3339) {
  const Alert alert = OpenAlertIn("ID");  // 2023-11-14T22:13:20Z
  EXPECT_TRUE(ParseAlertFilter(R"(create_time > "2023-01-01T00:00:00Z")").Matches(alert));
  EXPECT_FALSE(ParseAlertFilter(R"(create_time >= "2024-01-01T00:00:00Z")").Matches(alert));
}

TEST(FilterTest, NestedFieldsAndNumbers) {
  Commitment commitment;
  commitment.mutable_amount()->set_currency_code("USD");
  commitment.mutable_amount()->set_units(424600000);
  commitment.add_country_codes("ID");
  absl::StatusOr<Filter> filter = Filter::Parse(
      R"(amount.currency_code = "USD" AND amount.units >= 100000000 AND country_codes:"ID")",
      Commitment::descriptor(), ResourceTraits<Commitment>::FilterableFields());
  ASSERT_TRUE(filter.ok()) << filter.status();
  EXPECT_TRUE(filter->Matches(commitment));
  commitment.mutable_amount()->set_units(99);
  EXPECT_FALSE(filter->Matches(commitment));
}

TEST(FilterTest, ProtectedDetailsCannotBeFilteredOn) {
  EXPECT_THAT(Filter::Parse(R"(protected_details.narrative = "x")", Alert::descriptor(),
                            ResourceTraits<Alert>::FilterableFields()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("cannot filter on `protected_details.narrative`")));
}

struct BadFilter {
  const char* text;
  const char* message;
};

TEST(FilterTest, BadFiltersNameTheProblem) {
  const BadFilter cases[] = {
      {"country = \"ID\"", "cannot filter on `country`; fields you can filter on:"},
      {"status = OPENED", "`status` takes one of STATUS_OPEN"},
      {"status < OPEN", "can only be compared with = or !="},
      {"country_code = ", "expected a value after `country_code =`"},
      {"country_code \"ID\"", "expected a comparator"},
      {"(status = OPEN", "expected ')'"},
      {"status = OPEN)", "unexpected ')'"},
      {"country_code = \"ID", "unterminated string"},
      {"recipient_partners = \"partners/ilo\"", "is a list; use `recipient_partners:value`"},
      {"create_time > \"yesterday\"", "an RFC 3339 time"},
      {"status = OPEN & country_code = \"ID\"", "unexpected character '&'"},
  };
  for (const BadFilter& bad : cases) {
    EXPECT_THAT(
        Filter::Parse(bad.text, Alert::descriptor(), ResourceTraits<Alert>::FilterableFields()),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(bad.message)))
        << bad.text;
  }
}

TEST(FilterTest, ComplexityIsBounded) {
  std::string many = "status = OPEN";
  for (int i = 0; i < kMaxFilterComparisons; ++i) many += " AND status = OPEN";
  EXPECT_THAT(Filter::Parse(many, Alert::descriptor(), ResourceTraits<Alert>::FilterableFields()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("too many comparisons")));
  std::string deep = std::string(100, '(') + "status = OPEN" + std::string(100, ')');
  EXPECT_THAT(Filter::Parse(deep, Alert::descriptor(), ResourceTraits<Alert>::FilterableFields()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("nested too deeply")));
  EXPECT_THAT(Filter::Parse(std::string(kMaxFilterLength + 1, ' '), Alert::descriptor(),
                            ResourceTraits<Alert>::FilterableFields()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("too long")));
}

}  // namespace
}  // namespace mpower
