#ifndef MPOWER_SERVER_STORAGE_POSTGRES_ROWS_H_
#define MPOWER_SERVER_STORAGE_POSTGRES_ROWS_H_

// How the store's records map to and from PostgreSQL rows: the column lists
// every query selects, and the functions that read a row of them back,
// opening sealed data with the keyring.

#include <vector>

#include "absl/status/statusor.h"
#include "server/storage/keyring.h"
#include "server/storage/postgres/connection.h"
#include "server/storage/store.h"

namespace mpower::postgres {

#define MPOWER_PG_RESOURCE_COLUMNS                                            \
  "name, collection, parent, external_id, create_revision, update_revision, " \
  "deleted, data, protected_data, protected_key_id "

#define MPOWER_PG_SELECT_RESOURCES "SELECT " MPOWER_PG_RESOURCE_COLUMNS "FROM resources "

// ReadResource's columns, then kind.
#define MPOWER_PG_SELECT_CHANGES                                                    \
  "SELECT name, collection, parent, '', create_revision, revision, deleted, data, " \
  "protected_data, protected_key_id, kind FROM changes "

#define MPOWER_PG_SELECT_CREDENTIALS \
  "SELECT id, data, secret_hash, certificate_subject FROM credentials "

#define MPOWER_PG_SELECT_AUDIT                                                             \
  "SELECT sequence, unix_micros, principal, method, resource, request_id, previous_hash, " \
  "hash, reason FROM audit_log "

absl::StatusOr<StoredResource> ReadResource(const Result& result, int row, const Keyring& keyring);
absl::StatusOr<std::vector<StoredResource>> ReadResources(const Result& result,
                                                          const Keyring& keyring);
absl::StatusOr<std::vector<ChangeRecord>> ReadChanges(const Result& result, const Keyring& keyring);
std::vector<CredentialRecord> ReadCredentials(const Result& result);
std::vector<AuditRecord> ReadAudit(const Result& result);

// The one bigint a one-row query of `sql` returns; DATA_LOSS if no row.
absl::StatusOr<int64_t> ReadCounter(Connection& connection, const char* sql);

// Adds `resource`'s protected part, sealed, and its key id as two
// parameters; NULLs when it has none.
absl::Status AddSealed(Params& params, const Keyring& keyring, const StoredResource& resource);

}  // namespace mpower::postgres

#endif  // MPOWER_SERVER_STORAGE_POSTGRES_ROWS_H_
