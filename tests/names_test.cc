#include "server/core/names.h"

#include <set>

#include "absl/time/clock.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

using ::mpower::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ResourceIdTest, AcceptsLowercaseLettersDigitsAndHyphens) {
  EXPECT_TRUE(IsValidResourceId("us-dol-ilab"));
  EXPECT_TRUE(IsValidResourceId("a"));
  EXPECT_TRUE(IsValidResourceId("ilo2"));
  EXPECT_TRUE(IsValidResourceId(std::string(63, 'a')));
}

TEST(ResourceIdTest, RejectsEverythingElse) {
  for (const char* id : {"", "Ilo", "2ilo", "-ilo", "ilo-", "il_o", "il o", "il/o", "ilö"}) {
    EXPECT_FALSE(IsValidResourceId(id)) << id;
  }
  EXPECT_FALSE(IsValidResourceId(std::string(64, 'a')));
}

TEST(ResourceIdTest, GeneratedIdsAreValidAndDistinct) {
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = GenerateResourceId();
    EXPECT_TRUE(IsValidResourceId(id)) << id;
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 1000u);
}

// Later ids sort later, so new rows land on the last pages of each index.
TEST(ResourceIdTest, GeneratedIdsSortInTheOrderTheyWereMade) {
  std::string previous = GenerateResourceId();
  for (int i = 0; i < 5; ++i) {
    absl::SleepFor(absl::Milliseconds(2));
    const std::string next = GenerateResourceId();
    EXPECT_LT(previous, next);
    previous = next;
  }
}

TEST(ParseNameTest, SplitsNestedNames) {
  absl::StatusOr<ParsedName> parsed =
      ParseName("partners/us-gov/commitments/mpower", kCommitmentName, "name");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->parent, "partners/us-gov");
  EXPECT_EQ(parsed->id, "mpower");
}

TEST(ParseNameTest, RejectsWrongShapesNamingTheFieldAndForm) {
  for (const char* name : {"partners/us-gov", "partners/us-gov/commitments/",
                           "partner/us-gov/commitments/x", "partners/us-gov/alerts/x",
                           "partners/US/commitments/x", "partners/us-gov/commitments/x/y"}) {
    EXPECT_THAT(ParseName(name, kCommitmentName, "commitment.name"),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("commitment.name: not a valid name; expected "
                                   "partners/{partner}/commitments/{commitment}")))
        << name;
  }
  EXPECT_THAT(ParseName("", kAlertName, "name"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("name: required")));
}

TEST(ParseParentTest, AcceptsTheWildcardOnlyWhenAllowed) {
  EXPECT_TRUE(ParseParent("partners/-", kCommitmentName, true, "parent").ok());
  EXPECT_THAT(ParseParent("partners/-", kCommitmentName, false, "parent"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseParent("alerts/x", kCommitmentName, true, "parent"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("partners/{partner}")));
}

}  // namespace
}  // namespace mpower
