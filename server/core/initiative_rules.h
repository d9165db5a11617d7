#ifndef MPOWER_SERVER_CORE_INITIATIVE_RULES_H_
#define MPOWER_SERVER_CORE_INITIATIVE_RULES_H_

#include "absl/strings/string_view.h"
#include "mpower/v1/initiative.pb.h"
#include "server/core/resource_manager.h"
#include "server/core/resource_traits_defaults.h"

namespace mpower {

template <>
struct ResourceTraits<v1::Initiative> : ResourceTraitsDefaults {
  static constexpr const NamePattern& kName = kInitiativeName;
  static constexpr bool kSoftDelete = false;
  static constexpr bool kServerAssignsIds = false;
  static constexpr absl::string_view kField = "initiative";
  // Indexed by storage, so a List filtered by country reads only matches.
  static constexpr absl::string_view kIndexedFields[] = {"country_codes", "status"};
  static const std::vector<std::string>& MutableFields();
  static const std::vector<std::string>& FilterableFields();
  static void ApplyDefaults(v1::Initiative&) {}
  static void Validate(const v1::Initiative& initiative, FieldViolations& violations);
  static absl::Status CheckReferences(WriteTransaction& txn, const v1::Initiative& initiative);
  static absl::Status CheckCreate(const Principal& caller, absl::string_view parent,
                                  const v1::Initiative& resource, Store& store);
  static absl::Status CheckWrite(const Principal& caller, const v1::Initiative& existing,
                                 WriteKind kind);
  static std::vector<std::string> References(const v1::Initiative& initiative);
};

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_INITIATIVE_RULES_H_
