// Sync of a partner's commitments by external_id, on a real SQLite file.

#include "server/core/commitment_sync.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "server/core/commitment_rules.h"
#include "server/core/partner_rules.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

using ::mpower::testing::StatusIs;
using v1::SyncOutcome;

const Principal kAdmin = Principal::System();

v1::Commitment Item(const std::string& external_id, int64_t units) {
  v1::Commitment commitment;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(R"(
      kind: KIND_FUNDING title: "Contribution" contribution_basis: CONTRIBUTION_BASIS_ASSESSED
      amount { currency_code: "USD" })",
                                                            &commitment));
  commitment.set_external_id(external_id);
  commitment.mutable_amount()->set_units(units);
  return commitment;
}

class CommitmentSyncTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    for (const char* id : {"us-gov", "uk-gov"}) {
      v1::Partner partner;
      partner.set_display_name(id);
      partner.set_type(v1::Partner::TYPE_GOVERNMENT);
      partner.set_country_code("US");
      ASSERT_TRUE(
          ResourceManager<v1::Partner>(store_.get()).Create(kAdmin, "", id, partner, "", "").ok());
    }
  }

  SyncResult Sync(std::vector<v1::Commitment> items, bool mirror = false, bool dry_run = false,
                  const Principal& caller = kAdmin) {
    SyncRequest request{"partners/us-gov", mirror, dry_run, {}, std::move(items)};
    absl::StatusOr<SyncResult> result = CommitmentSync(store_.get()).Run(caller, request);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : SyncResult{};
  }

  std::vector<v1::Commitment> Live() {
    return ResourceManager<v1::Commitment>(store_.get())
        .List(kAdmin, {.parent = "partners/us-gov", .page_size = 1000})
        ->items;
  }
  int64_t Revision() { return *store_->CurrentRevision(); }
};

TEST_P(CommitmentSyncTest, TheSameSetTwiceChangesNothingTheSecondTime) {
  SyncResult first = Sync({Item("A", 1), Item("B", 2)});
  EXPECT_EQ(first.summary.created(), 2);
  EXPECT_TRUE(first.summary.applied());
  EXPECT_EQ(first.summary.revision(), Revision()) << "one revision for the whole set";
  const std::vector<v1::Commitment> before = Live();
  const int64_t revision = Revision();
  SyncResult second = Sync({Item("A", 1), Item("B", 2)});
  EXPECT_EQ(second.summary.unchanged(), 2);
  EXPECT_EQ(second.summary.created() + second.summary.updated(), 0);
  EXPECT_EQ(second.summary.revision(), 0);
  EXPECT_EQ(Revision(), revision);
  const std::vector<v1::Commitment> after = Live();
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[0].etag(), before[0].etag());
}

TEST_P(CommitmentSyncTest, ChangedItemsAreUpdatedAndFieldsOutsideTheMaskKept) {
  Sync({Item("A", 1)});
  v1::Commitment patch;
  patch.set_name(Live()[0].name());
  auto* entry = patch.add_progress();
  entry->mutable_date()->set_year(2024);
  entry->mutable_date()->set_month(1);
  entry->mutable_date()->set_day(1);
  google::protobuf::FieldMask mask;
  mask.add_paths("progress");
  ASSERT_TRUE(ResourceManager<v1::Commitment>(store_.get()).Update(kAdmin, patch, mask).ok());
  SyncRequest request{"partners/us-gov", false, false, {"amount", "title"}, {Item("A", 5)}};
  absl::StatusOr<SyncResult> result = CommitmentSync(store_.get()).Run(kAdmin, request);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->summary.updated(), 1);
  const v1::Commitment updated = Live()[0];
  EXPECT_EQ(updated.amount().units(), 5);
  EXPECT_EQ(updated.progress_size(), 1) << "the set did not provide progress";
}

TEST_P(CommitmentSyncTest, MirrorDeletesWhatTheSetNoLongerHas) {
  Sync({Item("A", 1), Item("B", 2)});
  ASSERT_TRUE(ResourceManager<v1::Commitment>(store_.get())
                  .Create(kAdmin, "partners/us-gov", "manual", Item("", 9), "", "")
                  .ok());
  SyncResult result = Sync({Item("A", 1)}, /*mirror=*/true);
  EXPECT_EQ(result.summary.deleted(), 1);
  EXPECT_EQ(result.outcomes.back().kind(), SyncOutcome::KIND_DELETED);
  EXPECT_EQ(result.outcomes.back().external_id(), "B");
  std::vector<std::string> live;
  for (const auto& commitment : Live()) live.push_back(commitment.external_id());
  EXPECT_THAT(live, ::testing::UnorderedElementsAre("A", "")) << "unsynced ones are left alone";
  // B comes back when the set has it again.
  result = Sync({Item("A", 1), Item("B", 2)}, /*mirror=*/true);
  EXPECT_EQ(result.summary.updated(), 1);
  EXPECT_EQ(Live().size(), 3u);
}

TEST_P(CommitmentSyncTest, ADryRunReportsTheSameOutcomesAndWritesNothing) {
  Sync({Item("A", 1), Item("B", 2)});
  const int64_t revision = Revision();
  const std::vector<v1::Commitment> items = {Item("A", 1), Item("B", 3), Item("C", 4)};
  SyncResult dry = Sync(items, /*mirror=*/true, /*dry_run=*/true);
  EXPECT_FALSE(dry.summary.applied());
  EXPECT_EQ(Revision(), revision);
  EXPECT_EQ(Live().size(), 2u);
  SyncResult real = Sync(items, /*mirror=*/true);
  ASSERT_EQ(dry.outcomes.size(), real.outcomes.size());
  for (size_t i = 0; i < dry.outcomes.size(); ++i) {
    EXPECT_EQ(dry.outcomes[i].kind(), real.outcomes[i].kind()) << i;
  }
  EXPECT_EQ(real.summary.created(), 1);
  EXPECT_EQ(real.summary.updated(), 1);
  EXPECT_EQ(real.summary.unchanged(), 1);
}

TEST_P(CommitmentSyncTest, OneInvalidItemAppliesNothingAndNamesItsField) {
  const int64_t revision = Revision();
  v1::Commitment bad = Item("B", 2);
  bad.mutable_amount()->set_currency_code("DOLLARS");
  v1::Commitment dangling = Item("C", 3);
  dangling.set_recipient_partner("partners/nobody");
  SyncResult result = Sync({Item("A", 1), bad, dangling, Item("A", 4)});
  EXPECT_FALSE(result.summary.applied());
  EXPECT_EQ(result.summary.invalid(), 3);
  EXPECT_EQ(Revision(), revision);
  EXPECT_TRUE(Live().empty());
  ASSERT_EQ(result.outcomes[1].kind(), SyncOutcome::KIND_INVALID);
  EXPECT_EQ(result.outcomes[1].index(), 1);
  EXPECT_EQ(result.outcomes[1].violations(0).field(), "commitment.amount.currency_code");
  EXPECT_EQ(result.outcomes[2].violations(0).field(), "commitment.recipient_partner");
  EXPECT_EQ(result.outcomes[3].violations(0).field(), "commitment.external_id");
}

TEST_P(CommitmentSyncTest, OnlyThePartnersEditorsMaySync) {
  const Principal viewer{Principal::Role::kPartnerViewer, "v", "partners/us-gov"};
  const Principal other{Principal::Role::kPartnerEditor, "e", "partners/uk-gov"};
  for (const Principal& caller : {viewer, other}) {
    SyncRequest request{"partners/us-gov", false, false, {}, {Item("A", 1)}};
    EXPECT_THAT(CommitmentSync(store_.get()).Run(caller, request),
                StatusIs(absl::StatusCode::kPermissionDenied));
  }
  SyncRequest request{"partners/nobody", false, false, {}, {Item("A", 1)}};
  EXPECT_THAT(CommitmentSync(store_.get()).Run(kAdmin, request),
              StatusIs(absl::StatusCode::kNotFound));
}

// The server looks up the stored commitments a batch of items at a time
// (1,000): a set several batches long, with old and new items on both
// sides of each boundary, is matched item by item all the same.
TEST_P(CommitmentSyncTest, ASetOfManyBatchesMatchesEveryItemByItsExternalId) {
  std::vector<v1::Commitment> first;
  for (int i = 0; i < 2500; i += 2) first.push_back(Item(absl::StrCat("G", i), i));
  SyncResult created = Sync(first);
  ASSERT_EQ(created.summary.created(), 1250);
  std::vector<v1::Commitment> second;
  for (int i = 0; i < 2500; ++i) second.push_back(Item(absl::StrCat("G", i), i == 1998 ? 1 : i));
  SyncResult result = Sync(second);
  EXPECT_EQ(result.summary.created(), 1250) << "the odd ones are new";
  EXPECT_EQ(result.summary.unchanged(), 1249);
  EXPECT_EQ(result.summary.updated(), 1) << "G1998, whose amount changed";
  EXPECT_EQ(result.outcomes[999].kind(), SyncOutcome::KIND_CREATED);
  EXPECT_EQ(result.outcomes[1000].kind(), SyncOutcome::KIND_UNCHANGED);
  EXPECT_EQ(result.outcomes[1998].kind(), SyncOutcome::KIND_UPDATED);
  EXPECT_EQ(result.outcomes[1998].name(), created.outcomes[999].name()) << "G1998 kept its name";
  std::vector<v1::Commitment> live;
  std::string page_token;
  do {
    auto page =
        ResourceManager<v1::Commitment>(store_.get())
            .List(kAdmin,
                  {.parent = "partners/us-gov", .page_size = 1000, .page_token = page_token});
    ASSERT_TRUE(page.ok()) << page.status();
    live.insert(live.end(), page->items.begin(), page->items.end());
    page_token = page->next_page_token;
  } while (!page_token.empty());
  EXPECT_EQ(live.size(), 2500u) << "each external id once";
}

MPOWER_ON_EVERY_BACKEND(CommitmentSyncTest);

}  // namespace
}  // namespace mpower
