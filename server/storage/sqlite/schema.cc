#include "server/storage/sqlite/schema.h"

#include "absl/strings/str_cat.h"
#include "server/base/status_macros.h"

namespace mpower::sqlite {
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

}  // namespace

absl::Status CreateSchema(Database& db) {
  MPOWER_RETURN_IF_ERROR(db.Execute(kSchema));
  MPOWER_ASSIGN_OR_RETURN(int64_t version, ReadMetadata(db, "schema_version"));
  if (version > kSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the database has schema version ", version, ", newer than the ", kSchemaVersion,
        " this mpowerd knows; run the mpowerd that wrote it, or a newer one"));
  }
  if (version < 2) {
    // Version 2: audit entries say why, where their method asks (a purge).
    // One transaction, so a crash leaves version 1 whole.
    MPOWER_RETURN_IF_ERROR(
        db.Execute("BEGIN IMMEDIATE; "
                   "ALTER TABLE audit_log ADD COLUMN reason TEXT NOT NULL DEFAULT ''; "
                   "UPDATE metadata SET value = 2 WHERE key = 'schema_version'; "
                   "COMMIT;"));
  }
  if (version < 3) {
    // Version 3: where each subscription's notifications have got to.
    MPOWER_RETURN_IF_ERROR(
        db.Execute("BEGIN IMMEDIATE; "
                   "CREATE TABLE IF NOT EXISTS delivery_states("
                   "  subscription TEXT PRIMARY KEY, data BLOB NOT NULL) WITHOUT ROWID; "
                   "UPDATE metadata SET value = 3 WHERE key = 'schema_version'; "
                   "COMMIT;"));
  }
  if (version < 4) {
    // Version 4: every stored copy of one resource found without reading
    // the whole history: the copies a narrowing, a removed recipient or a
    // sealed envelope's data key check must see (RewriteCopies).
    MPOWER_RETURN_IF_ERROR(
        db.Execute("BEGIN IMMEDIATE; "
                   "CREATE INDEX IF NOT EXISTS changes_by_name ON changes(name, revision); "
                   "UPDATE metadata SET value = 4 WHERE key = 'schema_version'; "
                   "COMMIT;"));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> ReadMetadata(Database& db, absl::string_view key) {
  MPOWER_ASSIGN_OR_RETURN(auto statement, db.Prepare("SELECT value FROM metadata WHERE key = ?"));
  statement->BindText(1, key);
  MPOWER_ASSIGN_OR_RETURN(bool found, statement->Step());
  if (!found) return absl::DataLossError(absl::StrCat("the database has no ", key, " record"));
  return statement->ColumnInt64(0);
}

absl::Status WriteMetadata(Database& db, absl::string_view key, int64_t value) {
  MPOWER_ASSIGN_OR_RETURN(auto statement,
                          db.Prepare("UPDATE metadata SET value = ? WHERE key = ?"));
  statement->BindInt64(1, value);
  statement->BindText(2, key);
  return statement->Run();
}

}  // namespace mpower::sqlite
