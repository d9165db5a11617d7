#include "server/storage/sqlite/rows.h"

#include "server/base/status_macros.h"

namespace mpower::sqlite {

absl::StatusOr<StoredResource> ReadResource(const Statement& row, const Keyring& keyring) {
  StoredResource resource;
  resource.name = row.ColumnText(0);
  resource.collection = row.ColumnText(1);
  resource.parent = row.ColumnText(2);
  resource.external_id = row.ColumnText(3);
  resource.create_revision = row.ColumnInt64(4);
  resource.update_revision = row.ColumnInt64(5);
  resource.deleted = row.ColumnInt64(6) != 0;
  resource.data = row.ColumnBlob(7);
  if (!row.ColumnIsNull(8)) {
    MPOWER_ASSIGN_OR_RETURN(
        OpenedData opened,
        keyring.Open(SealedData{row.ColumnText(9), row.ColumnBlob(8)}, resource.name));
    resource.protected_data = std::move(opened.plaintext);
    resource.erasable = opened.erasable;
    resource.erased = opened.erased;
  }
  return resource;
}

absl::StatusOr<ChangeRecord> ReadChange(const Statement& row, const Keyring& keyring) {
  ChangeRecord record;
  MPOWER_ASSIGN_OR_RETURN(record.resource, ReadResource(row, keyring));
  record.revision = record.resource.update_revision;
  record.kind = static_cast<ChangeRecord::Kind>(row.ColumnInt64(10));
  return record;
}

absl::StatusOr<CredentialRecord> ReadCredential(const Statement& row) {
  return CredentialRecord{row.ColumnText(0), row.ColumnBlob(1), row.ColumnText(2),
                          row.ColumnText(3)};
}

absl::StatusOr<AuditRecord> ReadAudit(const Statement& row) {
  AuditRecord record;
  record.sequence = row.ColumnInt64(0);
  record.unix_micros = row.ColumnInt64(1);
  record.principal = row.ColumnText(2);
  record.method = row.ColumnText(3);
  record.resource = row.ColumnText(4);
  record.request_id = row.ColumnText(5);
  record.previous_hash = row.ColumnText(6);
  record.hash = row.ColumnText(7);
  record.reason = row.ColumnText(8);
  return record;
}

absl::Status BindSealed(Statement& statement, int index, const Keyring& keyring,
                        const StoredResource& resource) {
  if (resource.protected_data.empty()) {
    statement.BindNull(index);
    statement.BindNull(index + 1);
    return absl::OkStatus();
  }
  // The seal is bound to the name, so a blob moved to another row does not
  // open.
  MPOWER_ASSIGN_OR_RETURN(const SealedData sealed,
                          keyring.Seal(resource.protected_data, resource.name, resource.erasable));
  statement.BindBlob(index, sealed.blob);
  statement.BindText(index + 1, sealed.key_id);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<StoredResource>> GetResource(Database& db, const Keyring& keyring,
                                                          absl::string_view name) {
  MPOWER_ASSIGN_OR_RETURN(auto statement, db.Prepare(MPOWER_SELECT_RESOURCES "WHERE name = ?"));
  statement->BindText(1, name);
  return ReadOneRow<StoredResource>(
      *statement, [&](const Statement& row) { return ReadResource(row, keyring); });
}

}  // namespace mpower::sqlite
