// PostgresStore's maintenance: compaction, re-indexing for a new term
// extractor and re-sealing under a new key, each in one transaction holding
// the revision lock, so replicas doing it at once take turns.

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "server/base/status_macros.h"
#include "server/storage/crypto.h"
#include "server/storage/postgres/postgres_store.h"
#include "server/storage/postgres/rows.h"
#include "server/storage/postgres/write_transaction.h"

namespace mpower {

using postgres::Connection;
using postgres::Params;
using postgres::ReadCounter;

absl::Status PostgresStore::Compact(int64_t revision) {
  return WithWriter([&](Connection& connection) -> absl::Status {
    MPOWER_ASSIGN_OR_RETURN(
        int64_t current,
        ReadCounter(connection, "SELECT value FROM counters WHERE key = 'revision'"));
    MPOWER_ASSIGN_OR_RETURN(
        int64_t compacted,
        ReadCounter(connection, "SELECT value FROM counters WHERE key = 'compacted_revision'"));
    revision = std::min(revision, current);
    if (revision <= compacted) return absl::OkStatus();
    MPOWER_RETURN_IF_ERROR(connection.Execute("DELETE FROM changes WHERE revision <= $1",
                                              Params().Int64(revision), "compacting"));
    return connection.Execute("UPDATE counters SET value = $1 WHERE key = 'compacted_revision'",
                              Params().Int64(revision), "compacting");
  });
}

absl::Status PostgresStore::SetTermExtractor(std::string version, TermExtractor extractor) {
  MPOWER_RETURN_IF_ERROR(WithWriter([&](Connection& connection) -> absl::Status {
    MPOWER_ASSIGN_OR_RETURN(
        auto indexed, connection.Query("SELECT value FROM settings WHERE key = 'terms_version'",
                                       "reading the index version"));
    if (indexed->rows() == 1 && indexed->Bytes(0, 0) == version) return absl::OkStatus();
    // Another replica may be indexing too: the revision lock makes it wait,
    // and then find the work done.
    MPOWER_RETURN_IF_ERROR(connection.Execute("DELETE FROM resource_terms", "re-indexing"));
    // A page at a time, so that re-indexing a large store does not hold it
    // all in memory.
    constexpr int kPage = 1000;
    std::string last;
    while (true) {
      MPOWER_ASSIGN_OR_RETURN(auto rows,
                              connection.Query("SELECT name, collection, data FROM resources "
                                               "WHERE name > $1 ORDER BY name LIMIT $2",
                                               Params().Text(last).Int64(kPage), "re-indexing"));
      for (int row = 0; row < rows->rows(); ++row) {
        StoredResource resource;
        resource.name = rows->Bytes(row, 0);
        resource.collection = rows->Bytes(row, 1);
        resource.data = rows->Bytes(row, 2);
        MPOWER_RETURN_IF_ERROR(postgres::InsertTerms(connection, resource.collection, resource.name,
                                                     extractor(resource)));
      }
      if (rows->rows() < kPage) break;
      last = rows->Bytes(rows->rows() - 1, 0);
    }
    return connection.Execute(
        "INSERT INTO settings(key, value) VALUES ('terms_version', $1) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        Params().Text(version), "re-indexing");
  }));
  absl::MutexLock lock(&writer_mutex_);
  extractor_ = std::move(extractor);
  terms_ready_.store(true);
  return absl::OkStatus();
}

namespace {

// Re-seals the sealed rows of the resources and of the history that
// `where` (with $1 bound to `value`) selects and `change` changes
// (returning whether it did), in the caller's transaction. Returns how many
// resources it re-sealed; their history rows are not counted.
absl::StatusOr<int64_t> ResealRows(Connection& connection, const Keyring& keyring,
                                   const std::string& where, absl::string_view value,
                                   const std::function<bool(StoredResource&)>& change) {
  struct Table {
    const char* select;
    const char* update;
    bool is_history;
  };
  const Table tables[] = {
      {MPOWER_PG_SELECT_RESOURCES,
       "UPDATE resources SET protected_data = $1, protected_key_id = $2 WHERE name = $3", false},
      {MPOWER_PG_SELECT_CHANGES,
       "UPDATE changes SET protected_data = $1, protected_key_id = $2 "
       "WHERE revision = $3 AND name = $4",
       true}};
  int64_t count = 0;
  for (const Table& table : tables) {
    MPOWER_ASSIGN_OR_RETURN(
        auto rows,
        connection.Query(
            absl::StrCat(table.select, "WHERE protected_key_id IS NOT NULL AND ", where).c_str(),
            Params().Text(value), "re-sealing"));
    MPOWER_ASSIGN_OR_RETURN(std::vector<StoredResource> resources,
                            postgres::ReadResources(*rows, keyring));
    for (StoredResource& resource : resources) {
      if (!change(resource)) continue;
      Params params;
      MPOWER_RETURN_IF_ERROR(postgres::AddSealed(params, keyring, resource));
      if (table.is_history) {
        params.Int64(resource.update_revision).Text(resource.name);  // the change's revision
      } else {
        params.Text(resource.name);
        ++count;
      }
      MPOWER_RETURN_IF_ERROR(connection.Execute(table.update, params, "re-sealing"));
    }
  }
  return count;
}

}  // namespace

absl::StatusOr<int64_t> PostgresStore::ReencryptProtectedData() {
  int64_t count = 0;
  MPOWER_RETURN_IF_ERROR(WithWriter([&](Connection& connection) -> absl::Status {
    MPOWER_ASSIGN_OR_RETURN(
        count, ResealRows(connection, keyring_, "protected_key_id <> $1", keyring_.current_key_id(),
                          [](StoredResource&) { return true; }));
    return absl::OkStatus();
  }));
  return count;
}

absl::Status PostgresStore::SealUnderDataKeys(absl::string_view collection) {
  const std::string done = absl::StrCat("data_keys:", collection);
  return WithWriter([&](Connection& connection) -> absl::Status {
    // Replicas starting together take turns on the revision lock; the
    // later ones find the work done.
    MPOWER_ASSIGN_OR_RETURN(auto sealed,
                            connection.Query("SELECT value FROM settings WHERE key = $1",
                                             Params().Text(done), "reading a setting"));
    if (sealed->rows() == 1) return absl::OkStatus();
    MPOWER_RETURN_IF_ERROR(ResealRows(connection, keyring_, "collection = $1", collection,
                                      [](StoredResource& resource) {
                                        if (resource.erasable) return false;
                                        resource.erasable = true;
                                        return true;
                                      })
                               .status());
    return connection.Execute("INSERT INTO settings(key, value) VALUES ($1, 'done')",
                              Params().Text(done), "re-sealing");
  });
}

absl::StatusOr<std::string> PostgresStore::SharedSecret(absl::string_view name) {
  const std::string key = absl::StrCat("secret:", name);
  {
    absl::MutexLock lock(&secrets_mutex_);
    if (auto known = secrets_.find(key); known != secrets_.end()) return known->second;
  }
  // Replicas asking at once: the first insert wins, and all read it.
  MPOWER_ASSIGN_OR_RETURN(Lease lease, Acquire());
  MPOWER_RETURN_IF_ERROR(lease->Execute(
      "INSERT INTO settings(key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
      Params().Text(key).Text(absl::BytesToHexString(RandomBytes(kAeadKeyBytes))),
      "making a shared secret"));
  MPOWER_ASSIGN_OR_RETURN(auto read, lease->Query("SELECT value FROM settings WHERE key = $1",
                                                  Params().Text(key), "reading a shared secret"));
  if (read->rows() != 1) return absl::InternalError("a shared secret vanished as it was made");
  const std::string secret = absl::HexStringToBytes(read->Bytes(0, 0));
  absl::MutexLock lock(&secrets_mutex_);
  return secrets_.emplace(key, secret).first->second;
}

}  // namespace mpower
