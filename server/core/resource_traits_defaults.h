#ifndef MPOWER_SERVER_CORE_RESOURCE_TRAITS_DEFAULTS_H_
#define MPOWER_SERVER_CORE_RESOURCE_TRAITS_DEFAULTS_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "server/core/access.h"
#include "server/storage/store.h"

namespace mpower {

// What most resources share; ResourceTraits specializations inherit it and
// override what differs (see resource_manager.h).
struct ResourceTraitsDefaults {
  // Every reader may read every resource of the type.
  static constexpr bool kReadsRestricted = false;
  // Any creator may choose the id.
  static constexpr bool kOnlyAdminsChooseIds = false;
  // The string or enum fields (singular or repeated) storage indexes the
  // resource by, for List's common filters (index_terms.h); none here.
  static constexpr absl::Span<const absl::string_view> kIndexedFields = {};
  template <typename T>
  static absl::StatusOr<bool> CanRead(const Principal&, const T&, Store&) {
    return true;
  }
  // Nothing to withhold; returns whether protected details were delivered.
  template <typename T>
  static bool Redact(const Principal&, T&) {
    return false;
  }

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
  // Nothing an update must check against the version it replaces or other
  // stored resources, beyond CheckReferences.
  template <typename T>
  static absl::Status CheckUpdate(const Principal&, Store&, WriteTransaction&, const T&, T&) {
    return absl::OkStatus();
  }
  // Whether `name` may be removed for good, beyond what refers to it in
  // storage (which the standard Delete checks itself).
  static absl::Status CheckRemovable(absl::string_view, Store&) { return absl::OkStatus(); }
  // Whether the protected part is sealed under the resource's own data
  // key, so that ResourceManager::Purge can erase every copy of it.
  static constexpr bool kErasable = false;
  // What a version whose protected part was erased (its data key
  // destroyed) shows instead.
  template <typename T>
  static void MarkErased(T&) {}
  // Nothing a change of the resource does makes earlier copies need
  // rewriting (see ResourceManager::Update).
  template <typename T>
  static std::function<absl::StatusOr<bool>(StoredResource&)> RewriteForUpdate(const T&, const T&) {
    return nullptr;
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
