#ifndef MPOWER_SERVER_STORAGE_SQLITE_H_
#define MPOWER_SERVER_STORAGE_SQLITE_H_

// Small RAII wrappers over SQLite's C API, in the manner of chromium's
// sql::Database and sql::Statement: one owner per handle, statements
// prepared once and reused, every error an absl::Status.

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace mpower::sqlite {

// A prepared statement borrowed from a Database's cache. Resets itself and
// clears its bindings when it goes out of scope. Not thread-safe; lives no
// longer than its Database.
class Statement {
 public:
  explicit Statement(sqlite3_stmt* statement) : statement_(statement) {}
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Binds parameters; `index` starts at 1 as in SQLite.
  void BindInt64(int index, int64_t value);
  void BindText(int index, absl::string_view value);
  void BindBlob(int index, absl::string_view value);
  void BindNull(int index);

  // Advances to the next row: true if there is one, false when done.
  absl::StatusOr<bool> Step();
  // Runs a statement that returns no rows.
  absl::Status Run();

  int64_t ColumnInt64(int column) const;
  std::string ColumnText(int column) const;
  std::string ColumnBlob(int column) const;
  bool ColumnIsNull(int column) const;

 private:
  sqlite3_stmt* statement_;
};

// One connection to a database file. Not thread-safe: use each Database
// from one thread at a time.
class Database {
 public:
  // Opens (creating if needed) the database at `path` in WAL mode with
  // synchronous=FULL, so a committed transaction survives power loss.
  static absl::StatusOr<std::unique_ptr<Database>> Open(const std::string& path);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one or more statements that return no rows. REQUIRES: `sql` is a
  // string literal; one statement (no ';') is kept prepared, as Prepare does.
  absl::Status Execute(const char* sql);

  // Returns the cached prepared statement for `sql`, preparing it the first
  // time. REQUIRES: `sql` is a string literal (the cache is keyed by its
  // address) and no other Statement for the same SQL is alive.
  absl::StatusOr<std::unique_ptr<Statement>> Prepare(const char* sql);

  sqlite3* handle() { return db_; }

 private:
  explicit Database(sqlite3* db) : db_(db) {}

  sqlite3* db_;
  std::map<const char*, sqlite3_stmt*> statements_;
};

// Logs SQLite's message and maps its result code to a Status: disk full,
// read-only, busy and I/O errors become UNAVAILABLE (the caller may retry
// later), constraint violations ALREADY_EXISTS, everything else INTERNAL. `context` says what was being done;
// neither SQL nor SQLite's message reaches the status.
absl::Status SqliteError(sqlite3* db, int code, absl::string_view context);

}  // namespace mpower::sqlite

#endif  // MPOWER_SERVER_STORAGE_SQLITE_H_
