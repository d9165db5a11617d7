#include "server/daemon/data_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "server/base/log.h"
#include "server/core/alert_rules.h"
#include "server/core/index_terms.h"
#include "server/storage/postgres/postgres_store.h"
#include "server/storage/postgres/schema.h"
#include "server/storage/sqlite/schema.h"
#include "server/storage/sqlite/sqlite_store.h"

namespace mpower {

std::string DefaultDataDir() {
  if (const char* dir = std::getenv("MPOWER_DATA_DIR"); dir != nullptr && *dir != '\0') {
    return dir;
  }
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg != nullptr && *xdg != '\0') {
    return absl::StrCat(xdg, "/mpower");
  }
  const char* home = std::getenv("HOME");
  return absl::StrCat(home != nullptr ? home : ".", "/.local/share/mpower");
}

bool MakeDirectories(const std::string& path) {
  for (size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
    const std::string prefix = path.substr(0, slash);
    if (mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) return false;
    if (slash == std::string::npos) return true;
  }
}

bool LockDataDir(const std::string& data_dir) {
  const std::string path = absl::StrCat(data_dir, "/mpowerd.lock");
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || ::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    Log(LogLevel::kError, "main",
        absl::StrCat("another mpowerd is using ", data_dir, " (", path,
                     " is locked); stop it first"));
    return false;
  }
  return true;  // the descriptor stays open, and the lock held, until exit
}

std::string DataPaths::DatabaseForHumans() const {
  return postgres() ? "the PostgreSQL database of --database" : database;
}

absl::StatusOr<OpenedStore> OpenStore(const DataPaths& paths) {
  OpenedStore opened;
  absl::StatusOr<std::unique_ptr<Keyring>> keyring = Keyring::LoadOrCreate(paths.key_dir);
  if (!keyring.ok()) return keyring.status();
  opened.keyring = *std::move(keyring);
  absl::Status status;
  if (paths.postgres()) {
    absl::StatusOr<std::unique_ptr<PostgresStore>> store =
        PostgresStore::Open(paths.database_url, opened.keyring.get());
    status = store.status();
    if (store.ok()) opened.store = *std::move(store);
    opened.backend = "postgresql";
    opened.schema_version = postgres::LatestSchemaVersion();
  } else {
    absl::StatusOr<std::unique_ptr<SqliteStore>> store =
        SqliteStore::Open(paths.database, opened.keyring.get());
    status = store.status();
    if (store.ok()) opened.store = *std::move(store);
    opened.backend = "sqlite";
    opened.schema_version = sqlite::kSchemaVersion;
  }
  if (!status.ok()) {
    return absl::Status(status.code(), absl::StrCat("cannot open ", paths.DatabaseForHumans(), ": ",
                                                    status.message()));
  }
  if (absl::Status indexed = InstallIndexTerms(*opened.store); !indexed.ok()) {
    return absl::Status(indexed.code(), absl::StrCat("indexing ", paths.DatabaseForHumans(), ": ",
                                                     indexed.message()));
  }
  // Alerts stored before alerts had data keys get theirs, so that a purge
  // erases them too (ResourceTraits<Alert>::kErasable).
  static_assert(ResourceTraits<v1::Alert>::kErasable);
  if (absl::Status sealed =
          opened.store->SealUnderDataKeys(ResourceTraits<v1::Alert>::kName.collection);
      !sealed.ok()) {
    return absl::Status(sealed.code(),
                        absl::StrCat("sealing alerts under their data keys in ",
                                     paths.DatabaseForHumans(), ": ", sealed.message()));
  }
  return opened;
}

}  // namespace mpower
