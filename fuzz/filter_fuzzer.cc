// The filter parser and evaluator, on every resource's allow-list: any text
// either parses or is refused with INVALID_ARGUMENT, and a parsed filter
// evaluates on a populated resource without crashing.

#include <cstddef>
#include <cstdint>
#include <string>

#include "google/protobuf/text_format.h"
#include "server/core/alert_rules.h"
#include "server/core/commitment_rules.h"
#include "server/core/filter.h"
#include "server/core/initiative_rules.h"
#include "server/core/partner_rules.h"

namespace {

template <typename T>
void ParseAndMatch(const std::string& text, const char* sample) {
  absl::StatusOr<mpower::Filter> filter =
      mpower::Filter::Parse(text, T::descriptor(), mpower::ResourceTraits<T>::FilterableFields());
  if (!filter.ok()) {
    if (filter.status().code() != absl::StatusCode::kInvalidArgument) __builtin_trap();
    return;
  }
  static const T resource = [&] {
    T parsed;
    google::protobuf::TextFormat::ParseFromString(sample, &parsed);
    return parsed;
  }();
  (void)filter->Matches(resource);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  ParseAndMatch<mpower::v1::Commitment>(
      text, R"(kind: KIND_FUNDING status: STATUS_FULFILLED country_codes: ["ID", "MY"]
               amount { currency_code: "USD" units: 5 } start_date { year: 2018 month: 1 day: 1 })");
  ParseAndMatch<mpower::v1::Alert>(
      text, R"(country_code: "ID" severity: SEVERITY_SEVERE create_time { seconds: 1767225600 }
               recipient_partners: "partners/ilo")");
  ParseAndMatch<mpower::v1::Partner>(text, R"(type: TYPE_TRADE_UNION country_code: "ID")");
  ParseAndMatch<mpower::v1::Initiative>(text,
                                        R"(status: STATUS_IMPLEMENTATION country_codes: "JO")");
  return 0;
}
