#ifndef MPOWER_SERVER_CORE_RESPONSE_RULES_H_
#define MPOWER_SERVER_CORE_RESPONSE_RULES_H_

#include "absl/strings/string_view.h"
#include "mpower/v1/response.pb.h"
#include "server/core/resource_manager.h"
#include "server/core/resource_traits_defaults.h"

namespace mpower {

template <>
struct ResourceTraits<v1::Response> : ResourceTraitsDefaults {
  static constexpr const NamePattern& kName = kResponseName;
  static constexpr bool kSoftDelete = false;
  static constexpr bool kServerAssignsIds = true;
  static constexpr absl::string_view kField = "response";
  static constexpr absl::string_view kIndexedFields[] = {"responding_partner", "action"};
  static const std::vector<std::string>& MutableFields();
  static const std::vector<std::string>& CreateOnlyFields();
  static const std::vector<std::string>& FilterableFields();
  // An unset action_time becomes now.
  static void ApplyDefaults(v1::Response& response);
  static void Validate(const v1::Response& response, FieldViolations& violations);
  static absl::Status CheckReferences(WriteTransaction& txn, const v1::Response& response);
  static absl::Status CheckCreate(const Principal& caller, absl::string_view parent,
                                  const v1::Response& resource, Store& store);
  static absl::Status CheckWrite(const Principal& caller, const v1::Response& existing,
                                 WriteKind kind);
  // A response is as visible as the alert it answers.
  static constexpr bool kReadsRestricted = true;
  static absl::StatusOr<bool> CanRead(const Principal& caller, const v1::Response& response,
                                      Store& store);
  static std::vector<std::string> References(const v1::Response& response);
  // A response's note is sealed at rest (it tells what was done for whom);
  // whoever may read the response reads it as before.
  static std::string TakeProtected(v1::Response& response);
  static absl::Status RestoreProtected(v1::Response& response, const std::string& data);
};

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_RESPONSE_RULES_H_
