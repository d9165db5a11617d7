// Escalation of alerts nobody has answered in time.

#include "server/core/escalation.h"

#include "google/protobuf/text_format.h"
#include "server/core/alert_rules.h"
#include "server/core/change_feed.h"
#include "server/core/partner_rules.h"
#include "server/core/response_rules.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

using ::mpower::testing::StatusIs;
const Principal kAdmin = Principal::System();

class EscalationTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    v1::Partner partner;
    partner.set_display_name("Union");
    partner.set_type(v1::Partner::TYPE_TRADE_UNION);
    partner.set_country_code("ID");
    ASSERT_TRUE(ResourceManager<v1::Partner>(store_.get())
                    .Create(kAdmin, "", "union", partner, "", "")
                    .ok());
  }

  void File(const std::string& id, const std::string& urgency,
            const std::string& status = "STATUS_OPEN") {
    v1::Alert alert;
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
        R"(filing_partner: "partners/union" category: CATEGORY_THREAT_OF_VIOLENCE
           severity: SEVERITY_SEVERE certainty: CERTAINTY_LIKELY country_code: "ID" headline: "h"
           urgency: )" +
            urgency + " status: " + status,
        &alert));
    ASSERT_TRUE(
        ResourceManager<v1::Alert>(store_.get()).Create(kAdmin, "", id, alert, "", "").ok());
  }

  v1::Alert Get(const std::string& id) {
    return *ResourceManager<v1::Alert>(store_.get()).Get(kAdmin, "alerts/" + id);
  }
};

TEST_P(EscalationTest, UnansweredAlertsPastTheirUrgencysWindowAreEscalatedOnce) {
  File("immediate-unanswered", "URGENCY_IMMEDIATE");
  File("immediate-answered", "URGENCY_IMMEDIATE");
  File("expected", "URGENCY_EXPECTED");
  File("resolved", "URGENCY_IMMEDIATE", "STATUS_RESOLVED");
  v1::Response response;
  response.set_responding_partner("partners/union");
  response.set_action(v1::Response::ACTION_ACKNOWLEDGED);
  ASSERT_TRUE(ResourceManager<v1::Response>(store_.get())
                  .Create(kAdmin, "alerts/immediate-answered", "ack", response, "", "")
                  .ok());

  absl::StatusOr<EscalationPolicy> policy = EscalationPolicy::Parse("immediate=24h,expected=72h");
  ASSERT_TRUE(policy.ok());
  Escalator escalator(store_.get(), *policy);
  EXPECT_EQ(*escalator.RunOnce(absl::Now() + absl::Hours(23)), 0) << "not yet";
  const int64_t before = *store_->CurrentRevision();
  EXPECT_EQ(*escalator.RunOnce(absl::Now() + absl::Hours(25)), 1);
  EXPECT_TRUE(Get("immediate-unanswered").escalated());
  EXPECT_TRUE(Get("immediate-unanswered").has_escalate_time());
  EXPECT_FALSE(Get("immediate-answered").escalated());
  EXPECT_FALSE(Get("expected").escalated());
  EXPECT_FALSE(Get("resolved").escalated());
  EXPECT_EQ(*escalator.RunOnce(absl::Now() + absl::Hours(26)), 0) << "escalated once";

  // It shows in List's filter and in the change feed.
  auto escalated =
      ResourceManager<v1::Alert>(store_.get()).List(kAdmin, {.filter = "escalated = true"});
  ASSERT_TRUE(escalated.ok());
  ASSERT_EQ(escalated->items.size(), 1u);
  absl::StatusOr<ChangePage> feed = ChangeFeed(store_.get()).List(kAdmin, before, 0, "", {});
  ASSERT_TRUE(feed.ok());
  ASSERT_EQ(feed->changes.size(), 1u);
  EXPECT_TRUE(feed->changes[0].alert().escalated());
  EXPECT_EQ(*escalator.RunOnce(absl::Now() + absl::Hours(73)), 1) << "expected urgency, 72h";
}

TEST_P(EscalationTest, ClientsCannotSetOrClearEscalation) {
  File("a", "URGENCY_IMMEDIATE");
  v1::Alert patch;
  patch.set_name("alerts/a");
  patch.set_escalated(true);
  google::protobuf::FieldMask mask;
  mask.add_paths("escalated");
  EXPECT_THAT(ResourceManager<v1::Alert>(store_.get()).Update(kAdmin, patch, mask),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(EscalationTest, WindowsAreParsedStrictly) {
  EXPECT_FALSE(EscalationPolicy::Parse("immediate=24h, expected=3d").ok())
      << "Abseil durations have no days: write 72h";
  EXPECT_TRUE(EscalationPolicy::Parse("immediate=24h,expected=72h,future=168h").ok());
  EXPECT_THAT(EscalationPolicy::Parse("soon=1h"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(EscalationPolicy::Parse("immediate"), StatusIs(absl::StatusCode::kInvalidArgument));
}

MPOWER_ON_EVERY_BACKEND(EscalationTest);

}  // namespace
}  // namespace mpower
