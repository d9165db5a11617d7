#include "server/core/response_rules.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/base/status_macros.h"
#include "server/core/reference_checks.h"
#include "server/core/resource_codec.h"
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
  static const std::vector<std::string> kFields = {"responding_partner", "action", "action_time"};
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

namespace {

// Whether `caller` may read the alert `name`; false if it does not exist.
absl::StatusOr<bool> CanReadAlertNamed(const Principal& caller, absl::string_view name,
                                       Store& store) {
  absl::StatusOr<std::optional<StoredResource>> stored = store.Get(name);
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) return false;
  v1::Alert alert;
  if (!alert.ParseFromString((*stored)->data)) {
    return absl::DataLossError(absl::StrCat("stored ", name, " is unreadable"));
  }
  return CanReadAlert(caller, alert);
}

}  // namespace

absl::Status ResourceTraits<Response>::CheckCreate(const Principal& caller,
                                                   absl::string_view parent,
                                                   const Response& response, Store& store) {
  MPOWER_RETURN_IF_ERROR(RequireReader(caller));
  if (!IsAdmin(caller)) {
    MPOWER_ASSIGN_OR_RETURN(bool readable, CanReadAlertNamed(caller, parent, store));
    if (!readable) {
      return absl::PermissionDeniedError(
          absl::StrCat("you may not read ", parent, ", or it does not exist"));
    }
  }
  return RequireEditorOf(caller, response.responding_partner(),
                         absl::StrCat("responses in the name of ", response.responding_partner()));
}

absl::Status ResourceTraits<Response>::CheckWrite(const Principal& caller, const Response& existing,
                                                  WriteKind) {
  return RequireEditorOf(caller, existing.responding_partner(),
                         absl::StrCat("responses recorded by ", existing.responding_partner()));
}

absl::StatusOr<bool> ResourceTraits<Response>::CanRead(const Principal& caller,
                                                       const Response& response, Store& store) {
  if (IsAdmin(caller)) return true;
  absl::StatusOr<ParsedName> name = ParseName(response.name(), kResponseName, "name");
  if (!name.ok()) return name.status();
  return CanReadAlertNamed(caller, name->parent, store);
}

std::string ResourceTraits<Response>::TakeProtected(Response& response) {
  Response sealed;
  sealed.mutable_note()->swap(*response.mutable_note());
  return SealedPart(sealed);
}

absl::Status ResourceTraits<Response>::RestoreProtected(Response& response,
                                                        const std::string& data) {
  if (data.empty()) return absl::OkStatus();
  Response sealed;
  if (!OpenSealedPart(data, sealed)) {
    return absl::DataLossError(
        absl::StrCat("the stored note of ", response.name(), " is unreadable"));
  }
  response.MergeFrom(sealed);
  return absl::OkStatus();
}

}  // namespace mpower
