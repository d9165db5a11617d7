#ifndef MPOWER_SERVER_CORE_NAMES_H_
#define MPOWER_SERVER_CORE_NAMES_H_

// Resource names as in Google's AIP-122: `partners/us-dol-ilab`,
// `partners/us-dol-ilab/commitments/mpower-2022`.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mpower {

// The pattern of a resource's name: `{parent_collection}/{parent_id}/`
// (when it has a parent) followed by `{collection}/{id}`.
struct NamePattern {
  absl::string_view parent_collection;  // "" for a top-level resource
  absl::string_view collection;         // e.g. "commitments"
  absl::string_view singular;           // e.g. "commitment", for messages

  // e.g. "partners/{partner}/commitments/{commitment}".
  std::string Describe() const;
};

inline constexpr NamePattern kPartnerName{"", "partners", "partner"};
inline constexpr NamePattern kInitiativeName{"", "initiatives", "initiative"};
inline constexpr NamePattern kCommitmentName{"partners", "commitments", "commitment"};
inline constexpr NamePattern kAlertName{"", "alerts", "alert"};
inline constexpr NamePattern kResponseName{"alerts", "responses", "response"};
inline constexpr NamePattern kSubscriptionName{"partners", "subscriptions", "subscription"};
inline constexpr NamePattern kEncryptionKeyName{"partners", "encryptionKeys", "encryption_key"};

// The collection-level wildcard of AIP-159, as in `partners/-`.
inline constexpr absl::string_view kWildcardId = "-";

// True if `id` is 1 to 63 lowercase ASCII letters, digits and hyphens,
// starts with a letter and does not end with a hyphen.
bool IsValidResourceId(absl::string_view id);

// A fresh id that satisfies IsValidResourceId: time-ordered (ids made
// later sort later), then random. Thread-safe.
std::string GenerateResourceId();

// True if `id` has the form GenerateResourceId gives: "a", eight base-36
// digits, then fifteen more (24 lowercase letters and digits). A client
// may make such an id itself (for an alert whose details it seals to the
// alert's name); its 77 random bits are what keep it from being guessed.
bool IsGeneratedResourceId(absl::string_view id);

// A name split into its parts.
struct ParsedName {
  std::string parent;  // e.g. "partners/us-dol-ilab"; "" for top level
  std::string id;      // the last segment
};

// Parses `name` against `pattern`. INVALID_ARGUMENT naming `field` and the
// expected form if it does not match. The bad value is not echoed: it may
// be long, binary or sensitive.
absl::StatusOr<ParsedName> ParseName(absl::string_view name, const NamePattern& pattern,
                                     absl::string_view field);

// Parses the parent of a collection: `{parent_collection}/{id}`, or with
// `allow_wildcard` also `{parent_collection}/-`.
absl::StatusOr<std::string> ParseParent(absl::string_view parent, const NamePattern& pattern,
                                        bool allow_wildcard, absl::string_view field);

// Joins a parent ("" for none), a collection and an id into a name.
std::string MakeName(absl::string_view parent, const NamePattern& pattern, absl::string_view id);

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_NAMES_H_
