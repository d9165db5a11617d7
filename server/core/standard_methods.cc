#include "server/core/standard_methods.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/base/status_macros.h"
#include "server/core/error_details.h"
#include "server/core/names.h"
#include "server/core/page.h"
#include "server/core/page_token.h"
#include "server/core/resource_codec.h"

namespace mpower {

absl::StatusOr<int32_t> EffectivePageSize(int32_t requested) {
  if (requested < 0) return absl::InvalidArgumentError("page_size: must not be negative");
  return requested == 0 ? kDefaultPageSize : std::min(requested, kMaxPageSize);
}

std::string ListFingerprint(absl::string_view collection, absl::string_view parent,
                            absl::string_view filter, bool show_deleted) {
  return Fingerprint(absl::StrCat(collection, "\n", parent, "\n", filter, "\n",
                                  show_deleted ? "deleted" : "live"));
}

void CheckNewResourceId(const Principal& caller, absl::string_view id_field,
                        bool only_admins_choose_ids, bool server_assigns_ids, std::string& id,
                        FieldViolations& violations) {
  // Anyone may give an id made as the server makes them: its random part
  // cannot be guessed, so a taken one tells nobody of an alert they could
  // not name already. Other ids are the secretariat's to choose.
  if (!id.empty() && only_admins_choose_ids && !IsAdmin(caller) && !IsGeneratedResourceId(id)) {
    violations.Add(id_field,
                   "only the secretariat chooses such ids; leave it empty and the server "
                   "assigns one (request_id makes retries safe), or make one as the server "
                   "does: \"a\", then 8 base-36 digits of the time in milliseconds, then 15 "
                   "random base-36 digits");
  } else if (id.empty() && server_assigns_ids) {
    id = GenerateResourceId();
  } else if (id.empty()) {
    violations.Add(id_field,
                   "required; 1 to 63 lowercase letters, digits and hyphens, "
                   "starting with a letter");
  } else if (!IsValidResourceId(id)) {
    violations.Add(id_field,
                   "must be 1 to 63 lowercase letters, digits and hyphens, "
                   "starting with a letter and not ending with a hyphen");
  }
}

absl::StatusOr<google::protobuf::FieldMask> CheckUpdateMask(
    const google::protobuf::FieldMask& mask, const std::vector<std::string>& mutable_fields) {
  google::protobuf::FieldMask paths;
  if (mask.paths().empty() || (mask.paths_size() == 1 && mask.paths(0) == "*")) {
    for (const std::string& path : mutable_fields) paths.add_paths(path);
    return paths;
  }
  FieldViolations violations;
  for (int i = 0; i < mask.paths_size(); ++i) {
    if (std::find(mutable_fields.begin(), mutable_fields.end(), mask.paths(i)) ==
        mutable_fields.end()) {
      violations.Add(absl::StrCat("update_mask.paths[", i, "]"),
                     absl::StrCat("cannot update this field; fields you can update: ",
                                  absl::StrJoin(mutable_fields, ", ")));
    }
    paths.add_paths(mask.paths(i));
  }
  MPOWER_RETURN_IF_ERROR(violations.ToStatus());
  return paths;
}

absl::Status ResourceNotFound(absl::string_view singular, absl::string_view name) {
  return absl::NotFoundError(absl::StrCat(singular, " ", name, " not found"));
}

absl::Status ResourceNotVisible(bool reads_restricted, const Principal& caller,
                                absl::string_view singular, absl::string_view name) {
  if (!reads_restricted || IsAdmin(caller)) return ResourceNotFound(singular, name);
  return absl::PermissionDeniedError(
      absl::StrCat("you may not read ", name, ", or it does not exist"));
}

absl::Status CheckEtag(absl::string_view etag, int64_t update_revision, absl::string_view name) {
  if (etag.empty() || etag == EtagOf(update_revision)) return absl::OkStatus();
  return WithReason(
      WithPreconditionFailure(
          absl::AbortedError(absl::StrCat(
              "etag: ", name, " has changed since it was read; get it again and retry")),
          "ETAG", name, "the etag sent is no longer the resource's; get it again and retry"),
      "ETAG_MISMATCH");
}

absl::Status CheckExternalIdFree(WriteTransaction& txn, absl::string_view collection,
                                 absl::string_view field, absl::string_view parent,
                                 absl::string_view external_id, absl::string_view name) {
  if (external_id.empty()) return absl::OkStatus();
  MPOWER_ASSIGN_OR_RETURN(std::optional<StoredResource> holder,
                          txn.FindByExternalId(collection, parent, external_id));
  if (holder.has_value() && holder->name != name) {
    return absl::AlreadyExistsError(
        absl::StrCat(field, ".external_id: already used by ", holder->name,
                     "; each external id may be used once per partner"));
  }
  return absl::OkStatus();
}

void KeepOnlyFields(google::protobuf::Message& message, const std::vector<bool>& settable) {
  const google::protobuf::Reflection& reflection = *message.GetReflection();
  reflection.MutableUnknownFields(&message)->Clear();
  const google::protobuf::Descriptor& descriptor = *message.GetDescriptor();
  for (int i = 0; i < descriptor.field_count(); ++i) {
    if (!settable[i]) reflection.ClearField(&message, descriptor.field(i));
  }
}

}  // namespace mpower
