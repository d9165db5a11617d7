// SqliteStore's reads beside resources: credentials, the change history and
// the audit trail, each on a pooled reader connection.

#include "absl/strings/str_cat.h"
#include "server/base/status_macros.h"
#include "server/storage/history.h"
#include "server/storage/sqlite/rows.h"
#include "server/storage/sqlite/schema.h"
#include "server/storage/sqlite/sqlite_store.h"

namespace mpower {

using sqlite::ReadCredential;
using sqlite::ReadOneRow;
using sqlite::ReadRows;

absl::StatusOr<std::optional<CredentialRecord>> SqliteStore::GetCredential(absl::string_view id) {
  MPOWER_ASSIGN_OR_RETURN(sqlite::ReaderPool::Lease reader, readers_.Acquire());
  MPOWER_ASSIGN_OR_RETURN(auto statement,
                          reader->Prepare(MPOWER_SELECT_CREDENTIALS "WHERE id = ?"));
  statement->BindText(1, id);
  return ReadOneRow<CredentialRecord>(*statement, ReadCredential);
}

absl::StatusOr<std::optional<CredentialRecord>> SqliteStore::FindCredentialBySecretHash(
    absl::string_view secret_hash) {
  MPOWER_ASSIGN_OR_RETURN(sqlite::ReaderPool::Lease reader, readers_.Acquire());
  MPOWER_ASSIGN_OR_RETURN(auto statement,
                          reader->Prepare(MPOWER_SELECT_CREDENTIALS "WHERE secret_hash = ?"));
  statement->BindText(1, secret_hash);
  return ReadOneRow<CredentialRecord>(*statement, ReadCredential);
}

absl::StatusOr<std::optional<CredentialRecord>> SqliteStore::FindCredentialBySubject(
    absl::string_view subject) {
  MPOWER_ASSIGN_OR_RETURN(sqlite::ReaderPool::Lease reader, readers_.Acquire());
  MPOWER_ASSIGN_OR_RETURN(
      auto statement, reader->Prepare(MPOWER_SELECT_CREDENTIALS "WHERE certificate_subject = ?"));
  statement->BindText(1, subject);
  return ReadOneRow<CredentialRecord>(*statement, ReadCredential);
}

absl::StatusOr<std::vector<CredentialRecord>> SqliteStore::ListCredentials(
    absl::string_view after_id, size_t limit) {
  MPOWER_ASSIGN_OR_RETURN(sqlite::ReaderPool::Lease reader, readers_.Acquire());
  MPOWER_ASSIGN_OR_RETURN(auto statement, reader->Prepare(MPOWER_SELECT_CREDENTIALS
                                                          "WHERE id > ? ORDER BY id LIMIT ?"));
  statement->BindText(1, after_id);
  statement->BindInt64(2, static_cast<int64_t>(limit));
  return ReadRows<CredentialRecord>(*statement, ReadCredential);
}

absl::StatusOr<std::optional<std::string>> SqliteStore::GetDeliveryState(
    absl::string_view subscription) {
  MPOWER_ASSIGN_OR_RETURN(sqlite::ReaderPool::Lease reader, readers_.Acquire());
  MPOWER_ASSIGN_OR_RETURN(
      auto statement, reader->Prepare("SELECT data FROM delivery_states WHERE subscription = ?"));
  statement->BindText(1, subscription);
  MPOWER_ASSIGN_OR_RETURN(bool found, statement->Step());
  if (!found) return std::nullopt;
  return statement->ColumnBlob(0);
}

absl::StatusOr<std::vector<DeliveryStateRecord>> SqliteStore::ListDeliveryStates(
    absl::string_view after, size_t limit) {
  MPOWER_ASSIGN_OR_RETURN(sqlite::ReaderPool::Lease reader, readers_.Acquire());
  MPOWER_ASSIGN_OR_RETURN(auto statement,
                          reader->Prepare("SELECT subscription, data FROM delivery_states "
                                          "WHERE subscription > ? ORDER BY subscription LIMIT ?"));
  statement->BindText(1, after);
  statement->BindInt64(2, static_cast<int64_t>(limit));
  std::vector<DeliveryStateRecord> states;
  while (true) {
    MPOWER_ASSIGN_OR_RETURN(bool found, statement->Step());
    if (!found) return states;
    states.push_back({statement->ColumnText(0), statement->ColumnBlob(1)});
  }
}

absl::StatusOr<int64_t> SqliteStore::CompactedRevision() {
  MPOWER_ASSIGN_OR_RETURN(sqlite::ReaderPool::Lease reader, readers_.Acquire());
  return sqlite::ReadMetadata(*reader, "compacted_revision");
}

absl::StatusOr<std::vector<ChangeRecord>> SqliteStore::ListChanges(int64_t after_revision,
                                                                   absl::string_view after_name,
                                                                   size_t limit) {
  MPOWER_ASSIGN_OR_RETURN(sqlite::ReaderPool::Lease reader, readers_.Acquire());
  // One read transaction: the compaction mark and the rows agree.
  sqlite::Transaction snapshot(*reader);
  MPOWER_RETURN_IF_ERROR(snapshot.Begin(sqlite::Transaction::kRead));
  MPOWER_ASSIGN_OR_RETURN(int64_t compacted, sqlite::ReadMetadata(*reader, "compacted_revision"));
  if (after_revision < compacted) {
    return CompactedHistoryError(after_revision, compacted);
  }
  MPOWER_ASSIGN_OR_RETURN(
      auto statement,
      reader->Prepare(MPOWER_SELECT_CHANGES
                      "WHERE revision > ?1 OR (revision = ?1 AND ?2 != '' AND name > ?2) "
                      "ORDER BY revision, name LIMIT ?3"));
  statement->BindInt64(1, after_revision);
  statement->BindText(2, after_name);
  statement->BindInt64(3, static_cast<int64_t>(limit));
  return ReadRows<ChangeRecord>(
      *statement, [&](const sqlite::Statement& row) { return sqlite::ReadChange(row, keyring_); });
}

absl::StatusOr<std::vector<AuditRecord>> SqliteStore::ListAudit(int64_t after, size_t limit) {
  MPOWER_ASSIGN_OR_RETURN(sqlite::ReaderPool::Lease reader, readers_.Acquire());
  MPOWER_ASSIGN_OR_RETURN(
      auto statement,
      reader->Prepare(MPOWER_SELECT_AUDIT "WHERE sequence > ? ORDER BY sequence LIMIT ?"));
  statement->BindInt64(1, after);
  statement->BindInt64(2, static_cast<int64_t>(limit));
  return ReadRows<AuditRecord>(*statement, sqlite::ReadAudit);
}

absl::StatusOr<int64_t> SqliteStore::DatabaseBytes() {
  MPOWER_ASSIGN_OR_RETURN(sqlite::ReaderPool::Lease reader, readers_.Acquire());
  MPOWER_ASSIGN_OR_RETURN(
      auto statement,
      reader->Prepare(
          "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"));
  MPOWER_ASSIGN_OR_RETURN(bool found, statement->Step());
  if (!found) return absl::InternalError("SQLite did not say how large the database is");
  return statement->ColumnInt64(0);
}

}  // namespace mpower
