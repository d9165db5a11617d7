#ifndef MPOWER_SERVER_CORE_FILTER_H_
#define MPOWER_SERVER_CORE_FILTER_H_

// A small, documented subset of AIP-160 filtering:
//
//   expression  := factor { "AND" factor }
//   factor      := term { "OR" term }          (OR binds tighter, as AIP-160)
//   term        := [ "NOT" | "-" ] simple
//   simple      := "(" expression ")" | field comparator value
//   comparator  := "=" | "!=" | "<" | "<=" | ">" | ">=" | ":"
//   value       := "quoted string" | bare word (enum value, number, true, false)
//
// Fields are dotted paths (`amount.currency_code`) from a per-resource
// allow-list. Enum values may be written in full (STATUS_OPEN) or without
// their prefix (OPEN). Repeated fields take ":" ("has"): `country_codes:"ID"`.
// Timestamps compare with RFC 3339 strings.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace mpower {

// Bounds that keep a hostile filter cheap to parse and evaluate.
inline constexpr size_t kMaxFilterLength = 2000;
inline constexpr int kMaxFilterComparisons = 50;
inline constexpr int kMaxFilterDepth = 16;

// A parsed, type-checked filter. Immutable and thread-safe once built.
class Filter {
 public:
  struct Node;  // the expression tree, defined in filter.cc

  // Parses `text` for messages of type `descriptor`, allowing only the
  // dotted field paths in `allowed_fields`. An empty text matches
  // everything. INVALID_ARGUMENT naming the problem (and, for an unknown
  // field, the fields allowed) otherwise.
  static absl::StatusOr<Filter> Parse(absl::string_view text,
                                      const google::protobuf::Descriptor* descriptor,
                                      const std::vector<std::string>& allowed_fields);

  // True if `message` (of the descriptor given to Parse) satisfies the
  // filter.
  bool Matches(const google::protobuf::Message& message) const;

  bool matches_everything() const { return root_ == nullptr; }

  // A value `field` must equal (or, for a repeated field, hold) for any
  // message to match, as text: a string itself, an enum value its number.
  // From a comparison `field = v` or `field:v` that is the whole filter or
  // one operand of its top-level AND. Empty if the filter requires no such
  // value. Lets storage use an index.
  std::string RequiredValue(absl::string_view field) const;

 private:
  std::shared_ptr<const Node> root_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_FILTER_H_
