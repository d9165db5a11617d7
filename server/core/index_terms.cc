#include "server/core/index_terms.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "server/core/alert_rules.h"
#include "server/core/commitment_rules.h"
#include "server/core/initiative_rules.h"
#include "server/core/partner_rules.h"
#include "server/core/response_rules.h"

namespace mpower {
namespace {

using TermExtractorFn = std::vector<std::string> (*)(const StoredResource&);

template <typename T>
std::vector<std::string> TermsOfStored(const StoredResource& stored) {
  T resource;
  if (!resource.ParseFromString(stored.data)) return {};
  return IndexTermsOf(resource, ResourceTraits<T>::kIndexedField);
}

template <typename T>
std::pair<absl::string_view, TermExtractorFn> Entry() {
  return {ResourceTraits<T>::kName.collection, &TermsOfStored<T>};
}

}  // namespace

std::vector<std::string> IndexTermsOf(const google::protobuf::Message& resource,
                                      absl::string_view field_name) {
  if (field_name.empty()) return {};
  const google::protobuf::FieldDescriptor* field =
      resource.GetDescriptor()->FindFieldByName(std::string(field_name));
  if (field == nullptr || field->type() != google::protobuf::FieldDescriptor::TYPE_STRING) {
    return {};
  }
  const google::protobuf::Reflection& reflection = *resource.GetReflection();
  std::vector<std::string> terms;
  if (field->is_repeated()) {
    for (int i = 0; i < reflection.FieldSize(resource, field); ++i) {
      terms.push_back(
          absl::StrCat(field_name, "=", reflection.GetRepeatedString(resource, field, i)));
    }
  } else if (const std::string value = reflection.GetString(resource, field); !value.empty()) {
    terms.push_back(absl::StrCat(field_name, "=", value));
  }
  return terms;
}

std::vector<std::string> IndexTerms(const StoredResource& resource) {
  static const auto* const kCollections = new std::map<absl::string_view, TermExtractorFn>{
      Entry<v1::Partner>(), Entry<v1::Initiative>(), Entry<v1::Commitment>(), Entry<v1::Alert>(),
      Entry<v1::Response>()};
  auto found = kCollections->find(resource.collection);
  return found == kCollections->end() ? std::vector<std::string>() : found->second(resource);
}

std::string IndexTermFor(absl::string_view field, const Filter& filter) {
  if (field.empty()) return "";
  const std::string value = filter.RequiredValue(field);
  return value.empty() ? "" : absl::StrCat(field, "=", value);
}

absl::Status InstallIndexTerms(Store& store) {
  return store.SetTermExtractor(std::string(kIndexTermsVersion), &IndexTerms);
}

}  // namespace mpower
