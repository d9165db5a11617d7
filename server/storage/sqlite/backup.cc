#include "server/storage/sqlite/backup.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace mpower {
namespace {

struct CloseDatabase {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Connection = std::unique_ptr<sqlite3, CloseDatabase>;

absl::StatusOr<Connection> OpenConnection(const std::string& path, int flags) {
  sqlite3* db = nullptr;
  const int code = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  Connection connection(db);
  if (code != SQLITE_OK) {
    return absl::UnavailableError(absl::StrCat("cannot open ", path, ": ", sqlite3_errstr(code)));
  }
  sqlite3_busy_timeout(db, 10000);
  return connection;
}

// The first row's text of a one-value query, or the error.
absl::StatusOr<std::string> QueryText(sqlite3* db, const char* sql) {
  sqlite3_stmt* statement = nullptr;
  int code = sqlite3_prepare_v2(db, sql, -1, &statement, nullptr);
  std::string text;
  if (code == SQLITE_OK) {
    code = sqlite3_step(statement);
    if (code == SQLITE_ROW) {
      const unsigned char* value = sqlite3_column_text(statement, 0);
      text = value != nullptr ? reinterpret_cast<const char*>(value) : "";
      code = SQLITE_OK;
    }
  }
  sqlite3_finalize(statement);
  if (code != SQLITE_OK && code != SQLITE_DONE) {
    return absl::DataLossError(absl::StrCat(sqlite3_errstr(code)));
  }
  return text;
}

// Checks that `db` is a whole mpower database.
absl::Status CheckDatabase(sqlite3* db, const std::string& path) {
  absl::StatusOr<std::string> integrity = QueryText(db, "PRAGMA integrity_check");
  if (!integrity.ok() || *integrity != "ok") {
    return absl::DataLossError(
        absl::StrCat(path, " fails SQLite's integrity check (",
                     integrity.ok() ? *integrity : std::string(integrity.status().message()), ")"));
  }
  absl::StatusOr<std::string> tables =
      QueryText(db,
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                "('resources', 'changes', 'metadata', 'credentials', 'audit_log')");
  if (!tables.ok() || *tables != "5") {
    return absl::InvalidArgumentError(absl::StrCat(path, " is not an mpower database"));
  }
  return absl::OkStatus();
}

// Copies every page of `from` into `to` in one step: one read transaction
// on `from`, so the copy is a single consistent snapshot.
absl::Status CopyPages(sqlite3* from, sqlite3* to, const std::string& what) {
  sqlite3_backup* backup = sqlite3_backup_init(to, "main", from, "main");
  if (backup == nullptr) {
    return absl::UnavailableError(absl::StrCat(what, ": ", sqlite3_errmsg(to)));
  }
  int code;
  do {
    code = sqlite3_backup_step(backup, -1);
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED) sqlite3_sleep(50);
  } while (code == SQLITE_OK || code == SQLITE_BUSY || code == SQLITE_LOCKED);
  sqlite3_backup_finish(backup);
  if (code != SQLITE_DONE) {
    return absl::UnavailableError(absl::StrCat(what, ": ", sqlite3_errstr(code)));
  }
  return absl::OkStatus();
}

absl::Status SyncFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0 || ::fsync(fd) != 0) {
    if (fd >= 0) ::close(fd);
    return absl::UnavailableError(absl::StrCat("cannot sync ", path));
  }
  ::close(fd);
  return absl::OkStatus();
}

}  // namespace

absl::Status BackupDatabase(const std::string& database, const std::string& destination) {
  std::error_code error;
  if (std::filesystem::exists(destination, error)) {
    return absl::AlreadyExistsError(
        absl::StrCat(destination, " exists; back up to a new file name"));
  }
  if (!std::filesystem::exists(database, error)) {
    return absl::NotFoundError(absl::StrCat("no database at ", database));
  }
  const std::string partial = destination + ".partial";
  std::filesystem::remove(partial, error);
  absl::Status status = [&]() -> absl::Status {
    absl::StatusOr<Connection> source = OpenConnection(database, SQLITE_OPEN_READWRITE);
    if (!source.ok()) return source.status();
    absl::StatusOr<Connection> copy =
        OpenConnection(partial, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (!copy.ok()) return copy.status();
    if (absl::Status copied = CopyPages(source->get(), copy->get(), "backup"); !copied.ok()) {
      return copied;
    }
    // A backup is one self-contained file: no write-ahead log beside it.
    if (absl::StatusOr<std::string> mode = QueryText(copy->get(), "PRAGMA journal_mode = DELETE");
        !mode.ok()) {
      return mode.status();
    }
    return CheckDatabase(copy->get(), partial);
  }();
  if (status.ok()) status = SyncFile(partial);
  if (status.ok()) {
    std::filesystem::rename(partial, destination, error);
    if (error) status = absl::UnavailableError(absl::StrCat("cannot rename to ", destination));
  }
  if (status.ok()) {
    status = SyncFile(std::filesystem::path(destination).parent_path().empty()
                          ? "."
                          : std::filesystem::path(destination).parent_path().string());
  }
  if (!status.ok()) std::filesystem::remove(partial, error);
  return status;
}

absl::Status RestoreDatabase(const std::string& backup, const std::string& database) {
  std::error_code error;
  if (std::filesystem::exists(database, error)) {
    return absl::FailedPreconditionError(
        absl::StrCat(database,
                     " exists; move it (and any -wal and -shm files beside it) aside, keep it "
                     "until the restored server checks out, and restore again"));
  }
  absl::StatusOr<Connection> source = OpenConnection(backup, SQLITE_OPEN_READONLY);
  if (!source.ok()) return source.status();
  if (absl::Status checked = CheckDatabase(source->get(), backup); !checked.ok()) return checked;
  absl::StatusOr<Connection> target =
      OpenConnection(database, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!target.ok()) return target.status();
  if (absl::Status copied = CopyPages(source->get(), target->get(), "restore"); !copied.ok()) {
    return copied;
  }
  if (absl::Status checked = CheckDatabase(target->get(), database); !checked.ok()) return checked;
  return SyncFile(database);
}

}  // namespace mpower
