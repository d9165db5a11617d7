// The standard methods' semantics, on a real SQLite file.

#include "server/core/resource_manager.h"

#include <atomic>
#include <set>
#include <thread>

#include "google/protobuf/text_format.h"
#include "server/core/alert_rules.h"
#include "server/core/commitment_rules.h"
#include "server/core/credentials.h"
#include "server/core/partner_rules.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

using ::mpower::testing::StatusIs;
using ::testing::HasSubstr;
using v1::Alert;
using v1::Commitment;
using v1::Partner;

template <typename T>
T Parse(const std::string& text) {
  T message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message)) << text;
  return message;
}

Partner Union(const std::string& country = "ID") {
  return Parse<Partner>(R"pb(display_name: "A union" type: TYPE_TRADE_UNION country_code: ")pb" +
                        country + "\"");
}

google::protobuf::FieldMask Mask(std::initializer_list<const char*> paths) {
  google::protobuf::FieldMask mask;
  for (const char* path : paths) mask.add_paths(path);
  return mask;
}

// The secretariat: allowed everything, so these tests see the methods'
// semantics; access rules have their own tests.
const Principal kAdmin = Principal::System();

class ResourceManagerTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    partners_ = std::make_unique<ResourceManager<Partner>>(store_.get());
    commitments_ = std::make_unique<ResourceManager<Commitment>>(store_.get());
    alerts_ = std::make_unique<ResourceManager<Alert>>(store_.get());
  }

  Partner CreatePartner(const std::string& id, const Partner& partner) {
    absl::StatusOr<Partner> created = partners_->Create(kAdmin, "", id, partner, "", "");
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? *created : Partner();
  }

  Commitment Funding(int64_t units, const std::string& external_id = "") {
    Commitment commitment = Parse<Commitment>(R"pb(
      kind: KIND_FUNDING
      title: "Funding"
      contribution_basis: CONTRIBUTION_BASIS_ASSESSED
      amount { currency_code: "USD" units: 1 })pb");
    commitment.mutable_amount()->set_units(units);
    commitment.set_external_id(external_id);
    return commitment;
  }

  int64_t Revision() { return *store_->CurrentRevision(); }

  std::unique_ptr<ResourceManager<Partner>> partners_;
  std::unique_ptr<ResourceManager<Commitment>> commitments_;
  std::unique_ptr<ResourceManager<Alert>> alerts_;
};

TEST_P(ResourceManagerTest, CreateSetsOutputFieldsAndIgnoresClientValues) {
  Partner input = Union();
  input.set_name("partners/someone-else");
  input.set_etag("forged");
  input.mutable_create_time()->set_seconds(1);
  // A field this server does not know (from a client built on a newer
  // proto) is not stored, so it is never handed to other readers.
  input.GetReflection()->MutableUnknownFields(&input)->AddVarint(999, 7);
  const Partner created = CreatePartner("kspi", input);
  EXPECT_EQ(created.name(), "partners/kspi");
  EXPECT_NE(created.etag(), "forged");
  EXPECT_GT(created.create_time().seconds(), 1);
  EXPECT_EQ(created.membership_status(), Partner::MEMBERSHIP_STATUS_ACTIVE);
  absl::StatusOr<Partner> got = partners_->Get(kAdmin, "partners/kspi");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->DebugString(), created.DebugString());
  EXPECT_TRUE(got->GetReflection()->GetUnknownFields(*got).empty());
  EXPECT_THAT(partners_->Get(kAdmin, "partners/someone-else"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(ResourceManagerTest, EveryWriteGetsTheNextRevisionAndReadsDoNot) {
  const int64_t start = Revision();
  CreatePartner("a", Union());
  EXPECT_EQ(Revision(), start + 1);
  CreatePartner("b", Union());
  EXPECT_EQ(Revision(), start + 2);
  ASSERT_TRUE(partners_->Get(kAdmin, "partners/a").ok());
  ASSERT_TRUE(partners_->List(kAdmin, ListParams{}).ok());
  EXPECT_EQ(Revision(), start + 2);
  EXPECT_THAT(partners_->Create(kAdmin, "", "a", Union(), "", ""),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("partners/a already exists")));
  EXPECT_EQ(Revision(), start + 2) << "a failed write must not use a revision";
}

TEST_P(ResourceManagerTest, InvalidCreateNamesEveryFieldAndWritesNothing) {
  Partner bad;
  bad.set_country_code("XX");
  bad.set_website_uri("javascript:alert(1)");
  EXPECT_THAT(
      partners_->Create(kAdmin, "", "Bad Id", bad, "", ""),
      StatusIs(absl::StatusCode::kInvalidArgument,
               ::testing::AllOf(HasSubstr("partner_id:"), HasSubstr("partner.display_name:"),
                                HasSubstr("partner.type:"), HasSubstr("partner.country_code:"),
                                HasSubstr("partner.website_uri:"))));
  EXPECT_EQ(Revision(), 0);
}

TEST_P(ResourceManagerTest, APartnerWithWorkingCredentialsStaysUntilTheyAreRevoked) {
  CreatePartner("leaving", Union("ID"));
  v1::Credential credential;
  credential.set_principal("leaving desk");
  credential.set_role(v1::ROLE_PARTNER_VIEWER);
  credential.set_partner("partners/leaving");
  CredentialManager credentials(store_.get());
  ASSERT_TRUE(credentials.Create(kAdmin, "leaving-desk", credential).ok());
  const int64_t before = Revision();
  EXPECT_THAT(partners_->Delete(kAdmin, "partners/leaving", ""),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("revoke credentials/leaving-desk")));
  EXPECT_EQ(Revision(), before) << "a refused delete writes nothing";
  ASSERT_TRUE(credentials.Revoke(kAdmin, "credentials/leaving-desk").ok());
  EXPECT_TRUE(partners_->Delete(kAdmin, "partners/leaving", "").ok());
}

TEST_P(ResourceManagerTest, ReferencesMustExist) {
  Partner agency = Union("US");
  agency.set_parent_partner("partners/nobody");
  EXPECT_THAT(partners_->Create(kAdmin, "", "agency", agency, "", ""),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("partner.parent_partner: partners/nobody does not exist")));
  EXPECT_THAT(commitments_->Create(kAdmin, "partners/nobody", "", Funding(5), "", ""),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("parent: partners/nobody")));
}

TEST_P(ResourceManagerTest, PagesSeeEveryItemOnceDespiteConcurrentInserts) {
  std::set<std::string> existing;
  for (int i = 0; i < 120; ++i) {
    const std::string id = "p" + std::to_string(1000 + i * 2);
    CreatePartner(id, Union());
    existing.insert("partners/" + id);
  }
  // A writer inserts between and around existing names while we page.
  std::atomic<bool> stop = false;
  std::thread writer([&] {
    for (int i = 0; !stop && i < 500; ++i) {
      partners_->Create(kAdmin, "", "p" + std::to_string(1001 + i * 2), Union(), "", "")
          .IgnoreError();
    }
  });
  std::multiset<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    absl::StatusOr<Page<Partner>> page =
        partners_->List(kAdmin, {.page_size = 25, .page_token = token});
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_LE(page->items.size(), 25u);
    for (const Partner& partner : page->items) seen.insert(partner.name());
    token = page->next_page_token;
    ++pages;
  } while (!token.empty() && pages < 1000);
  stop = true;
  writer.join();
  for (const std::string& name : existing) EXPECT_EQ(seen.count(name), 1u) << name;
  for (const std::string& name : seen) EXPECT_EQ(seen.count(name), 1u) << "repeated " << name;
}

TEST_P(ResourceManagerTest, PageSizeIsCappedAndDefaulted) {
  for (int i = 0; i < 60; ++i) CreatePartner("p" + std::to_string(i), Union());
  absl::StatusOr<Page<Partner>> page = partners_->List(kAdmin, ListParams{});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->items.size(), static_cast<size_t>(kDefaultPageSize));
  page = partners_->List(kAdmin, {.page_size = 100000});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->items.size(), 60u);
  EXPECT_TRUE(page->next_page_token.empty());
  EXPECT_THAT(partners_->List(kAdmin, {.page_size = -1}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_size")));
}

TEST_P(ResourceManagerTest, FilteredListsPageThroughMatchesOnly) {
  for (int i = 0; i < 30; ++i) {
    CreatePartner("p" + std::to_string(100 + i), Union(i % 3 == 0 ? "HN" : "ID"));
  }
  std::vector<std::string> names;
  std::string token;
  do {
    absl::StatusOr<Page<Partner>> page = partners_->List(
        kAdmin, {.page_size = 4, .page_token = token, .filter = R"(country_code = "HN")"});
    ASSERT_TRUE(page.ok()) << page.status();
    for (const Partner& partner : page->items) {
      EXPECT_EQ(partner.country_code(), "HN");
      names.push_back(partner.name());
    }
    token = page->next_page_token;
  } while (!token.empty());
  EXPECT_EQ(names.size(), 10u);
}

TEST_P(ResourceManagerTest, PageTokensBelongToTheirQuery) {
  for (int i = 0; i < 5; ++i) CreatePartner("p" + std::to_string(i), Union());
  absl::StatusOr<Page<Partner>> page = partners_->List(kAdmin, {.page_size = 2});
  ASSERT_TRUE(page.ok());
  ASSERT_FALSE(page->next_page_token.empty());
  EXPECT_THAT(partners_->List(kAdmin, {.page_size = 2,
                                       .page_token = page->next_page_token,
                                       .filter = R"(country_code = "ID")"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("different query")));
  EXPECT_THAT(partners_->List(kAdmin, {.page_token = "garbage!"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")));
}

TEST_P(ResourceManagerTest, UpdateChangesOnlyMaskedFields) {
  Partner created = CreatePartner("kspi", Union());
  Partner patch;
  patch.set_name("partners/kspi");
  patch.set_description("Confederation of Indonesian trade unions");
  patch.set_display_name("ignored: not in the mask");
  absl::StatusOr<Partner> updated = partners_->Update(kAdmin, patch, Mask({"description"}));
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->description(), "Confederation of Indonesian trade unions");
  EXPECT_EQ(updated->display_name(), "A union");
  EXPECT_NE(updated->etag(), created.etag());
  EXPECT_EQ(updated->create_time().seconds(), created.create_time().seconds());
}

TEST_P(ResourceManagerTest, UpdateMaskMayNameOnlyUpdatableFields) {
  CreatePartner("kspi", Union());
  Partner patch;
  patch.set_name("partners/kspi");
  EXPECT_THAT(partners_->Update(kAdmin, patch, Mask({"description", "etag", "no_such_field"})),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::AllOf(HasSubstr("update_mask.paths[1]"),
                                        HasSubstr("update_mask.paths[2]"),
                                        ::testing::Not(HasSubstr("paths[0]")))));
}

TEST_P(ResourceManagerTest, UpdateThatBreaksValidationChangesNothing) {
  const Partner created = CreatePartner("kspi", Union());
  Partner patch;
  patch.set_name("partners/kspi");
  patch.set_country_code("Indonesia");
  EXPECT_THAT(partners_->Update(kAdmin, patch, Mask({"country_code"})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("partner.country_code")));
  EXPECT_EQ(partners_->Get(kAdmin, "partners/kspi")->etag(), created.etag());
}

TEST_P(ResourceManagerTest, StaleEtagIsAborted) {
  const Partner created = CreatePartner("kspi", Union());
  Partner first;
  first.set_name("partners/kspi");
  first.set_etag(created.etag());
  first.set_description("first writer");
  ASSERT_TRUE(partners_->Update(kAdmin, first, Mask({"description"})).ok());
  Partner second = first;
  second.set_description("second writer, read before the first wrote");
  EXPECT_THAT(partners_->Update(kAdmin, second, Mask({"description"})),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("has changed")));
  EXPECT_EQ(partners_->Get(kAdmin, "partners/kspi")->description(), "first writer");
  EXPECT_THAT(partners_->Delete(kAdmin, "partners/kspi", created.etag()),
              StatusIs(absl::StatusCode::kAborted));
}

TEST_P(ResourceManagerTest, UpdateWithoutChangeKeepsEtagAndRevision) {
  const Partner created = CreatePartner("kspi", Union());
  const int64_t revision = Revision();
  Partner same = created;
  absl::StatusOr<Partner> updated = partners_->Update(kAdmin, same, Mask({}));
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->etag(), created.etag());
  EXPECT_EQ(Revision(), revision);
}

TEST_P(ResourceManagerTest, RetriedCreateWithRequestIdWritesOnce) {
  CreatePartner("ilo", Parse<Partner>(R"pb(display_name: "ILO" type: TYPE_MULTILATERAL)pb"));
  const Commitment commitment = Funding(5);
  absl::StatusOr<Commitment> first =
      commitments_->Create(kAdmin, "partners/ilo", "", commitment, "req-1", "fingerprint-a");
  ASSERT_TRUE(first.ok()) << first.status();
  const int64_t revision = Revision();
  absl::StatusOr<Commitment> retry =
      commitments_->Create(kAdmin, "partners/ilo", "", commitment, "req-1", "fingerprint-a");
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(retry->name(), first->name()) << "the server-chosen id must not be chosen twice";
  EXPECT_EQ(retry->etag(), first->etag());
  EXPECT_EQ(Revision(), revision);
  EXPECT_EQ(commitments_->List(kAdmin, {.parent = "partners/ilo"})->items.size(), 1u);
  EXPECT_THAT(
      commitments_->Create(kAdmin, "partners/ilo", "", Funding(6), "req-1", "fingerprint-b"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("request_id")));
}

TEST_P(ResourceManagerTest, SoftDeleteHidesKeepsAndUndeletes) {
  CreatePartner("ilo", Parse<Partner>(R"pb(display_name: "ILO" type: TYPE_MULTILATERAL)pb"));
  absl::StatusOr<Commitment> created =
      commitments_->Create(kAdmin, "partners/ilo", "rb", Funding(5), "", "");
  ASSERT_TRUE(created.ok());
  absl::StatusOr<std::optional<Commitment>> deleted =
      commitments_->Delete(kAdmin, created->name(), created->etag());
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  ASSERT_TRUE(deleted->has_value());
  EXPECT_TRUE((*deleted)->has_delete_time());
  EXPECT_TRUE(commitments_->List(kAdmin, {.parent = "partners/ilo"})->items.empty());
  EXPECT_EQ(
      commitments_->List(kAdmin, {.parent = "partners/ilo", .show_deleted = true})->items.size(),
      1u);
  EXPECT_TRUE(commitments_->Get(kAdmin, created->name())->has_delete_time());
  EXPECT_THAT(commitments_->Delete(kAdmin, created->name(), ""),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already deleted")));
  Commitment patch;
  patch.set_name(created->name());
  patch.set_title("changed while deleted");
  EXPECT_THAT(commitments_->Update(kAdmin, patch, Mask({"title"})),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("undelete it")));

  absl::StatusOr<Commitment> restored = commitments_->Undelete(kAdmin, created->name(), "");
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_FALSE(restored->has_delete_time());
  EXPECT_EQ(commitments_->List(kAdmin, {.parent = "partners/ilo"})->items.size(), 1u);
  EXPECT_THAT(commitments_->Undelete(kAdmin, created->name(), ""),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not deleted")));
}

TEST_P(ResourceManagerTest, ReferencedPartnerCannotBeDeleted) {
  CreatePartner("ilo", Parse<Partner>(R"pb(display_name: "ILO" type: TYPE_MULTILATERAL)pb"));
  CreatePartner("us-gov", Union("US"));
  Commitment commitment = Funding(5);
  commitment.set_recipient_partner("partners/ilo");
  ASSERT_TRUE(commitments_->Create(kAdmin, "partners/us-gov", "rb", commitment, "", "").ok());
  EXPECT_THAT(partners_->Delete(kAdmin, "partners/ilo", ""),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("referred to")));
  EXPECT_THAT(partners_->Delete(kAdmin, "partners/us-gov", ""),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  CreatePartner("unused", Union());
  EXPECT_TRUE(partners_->Delete(kAdmin, "partners/unused", "").ok());
  EXPECT_THAT(partners_->Get(kAdmin, "partners/unused"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(ResourceManagerTest, ExternalIdIsUniquePerPartner) {
  CreatePartner("us-gov", Union("US"));
  CreatePartner("uk-gov", Union("GB"));
  ASSERT_TRUE(commitments_->Create(kAdmin, "partners/us-gov", "", Funding(1, "X-1"), "", "").ok());
  EXPECT_THAT(commitments_->Create(kAdmin, "partners/us-gov", "", Funding(2, "X-1"), "", ""),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("commitment.external_id")));
  EXPECT_TRUE(commitments_->Create(kAdmin, "partners/uk-gov", "", Funding(3, "X-1"), "", "").ok());
}

TEST_P(ResourceManagerTest, FulfilledAmountFollowsProgress) {
  CreatePartner("us-gov", Union("US"));
  Commitment commitment = Funding(122'000'000);
  for (int64_t units : {50'000'000, 22'500'000}) {
    auto* entry = commitment.add_progress();
    entry->mutable_date()->set_year(2022);
    entry->mutable_date()->set_month(6);
    entry->mutable_date()->set_day(30);
    entry->mutable_disbursed_amount()->set_currency_code("USD");
    entry->mutable_disbursed_amount()->set_units(units);
    entry->mutable_disbursed_amount()->set_nanos(250'000'000);
  }
  commitment.mutable_fulfilled_amount()->set_units(1);  // output only: ignored
  absl::StatusOr<Commitment> created =
      commitments_->Create(kAdmin, "partners/us-gov", "mpower", commitment, "", "");
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->fulfilled_amount().currency_code(), "USD");
  EXPECT_EQ(created->fulfilled_amount().units(), 72'500'000);
  EXPECT_EQ(created->fulfilled_amount().nanos(), 500'000'000);

  Commitment patch;
  patch.set_name(created->name());
  EXPECT_TRUE(commitments_->Update(kAdmin, patch, Mask({"progress"})).ok());
  EXPECT_EQ(commitments_->Get(kAdmin, created->name())->fulfilled_amount().units(), 0);
}

TEST_P(ResourceManagerTest, ProtectedDetailsAreStoredApartFromTheAlert) {
  CreatePartner("union", Union());
  Alert alert = Parse<Alert>(R"pb(
    filing_partner: "partners/union"
    category: CATEGORY_THREAT_OF_VIOLENCE
    severity: SEVERITY_SEVERE
    urgency: URGENCY_IMMEDIATE
    certainty: CERTAINTY_LIKELY
    country_code: "ID"
    headline: "Organiser threatened"
    protected_details {
      people { full_name: "Siti Example" }
      exact_location: "Jalan Contoh 1"
    })pb");
  absl::StatusOr<Alert> created = alerts_->Create(kAdmin, "", "", alert, "", "");
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_TRUE(created->protected_details_present());
  absl::StatusOr<std::optional<StoredResource>> stored = store_->Get(created->name());
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->data.find("Siti Example"), std::string::npos);
  EXPECT_NE((*stored)->protected_data.find("Siti Example"), std::string::npos);
  EXPECT_EQ(alerts_->Get(kAdmin, created->name())->protected_details().people(0).full_name(),
            "Siti Example");
}

MPOWER_ON_EVERY_BACKEND(ResourceManagerTest);

}  // namespace
}  // namespace mpower
