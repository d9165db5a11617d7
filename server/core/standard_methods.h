#ifndef MPOWER_SERVER_CORE_STANDARD_METHODS_H_
#define MPOWER_SERVER_CORE_STANDARD_METHODS_H_

// The parts of the standard methods (resource_manager.h) that do not
// depend on the resource's type, compiled once.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/message.h"
#include "server/core/access.h"
#include "server/core/field_violations.h"
#include "server/storage/store.h"

namespace mpower {

// The page size a List serves for `requested` (0: the default; capped at
// the maximum). INVALID_ARGUMENT for a negative one.
absl::StatusOr<int32_t> EffectivePageSize(int32_t requested);

// The fingerprint a List's page tokens are bound to: the same collection,
// parent, filter and deletion view, or the token is refused.
std::string ListFingerprint(absl::string_view collection, absl::string_view parent,
                            absl::string_view filter, bool show_deleted);

// Checks the id a create asks for in `id_field` (e.g. "alert_id"), filling
// in a generated one where the server assigns ids and none was given.
void CheckNewResourceId(const Principal& caller, absl::string_view id_field,
                        bool only_admins_choose_ids, bool server_assigns_ids, std::string& id,
                        FieldViolations& violations);

// The paths an update changes: every mutable field for an empty mask or
// "*", else the mask's, each of which must be mutable (INVALID_ARGUMENT
// naming update_mask.paths[i] otherwise).
absl::StatusOr<google::protobuf::FieldMask> CheckUpdateMask(
    const google::protobuf::FieldMask& mask, const std::vector<std::string>& mutable_fields);

// NOT_FOUND for `name`, a `singular` ("alert").
absl::Status ResourceNotFound(absl::string_view singular, absl::string_view name);

// For a resource the caller cannot see, or that does not exist: where
// some readers may not see some resources (`reads_restricted`), the two
// must look the same, or the answer would tell who is at risk where.
absl::Status ResourceNotVisible(bool reads_restricted, const Principal& caller,
                                absl::string_view singular, absl::string_view name);

// ABORTED unless `etag` is empty or the etag of a resource last changed at
// `update_revision`.
absl::Status CheckEtag(absl::string_view etag, int64_t update_revision, absl::string_view name);

// ALREADY_EXISTS (naming `field`.external_id) if another resource than
// `name` of `collection` under `parent` holds `external_id`.
absl::Status CheckExternalIdFree(WriteTransaction& txn, absl::string_view collection,
                                 absl::string_view field, absl::string_view parent,
                                 absl::string_view external_id, absl::string_view name);

// Clears every field of `message` whose index `settable` does not mark,
// and its unknown fields.
void KeepOnlyFields(google::protobuf::Message& message, const std::vector<bool>& settable);

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_STANDARD_METHODS_H_
