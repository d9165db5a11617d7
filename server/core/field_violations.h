#ifndef MPOWER_SERVER_CORE_FIELD_VIOLATIONS_H_
#define MPOWER_SERVER_CORE_FIELD_VIOLATIONS_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace mpower {

// Collects every problem with a request so that one INVALID_ARGUMENT names
// all the offending fields at once, as Google's BadRequest does. Not
// thread-safe. Descriptions must never quote protected alert details.
class FieldViolations {
 public:
  struct Violation {
    std::string field;        // e.g. "commitment.amount.currency_code"
    std::string description;  // what is wrong and how to fix it
  };

  void Add(absl::string_view field, absl::string_view description);
  bool empty() const { return violations_.empty(); }
  const std::vector<Violation>& violations() const { return violations_; }

  // OK when nothing was added; otherwise INVALID_ARGUMENT whose message
  // lists each violation as "field: description", joined by "; ", with
  // the same violations as a google.rpc.BadRequest detail.
  absl::Status ToStatus() const;

 private:
  std::vector<Violation> violations_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_FIELD_VIOLATIONS_H_
