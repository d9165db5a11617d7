#ifndef MPOWER_SERVER_CORE_INDEX_TERMS_H_
#define MPOWER_SERVER_CORE_INDEX_TERMS_H_

// What storage indexes a resource by beyond its name: the country it is
// about ("country_codes=ID" for commitments and initiatives,
// "country_code=ID" for partners and alerts), the filter partners use most.
// A List whose filter requires such a value reads only the resources that
// have it, instead of scanning the collection.

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "server/core/filter.h"
#include "server/storage/store.h"

namespace mpower {

// Bump when IndexTerms changes: the store then re-indexes on open.
inline constexpr absl::string_view kIndexTermsVersion = "countries-1";

// The terms of a stored resource (its public part only).
std::vector<std::string> IndexTerms(const StoredResource& resource);

// The term a List over `collection` with `filter` can use, or "".
std::string IndexTermFor(absl::string_view collection, const Filter& filter);

// Gives `store` IndexTerms, re-indexing it if it was indexed otherwise.
absl::Status InstallIndexTerms(Store& store);

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_INDEX_TERMS_H_
