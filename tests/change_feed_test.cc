// The change feed over a real SQLite file: every write once, in order, no
// gaps; paging; compaction; authorization and redaction as Get; filters.

#include "server/core/change_feed.h"

#include "google/protobuf/text_format.h"
#include "server/core/alert_rules.h"
#include "server/core/commitment_rules.h"
#include "server/core/partner_rules.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

using ::mpower::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

const Principal kAdmin = Principal::System();

template <typename T>
T Parse(const std::string& text) {
  T message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message)) << text;
  return message;
}

class ChangeFeedTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    ResourceManager<v1::Partner> partners(store_.get());
    for (const auto& [id, country] : {std::pair{"alpha", "ID"}, {"beta", "HN"}, {"gamma", "ID"}}) {
      ASSERT_TRUE(
          partners
              .Create(
                  kAdmin, "", id,
                  Parse<v1::Partner>(
                      std::string(R"(display_name: "P" type: TYPE_TRADE_UNION country_code: ")") +
                      country + "\""),
                  "", "")
              .ok());
    }
  }

  std::vector<v1::Change> All(const Principal& caller, int64_t after = 0,
                              const v1::ChangeFilter& filter = {}, int32_t page_size = 0) {
    std::vector<v1::Change> all;
    std::string token;
    ChangeFeed feed(store_.get());
    do {
      absl::StatusOr<ChangePage> page = feed.List(caller, after, page_size, token, filter);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      all.insert(all.end(), page->changes.begin(), page->changes.end());
      token = page->next_page_token;
    } while (!token.empty());
    return all;
  }

  absl::StatusOr<v1::Alert> FileAlert(const std::string& id, const std::string& extra) {
    return ResourceManager<v1::Alert>(store_.get())
        .Create(kAdmin, "", id,
                Parse<v1::Alert>(R"(category: CATEGORY_SURVEILLANCE severity: SEVERITY_MINOR
                    urgency: URGENCY_FUTURE certainty: CERTAINTY_POSSIBLE headline: "h" )" +
                                 extra),
                "", "");
  }
};

TEST_P(ChangeFeedTest, EveryWriteOnceInRevisionOrderWithoutGaps) {
  ResourceManager<v1::Commitment> commitments(store_.get());
  auto created =
      commitments.Create(kAdmin, "partners/alpha", "c",
                         Parse<v1::Commitment>(R"(kind: KIND_POLICY title: "t")"), "", "");
  ASSERT_TRUE(created.ok());
  v1::Commitment patch;
  patch.set_name("partners/alpha/commitments/c");
  patch.set_title("t2");
  google::protobuf::FieldMask mask;
  mask.add_paths("title");
  ASSERT_TRUE(commitments.Update(kAdmin, patch, mask).ok());
  ASSERT_TRUE(commitments.Update(kAdmin, patch, mask).ok()) << "a no-op: no change recorded";
  ASSERT_TRUE(commitments.Delete(kAdmin, "partners/alpha/commitments/c", "").ok());
  ASSERT_TRUE(ResourceManager<v1::Partner>(store_.get()).Delete(kAdmin, "partners/gamma", "").ok());

  const std::vector<v1::Change> changes = All(kAdmin);
  ASSERT_EQ(changes.size(), 7u);
  for (size_t i = 0; i < changes.size(); ++i) {
    EXPECT_EQ(changes[i].revision(), static_cast<int64_t>(i + 1)) << "no gaps, no repeats";
  }
  EXPECT_EQ(changes[3].type(), v1::CHANGE_TYPE_CREATED);
  EXPECT_EQ(changes[4].type(), v1::CHANGE_TYPE_UPDATED);
  EXPECT_EQ(changes[4].commitment().title(), "t2");
  EXPECT_EQ(changes[5].type(), v1::CHANGE_TYPE_UPDATED);
  EXPECT_TRUE(changes[5].commitment().has_delete_time()) << "a soft delete is an update";
  EXPECT_EQ(changes[6].type(), v1::CHANGE_TYPE_REMOVED);
  EXPECT_EQ(changes[6].partner().name(), "partners/gamma") << "a removal carries the last state";

  EXPECT_EQ(All(kAdmin, 4).size(), 3u) << "continuing after a revision";
  const std::vector<v1::Change> paged = All(kAdmin, 0, {}, 2);
  ASSERT_EQ(paged.size(), changes.size());
  for (size_t i = 0; i < paged.size(); ++i)
    EXPECT_EQ(paged[i].DebugString(), changes[i].DebugString());
}

TEST_P(ChangeFeedTest, CompactedRevisionsAreAClearError) {
  ASSERT_TRUE(store_->Compact(2).ok());
  ChangeFeed feed(store_.get());
  EXPECT_THAT(feed.List(kAdmin, 1, 0, "", {}),
              StatusIs(absl::StatusCode::kOutOfRange,
                       HasSubstr("the oldest revision you can continue after is 2")));
  absl::StatusOr<ChangePage> rest = feed.List(kAdmin, 2, 0, "", {});
  ASSERT_TRUE(rest.ok()) << rest.status();
  ASSERT_EQ(rest->changes.size(), 1u);
  EXPECT_EQ(rest->changes[0].revision(), 3);
  EXPECT_EQ(rest->current_revision, 3);
}

TEST_P(ChangeFeedTest, ChangesPassTheSameAuthorizationAndRedactionAsGet) {
  ASSERT_TRUE(FileAlert("restricted", R"(filing_partner: "partners/beta" country_code: "HN"
      scope: SCOPE_RESTRICTED recipient_partners: "partners/gamma"
      protected_details { people { full_name: "Hidden Person" } })")
                  .ok());
  ASSERT_TRUE(FileAlert("open", R"(filing_partner: "partners/beta" country_code: "HN"
      scope: SCOPE_PARTNERS protected_details { people { full_name: "Hidden Person" } })")
                  .ok());
  const Principal outsider{Principal::Role::kPartnerViewer, "alpha viewer", "partners/alpha"};
  const Principal recipient{Principal::Role::kPartnerViewer, "gamma viewer", "partners/gamma"};
  v1::ChangeFilter alerts;
  alerts.add_collections("alerts");

  std::vector<v1::Change> seen = All(outsider, 0, alerts);
  ASSERT_EQ(seen.size(), 1u) << "no event at all for the alert it may not read";
  EXPECT_EQ(seen[0].name(), "alerts/open");
  EXPECT_TRUE(seen[0].alert().protected_details_present());
  EXPECT_FALSE(seen[0].alert().has_protected_details());

  seen = All(recipient, 0, alerts);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].name(), "alerts/restricted");
  EXPECT_EQ(seen[0].alert().protected_details().people(0).full_name(), "Hidden Person");
  EXPECT_EQ(seen[1].name(), "alerts/open");
  EXPECT_FALSE(seen[1].alert().has_protected_details()) << "not a recipient of this one";

  EXPECT_THAT(ChangeFeed(store_.get()).List(Principal::Anonymous(), 0, 0, "", {}),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_P(ChangeFeedTest, TheHistoryFollowsWhoMayReadTheAlertNowNotThen) {
  ASSERT_TRUE(FileAlert("moving", R"(filing_partner: "partners/beta" country_code: "HN"
      scope: SCOPE_RESTRICTED recipient_partners: "partners/alpha"
      protected_details { people { full_name: "Tlalocan Person" } })")
                  .ok());
  ASSERT_TRUE(FileAlert("shared", R"(filing_partner: "partners/beta" country_code: "HN"
      scope: SCOPE_PARTNERS recipient_partners: "partners/alpha"
      protected_details { people { full_name: "Tlalocan Person" } })")
                  .ok());
  const Principal alpha{Principal::Role::kPartnerViewer, "alpha viewer", "partners/alpha"};
  const Principal gamma{Principal::Role::kPartnerViewer, "gamma viewer", "partners/gamma"};
  v1::ChangeFilter alerts;
  alerts.add_collections("alerts");
  const auto text = [](const std::vector<v1::Change>& changes) {
    std::string all;
    for (const v1::Change& change : changes) all += change.DebugString();
    return all;
  };
  EXPECT_THAT(text(All(alpha, 0, alerts)), HasSubstr("Tlalocan Person"));
  EXPECT_THAT(text(All(gamma, 0, alerts)), Not(HasSubstr("Tlalocan Person")));

  // The filer takes alpha off both alerts and puts gamma on.
  ResourceManager<v1::Alert> manager(store_.get());
  google::protobuf::FieldMask recipients;
  recipients.add_paths("recipient_partners");
  for (const char* name : {"alerts/moving", "alerts/shared"}) {
    v1::Alert changed;
    changed.set_name(name);
    changed.add_recipient_partners("partners/gamma");
    ASSERT_TRUE(manager.Update(kAdmin, changed, recipients).ok());
  }

  // From revision 0, alpha sees nothing of the restricted alert, and the
  // other without its details, in every version; gamma sees them all.
  const std::vector<v1::Change> alpha_now = All(alpha, 0, alerts);
  EXPECT_THAT(text(alpha_now), Not(HasSubstr("Tlalocan Person")));
  for (const v1::Change& change : alpha_now) EXPECT_EQ(change.name(), "alerts/shared");
  EXPECT_EQ(alpha_now.size(), 2u) << "the shared alert's two versions, redacted";
  const std::vector<v1::Change> gamma_now = All(gamma, 0, alerts);
  EXPECT_EQ(gamma_now.size(), 4u);
  for (const v1::Change& change : gamma_now) {
    EXPECT_EQ(change.alert().protected_details().people(0).full_name(), "Tlalocan Person")
        << change.name() << " at " << change.revision();
  }
}

TEST_P(ChangeFeedTest, FiltersByCollectionPartnerAndCountry) {
  ASSERT_TRUE(
      FileAlert("in-honduras", R"(filing_partner: "partners/beta" country_code: "HN")").ok());
  v1::ChangeFilter filter;
  filter.set_country_code("ID");
  std::vector<v1::Change> seen = All(kAdmin, 0, filter);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].name(), "partners/alpha");
  EXPECT_EQ(seen[1].name(), "partners/gamma");
  filter.Clear();
  filter.set_partner("partners/beta");
  seen = All(kAdmin, 0, filter);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].name(), "alerts/in-honduras");
  filter.Clear();
  filter.add_collections("parnters");
  EXPECT_THAT(ChangeFeed(store_.get()).List(kAdmin, 0, 0, "", filter),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("filter.collections[0]")));
}

MPOWER_ON_EVERY_BACKEND(ChangeFeedTest);

}  // namespace
}  // namespace mpower
