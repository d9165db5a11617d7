// SqliteStore's maintenance: re-indexing for a new term extractor,
// re-sealing under a new key, and compacting the history. Each runs in one
// write transaction of its own, so a crash leaves it undone, never half
// done.

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/base/status_macros.h"
#include "server/storage/crypto.h"
#include "server/storage/sqlite/rows.h"
#include "server/storage/sqlite/schema.h"
#include "server/storage/sqlite/sqlite_store.h"
#include "server/storage/sqlite/write_transaction.h"

namespace mpower {
namespace {

// The version of the extractor the term index was built by; "" for none.
absl::StatusOr<std::string> IndexedTermsVersion(sqlite::Database& db) {
  MPOWER_ASSIGN_OR_RETURN(
      auto statement,
      db.Prepare("SELECT CAST(value AS TEXT) FROM metadata WHERE key = 'terms_version'"));
  MPOWER_ASSIGN_OR_RETURN(bool found, statement->Step());
  return found ? statement->ColumnText(0) : "";
}

// Rebuilds the whole term index with `extractor`, and records `version`.
absl::Status Reindex(sqlite::Database& db, const TermExtractor& extractor,
                     absl::string_view version) {
  MPOWER_RETURN_IF_ERROR(db.Execute("DELETE FROM resource_terms"));
  MPOWER_ASSIGN_OR_RETURN(auto rows, db.Prepare("SELECT name, collection, data FROM resources"));
  while (true) {
    MPOWER_ASSIGN_OR_RETURN(bool row, rows->Step());
    if (!row) break;
    StoredResource resource;
    resource.name = rows->ColumnText(0);
    resource.collection = rows->ColumnText(1);
    resource.data = rows->ColumnBlob(2);
    MPOWER_RETURN_IF_ERROR(
        sqlite::InsertTerms(db, resource.collection, resource.name, extractor(resource)));
  }
  MPOWER_ASSIGN_OR_RETURN(auto save, db.Prepare("INSERT OR REPLACE INTO metadata(key, value) "
                                                "VALUES ('terms_version', ?)"));
  save->BindText(1, version);
  return save->Run();
}

// Re-seals the sealed rows of the resources and of the history that
// `where` (binding `value`) selects and `change` changes (returning
// whether it did), in the caller's transaction. Returns how many resources
// it re-sealed; their history rows are not counted.
absl::StatusOr<int64_t> ResealRows(sqlite::Database& db, const Keyring& keyring,
                                   const std::string& where, absl::string_view value,
                                   const std::function<bool(StoredResource&)>& change) {
  struct Table {
    const char* select;
    const char* update;
    bool is_history;
  };
  const Table tables[] = {
      {MPOWER_SELECT_RESOURCES,
       "UPDATE resources SET protected_data = ?, protected_key_id = ? WHERE name = ?", false},
      {MPOWER_SELECT_CHANGES,
       "UPDATE changes SET protected_data = ?, protected_key_id = ? "
       "WHERE revision = ? AND name = ?",
       true}};
  int64_t count = 0;
  for (const Table& table : tables) {
    std::vector<StoredResource> rows;
    {
      MPOWER_ASSIGN_OR_RETURN(
          auto statement,
          db.Prepare(absl::StrCat(table.select, "WHERE protected_key_id IS NOT NULL AND ", where)
                         .c_str()));
      statement->BindText(1, value);
      MPOWER_ASSIGN_OR_RETURN(
          rows, sqlite::ReadRows<StoredResource>(*statement, [&](const sqlite::Statement& row) {
            return sqlite::ReadResource(row, keyring);
          }));
    }
    for (StoredResource& resource : rows) {
      if (!change(resource)) continue;
      MPOWER_ASSIGN_OR_RETURN(auto update, db.Prepare(table.update));
      MPOWER_RETURN_IF_ERROR(sqlite::BindSealed(*update, 1, keyring, resource));
      if (table.is_history) {
        update->BindInt64(3, resource.update_revision);  // the change's revision
        update->BindText(4, resource.name);
      } else {
        update->BindText(3, resource.name);
        ++count;
      }
      MPOWER_RETURN_IF_ERROR(update->Run());
    }
  }
  return count;
}

}  // namespace

absl::Status SqliteStore::SetTermExtractor(std::string version, TermExtractor extractor) {
  absl::MutexLock lock(&write_mutex_);
  MPOWER_ASSIGN_OR_RETURN(std::string indexed, IndexedTermsVersion(*writer_));
  if (indexed != version) {
    // A crash leaves the old version recorded, so the next start does it
    // again.
    sqlite::Transaction transaction(*writer_);
    MPOWER_RETURN_IF_ERROR(transaction.Begin(sqlite::Transaction::kWrite));
    MPOWER_RETURN_IF_ERROR(Reindex(*writer_, extractor, version));
    MPOWER_RETURN_IF_ERROR(transaction.Commit());
  }
  extractor_ = std::move(extractor);
  terms_ready_.store(true);
  return absl::OkStatus();
}

absl::StatusOr<int64_t> SqliteStore::ReencryptProtectedData() {
  int64_t count = 0;
  MPOWER_RETURN_IF_ERROR(WithWriter([&](sqlite::Database& db) -> absl::Status {
    MPOWER_ASSIGN_OR_RETURN(
        count, ResealRows(db, keyring_, "protected_key_id != ?", keyring_.current_key_id(),
                          [](StoredResource&) { return true; }));
    return absl::OkStatus();
  }));
  return count;
}

absl::Status SqliteStore::SealUnderDataKeys(absl::string_view collection) {
  const std::string done = absl::StrCat("data_keys:", collection);
  return WithWriter([&](sqlite::Database& db) -> absl::Status {
    MPOWER_ASSIGN_OR_RETURN(auto sealed,
                            db.Prepare("SELECT 1 FROM metadata WHERE key = ? AND value = 1"));
    sealed->BindText(1, done);
    MPOWER_ASSIGN_OR_RETURN(bool already, sealed->Step());
    if (already) return absl::OkStatus();
    MPOWER_RETURN_IF_ERROR(
        ResealRows(db, keyring_, "collection = ?", collection, [](StoredResource& resource) {
          if (resource.erasable) return false;
          resource.erasable = true;
          return true;
        }).status());
    MPOWER_ASSIGN_OR_RETURN(
        auto save, db.Prepare("INSERT OR REPLACE INTO metadata(key, value) VALUES (?, 1)"));
    save->BindText(1, done);
    return save->Run();
  });
}

absl::Status SqliteStore::Compact(int64_t revision) {
  revision = std::min(revision, revision_.load());
  return WithWriter([&](sqlite::Database& db) -> absl::Status {
    MPOWER_ASSIGN_OR_RETURN(int64_t compacted, sqlite::ReadMetadata(db, "compacted_revision"));
    if (revision <= compacted) return absl::OkStatus();
    MPOWER_ASSIGN_OR_RETURN(auto drop, db.Prepare("DELETE FROM changes WHERE revision <= ?"));
    drop->BindInt64(1, revision);
    MPOWER_RETURN_IF_ERROR(drop->Run());
    return sqlite::WriteMetadata(db, "compacted_revision", revision);
  });
}

absl::StatusOr<std::string> SqliteStore::SharedSecret(absl::string_view name) {
  const std::string key = absl::StrCat("secret:", name);
  {
    absl::MutexLock lock(&secrets_mutex_);
    if (auto known = secrets_.find(key); known != secrets_.end()) return known->second;
  }
  std::string secret;
  {
    absl::MutexLock lock(&write_mutex_);
    sqlite::Transaction transaction(*writer_);
    MPOWER_RETURN_IF_ERROR(transaction.Begin(sqlite::Transaction::kWrite));
    MPOWER_ASSIGN_OR_RETURN(auto make,
                            writer_->Prepare("INSERT OR IGNORE INTO metadata(key, value) "
                                             "VALUES (?, ?)"));
    make->BindText(1, key);
    // A blob: metadata's INTEGER affinity leaves blobs as they are.
    make->BindBlob(2, RandomBytes(kAeadKeyBytes));
    MPOWER_RETURN_IF_ERROR(make->Run());
    MPOWER_ASSIGN_OR_RETURN(auto read,
                            writer_->Prepare("SELECT value FROM metadata WHERE key = ?"));
    read->BindText(1, key);
    MPOWER_ASSIGN_OR_RETURN(bool found, read->Step());
    if (!found) return absl::InternalError("a shared secret vanished as it was made");
    secret = read->ColumnBlob(0);
    read.reset();
    MPOWER_RETURN_IF_ERROR(transaction.Commit());
  }
  absl::MutexLock lock(&secrets_mutex_);
  return secrets_.emplace(key, secret).first->second;
}

}  // namespace mpower
