#ifndef MPOWER_SERVER_CORE_PAGE_TOKEN_H_
#define MPOWER_SERVER_CORE_PAGE_TOKEN_H_

// Opaque page tokens. A token carries where the next page starts and a
// fingerprint of the query it belongs to, so that a token used with another
// parent, filter or show_deleted is refused rather than silently wrong.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mpower {

// A stable 64-bit FNV-1a fingerprint of `bytes` as 16 hex digits. Stable
// across builds and restarts, so it can be stored. Not cryptographic.
std::string Fingerprint(absl::string_view bytes);

// A token that resumes after `after_name` for the query `query_fingerprint`.
std::string EncodePageToken(absl::string_view query_fingerprint, absl::string_view after_name);

// The name to resume after. INVALID_ARGUMENT naming `page_token` if the
// token is malformed or belongs to a different query.
absl::StatusOr<std::string> DecodePageToken(absl::string_view token,
                                            absl::string_view query_fingerprint);

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_PAGE_TOKEN_H_
