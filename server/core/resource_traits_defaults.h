#ifndef MPOWER_SERVER_CORE_RESOURCE_TRAITS_DEFAULTS_H_
#define MPOWER_SERVER_CORE_RESOURCE_TRAITS_DEFAULTS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace mpower {

// What most resources share; ResourceTraits specializations inherit it and
// override what differs (see resource_manager.h).
struct ResourceTraitsDefaults {
  static const std::vector<std::string>& CreateOnlyFields() {
    static const std::vector<std::string> kNone;
    return kNone;
  }
  template <typename T>
  static std::string ExternalId(const T&) {
    return "";
  }
  template <typename T>
  static absl::Status Derive(T&) {
    return absl::OkStatus();
  }
  // Resources without a protected part store none.
  template <typename T>
  static std::string TakeProtected(T&) {
    return "";
  }
  template <typename T>
  static absl::Status RestoreProtected(T&, const std::string& data) {
    if (data.empty()) return absl::OkStatus();
    return absl::DataLossError("a resource without protected details has some stored");
  }
};

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_RESOURCE_TRAITS_DEFAULTS_H_
