#ifndef MPOWER_SERVER_CORE_INDEX_TERMS_H_
#define MPOWER_SERVER_CORE_INDEX_TERMS_H_

// What storage indexes a resource by beyond its name: the value of the
// field its traits name as kIndexedField (the country it is about, the
// filter partners use most), as terms like "country_codes=ID". A List
// whose filter requires such a value reads only the resources that have
// it, instead of scanning the collection.

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "server/core/filter.h"
#include "server/storage/store.h"

namespace mpower {

// Bump when the terms change: the store then re-indexes on open.
inline constexpr absl::string_view kIndexTermsVersion = "countries-1";

// The terms of `resource`'s `field` (a string, or repeated strings), e.g.
// {"country_codes=ID", "country_codes=MY"}; none for an empty field name.
std::vector<std::string> IndexTermsOf(const google::protobuf::Message& resource,
                                      absl::string_view field);

// The terms of a stored resource (its public part only).
std::vector<std::string> IndexTerms(const StoredResource& resource);

// The term a List whose resources are indexed by `field` can use with
// `filter`, or "".
std::string IndexTermFor(absl::string_view field, const Filter& filter);

// Gives `store` IndexTerms, re-indexing it if it was indexed otherwise.
absl::Status InstallIndexTerms(Store& store);

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_INDEX_TERMS_H_
