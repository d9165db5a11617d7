#include "server/core/index_terms.h"

#include "absl/strings/str_cat.h"
#include "mpower/v1/alert.pb.h"
#include "mpower/v1/commitment.pb.h"
#include "mpower/v1/initiative.pb.h"
#include "mpower/v1/partner.pb.h"

namespace mpower {
namespace {

// The indexed field of each collection.
absl::string_view IndexedField(absl::string_view collection) {
  if (collection == "commitments" || collection == "initiatives") return "country_codes";
  if (collection == "partners" || collection == "alerts") return "country_code";
  return "";
}

template <typename Repeated>
std::vector<std::string> Terms(absl::string_view field, const Repeated& values) {
  std::vector<std::string> terms;
  for (const std::string& value : values) terms.push_back(absl::StrCat(field, "=", value));
  return terms;
}

}  // namespace

std::vector<std::string> IndexTerms(const StoredResource& resource) {
  const absl::string_view field = IndexedField(resource.collection);
  if (resource.collection == "commitments") {
    v1::Commitment commitment;
    if (commitment.ParseFromString(resource.data)) {
      return Terms(field, commitment.country_codes());
    }
  } else if (resource.collection == "initiatives") {
    v1::Initiative initiative;
    if (initiative.ParseFromString(resource.data)) {
      return Terms(field, initiative.country_codes());
    }
  } else if (resource.collection == "partners") {
    v1::Partner partner;
    if (partner.ParseFromString(resource.data) && !partner.country_code().empty()) {
      return {absl::StrCat(field, "=", partner.country_code())};
    }
  } else if (resource.collection == "alerts") {
    v1::Alert alert;
    if (alert.ParseFromString(resource.data) && !alert.country_code().empty()) {
      return {absl::StrCat(field, "=", alert.country_code())};
    }
  }
  return {};
}

std::string IndexTermFor(absl::string_view collection, const Filter& filter) {
  const absl::string_view field = IndexedField(collection);
  if (field.empty()) return "";
  const std::string value = filter.RequiredValue(field);
  return value.empty() ? "" : absl::StrCat(field, "=", value);
}

absl::Status InstallIndexTerms(Store& store) {
  return store.SetTermExtractor(std::string(kIndexTermsVersion), &IndexTerms);
}

}  // namespace mpower
