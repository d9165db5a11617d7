#include "server/storage/postgres/rows.h"

#include "server/base/status_macros.h"

namespace mpower::postgres {

absl::StatusOr<StoredResource> ReadResource(const Result& result, int row, const Keyring& keyring) {
  StoredResource resource;
  resource.name = result.Bytes(row, 0);
  resource.collection = result.Bytes(row, 1);
  resource.parent = result.Bytes(row, 2);
  if (!result.IsNull(row, 3)) resource.external_id = result.Bytes(row, 3);
  resource.create_revision = result.Int64(row, 4);
  resource.update_revision = result.Int64(row, 5);
  resource.deleted = result.Bool(row, 6);
  resource.data = result.Bytes(row, 7);
  if (!result.IsNull(row, 8)) {
    MPOWER_ASSIGN_OR_RETURN(
        OpenedData opened,
        keyring.Open(SealedData{result.Bytes(row, 9), result.Bytes(row, 8)}, resource.name));
    resource.protected_data = std::move(opened.plaintext);
    resource.erasable = opened.erasable;
    resource.erased = opened.erased;
  }
  return resource;
}

absl::StatusOr<std::vector<StoredResource>> ReadResources(const Result& result,
                                                          const Keyring& keyring) {
  std::vector<StoredResource> resources;
  resources.reserve(result.rows());
  for (int row = 0; row < result.rows(); ++row) {
    MPOWER_ASSIGN_OR_RETURN(StoredResource resource, ReadResource(result, row, keyring));
    resources.push_back(std::move(resource));
  }
  return resources;
}

absl::StatusOr<std::vector<ChangeRecord>> ReadChanges(const Result& result,
                                                      const Keyring& keyring) {
  std::vector<ChangeRecord> changes;
  changes.reserve(result.rows());
  for (int row = 0; row < result.rows(); ++row) {
    ChangeRecord record;
    MPOWER_ASSIGN_OR_RETURN(record.resource, ReadResource(result, row, keyring));
    record.revision = record.resource.update_revision;
    record.kind = static_cast<ChangeRecord::Kind>(result.Int64(row, 10));
    changes.push_back(std::move(record));
  }
  return changes;
}

std::vector<CredentialRecord> ReadCredentials(const Result& result) {
  std::vector<CredentialRecord> credentials;
  for (int row = 0; row < result.rows(); ++row) {
    credentials.push_back(CredentialRecord{result.Bytes(row, 0), result.Bytes(row, 1),
                                           result.IsNull(row, 2) ? "" : result.Bytes(row, 2),
                                           result.IsNull(row, 3) ? "" : result.Bytes(row, 3)});
  }
  return credentials;
}

std::vector<AuditRecord> ReadAudit(const Result& result) {
  std::vector<AuditRecord> records;
  for (int row = 0; row < result.rows(); ++row) {
    AuditRecord record;
    record.sequence = result.Int64(row, 0);
    record.unix_micros = result.Int64(row, 1);
    record.principal = result.Bytes(row, 2);
    record.method = result.Bytes(row, 3);
    record.resource = result.Bytes(row, 4);
    record.request_id = result.Bytes(row, 5);
    record.previous_hash = result.Bytes(row, 6);
    record.hash = result.Bytes(row, 7);
    record.reason = result.Bytes(row, 8);
    records.push_back(std::move(record));
  }
  return records;
}

absl::StatusOr<int64_t> ReadCounter(Connection& connection, const char* sql) {
  MPOWER_ASSIGN_OR_RETURN(auto result, connection.Query(sql, "reading a counter"));
  if (result->rows() != 1) return absl::DataLossError("the database has lost a counter");
  return result->Int64(0, 0);
}

absl::Status AddSealed(Params& params, const Keyring& keyring, const StoredResource& resource) {
  if (resource.protected_data.empty()) {
    params.Null().Null();
    return absl::OkStatus();
  }
  // The seal is bound to the name, so a blob moved to another row does not
  // open.
  MPOWER_ASSIGN_OR_RETURN(const SealedData sealed,
                          keyring.Seal(resource.protected_data, resource.name, resource.erasable));
  params.Bytes(sealed.blob).Text(sealed.key_id);
  return absl::OkStatus();
}

}  // namespace mpower::postgres
