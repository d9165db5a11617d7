#ifndef MPOWER_SERVER_CORE_PAGE_TOKEN_H_
#define MPOWER_SERVER_CORE_PAGE_TOKEN_H_

// Opaque page tokens. A token carries where the next page starts (which may
// be the name of something the caller cannot read: the last row examined)
// and a fingerprint of the query it belongs to, so that a token used with
// another parent, filter or show_deleted is refused rather than silently
// wrong. It is sealed with AES-256-GCM under a key made for it alone from
// the store's "page-tokens" secret and a random salt, so it reveals nothing
// to whoever holds it, a token changed in any byte is refused, and a token
// one replica issued works on another of the same database.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/storage/store.h"

namespace mpower {

// A stable 64-bit FNV-1a fingerprint of `bytes` as 16 hex digits. Stable
// across builds and restarts, so it can be stored. Not cryptographic.
std::string Fingerprint(absl::string_view bytes);

// A token that resumes at `position` for the query `query_fingerprint`,
// sealed with `secret` (32 bytes).
std::string SealPageToken(absl::string_view secret, absl::string_view query_fingerprint,
                          absl::string_view position);

// The position `token` resumes at. INVALID_ARGUMENT naming `page_token` if
// the token was not sealed with `secret` or was altered, or belongs to a
// different query.
absl::StatusOr<std::string> OpenPageToken(absl::string_view secret, absl::string_view token,
                                          absl::string_view query_fingerprint);

// As above, with `store`'s page-token secret.
absl::StatusOr<std::string> EncodePageToken(Store& store, absl::string_view query_fingerprint,
                                            absl::string_view position);
absl::StatusOr<std::string> DecodePageToken(Store& store, absl::string_view token,
                                            absl::string_view query_fingerprint);

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_PAGE_TOKEN_H_
