#include "server/storage/postgres/schema.h"

#include "absl/strings/str_cat.h"
#include "server/base/status_macros.h"

namespace mpower::postgres {
namespace {

// Version 1. Each resource is one row holding its serialized proto; the
// columns beside it are the ones storage itself must index. Names sort
// bytewise (COLLATE "C"), as in SQLite, so pages and page tokens are the
// same on both backends whatever the database's locale.
constexpr const char kVersion1[] = R"sql(
CREATE TABLE resources(
  name TEXT COLLATE "C" PRIMARY KEY,
  collection TEXT COLLATE "C" NOT NULL,
  parent TEXT COLLATE "C" NOT NULL,
  external_id TEXT COLLATE "C",
  create_revision BIGINT NOT NULL,
  update_revision BIGINT NOT NULL,
  deleted BOOLEAN NOT NULL,
  data BYTEA NOT NULL,
  protected_data BYTEA,       -- AES-256-GCM: nonce, ciphertext, tag
  protected_key_id TEXT       -- the key that sealed protected_data
);
CREATE INDEX resources_by_collection ON resources(collection, name);
CREATE INDEX resources_by_parent ON resources(parent, collection, name);
CREATE UNIQUE INDEX resources_by_external_id
  ON resources(collection, parent, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX resources_by_key ON resources(protected_key_id)
  WHERE protected_key_id IS NOT NULL;
CREATE TABLE resource_references(
  to_name TEXT COLLATE "C" NOT NULL,
  from_name TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY(to_name, from_name)
);
CREATE INDEX resource_references_from ON resource_references(from_name);
CREATE TABLE resource_terms(
  collection TEXT COLLATE "C" NOT NULL,
  term TEXT COLLATE "C" NOT NULL,
  name TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY(collection, term, name)
);
CREATE INDEX resource_terms_by_name ON resource_terms(name);
CREATE TABLE changes(
  revision BIGINT NOT NULL,
  name TEXT COLLATE "C" NOT NULL,
  kind BIGINT NOT NULL,
  collection TEXT COLLATE "C" NOT NULL,
  parent TEXT COLLATE "C" NOT NULL,
  create_revision BIGINT NOT NULL,
  deleted BOOLEAN NOT NULL,
  data BYTEA NOT NULL,
  protected_data BYTEA,
  protected_key_id TEXT,
  PRIMARY KEY(revision, name)
);
CREATE INDEX changes_by_key ON changes(protected_key_id) WHERE protected_key_id IS NOT NULL;
CREATE TABLE requests(
  request_key TEXT COLLATE "C" PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  name TEXT NOT NULL,
  revision BIGINT NOT NULL
);
-- Counters. The row 'revision' is the store's one serialization point:
-- every write transaction locks it first (postgres_store.cc says why).
CREATE TABLE counters(
  key TEXT PRIMARY KEY,
  value BIGINT NOT NULL
);
INSERT INTO counters(key, value) VALUES
  ('revision', 0), ('compacted_revision', 0), ('credentials_generation', 0);
CREATE TABLE settings(
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE credentials(
  id TEXT COLLATE "C" PRIMARY KEY,
  data BYTEA NOT NULL,
  secret_hash TEXT,
  certificate_subject TEXT
);
CREATE UNIQUE INDEX credentials_by_secret_hash
  ON credentials(secret_hash) WHERE secret_hash IS NOT NULL;
CREATE UNIQUE INDEX credentials_by_subject
  ON credentials(certificate_subject) WHERE certificate_subject IS NOT NULL;
CREATE TABLE audit_log(
  sequence BIGINT PRIMARY KEY,
  unix_micros BIGINT NOT NULL,
  principal TEXT NOT NULL,
  method TEXT NOT NULL,
  resource TEXT NOT NULL,
  request_id TEXT NOT NULL,
  previous_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
-- Append-only through mpowerd; the hash chain catches anyone who edits the
-- table some other way.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
)sql";

// Version 2: audit entries say why, where their method asks (a purge).
constexpr const char kVersion2[] = R"sql(
ALTER TABLE audit_log ADD COLUMN reason TEXT NOT NULL DEFAULT '';
)sql";

// Version 3: where each subscription's notifications have got to.
constexpr const char kVersion3[] = R"sql(
CREATE TABLE delivery_states(
  subscription TEXT COLLATE "C" PRIMARY KEY,
  data BYTEA NOT NULL
);
)sql";

// Version 4: every stored copy of one resource found without reading the
// whole history: the copies a narrowing, a removed recipient or a sealed
// envelope's data key check must see (RewriteCopies).
constexpr const char kVersion4[] = R"sql(
CREATE INDEX changes_by_name ON changes(name, revision);
)sql";

// The migrations in order: migration i takes the schema to version i + 1.
constexpr const char* kMigrations[] = {kVersion1, kVersion2, kVersion3, kVersion4};

}  // namespace

int64_t LatestSchemaVersion() { return static_cast<int64_t>(std::size(kMigrations)); }

absl::Status Migrate(Connection& connection) {
  MPOWER_RETURN_IF_ERROR(connection.Execute("SELECT pg_advisory_lock($1)",
                                            Params().Int64(kMigrationLock), "waiting to migrate"));
  absl::Status status = [&]() -> absl::Status {
    MPOWER_RETURN_IF_ERROR(connection.Execute(
        "CREATE TABLE IF NOT EXISTS mpower_schema(version BIGINT NOT NULL)", "migrating"));
    MPOWER_ASSIGN_OR_RETURN(auto rows, connection.Query("SELECT max(version)::bigint FROM "
                                                        "mpower_schema",
                                                        "reading the schema version"));
    const int64_t version = rows->IsNull(0, 0) ? 0 : rows->Int64(0, 0);
    if (version > LatestSchemaVersion()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the database has schema version ", version, ", newer than the ", LatestSchemaVersion(),
          " this mpowerd knows; run the mpowerd that wrote it, or newer"));
    }
    for (int64_t next = version + 1; next <= LatestSchemaVersion(); ++next) {
      Transaction transaction(connection);
      MPOWER_RETURN_IF_ERROR(transaction.Begin());
      MPOWER_RETURN_IF_ERROR(connection.Execute(kMigrations[next - 1], "migrating"));
      MPOWER_RETURN_IF_ERROR(connection.Execute("INSERT INTO mpower_schema(version) VALUES ($1)",
                                                Params().Int64(next), "migrating"));
      MPOWER_RETURN_IF_ERROR(transaction.Commit());
    }
    return absl::OkStatus();
  }();
  connection.Execute("SELECT pg_advisory_unlock($1)", Params().Int64(kMigrationLock), "migrating")
      .IgnoreError();
  return status;
}

}  // namespace mpower::postgres
