#ifndef MPOWER_SERVER_CORE_INDEX_TERMS_H_
#define MPOWER_SERVER_CORE_INDEX_TERMS_H_

// What storage indexes a resource by beyond its name and parent: the values
// of the fields its traits name as kIndexedFields (the partner, country and
// status partners filter by most), as terms like "country_codes=ID" or
// "status=2" (an enum by its number). A List whose filter requires such a
// value reads only the resources that have it, in SQL, instead of
// scanning the collection.

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "google/protobuf/message.h"
#include "server/core/filter.h"
#include "server/storage/store.h"

namespace mpower {

// Bump when the terms change: the store then re-indexes on open.
inline constexpr absl::string_view kIndexTermsVersion = "fields-2";

// The terms of `resource`'s `fields` (strings or enums, singular or
// repeated), e.g. {"country_codes=ID", "country_codes=MY", "status=1"}.
std::vector<std::string> IndexTermsOf(const google::protobuf::Message& resource,
                                      absl::Span<const absl::string_view> fields);

// The terms of a stored resource (its public part only).
std::vector<std::string> IndexTerms(const StoredResource& resource);

// The term a List whose resources are indexed by `fields` can use with
// `filter`: of the first field the filter requires a value of; or "".
std::string IndexTermFor(absl::Span<const absl::string_view> fields, const Filter& filter);

// Gives `store` IndexTerms, re-indexing it if it was indexed otherwise.
absl::Status InstallIndexTerms(Store& store);

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_INDEX_TERMS_H_
