#include "absl/strings/string_view.h"
#include "server/storage/sqlite_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/core/status_macros.h"

namespace mpower {
namespace {

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
  protected_data BLOB
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
CREATE TABLE IF NOT EXISTS changes(
  revision INTEGER NOT NULL,
  name TEXT NOT NULL,
  removed INTEGER NOT NULL,
  PRIMARY KEY(revision, name)
) WITHOUT ROWID;
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
INSERT OR IGNORE INTO metadata(key, value) VALUES ('schema_version', 1), ('revision', 0);
)sql";

#define MPOWER_SELECT_RESOURCES \
  "SELECT name, collection, parent, external_id, create_revision, update_revision, " \
  "deleted, data, protected_data FROM resources "

StoredResource ReadResource(const sqlite::Statement& row) {
  StoredResource resource;
  resource.name = row.ColumnText(0);
  resource.collection = row.ColumnText(1);
  resource.parent = row.ColumnText(2);
  resource.external_id = row.ColumnText(3);
  resource.create_revision = row.ColumnInt64(4);
  resource.update_revision = row.ColumnInt64(5);
  resource.deleted = row.ColumnInt64(6) != 0;
  resource.data = row.ColumnBlob(7);
  resource.protected_data = row.ColumnBlob(8);
  return resource;
}

absl::StatusOr<std::optional<StoredResource>> GetFrom(sqlite::Database& db,
                                                      absl::string_view name) {
  MPOWER_ASSIGN_OR_RETURN(auto statement, db.Prepare(MPOWER_SELECT_RESOURCES "WHERE name = ?"));
  statement->BindText(1, name);
  MPOWER_ASSIGN_OR_RETURN(bool found, statement->Step());
  if (!found) return std::nullopt;
  return ReadResource(*statement);
}

absl::StatusOr<int64_t> ReadRevision(sqlite::Database& db) {
  MPOWER_ASSIGN_OR_RETURN(auto statement,
                          db.Prepare("SELECT value FROM metadata WHERE key = 'revision'"));
  MPOWER_ASSIGN_OR_RETURN(bool found, statement->Step());
  if (!found) return absl::DataLossError("the database has no revision record");
  return statement->ColumnInt64(0);
}

}  // namespace

// The WriteTransaction of one Store::Write call, on the writer connection.
class SqliteStore::Transaction : public WriteTransaction {
 public:
  Transaction(sqlite::Database& db, int64_t revision) : db_(db), revision_(revision) {}

  int64_t revision() const override { return revision_; }
  bool wrote() const { return wrote_; }

  absl::StatusOr<std::optional<StoredResource>> Get(absl::string_view name) override {
    return GetFrom(db_, name);
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
    return ReadResource(*statement);
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
                      "create_revision, update_revision, deleted, data, protected_data) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
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
      if (resource.protected_data.empty()) {
        statement->BindNull(9);
      } else {
        statement->BindBlob(9, resource.protected_data);
      }
      MPOWER_RETURN_IF_ERROR(statement->Run());
    }
    MPOWER_RETURN_IF_ERROR(ReplaceReferences(resource.name, resource.references));
    return RecordChange(resource.name, /*removed=*/false);
  }

  absl::Status Remove(absl::string_view name) override {
    {
      MPOWER_ASSIGN_OR_RETURN(auto statement,
                              db_.Prepare("DELETE FROM resources WHERE name = ?"));
      statement->BindText(1, name);
      MPOWER_RETURN_IF_ERROR(statement->Run());
    }
    MPOWER_RETURN_IF_ERROR(ReplaceReferences(name, {}));
    return RecordChange(name, /*removed=*/true);
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

  absl::Status RecordChange(absl::string_view name, bool removed) {
    wrote_ = true;
    MPOWER_ASSIGN_OR_RETURN(
        auto statement,
        db_.Prepare("INSERT OR REPLACE INTO changes(revision, name, removed) VALUES (?, ?, ?)"));
    statement->BindInt64(1, revision_);
    statement->BindText(2, name);
    statement->BindInt64(3, removed ? 1 : 0);
    return statement->Run();
  }

  sqlite::Database& db_;
  const int64_t revision_;
  bool wrote_ = false;
};

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path) {
  MPOWER_ASSIGN_OR_RETURN(std::unique_ptr<sqlite::Database> writer,
                          sqlite::Database::Open(path));
  MPOWER_RETURN_IF_ERROR(writer->Execute(kSchema));
  MPOWER_ASSIGN_OR_RETURN(int64_t revision, ReadRevision(*writer));
  return std::unique_ptr<SqliteStore>(new SqliteStore(path, std::move(writer), revision));
}

SqliteStore::SqliteStore(std::string path, std::unique_ptr<sqlite::Database> writer,
                         int64_t revision)
    : path_(std::move(path)), writer_(std::move(writer)), revision_(revision) {}

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
  return GetFrom(*lease, name);
}

absl::StatusOr<ListResult> SqliteStore::List(const ListQuery& query) {
  MPOWER_ASSIGN_OR_RETURN(auto db, AcquireReader());
  ReaderLease lease(*this, std::move(db));
  // One read transaction, so the page is a consistent snapshot.
  MPOWER_RETURN_IF_ERROR((*lease).Execute("BEGIN"));
  ListResult result;
  std::string after = query.after_name;
  size_t scanned = 0;
  absl::Status status;
  constexpr int64_t kBatch = 256;
  while (status.ok()) {
    absl::StatusOr<std::unique_ptr<sqlite::Statement>> statement =
        query.parent.empty()
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
      StoredResource resource = ReadResource(**statement);
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
  std::lock_guard<std::mutex> lock(write_mutex_);
  MPOWER_RETURN_IF_ERROR(writer_->Execute("BEGIN IMMEDIATE"));
  const int64_t next = revision_.load() + 1;
  Transaction transaction(*writer_, next);
  absl::Status status = body(transaction);
  if (status.ok() && transaction.wrote()) {
    status = SaveRevision(next);
    if (status.ok()) status = writer_->Execute("COMMIT");
    if (status.ok()) {
      revision_.store(next);
      return next;
    }
  }
  writer_->Execute("ROLLBACK").IgnoreError();
  if (!status.ok()) return status;
  return revision_.load();
}

absl::Status SqliteStore::SaveRevision(int64_t revision) {
  MPOWER_ASSIGN_OR_RETURN(
      auto statement, writer_->Prepare("UPDATE metadata SET value = ? WHERE key = 'revision'"));
  statement->BindInt64(1, revision);
  return statement->Run();
}

absl::StatusOr<int64_t> SqliteStore::CurrentRevision() { return revision_.load(); }

}  // namespace mpower
