#include "server/storage/sqlite/write_transaction.h"

#include "server/base/status_macros.h"
#include "server/storage/sqlite/rows.h"

namespace mpower::sqlite {

absl::Status InsertTerms(Database& db, absl::string_view collection, absl::string_view name,
                         const std::vector<std::string>& terms) {
  for (const std::string& term : terms) {
    MPOWER_ASSIGN_OR_RETURN(
        auto statement, db.Prepare("INSERT OR IGNORE INTO resource_terms(collection, term, name) "
                                   "VALUES (?, ?, ?)"));
    statement->BindText(1, collection);
    statement->BindText(2, term);
    statement->BindText(3, name);
    MPOWER_RETURN_IF_ERROR(statement->Run());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<StoredResource>> SqliteWriteTransaction::Get(absl::string_view name) {
  return GetResource(db_, keyring_, name);
}

absl::StatusOr<std::optional<StoredResource>> SqliteWriteTransaction::FindByExternalId(
    absl::string_view collection, absl::string_view parent, absl::string_view external_id) {
  MPOWER_ASSIGN_OR_RETURN(auto statement,
                          db_.Prepare(MPOWER_SELECT_RESOURCES
                                      "WHERE collection = ? AND parent = ? AND external_id = ?"));
  statement->BindText(1, collection);
  statement->BindText(2, parent);
  statement->BindText(3, external_id);
  return ReadOneRow<StoredResource>(
      *statement, [&](const Statement& row) { return ReadResource(row, keyring_); });
}

absl::StatusOr<bool> SqliteWriteTransaction::IsReferenced(absl::string_view name) {
  MPOWER_ASSIGN_OR_RETURN(
      auto statement,
      db_.Prepare("SELECT EXISTS(SELECT 1 FROM resource_references WHERE to_name = ?1) "
                  "OR EXISTS(SELECT 1 FROM resources WHERE parent = ?1)"));
  statement->BindText(1, name);
  MPOWER_ASSIGN_OR_RETURN(bool found, statement->Step());
  return found && statement->ColumnInt64(0) != 0;
}

absl::StatusOr<bool> SqliteWriteTransaction::HasChildren(absl::string_view parent,
                                                         absl::string_view collection) {
  MPOWER_ASSIGN_OR_RETURN(
      auto statement,
      db_.Prepare("SELECT EXISTS(SELECT 1 FROM resources WHERE parent = ? AND collection = ?)"));
  statement->BindText(1, parent);
  statement->BindText(2, collection);
  MPOWER_ASSIGN_OR_RETURN(bool found, statement->Step());
  return found && statement->ColumnInt64(0) != 0;
}

absl::Status SqliteWriteTransaction::Put(const StoredResource& resource) {
  return WriteResource(resource, /*must_be_new=*/false);
}

absl::Status SqliteWriteTransaction::Insert(const StoredResource& resource) {
  return WriteResource(resource, /*must_be_new=*/true);
}

// Put replaces a row of the same name; Insert fails on one, and a primary
// key refusing a second row is ALREADY_EXISTS.
#define MPOWER_SQLITE_RESOURCE_ROW                                     \
  "resources(name, collection, parent, external_id, create_revision, " \
  "update_revision, deleted, data, protected_data, protected_key_id) " \
  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
constexpr char kPutResource[] = "INSERT OR REPLACE INTO " MPOWER_SQLITE_RESOURCE_ROW;
constexpr char kInsertResource[] = "INSERT INTO " MPOWER_SQLITE_RESOURCE_ROW;
#undef MPOWER_SQLITE_RESOURCE_ROW

absl::Status SqliteWriteTransaction::WriteResource(const StoredResource& resource,
                                                   bool must_be_new) {
  {
    MPOWER_ASSIGN_OR_RETURN(auto statement,
                            db_.Prepare(must_be_new ? kInsertResource : kPutResource));
    statement->BindText(1, resource.name);
    statement->BindText(2, resource.collection);
    statement->BindText(3, resource.parent);
    if (resource.external_id.empty()) {
      statement->BindNull(4);
    } else {
      statement->BindText(4, resource.external_id);
    }
    statement->BindInt64(5, resource.create_revision);
    statement->BindInt64(6, resource.update_revision);
    statement->BindInt64(7, resource.deleted ? 1 : 0);
    statement->BindBlob(8, resource.data);
    MPOWER_RETURN_IF_ERROR(BindSealed(*statement, 9, keyring_, resource));
    MPOWER_RETURN_IF_ERROR(statement->Run());
  }
  MPOWER_RETURN_IF_ERROR(ReplaceReferences(resource.name, resource.references));
  MPOWER_RETURN_IF_ERROR(ReplaceTerms(resource));
  return RecordChange(resource.create_revision == revision_ ? ChangeRecord::Kind::kCreated
                                                            : ChangeRecord::Kind::kUpdated,
                      resource);
}

absl::Status SqliteWriteTransaction::Remove(absl::string_view name) {
  MPOWER_ASSIGN_OR_RETURN(std::optional<StoredResource> last, Get(name));
  if (!last.has_value()) return absl::OkStatus();
  {
    MPOWER_ASSIGN_OR_RETURN(auto statement, db_.Prepare("DELETE FROM resources WHERE name = ?"));
    statement->BindText(1, name);
    MPOWER_RETURN_IF_ERROR(statement->Run());
  }
  {
    MPOWER_ASSIGN_OR_RETURN(auto statement,
                            db_.Prepare("DELETE FROM delivery_states WHERE subscription = ?"));
    statement->BindText(1, name);
    MPOWER_RETURN_IF_ERROR(statement->Run());
  }
  MPOWER_RETURN_IF_ERROR(ReplaceReferences(name, {}));
  MPOWER_RETURN_IF_ERROR(DeleteTerms(name));
  return RecordChange(ChangeRecord::Kind::kRemoved, *last);
}

absl::Status SqliteWriteTransaction::RewriteCopies(
    absl::string_view name, const std::function<absl::StatusOr<bool>(StoredResource&)>& rewrite) {
  struct Table {
    const char* select;
    const char* update;       // data, protected_data, protected_key_id, then the key
    const char* update_data;  // data, then the key: for a copy whose sealed part is erased
    bool is_history;
  };
  const Table tables[] = {
      {MPOWER_SELECT_RESOURCES "WHERE name = ?",
       "UPDATE resources SET data = ?, protected_data = ?, protected_key_id = ? WHERE name = ?",
       "UPDATE resources SET data = ? WHERE name = ?", false},
      {MPOWER_SELECT_CHANGES "WHERE name = ?",
       "UPDATE changes SET data = ?, protected_data = ?, protected_key_id = ? "
       "WHERE revision = ? AND name = ?",
       "UPDATE changes SET data = ? WHERE revision = ? AND name = ?", true}};
  for (const Table& table : tables) {
    std::vector<StoredResource> copies;
    {
      MPOWER_ASSIGN_OR_RETURN(auto statement, db_.Prepare(table.select));
      statement->BindText(1, name);
      MPOWER_ASSIGN_OR_RETURN(copies,
                              ReadRows<StoredResource>(*statement, [&](const Statement& row) {
                                return ReadResource(row, keyring_);
                              }));
    }
    for (StoredResource& copy : copies) {
      MPOWER_ASSIGN_OR_RETURN(const bool changed, rewrite(copy));
      if (!changed) continue;
      MPOWER_ASSIGN_OR_RETURN(auto update,
                              db_.Prepare(copy.erased ? table.update_data : table.update));
      update->BindBlob(1, copy.data);
      int next = 2;
      if (!copy.erased) {
        MPOWER_RETURN_IF_ERROR(BindSealed(*update, 2, keyring_, copy));
        next = 4;
      }
      // A history row's update_revision is the change's revision.
      if (table.is_history) update->BindInt64(next++, copy.update_revision);
      update->BindText(next, copy.name);
      MPOWER_RETURN_IF_ERROR(update->Run());
      wrote_ = true;
      rewrote_copies_ = true;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<RequestRecord>> SqliteWriteTransaction::FindRequest(
    absl::string_view key) {
  MPOWER_ASSIGN_OR_RETURN(
      auto statement, db_.Prepare("SELECT fingerprint, name FROM requests WHERE request_key = ?"));
  statement->BindText(1, key);
  MPOWER_ASSIGN_OR_RETURN(bool found, statement->Step());
  if (!found) return std::nullopt;
  return RequestRecord{statement->ColumnText(0), statement->ColumnText(1)};
}

absl::Status SqliteWriteTransaction::SaveRequest(absl::string_view key,
                                                 const RequestRecord& record) {
  MPOWER_ASSIGN_OR_RETURN(
      auto statement, db_.Prepare("INSERT INTO requests(request_key, fingerprint, name, revision) "
                                  "VALUES (?, ?, ?, ?)"));
  statement->BindText(1, key);
  statement->BindText(2, record.fingerprint);
  statement->BindText(3, record.name);
  statement->BindInt64(4, revision_);
  return statement->Run();
}

absl::Status SqliteWriteTransaction::PutCredential(const CredentialRecord& credential,
                                                   bool must_be_new) {
  MPOWER_ASSIGN_OR_RETURN(
      auto statement, must_be_new
                          ? db_.Prepare("INSERT INTO credentials(id, data, secret_hash, "
                                        "certificate_subject) VALUES (?, ?, ?, ?)")
                          : db_.Prepare("INSERT OR REPLACE INTO credentials(id, data, secret_hash, "
                                        "certificate_subject) VALUES (?, ?, ?, ?)"));
  statement->BindText(1, credential.id);
  statement->BindBlob(2, credential.data);
  statement->BindTextOrNull(3, credential.secret_hash);
  statement->BindTextOrNull(4, credential.certificate_subject);
  MPOWER_RETURN_IF_ERROR(statement->Run());
  wrote_ = true;
  changed_credentials_ = true;
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> SqliteWriteTransaction::GetDeliveryState(
    absl::string_view subscription) {
  MPOWER_ASSIGN_OR_RETURN(auto statement,
                          db_.Prepare("SELECT data FROM delivery_states WHERE subscription = ?"));
  statement->BindText(1, subscription);
  MPOWER_ASSIGN_OR_RETURN(bool found, statement->Step());
  if (!found) return std::nullopt;
  return statement->ColumnBlob(0);
}

absl::Status SqliteWriteTransaction::PutDeliveryState(absl::string_view subscription,
                                                      absl::string_view data) {
  MPOWER_ASSIGN_OR_RETURN(
      auto statement,
      db_.Prepare("INSERT OR REPLACE INTO delivery_states(subscription, data) VALUES (?, ?)"));
  statement->BindText(1, subscription);
  statement->BindBlob(2, data);
  MPOWER_RETURN_IF_ERROR(statement->Run());
  wrote_ = true;
  return absl::OkStatus();
}

absl::Status SqliteWriteTransaction::AppendAudit(
    AuditRecord record, const std::function<std::string(const AuditRecord&)>& chain) {
  {
    MPOWER_ASSIGN_OR_RETURN(auto last, db_.Prepare("SELECT sequence, hash FROM audit_log "
                                                   "ORDER BY sequence DESC LIMIT 1"));
    MPOWER_ASSIGN_OR_RETURN(bool found, last->Step());
    record.sequence = found ? last->ColumnInt64(0) + 1 : 1;
    record.previous_hash = found ? last->ColumnText(1) : "";
  }
  record.hash = chain(record);
  MPOWER_ASSIGN_OR_RETURN(
      auto statement,
      db_.Prepare("INSERT INTO audit_log(sequence, unix_micros, principal, method, resource, "
                  "request_id, previous_hash, hash, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  statement->BindInt64(1, record.sequence);
  statement->BindInt64(2, record.unix_micros);
  statement->BindText(3, record.principal);
  statement->BindText(4, record.method);
  statement->BindText(5, record.resource);
  statement->BindText(6, record.request_id);
  statement->BindText(7, record.previous_hash);
  statement->BindText(8, record.hash);
  statement->BindText(9, record.reason);
  MPOWER_RETURN_IF_ERROR(statement->Run());
  wrote_ = true;
  return absl::OkStatus();
}

absl::Status SqliteWriteTransaction::ReplaceReferences(absl::string_view from,
                                                       const std::vector<std::string>& references) {
  {
    MPOWER_ASSIGN_OR_RETURN(auto statement,
                            db_.Prepare("DELETE FROM resource_references WHERE from_name = ?"));
    statement->BindText(1, from);
    MPOWER_RETURN_IF_ERROR(statement->Run());
  }
  for (const std::string& to : references) {
    MPOWER_ASSIGN_OR_RETURN(
        auto statement, db_.Prepare("INSERT OR IGNORE INTO resource_references(to_name, from_name) "
                                    "VALUES (?, ?)"));
    statement->BindText(1, to);
    statement->BindText(2, from);
    MPOWER_RETURN_IF_ERROR(statement->Run());
  }
  return absl::OkStatus();
}

absl::Status SqliteWriteTransaction::ReplaceTerms(const StoredResource& resource) {
  MPOWER_RETURN_IF_ERROR(DeleteTerms(resource.name));
  if (extractor_ == nullptr || !*extractor_) {
    MPOWER_ASSIGN_OR_RETURN(
        auto statement,
        db_.Prepare("INSERT OR REPLACE INTO metadata(key, value) VALUES ('terms_version', '')"));
    return statement->Run();
  }
  return InsertTerms(db_, resource.collection, resource.name, (*extractor_)(resource));
}

absl::Status SqliteWriteTransaction::DeleteTerms(absl::string_view name) {
  MPOWER_ASSIGN_OR_RETURN(auto statement, db_.Prepare("DELETE FROM resource_terms WHERE name = ?"));
  statement->BindText(1, name);
  return statement->Run();
}

absl::Status SqliteWriteTransaction::RecordChange(ChangeRecord::Kind kind,
                                                  const StoredResource& resource) {
  wrote_ = true;
  changed_resources_ = true;
  MPOWER_ASSIGN_OR_RETURN(
      auto statement,
      db_.Prepare("INSERT INTO changes(revision, name, kind, collection, parent, "
                  "create_revision, deleted, data, protected_data, protected_key_id) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(revision, name) DO UPDATE "
                  "SET kind = MIN(kind, excluded.kind), deleted = excluded.deleted, "
                  "data = excluded.data, protected_data = excluded.protected_data, "
                  "protected_key_id = excluded.protected_key_id"));
  statement->BindInt64(1, revision_);
  statement->BindText(2, resource.name);
  statement->BindInt64(3, static_cast<int64_t>(kind));
  statement->BindText(4, resource.collection);
  statement->BindText(5, resource.parent);
  statement->BindInt64(6, resource.create_revision);
  statement->BindInt64(7, resource.deleted ? 1 : 0);
  statement->BindBlob(8, resource.data);
  MPOWER_RETURN_IF_ERROR(BindSealed(*statement, 9, keyring_, resource));
  return statement->Run();
}

}  // namespace mpower::sqlite
