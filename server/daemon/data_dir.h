#ifndef MPOWER_SERVER_DAEMON_DATA_DIR_H_
#define MPOWER_SERVER_DAEMON_DATA_DIR_H_

// Where mpowerd keeps its state, and how it opens it: the data directory,
// its lock, and the store with its keys.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "server/storage/keyring.h"
#include "server/storage/store.h"

namespace mpower {

// $MPOWER_DATA_DIR, else $XDG_DATA_HOME/mpower, else ~/.local/share/mpower.
std::string DefaultDataDir();

// Creates `path` and its parents, owner-only (alerts are in there).
bool MakeDirectories(const std::string& path);

// Takes the data directory's lock, held until exit, so that one mpowerd
// serves a database at a time and restore and key rotation never run
// under a live server. False, having logged why, if another holds it.
bool LockDataDir(const std::string& data_dir);

// Where one data directory's parts are.
struct DataPaths {
  std::string data_dir;
  std::string database;      // DATA_DIR/mpower.db, the SQLite default
  std::string key_dir;       // DATA_DIR/keys unless --key-dir says otherwise
  std::string database_url;  // --database: a PostgreSQL URL; "" for SQLite

  bool postgres() const { return !database_url.empty(); }
  // What the database is, for messages (never the URL, which may hold a
  // password).
  std::string DatabaseForHumans() const;
};

// A store opened with its keys, indexed and ready.
struct OpenedStore {
  std::unique_ptr<Keyring> keyring;
  std::unique_ptr<Store> store;  // declared after the keyring it uses
  // "sqlite" or "postgresql", and the schema version the database is at
  // now that it is open: what GetServerInfo reports.
  std::string backend;
  int64_t schema_version = 0;
};

// Loads (creating if needed) the keys and opens the database, SQLite under
// the data directory or PostgreSQL at database_url, indexing it for List.
// The error says which part failed.
absl::StatusOr<OpenedStore> OpenStore(const DataPaths& paths);

}  // namespace mpower

#endif  // MPOWER_SERVER_DAEMON_DATA_DIR_H_
