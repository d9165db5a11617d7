#include "absl/strings/string_view.h"
#include "server/storage/sqlite_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/core/status_macros.h"

namespace mpower {
namespace {

// The most writes one group commit takes: bounds how long one transaction
// holds the writer.
constexpr size_t kMaxGroupSize = 256;

// Schema version 1. Each resource is one row holding its serialized proto;
// the columns beside it are the ones storage itself must index.
constexpr const char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS resources(
  name TEXT PRIMARY KEY,
  collection TEXT NOT NULL,
  parent TEXT NOT NULL,
  external_id TEXT,
  create_revision INTEGER NOT NULL,
  update_revision INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  data BLOB NOT NULL,
  protected_data BLOB,       -- AES-256-GCM: nonce, ciphertext, tag
  protected_key_id TEXT      -- the key that sealed protected_data
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS resources_by_collection ON resources(collection, name);
CREATE INDEX IF NOT EXISTS resources_by_parent ON resources(parent, collection, name);
CREATE UNIQUE INDEX IF NOT EXISTS resources_by_external_id
  ON resources(collection, parent, external_id) WHERE external_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS resource_references(
  to_name TEXT NOT NULL,
  from_name TEXT NOT NULL,
  PRIMARY KEY(to_name, from_name)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS resource_references_from ON resource_references(from_name);
CREATE TABLE IF NOT EXISTS resource_terms(
  collection TEXT NOT NULL,
  term TEXT NOT NULL,   -- e.g. country_codes=ID; see core/index_terms.h
  name TEXT NOT NULL,
  PRIMARY KEY(collection, term, name)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS resource_terms_by_name ON resource_terms(name);
-- The history the change feed serves: each resource as it was after each
-- revision (before, when removed), protected part sealed as in resources.
CREATE TABLE IF NOT EXISTS changes(
  revision INTEGER NOT NULL,
  name TEXT NOT NULL,
  kind INTEGER NOT NULL,
  collection TEXT NOT NULL,
  parent TEXT NOT NULL,
  create_revision INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  data BLOB NOT NULL,
  protected_data BLOB,
  protected_key_id TEXT,
  PRIMARY KEY(revision, name)
) WITHOUT ROWID;
-- The rows sealed with each key, for the key check at start-up: without
-- them it read every resource and every change (a third of a second with
-- a million commitments, which have nothing sealed).
CREATE INDEX IF NOT EXISTS resources_by_key ON resources(protected_key_id)
  WHERE protected_key_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS changes_by_key ON changes(protected_key_id)
  WHERE protected_key_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS requests(
  request_key TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  name TEXT NOT NULL,
  revision INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS metadata(
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT OR IGNORE INTO metadata(key, value)
  VALUES ('schema_version', 1), ('revision', 0), ('compacted_revision', 0);
CREATE TABLE IF NOT EXISTS credentials(
  id TEXT PRIMARY KEY,
  data BLOB NOT NULL,
  secret_hash TEXT,
  certificate_subject TEXT
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS credentials_by_secret_hash
  ON credentials(secret_hash) WHERE secret_hash IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS credentials_by_subject
  ON credentials(certificate_subject) WHERE certificate_subject IS NOT NULL;
CREATE TABLE IF NOT EXISTS audit_log(
  sequence INTEGER PRIMARY KEY,
  unix_micros INTEGER NOT NULL,
  principal TEXT NOT NULL,
  method TEXT NOT NULL,
  resource TEXT NOT NULL,
  request_id TEXT NOT NULL,
  previous_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
-- Append-only through mpowerd; the hash chain catches anyone who edits the
-- file some other way.
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
)sql";

#define MPOWER_SELECT_CHANGES \
  "SELECT name, collection, parent, '', create_revision, revision, deleted, data, " \
  "protected_data, protected_key_id, kind FROM changes "

#define MPOWER_SELECT_CREDENTIALS \
  "SELECT id, data, secret_hash, certificate_subject FROM credentials "

#define MPOWER_SELECT_AUDIT \
  "SELECT sequence, unix_micros, principal, method, resource, request_id, previous_hash, " \
  "hash FROM audit_log "

#define MPOWER_SELECT_RESOURCES \
  "SELECT name, collection, parent, external_id, create_revision, update_revision, " \
  "deleted, data, protected_data, protected_key_id FROM resources "

// The same columns, for resources joined from the term index as `t`.
#define MPOWER_SELECT_INDEXED_RESOURCES \
  "SELECT r.name, r.collection, r.parent, r.external_id, r.create_revision, " \
  "r.update_revision, r.deleted, r.data, r.protected_data, r.protected_key_id " \
  "FROM resource_terms t JOIN resources r ON r.name = t.name "

// Reads a row of MPOWER_SELECT_RESOURCES, decrypting its protected part.
absl::StatusOr<StoredResource> ReadResource(const sqlite::Statement& row, const Keyring& keyring) {
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
        resource.protected_data,
        keyring.Open(SealedData{row.ColumnText(9), row.ColumnBlob(8)}, resource.name));
  }
  return resource;
}

CredentialRecord ReadCredential(const sqlite::Statement& row) {
  return CredentialRecord{row.ColumnText(0), row.ColumnBlob(1), row.ColumnText(2),
                          row.ColumnText(3)};
}

AuditRecord ReadAudit(const sqlite::Statement& row) {
  AuditRecord record;
  record.sequence = row.ColumnInt64(0);
  record.unix_micros = row.ColumnInt64(1);
  record.principal = row.ColumnText(2);
  record.method = row.ColumnText(3);
  record.resource = row.ColumnText(4);
  record.request_id = row.ColumnText(5);
  record.previous_hash = row.ColumnText(6);
  record.hash = row.ColumnText(7);
  return record;
}

// Runs `statement` (with its parameters bound) and returns its one row as a
// credential, if any.
absl::StatusOr<std::optional<CredentialRecord>> OneCredential(sqlite::Statement& statement) {
  MPOWER_ASSIGN_OR_RETURN(bool found, statement.Step());
  if (!found) return std::nullopt;
  return ReadCredential(statement);
}

// Binds `resource`'s protected part, sealed, at `index` and its key id at
// `index + 1`; NULLs when it has none. The seal is bound to the name, so a
// blob moved to another row does not open.
void BindSealed(sqlite::Statement& statement, int index, const Keyring& keyring,
                const StoredResource& resource) {
  if (resource.protected_data.empty()) {
    statement.BindNull(index);
    statement.BindNull(index + 1);
    return;
  }
  const SealedData sealed = keyring.Seal(resource.protected_data, resource.name);
  statement.BindBlob(index, sealed.blob);
  statement.BindText(index + 1, sealed.key_id);
}

void BindOptionalText(sqlite::Statement& statement, int index, absl::string_view text) {
  if (text.empty()) {
    statement.BindNull(index);
  } else {
    statement.BindText(index, text);
  }
}

absl::StatusOr<std::optional<StoredResource>> GetFrom(sqlite::Database& db,
                                                      const Keyring& keyring,
                                                      absl::string_view name) {
  MPOWER_ASSIGN_OR_RETURN(auto statement, db.Prepare(MPOWER_SELECT_RESOURCES "WHERE name = ?"));
  statement->BindText(1, name);
  MPOWER_ASSIGN_OR_RETURN(bool found, statement->Step());
  if (!found) return std::nullopt;
  return ReadResource(*statement, keyring);
}

absl::StatusOr<int64_t> ReadMetadata(sqlite::Database& db, absl::string_view key) {
  MPOWER_ASSIGN_OR_RETURN(auto statement,
                          db.Prepare("SELECT value FROM metadata WHERE key = ?"));
  statement->BindText(1, key);
  MPOWER_ASSIGN_OR_RETURN(bool found, statement->Step());
  if (!found) return absl::DataLossError(absl::StrCat("the database has no ", key, " record"));
  return statement->ColumnInt64(0);
}

}  // namespace

// Indexes `name` of `collection` under each of `terms`.
absl::Status InsertTerms(sqlite::Database& db, absl::string_view collection,
                         absl::string_view name, const std::vector<std::string>& terms) {
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

// The WriteTransaction of one Store::Write call, on the writer connection.
class SqliteStore::Transaction : public WriteTransaction {
 public:
  Transaction(sqlite::Database& db, const Keyring& keyring, int64_t revision,
              const TermExtractor* extractor)
      : db_(db), keyring_(keyring), revision_(revision), extractor_(extractor) {}

  int64_t revision() const override { return revision_; }
  // Whether anything was written, and so there is something to commit.
  bool wrote() const { return wrote_; }
  // Whether a resource changed, and so the transaction uses its revision.
  bool changed_resources() const { return changed_resources_; }
  bool changed_credentials() const { return changed_credentials_; }

  absl::StatusOr<std::optional<StoredResource>> Get(absl::string_view name) override {
    return GetFrom(db_, keyring_, name);
  }

  absl::StatusOr<std::optional<StoredResource>> FindByExternalId(
      absl::string_view collection, absl::string_view parent,
      absl::string_view external_id) override {
    MPOWER_ASSIGN_OR_RETURN(
        auto statement,
        db_.Prepare(MPOWER_SELECT_RESOURCES
                    "WHERE collection = ? AND parent = ? AND external_id = ?"));
    statement->BindText(1, collection);
    statement->BindText(2, parent);
    statement->BindText(3, external_id);
    MPOWER_ASSIGN_OR_RETURN(bool found, statement->Step());
    if (!found) return std::nullopt;
    return ReadResource(*statement, keyring_);
  }

  absl::StatusOr<bool> IsReferenced(absl::string_view name) override {
    MPOWER_ASSIGN_OR_RETURN(
        auto statement,
        db_.Prepare("SELECT EXISTS(SELECT 1 FROM resource_references WHERE to_name = ?1) "
                    "OR EXISTS(SELECT 1 FROM resources WHERE parent = ?1)"));
    statement->BindText(1, name);
    MPOWER_ASSIGN_OR_RETURN(bool found, statement->Step());
    return found && statement->ColumnInt64(0) != 0;
  }

  absl::Status Put(const StoredResource& resource) override {
    {
      MPOWER_ASSIGN_OR_RETURN(
          auto statement,
          db_.Prepare("INSERT OR REPLACE INTO resources(name, collection, parent, external_id, "
                      "create_revision, update_revision, deleted, data, protected_data, "
                      "protected_key_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
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
      BindSealed(*statement, 9, keyring_, resource);
      MPOWER_RETURN_IF_ERROR(statement->Run());
    }
    MPOWER_RETURN_IF_ERROR(ReplaceReferences(resource.name, resource.references));
    MPOWER_RETURN_IF_ERROR(ReplaceTerms(resource));
    return RecordChange(resource.create_revision == revision_ ? ChangeRecord::Kind::kCreated
                                                              : ChangeRecord::Kind::kUpdated,
                        resource);
  }

  absl::Status Remove(absl::string_view name) override {
    MPOWER_ASSIGN_OR_RETURN(std::optional<StoredResource> last, Get(name));
    if (!last.has_value()) return absl::OkStatus();
    {
      MPOWER_ASSIGN_OR_RETURN(auto statement,
                              db_.Prepare("DELETE FROM resources WHERE name = ?"));
      statement->BindText(1, name);
      MPOWER_RETURN_IF_ERROR(statement->Run());
    }
    MPOWER_RETURN_IF_ERROR(ReplaceReferences(name, {}));
    MPOWER_RETURN_IF_ERROR(DeleteTerms(name));
    return RecordChange(ChangeRecord::Kind::kRemoved, *last);
  }

  absl::StatusOr<std::optional<RequestRecord>> FindRequest(absl::string_view key) override {
    MPOWER_ASSIGN_OR_RETURN(
        auto statement,
        db_.Prepare("SELECT fingerprint, name FROM requests WHERE request_key = ?"));
    statement->BindText(1, key);
    MPOWER_ASSIGN_OR_RETURN(bool found, statement->Step());
    if (!found) return std::nullopt;
    return RequestRecord{statement->ColumnText(0), statement->ColumnText(1)};
  }

  absl::Status SaveRequest(absl::string_view key, const RequestRecord& record) override {
    MPOWER_ASSIGN_OR_RETURN(
        auto statement,
        db_.Prepare("INSERT INTO requests(request_key, fingerprint, name, revision) "
                    "VALUES (?, ?, ?, ?)"));
    statement->BindText(1, key);
    statement->BindText(2, record.fingerprint);
    statement->BindText(3, record.name);
    statement->BindInt64(4, revision_);
    return statement->Run();
  }

  absl::Status PutCredential(const CredentialRecord& credential, bool must_be_new) override {
    MPOWER_ASSIGN_OR_RETURN(
        auto statement,
        must_be_new ? db_.Prepare("INSERT INTO credentials(id, data, secret_hash, "
                                  "certificate_subject) VALUES (?, ?, ?, ?)")
                    : db_.Prepare("INSERT OR REPLACE INTO credentials(id, data, secret_hash, "
                                  "certificate_subject) VALUES (?, ?, ?, ?)"));
    statement->BindText(1, credential.id);
    statement->BindBlob(2, credential.data);
    BindOptionalText(*statement, 3, credential.secret_hash);
    BindOptionalText(*statement, 4, credential.certificate_subject);
    MPOWER_RETURN_IF_ERROR(statement->Run());
    wrote_ = true;
    changed_credentials_ = true;
    return absl::OkStatus();
  }

  absl::Status AppendAudit(
      AuditRecord record,
      const std::function<std::string(const AuditRecord&)>& chain) override {
    {
      MPOWER_ASSIGN_OR_RETURN(
          auto last, db_.Prepare("SELECT sequence, hash FROM audit_log "
                                 "ORDER BY sequence DESC LIMIT 1"));
      MPOWER_ASSIGN_OR_RETURN(bool found, last->Step());
      record.sequence = found ? last->ColumnInt64(0) + 1 : 1;
      record.previous_hash = found ? last->ColumnText(1) : "";
    }
    record.hash = chain(record);
    MPOWER_ASSIGN_OR_RETURN(
        auto statement,
        db_.Prepare("INSERT INTO audit_log(sequence, unix_micros, principal, method, resource, "
                    "request_id, previous_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    statement->BindInt64(1, record.sequence);
    statement->BindInt64(2, record.unix_micros);
    statement->BindText(3, record.principal);
    statement->BindText(4, record.method);
    statement->BindText(5, record.resource);
    statement->BindText(6, record.request_id);
    statement->BindText(7, record.previous_hash);
    statement->BindText(8, record.hash);
    MPOWER_RETURN_IF_ERROR(statement->Run());
    wrote_ = true;
    return absl::OkStatus();
  }

 private:
  absl::Status ReplaceReferences(absl::string_view from,
                                 const std::vector<std::string>& references) {
    {
      MPOWER_ASSIGN_OR_RETURN(
          auto statement, db_.Prepare("DELETE FROM resource_references WHERE from_name = ?"));
      statement->BindText(1, from);
      MPOWER_RETURN_IF_ERROR(statement->Run());
    }
    for (const std::string& to : references) {
      MPOWER_ASSIGN_OR_RETURN(
          auto statement,
          db_.Prepare("INSERT OR IGNORE INTO resource_references(to_name, from_name) "
                      "VALUES (?, ?)"));
      statement->BindText(1, to);
      statement->BindText(2, from);
      MPOWER_RETURN_IF_ERROR(statement->Run());
    }
    return absl::OkStatus();
  }

  // Indexes `resource` by its terms. Without an extractor the index can no
  // longer be trusted: it is marked for rebuilding by the next one.
  absl::Status ReplaceTerms(const StoredResource& resource) {
    MPOWER_RETURN_IF_ERROR(DeleteTerms(resource.name));
    if (extractor_ == nullptr || !*extractor_) {
      MPOWER_ASSIGN_OR_RETURN(
          auto statement,
          db_.Prepare("INSERT OR REPLACE INTO metadata(key, value) VALUES ('terms_version', '')"));
      return statement->Run();
    }
    return InsertTerms(db_, resource.collection, resource.name, (*extractor_)(resource));
  }

  absl::Status DeleteTerms(absl::string_view name) {
    MPOWER_ASSIGN_OR_RETURN(auto statement,
                            db_.Prepare("DELETE FROM resource_terms WHERE name = ?"));
    statement->BindText(1, name);
    return statement->Run();
  }

  // Records `resource` as of this revision in the history. A resource
  // written twice in one transaction keeps its last state and the kind of
  // its first write (created stays created).
  absl::Status RecordChange(ChangeRecord::Kind kind, const StoredResource& resource) {
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
    BindSealed(*statement, 9, keyring_, resource);
    return statement->Run();
  }

  sqlite::Database& db_;
  const Keyring& keyring_;
  const int64_t revision_;
  const TermExtractor* extractor_;
  bool wrote_ = false;
  bool changed_resources_ = false;
  bool changed_credentials_ = false;
};

// Opens one sealed row per key in use, so a missing or wrong key is found
// at start-up with a clear message, not on some later read.
absl::Status CheckKeys(sqlite::Database& db, const Keyring& keyring) {
  MPOWER_ASSIGN_OR_RETURN(
      auto statement,
      db.Prepare(MPOWER_SELECT_RESOURCES "WHERE protected_key_id IS NOT NULL "
                                         "GROUP BY protected_key_id"));
  while (true) {
    MPOWER_ASSIGN_OR_RETURN(bool row, statement->Step());
    if (!row) break;
    MPOWER_RETURN_IF_ERROR(ReadResource(*statement, keyring).status());
  }
  MPOWER_ASSIGN_OR_RETURN(
      auto history, db.Prepare(MPOWER_SELECT_CHANGES "WHERE protected_key_id IS NOT NULL "
                                                     "GROUP BY protected_key_id"));
  while (true) {
    MPOWER_ASSIGN_OR_RETURN(bool row, history->Step());
    if (!row) return absl::OkStatus();
    MPOWER_RETURN_IF_ERROR(ReadResource(*history, keyring).status());
  }
}

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path,
                                                              const Keyring* keyring) {
  MPOWER_ASSIGN_OR_RETURN(std::unique_ptr<sqlite::Database> writer,
                          sqlite::Database::Open(path));
  MPOWER_RETURN_IF_ERROR(writer->Execute(kSchema));
  MPOWER_RETURN_IF_ERROR(CheckKeys(*writer, *keyring));
  MPOWER_ASSIGN_OR_RETURN(int64_t revision, ReadMetadata(*writer, "revision"));
  return std::unique_ptr<SqliteStore>(
      new SqliteStore(path, keyring, std::move(writer), revision));
}

SqliteStore::SqliteStore(std::string path, const Keyring* keyring,
                         std::unique_ptr<sqlite::Database> writer, int64_t revision)
    : path_(std::move(path)), keyring_(*keyring), writer_(std::move(writer)),
      revision_(revision) {}

absl::StatusOr<int64_t> SqliteStore::ReencryptProtectedData() {
  std::lock_guard<std::mutex> lock(write_mutex_);
  MPOWER_RETURN_IF_ERROR(writer_->Execute("BEGIN IMMEDIATE"));
  int64_t count = 0;
  absl::Status status = [&]() -> absl::Status {
    std::vector<StoredResource> stale;
    {
      MPOWER_ASSIGN_OR_RETURN(
          auto statement,
          writer_->Prepare(MPOWER_SELECT_RESOURCES "WHERE protected_key_id IS NOT NULL "
                                                   "AND protected_key_id != ?"));
      statement->BindText(1, keyring_.current_key_id());
      while (true) {
        MPOWER_ASSIGN_OR_RETURN(bool row, statement->Step());
        if (!row) break;
        MPOWER_ASSIGN_OR_RETURN(StoredResource resource, ReadResource(*statement, keyring_));
        stale.push_back(std::move(resource));
      }
    }
    for (const StoredResource& resource : stale) {
      const SealedData sealed = keyring_.Seal(resource.protected_data, resource.name);
      MPOWER_ASSIGN_OR_RETURN(
          auto update, writer_->Prepare("UPDATE resources SET protected_data = ?, "
                                        "protected_key_id = ? WHERE name = ?"));
      update->BindBlob(1, sealed.blob);
      update->BindText(2, sealed.key_id);
      update->BindText(3, resource.name);
      MPOWER_RETURN_IF_ERROR(update->Run());
      ++count;
    }
    // The history holds sealed copies too.
    std::vector<std::pair<int64_t, StoredResource>> history;
    {
      MPOWER_ASSIGN_OR_RETURN(
          auto statement,
          writer_->Prepare(MPOWER_SELECT_CHANGES "WHERE protected_key_id IS NOT NULL "
                                                 "AND protected_key_id != ?"));
      statement->BindText(1, keyring_.current_key_id());
      while (true) {
        MPOWER_ASSIGN_OR_RETURN(bool row, statement->Step());
        if (!row) break;
        MPOWER_ASSIGN_OR_RETURN(StoredResource resource, ReadResource(*statement, keyring_));
        history.emplace_back(statement->ColumnInt64(5), std::move(resource));
      }
    }
    for (const auto& [revision, resource] : history) {
      const SealedData sealed = keyring_.Seal(resource.protected_data, resource.name);
      MPOWER_ASSIGN_OR_RETURN(
          auto update, writer_->Prepare("UPDATE changes SET protected_data = ?, "
                                        "protected_key_id = ? WHERE revision = ? AND name = ?"));
      update->BindBlob(1, sealed.blob);
      update->BindText(2, sealed.key_id);
      update->BindInt64(3, revision);
      update->BindText(4, resource.name);
      MPOWER_RETURN_IF_ERROR(update->Run());
    }
    return writer_->Execute("COMMIT");
  }();
  if (!status.ok()) {
    writer_->Execute("ROLLBACK").IgnoreError();
    return status;
  }
  return count;
}

absl::StatusOr<std::unique_ptr<sqlite::Database>> SqliteStore::AcquireReader() {
  {
    std::lock_guard<std::mutex> lock(readers_mutex_);
    if (!idle_readers_.empty()) {
      auto reader = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return reader;
    }
  }
  return sqlite::Database::Open(path_);
}

void SqliteStore::ReleaseReader(std::unique_ptr<sqlite::Database> reader) {
  std::lock_guard<std::mutex> lock(readers_mutex_);
  idle_readers_.push_back(std::move(reader));
}

// Borrows a reader connection for one scope and gives it back.
class SqliteStore::ReaderLease {
 public:
  ReaderLease(SqliteStore& store, std::unique_ptr<sqlite::Database> db)
      : store_(store), db_(std::move(db)) {}
  ~ReaderLease() { store_.ReleaseReader(std::move(db_)); }
  sqlite::Database& operator*() { return *db_; }

 private:
  SqliteStore& store_;
  std::unique_ptr<sqlite::Database> db_;
};

absl::StatusOr<std::optional<StoredResource>> SqliteStore::Get(absl::string_view name) {
  MPOWER_ASSIGN_OR_RETURN(auto db, AcquireReader());
  ReaderLease lease(*this, std::move(db));
  return GetFrom(*lease, keyring_, name);
}

absl::StatusOr<ListResult> SqliteStore::List(const ListQuery& query) {
  MPOWER_ASSIGN_OR_RETURN(auto db, AcquireReader());
  ReaderLease lease(*this, std::move(db));
  // One read transaction, so the page is a consistent snapshot.
  MPOWER_RETURN_IF_ERROR((*lease).Execute("BEGIN"));
  ListResult result;
  std::string after = query.after_name;
  const bool use_terms = !query.term.empty() && terms_ready_.load();
  size_t scanned = 0;
  absl::Status status;
  constexpr int64_t kBatch = 256;
  while (status.ok()) {
    // With a usable term, read only the resources indexed by it, in the
    // term index's name order; else scan the collection in name order.
    absl::StatusOr<std::unique_ptr<sqlite::Statement>> statement =
        use_terms
            ? (*lease).Prepare(MPOWER_SELECT_INDEXED_RESOURCES
                               "WHERE t.collection = ?1 AND t.term = ?6 AND t.name > ?3 "
                               "AND (?2 = '' OR r.parent = ?2) AND (r.deleted = 0 OR ?4) "
                               "ORDER BY t.name LIMIT ?5")
        : query.parent.empty()
            ? (*lease).Prepare(MPOWER_SELECT_RESOURCES
                               "WHERE collection = ?1 AND name > ?3 AND (deleted = 0 OR ?4) "
                               "ORDER BY name LIMIT ?5")
            : (*lease).Prepare(MPOWER_SELECT_RESOURCES
                               "WHERE parent = ?2 AND collection = ?1 AND name > ?3 "
                               "AND (deleted = 0 OR ?4) ORDER BY name LIMIT ?5");
    if (!statement.ok()) {
      status = statement.status();
      break;
    }
    (*statement)->BindText(1, query.collection);
    (*statement)->BindText(2, query.parent);
    (*statement)->BindText(3, after);
    (*statement)->BindInt64(4, query.show_deleted ? 1 : 0);
    (*statement)->BindInt64(5, kBatch);
    if (use_terms) (*statement)->BindText(6, query.term);
    int64_t rows = 0;
    bool page_full = false;
    while (true) {
      absl::StatusOr<bool> row = (*statement)->Step();
      if (!row.ok()) {
        status = row.status();
        break;
      }
      if (!*row) break;
      ++rows;
      ++scanned;
      absl::StatusOr<StoredResource> read = ReadResource(**statement, keyring_);
      if (!read.ok()) {
        status = read.status();
        break;
      }
      StoredResource resource = *std::move(read);
      after = resource.name;
      if (!query.predicate || query.predicate(resource)) {
        result.items.push_back(std::move(resource));
      }
      if (result.items.size() >= query.limit || scanned >= query.max_scanned) {
        page_full = true;
        break;
      }
    }
    if (!status.ok()) break;
    if (page_full) {
      // Resume after the last row examined; a later call finds whether
      // anything is left.
      result.resume_after = after;
      break;
    }
    if (rows < kBatch) break;  // the collection is exhausted
  }
  (*lease).Execute("COMMIT").IgnoreError();
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<int64_t> SqliteStore::Write(
    const std::function<absl::Status(WriteTransaction&)>& body) {
  const int64_t before = revision_.load();
  PendingWrite write{&body};
  std::unique_lock<std::mutex> lock(queue_mutex_);
  queue_.push_back(&write);
  while (!write.done) {
    if (committing_) {
      write.wake.wait(lock);
      continue;
    }
    // Lead a group: everything queued so far, in arrival order.
    committing_ = true;
    const size_t size = std::min(queue_.size(), kMaxGroupSize);
    std::vector<PendingWrite*> group(queue_.begin(), queue_.begin() + size);
    queue_.erase(queue_.begin(), queue_.begin() + size);
    lock.unlock();
    CommitGroup(group);
    lock.lock();
    committing_ = false;
    for (PendingWrite* done : group) {
      done->done = true;
      if (done != &write) done->wake.notify_one();
    }
    // The next in line leads the next group.
    if (!queue_.empty()) queue_.front()->wake.notify_one();
  }
  lock.unlock();
  if (write.result.ok() && *write.result > before && commit_listener_) commit_listener_();
  return write.result;
}

void SqliteStore::CommitGroup(const std::vector<PendingWrite*>& group) {
  std::lock_guard<std::mutex> lock(write_mutex_);
  const auto fail_all = [&](const absl::Status& status) {
    for (PendingWrite* write : group) write->result = status;
  };
  if (absl::Status begun = writer_->Execute("BEGIN IMMEDIATE"); !begun.ok()) {
    fail_all(begun);
    return;
  }
  int64_t last = revision_.load();
  bool changed = false;
  bool changed_credentials = false;
  for (PendingWrite* write : group) {
    if (absl::Status saved = writer_->Execute("SAVEPOINT write"); !saved.ok()) {
      writer_->Execute("ROLLBACK").IgnoreError();
      fail_all(saved);
      return;
    }
    Transaction transaction(*writer_, keyring_, last + 1, &extractor_);
    const absl::Status status = (*write->body)(transaction);
    if (status.ok() && transaction.wrote()) {
      if (transaction.changed_resources()) {
        ++last;
        changed = true;
      }
      changed_credentials |= transaction.changed_credentials();
      write->result = last;
      writer_->Execute("RELEASE write").IgnoreError();
      continue;
    }
    write->result = status.ok() ? absl::StatusOr<int64_t>(last) : status;
    // After some errors (a full disk, an I/O error) SQLite rolls the whole
    // transaction back by itself: then the group's earlier writes are gone
    // too, and all of it must be retried.
    if (sqlite3_get_autocommit(writer_->handle()) != 0 ||
        !writer_->Execute("ROLLBACK TO write").ok() || !writer_->Execute("RELEASE write").ok()) {
      writer_->Execute("ROLLBACK").IgnoreError();
      fail_all(status.ok() ? absl::UnavailableError("the write transaction was lost; retry")
                           : status);
      return;
    }
  }
  absl::Status status = changed ? SaveRevision(last) : absl::OkStatus();
  if (status.ok()) status = writer_->Execute("COMMIT");
  if (!status.ok()) {
    writer_->Execute("ROLLBACK").IgnoreError();
    for (PendingWrite* write : group) {
      if (write->result.ok()) write->result = status;  // nothing of it was kept
    }
    return;
  }
  revision_.store(last);
  if (changed_credentials) credentials_generation_.fetch_add(1);
}

absl::Status SqliteStore::SetTermExtractor(std::string version, TermExtractor extractor) {
  std::lock_guard<std::mutex> lock(write_mutex_);
  std::string indexed;
  {
    MPOWER_ASSIGN_OR_RETURN(
        auto statement,
        writer_->Prepare("SELECT CAST(value AS TEXT) FROM metadata WHERE key = 'terms_version'"));
    MPOWER_ASSIGN_OR_RETURN(bool found, statement->Step());
    if (found) indexed = statement->ColumnText(0);
  }
  if (indexed != version) {
    // Re-index every resource in one transaction: a crash leaves the old
    // version recorded, so the next start does it again.
    MPOWER_RETURN_IF_ERROR(writer_->Execute("BEGIN IMMEDIATE"));
    absl::Status status = [&]() -> absl::Status {
      MPOWER_RETURN_IF_ERROR(writer_->Execute("DELETE FROM resource_terms"));
      MPOWER_ASSIGN_OR_RETURN(
          auto rows, writer_->Prepare("SELECT name, collection, data FROM resources"));
      while (true) {
        MPOWER_ASSIGN_OR_RETURN(bool row, rows->Step());
        if (!row) break;
        StoredResource resource;
        resource.name = rows->ColumnText(0);
        resource.collection = rows->ColumnText(1);
        resource.data = rows->ColumnBlob(2);
        MPOWER_RETURN_IF_ERROR(
            InsertTerms(*writer_, resource.collection, resource.name, extractor(resource)));
      }
      MPOWER_ASSIGN_OR_RETURN(
          auto save, writer_->Prepare("INSERT OR REPLACE INTO metadata(key, value) "
                                      "VALUES ('terms_version', ?)"));
      save->BindText(1, version);
      MPOWER_RETURN_IF_ERROR(save->Run());
      return writer_->Execute("COMMIT");
    }();
    if (!status.ok()) {
      writer_->Execute("ROLLBACK").IgnoreError();
      return status;
    }
  }
  extractor_ = std::move(extractor);
  terms_ready_.store(true);
  return absl::OkStatus();
}

absl::Status SqliteStore::SaveRevision(int64_t revision) {
  MPOWER_ASSIGN_OR_RETURN(
      auto statement, writer_->Prepare("UPDATE metadata SET value = ? WHERE key = 'revision'"));
  statement->BindInt64(1, revision);
  return statement->Run();
}

absl::StatusOr<int64_t> SqliteStore::CurrentRevision() { return revision_.load(); }

absl::StatusOr<std::optional<CredentialRecord>> SqliteStore::GetCredential(absl::string_view id) {
  MPOWER_ASSIGN_OR_RETURN(auto db, AcquireReader());
  ReaderLease lease(*this, std::move(db));
  MPOWER_ASSIGN_OR_RETURN(auto statement,
                          (*lease).Prepare(MPOWER_SELECT_CREDENTIALS "WHERE id = ?"));
  statement->BindText(1, id);
  return OneCredential(*statement);
}

absl::StatusOr<std::optional<CredentialRecord>> SqliteStore::FindCredentialBySecretHash(
    absl::string_view secret_hash) {
  MPOWER_ASSIGN_OR_RETURN(auto db, AcquireReader());
  ReaderLease lease(*this, std::move(db));
  MPOWER_ASSIGN_OR_RETURN(auto statement,
                          (*lease).Prepare(MPOWER_SELECT_CREDENTIALS "WHERE secret_hash = ?"));
  statement->BindText(1, secret_hash);
  return OneCredential(*statement);
}

absl::StatusOr<std::optional<CredentialRecord>> SqliteStore::FindCredentialBySubject(
    absl::string_view subject) {
  MPOWER_ASSIGN_OR_RETURN(auto db, AcquireReader());
  ReaderLease lease(*this, std::move(db));
  MPOWER_ASSIGN_OR_RETURN(
      auto statement, (*lease).Prepare(MPOWER_SELECT_CREDENTIALS "WHERE certificate_subject = ?"));
  statement->BindText(1, subject);
  return OneCredential(*statement);
}

absl::StatusOr<std::vector<CredentialRecord>> SqliteStore::ListCredentials(
    absl::string_view after_id, size_t limit) {
  MPOWER_ASSIGN_OR_RETURN(auto db, AcquireReader());
  ReaderLease lease(*this, std::move(db));
  MPOWER_ASSIGN_OR_RETURN(
      auto statement,
      (*lease).Prepare(MPOWER_SELECT_CREDENTIALS "WHERE id > ? ORDER BY id LIMIT ?"));
  statement->BindText(1, after_id);
  statement->BindInt64(2, static_cast<int64_t>(limit));
  std::vector<CredentialRecord> credentials;
  while (true) {
    MPOWER_ASSIGN_OR_RETURN(bool row, statement->Step());
    if (!row) break;
    credentials.push_back(ReadCredential(*statement));
  }
  return credentials;
}

absl::StatusOr<int64_t> SqliteStore::CompactedRevision() {
  MPOWER_ASSIGN_OR_RETURN(auto db, AcquireReader());
  ReaderLease lease(*this, std::move(db));
  return ReadMetadata(*lease, "compacted_revision");
}

absl::StatusOr<std::vector<ChangeRecord>> SqliteStore::ListChanges(int64_t after_revision,
                                                                  absl::string_view after_name,
                                                                  size_t limit) {
  MPOWER_ASSIGN_OR_RETURN(auto db, AcquireReader());
  ReaderLease lease(*this, std::move(db));
  // One read transaction: the compaction mark and the rows agree.
  MPOWER_RETURN_IF_ERROR((*lease).Execute("BEGIN"));
  absl::StatusOr<std::vector<ChangeRecord>> changes = [&]() -> absl::StatusOr<std::vector<ChangeRecord>> {
    MPOWER_ASSIGN_OR_RETURN(int64_t compacted, ReadMetadata(*lease, "compacted_revision"));
    if (after_revision < compacted) {
      return absl::OutOfRangeError(absl::StrCat(
          "revision ", after_revision, " is no longer held: history up to revision ", compacted,
          " has been compacted, and the oldest revision you can continue after is ", compacted,
          ". List the resources again and watch from the revision the list returns"));
    }
    MPOWER_ASSIGN_OR_RETURN(
        auto statement,
        (*lease).Prepare(MPOWER_SELECT_CHANGES
                         "WHERE revision > ?1 OR (revision = ?1 AND ?2 != '' AND name > ?2) "
                         "ORDER BY revision, name LIMIT ?3"));
    statement->BindInt64(1, after_revision);
    statement->BindText(2, after_name);
    statement->BindInt64(3, static_cast<int64_t>(limit));
    std::vector<ChangeRecord> records;
    while (true) {
      MPOWER_ASSIGN_OR_RETURN(bool row, statement->Step());
      if (!row) break;
      ChangeRecord record;
      MPOWER_ASSIGN_OR_RETURN(record.resource, ReadResource(*statement, keyring_));
      record.revision = record.resource.update_revision;
      record.kind = static_cast<ChangeRecord::Kind>(statement->ColumnInt64(10));
      records.push_back(std::move(record));
    }
    return records;
  }();
  (*lease).Execute("COMMIT").IgnoreError();
  return changes;
}

absl::Status SqliteStore::Compact(int64_t revision) {
  std::lock_guard<std::mutex> lock(write_mutex_);
  revision = std::min(revision, revision_.load());
  MPOWER_RETURN_IF_ERROR(writer_->Execute("BEGIN IMMEDIATE"));
  absl::Status status = [&]() -> absl::Status {
    MPOWER_ASSIGN_OR_RETURN(int64_t compacted, ReadMetadata(*writer_, "compacted_revision"));
    if (revision <= compacted) return absl::OkStatus();
    MPOWER_ASSIGN_OR_RETURN(auto drop,
                            writer_->Prepare("DELETE FROM changes WHERE revision <= ?"));
    drop->BindInt64(1, revision);
    MPOWER_RETURN_IF_ERROR(drop->Run());
    MPOWER_ASSIGN_OR_RETURN(
        auto mark,
        writer_->Prepare("UPDATE metadata SET value = ? WHERE key = 'compacted_revision'"));
    mark->BindInt64(1, revision);
    return mark->Run();
  }();
  if (status.ok()) status = writer_->Execute("COMMIT");
  if (!status.ok()) writer_->Execute("ROLLBACK").IgnoreError();
  return status;
}

absl::StatusOr<std::vector<AuditRecord>> SqliteStore::ListAudit(int64_t after, size_t limit) {
  MPOWER_ASSIGN_OR_RETURN(auto db, AcquireReader());
  ReaderLease lease(*this, std::move(db));
  MPOWER_ASSIGN_OR_RETURN(
      auto statement,
      (*lease).Prepare(MPOWER_SELECT_AUDIT "WHERE sequence > ? ORDER BY sequence LIMIT ?"));
  statement->BindInt64(1, after);
  statement->BindInt64(2, static_cast<int64_t>(limit));
  std::vector<AuditRecord> records;
  while (true) {
    MPOWER_ASSIGN_OR_RETURN(bool row, statement->Step());
    if (!row) break;
    records.push_back(ReadAudit(*statement));
  }
  return records;
}

}  // namespace mpower
