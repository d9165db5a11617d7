#ifndef MPOWER_SERVER_STORAGE_SQLITE_ROWS_H_
#define MPOWER_SERVER_STORAGE_SQLITE_ROWS_H_

// How the store's records map to and from SQLite rows: the column lists
// every query selects, and the functions that read a row of them back.
// Protected data is sealed with the keyring on the way in and opened on
// the way out, bound to the resource's name.

#include "absl/status/statusor.h"
#include "server/storage/keyring.h"
#include "server/storage/sqlite/database.h"
#include "server/storage/store.h"

namespace mpower::sqlite {

// The columns ReadResource reads, from `resources`.
#define MPOWER_SELECT_RESOURCES                                                      \
  "SELECT name, collection, parent, external_id, create_revision, update_revision, " \
  "deleted, data, protected_data, protected_key_id FROM resources "

// The same columns, for resources joined from the term index as `t`.
#define MPOWER_SELECT_INDEXED_RESOURCES                                         \
  "SELECT r.name, r.collection, r.parent, r.external_id, r.create_revision, "   \
  "r.update_revision, r.deleted, r.data, r.protected_data, r.protected_key_id " \
  "FROM resource_terms t JOIN resources r ON r.name = t.name "

// The columns ReadChange reads, from `changes`: ReadResource's, then kind.
#define MPOWER_SELECT_CHANGES                                                       \
  "SELECT name, collection, parent, '', create_revision, revision, deleted, data, " \
  "protected_data, protected_key_id, kind FROM changes "

#define MPOWER_SELECT_CREDENTIALS \
  "SELECT id, data, secret_hash, certificate_subject FROM credentials "

#define MPOWER_SELECT_AUDIT                                                                \
  "SELECT sequence, unix_micros, principal, method, resource, request_id, previous_hash, " \
  "hash, reason FROM audit_log "

// Reads a row of MPOWER_SELECT_RESOURCES (or the first columns of
// MPOWER_SELECT_CHANGES), opening its protected part.
absl::StatusOr<StoredResource> ReadResource(const Statement& row, const Keyring& keyring);
// Reads a row of MPOWER_SELECT_CHANGES.
absl::StatusOr<ChangeRecord> ReadChange(const Statement& row, const Keyring& keyring);
absl::StatusOr<CredentialRecord> ReadCredential(const Statement& row);
absl::StatusOr<AuditRecord> ReadAudit(const Statement& row);

// Binds `resource`'s protected part, sealed, at `index` and its key id at
// `index + 1`; NULLs when it has none.
absl::Status BindSealed(Statement& statement, int index, const Keyring& keyring,
                        const StoredResource& resource);

// The resource named `name` as `db` sees it; nullopt if there is none.
absl::StatusOr<std::optional<StoredResource>> GetResource(Database& db, const Keyring& keyring,
                                                          absl::string_view name);

}  // namespace mpower::sqlite

#endif  // MPOWER_SERVER_STORAGE_SQLITE_ROWS_H_
