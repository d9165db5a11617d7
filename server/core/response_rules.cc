#include "server/core/response_rules.h"

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/core/reference_checks.h"
#include "server/core/value_checks.h"

namespace mpower {

using v1::Response;

const std::vector<std::string>& ResourceTraits<Response>::MutableFields() {
  static const std::vector<std::string> kFields = {"action", "note", "action_time"};
  return kFields;
}

const std::vector<std::string>& ResourceTraits<Response>::CreateOnlyFields() {
  static const std::vector<std::string> kFields = {"responding_partner"};
  return kFields;
}

const std::vector<std::string>& ResourceTraits<Response>::FilterableFields() {
  static const std::vector<std::string> kFields = {"responding_partner", "action",
                                                   "action_time"};
  return kFields;
}

void ResourceTraits<Response>::ApplyDefaults(Response& response) {
  if (!response.has_action_time()) {
    response.mutable_action_time()->set_seconds(absl::ToUnixSeconds(absl::Now()));
  }
}

void ResourceTraits<Response>::Validate(const Response& response, FieldViolations& violations) {
  if (response.responding_partner().empty()) {
    violations.Add("response.responding_partner", "required; give partners/{partner}");
  }
  CheckNameFormat(violations, "response.responding_partner", response.responding_partner(),
                  kPartnerName);
  CheckEnum(violations, "response.action", response.action(), Response::Action_descriptor(),
            Presence::kRequired);
  CheckText(violations, "response.note", response.note(), 4000, Presence::kOptional);
  if (response.has_action_time()) {
    CheckTimestamp(violations, "response.action_time", response.action_time());
  }
}

absl::Status ResourceTraits<Response>::CheckReferences(WriteTransaction& txn,
                                                       const Response& response) {
  return CheckExists(txn, "response.responding_partner", response.responding_partner());
}

std::vector<std::string> ResourceTraits<Response>::References(const Response& response) {
  return {response.responding_partner()};
}

}  // namespace mpower
