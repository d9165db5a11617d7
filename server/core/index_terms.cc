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
  return IndexTermsOf(resource, ResourceTraits<T>::kIndexedFields);
}

template <typename T>
std::pair<absl::string_view, TermExtractorFn> Entry() {
  return {ResourceTraits<T>::kName.collection, &TermsOfStored<T>};
}

}  // namespace

std::vector<std::string> IndexTermsOf(const google::protobuf::Message& resource,
                                      absl::Span<const absl::string_view> fields) {
  using google::protobuf::FieldDescriptor;
  const google::protobuf::Reflection& reflection = *resource.GetReflection();
  std::vector<std::string> terms;
  for (absl::string_view field_name : fields) {
    const FieldDescriptor* field =
        resource.GetDescriptor()->FindFieldByName(std::string(field_name));
    if (field == nullptr) continue;
    const bool text = field->type() == FieldDescriptor::TYPE_STRING;
    if (!text && field->type() != FieldDescriptor::TYPE_ENUM) continue;
    if (field->is_repeated()) {
      for (int i = 0; i < reflection.FieldSize(resource, field); ++i) {
        terms.push_back(
            absl::StrCat(field_name, "=",
                         text ? reflection.GetRepeatedString(resource, field, i)
                              : absl::StrCat(reflection.GetRepeatedEnumValue(resource, field, i))));
      }
    } else if (text) {
      if (const std::string value = reflection.GetString(resource, field); !value.empty()) {
        terms.push_back(absl::StrCat(field_name, "=", value));
      }
    } else {
      terms.push_back(absl::StrCat(field_name, "=", reflection.GetEnumValue(resource, field)));
    }
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

std::string IndexTermFor(absl::Span<const absl::string_view> fields, const Filter& filter) {
  for (absl::string_view field : fields) {
    const std::string value = filter.RequiredValue(field);
    if (!value.empty()) return absl::StrCat(field, "=", value);
  }
  return "";
}

absl::Status InstallIndexTerms(Store& store) {
  return store.SetTermExtractor(std::string(kIndexTermsVersion), &IndexTerms);
}

}  // namespace mpower
