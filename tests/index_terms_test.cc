// The field index: a List filtered by an indexed field (country, status,
// partner) reads only the resources indexed under it, and must return
// exactly what a scan would, through
// updates, deletes, pages, other partners, and a store indexed later.

#include "server/core/index_terms.h"

#include "server/core/alert_rules.h"
#include "server/core/commitment_rules.h"
#include "server/core/partner_rules.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
const Principal kAdmin = Principal::System();

void AddPartner(Store* store, const std::string& id) {
  v1::Partner partner;
  partner.set_display_name(id);
  partner.set_type(v1::Partner::TYPE_TRADE_UNION);
  partner.set_country_code("ID");
  ASSERT_TRUE(ResourceManager<v1::Partner>(store).Create(kAdmin, "", id, partner, "", "").ok());
}

void Commit(Store* store, const std::string& partner, const std::string& id,
            const std::vector<std::string>& countries, bool policy = true) {
  v1::Commitment commitment;
  commitment.set_kind(policy ? v1::Commitment::KIND_POLICY : v1::Commitment::KIND_RESEARCH);
  commitment.set_title("t");
  for (const std::string& country : countries) commitment.add_country_codes(country);
  ASSERT_TRUE(ResourceManager<v1::Commitment>(store)
                  .Create(kAdmin, "partners/" + partner, id, commitment, "", "")
                  .ok());
}

// The ids of every commitment List returns, two at a time.
std::vector<std::string> ListAll(Store* store, const std::string& parent, const std::string& filter,
                                 bool show_deleted = false) {
  std::vector<std::string> ids;
  ListParams params;
  params.parent = parent;
  params.filter = filter;
  params.show_deleted = show_deleted;
  params.page_size = 2;
  do {
    absl::StatusOr<Page<v1::Commitment>> page =
        ResourceManager<v1::Commitment>(store).List(kAdmin, params);
    EXPECT_TRUE(page.ok()) << page.status();
    if (!page.ok()) break;
    for (const auto& item : page->items)
      ids.push_back(item.name().substr(item.name().rfind('/') + 1));
    params.page_token = page->next_page_token;
  } while (!params.page_token.empty());
  return ids;
}

class IndexTermsTest : public testing::StoreTest {
 protected:
  void Populate() {
    AddPartner(store_.get(), "a");
    AddPartner(store_.get(), "b");
    Commit(store_.get(), "a", "a1", {"ID"});
    Commit(store_.get(), "a", "a2", {"MY"});
    Commit(store_.get(), "a", "a3", {"MY", "ID"}, /*policy=*/false);
    Commit(store_.get(), "b", "b1", {"ID"});
    Commit(store_.get(), "b", "b2", {});
    Commit(store_.get(), "b", "b3", {"ID"});
    Commit(store_.get(), "a", "a4", {"ID"});
  }
};

TEST_P(IndexTermsTest, ACountryListReturnsExactlyWhatMatchesThroughChanges) {
  ASSERT_TRUE(InstallIndexTerms(*store_).ok());
  Populate();
  Store* store = store_.get();
  EXPECT_THAT(ListAll(store, "partners/-", R"(country_codes:"ID")"),
              ElementsAre("a1", "a3", "a4", "b1", "b3"));
  EXPECT_THAT(ListAll(store, "partners/b", R"(country_codes:"ID")"), ElementsAre("b1", "b3"));
  EXPECT_THAT(ListAll(store, "partners/-", R"(country_codes:"ID" AND kind = KIND_POLICY)"),
              ElementsAre("a1", "a4", "b1", "b3"));
  EXPECT_THAT(ListAll(store, "partners/-", R"(country_codes:"ID" OR country_codes:"MY")"),
              ElementsAre("a1", "a2", "a3", "a4", "b1", "b3"));
  EXPECT_THAT(ListAll(store, "partners/-", R"(country_codes:"KE")"), IsEmpty());

  // An update moves a commitment between countries; a delete hides it
  // unless deleted ones are asked for.
  ResourceManager<v1::Commitment> commitments(store);
  v1::Commitment moved;
  moved.set_name("partners/a/commitments/a1");
  moved.add_country_codes("KE");
  google::protobuf::FieldMask mask;
  mask.add_paths("country_codes");
  ASSERT_TRUE(commitments.Update(kAdmin, moved, mask).ok());
  ASSERT_TRUE(commitments.Delete(kAdmin, "partners/b/commitments/b1", "").ok());
  EXPECT_THAT(ListAll(store, "partners/-", R"(country_codes:"ID")"), ElementsAre("a3", "a4", "b3"));
  EXPECT_THAT(ListAll(store, "partners/-", R"(country_codes:"ID")", /*show_deleted=*/true),
              ElementsAre("a3", "a4", "b1", "b3"));
  EXPECT_THAT(ListAll(store, "partners/-", R"(country_codes:"KE")"), ElementsAre("a1"));
}

TEST_P(IndexTermsTest, AStoreWrittenWithoutTheIndexIsIndexedWhenItIsInstalled) {
  Populate();  // no extractor yet: the index is not trusted
  EXPECT_THAT(ListAll(store_.get(), "partners/-", R"(country_codes:"ID")"),
              ElementsAre("a1", "a3", "a4", "b1", "b3"));
  ASSERT_TRUE(InstallIndexTerms(*store_).ok());
  EXPECT_THAT(ListAll(store_.get(), "partners/-", R"(country_codes:"ID")"),
              ElementsAre("a1", "a3", "a4", "b1", "b3"));
  Commit(store_.get(), "b", "b4", {"ID"});
  EXPECT_THAT(ListAll(store_.get(), "partners/b", R"(country_codes:"ID")"),
              ElementsAre("b1", "b3", "b4"));
}

TEST(IndexTermTest, OnlyARequiredCountryIsUsed) {
  const auto term = [](const std::string& text) {
    absl::StatusOr<Filter> filter = Filter::Parse(
        text, v1::Commitment::descriptor(), ResourceTraits<v1::Commitment>::FilterableFields());
    EXPECT_TRUE(filter.ok()) << filter.status();
    return filter.ok() ? IndexTermFor(ResourceTraits<v1::Commitment>::kIndexedFields, *filter)
                       : "?";
  };
  EXPECT_EQ(term(R"(country_codes:"ID")"), "country_codes=ID");
  EXPECT_EQ(term(R"(kind = KIND_FUNDING AND country_codes:"ID")"), "country_codes=ID");
  EXPECT_EQ(term(R"(country_codes:"ID" OR kind = KIND_FUNDING)"), "");
  EXPECT_EQ(term(R"(NOT country_codes:"ID")"), "");
  EXPECT_EQ(term(""), "");
  // Enums are indexed by number; the first indexed field required wins.
  EXPECT_EQ(term("status = STATUS_IN_PROGRESS"), "status=2");
  EXPECT_EQ(term(R"(status = STATUS_IN_PROGRESS AND country_codes:"ID")"), "country_codes=ID");
  EXPECT_EQ(term("status != STATUS_IN_PROGRESS"), "");
}

TEST_P(IndexTermsTest, AListByAnIndexedFieldExaminesOnlyTheMatchingRows) {
  ASSERT_TRUE(InstallIndexTerms(*store_).ok());
  Populate();
  ResourceManager<v1::Commitment> commitments(store_.get());
  v1::Commitment started;
  started.set_name("partners/b/commitments/b2");
  started.set_status(v1::Commitment::STATUS_IN_PROGRESS);
  google::protobuf::FieldMask mask;
  mask.add_paths("status");
  ASSERT_TRUE(commitments.Update(kAdmin, started, mask).ok());
  EXPECT_THAT(ListAll(store_.get(), "partners/-", "status = STATUS_IN_PROGRESS"),
              ElementsAre("b2"));

  // What the store hands the predicate is what it read: with the term, only
  // the rows indexed under it, in SQL on either backend.
  for (const std::string& term : {std::string("status=2"), std::string("country_codes=ID")}) {
    ListQuery query;
    query.collection = "commitments";
    query.term = term;
    query.limit = 100;
    std::vector<std::string> examined;
    query.predicate = [&](const StoredResource& resource) {
      examined.push_back(resource.name);
      return true;
    };
    ASSERT_TRUE(store_->List(query).ok());
    EXPECT_EQ(examined.size(), term == "status=2" ? 1u : 5u) << term;
  }
}

MPOWER_ON_EVERY_BACKEND(IndexTermsTest);

}  // namespace
}  // namespace mpower
