#ifndef MPOWER_SERVER_STORAGE_SQLITE_DATABASE_H_
#define MPOWER_SERVER_STORAGE_SQLITE_DATABASE_H_

// Small RAII wrappers over SQLite's C API, in the manner of chromium's
// sql::Database, sql::Statement and sql::Transaction: one owner per handle,
// statements prepared once and reused, a transaction that rolls itself back
// unless committed, every error an absl::Status.

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

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
  // Binds NULL for an empty `text`, else the text.
  void BindTextOrNull(int index, absl::string_view text);

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

// Steps `statement` through every row, turning each into a T with `read`;
// stops at the first error.
template <typename T>
absl::StatusOr<std::vector<T>> ReadRows(
    Statement& statement, absl::FunctionRef<absl::StatusOr<T>(const Statement&)> read) {
  std::vector<T> rows;
  while (true) {
    absl::StatusOr<bool> row = statement.Step();
    if (!row.ok()) return row.status();
    if (!*row) return rows;
    absl::StatusOr<T> value = read(statement);
    if (!value.ok()) return value.status();
    rows.push_back(*std::move(value));
  }
}

// Steps `statement` to its first row and turns it into a T with `read`;
// nullopt if there is none.
template <typename T>
absl::StatusOr<std::optional<T>> ReadOneRow(
    Statement& statement, absl::FunctionRef<absl::StatusOr<T>(const Statement&)> read) {
  absl::StatusOr<bool> row = statement.Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::nullopt;
  absl::StatusOr<T> value = read(statement);
  if (!value.ok()) return value.status();
  return std::optional<T>(*std::move(value));
}

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

  // Whether no transaction is open. SQLite rolls a transaction back by
  // itself after some errors (a full disk, an I/O error).
  bool InAutocommit() const { return sqlite3_get_autocommit(db_) != 0; }

  sqlite3* handle() { return db_; }

 private:
  explicit Database(sqlite3* db) : db_(db) {}

  sqlite3* db_;
  std::map<const char*, sqlite3_stmt*> statements_;
};

// A transaction on one Database that rolls back when it goes out of scope
// unless Commit() succeeded (chromium's sql::Transaction). Not thread-safe.
//
//   sqlite::Transaction transaction(db);
//   MPOWER_RETURN_IF_ERROR(transaction.Begin(sqlite::Transaction::kWrite));
//   ... statements ...
//   return transaction.Commit();
class Transaction {
 public:
  enum Mode {
    kRead,   // BEGIN: a consistent snapshot for several reads
    kWrite,  // BEGIN IMMEDIATE: takes the write lock at once
  };
  // REQUIRES: `db` outlives the transaction.
  explicit Transaction(Database& db) : db_(db) {}
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  absl::Status Begin(Mode mode);
  // Commits; on failure, rolls back. REQUIRES: Begin succeeded.
  absl::Status Commit();
  // Rolls back now, if still open.
  void Rollback();

 private:
  Database& db_;
  bool open_ = false;
};

// Logs SQLite's message and maps its result code to a Status: disk full,
// read-only, busy and I/O errors become UNAVAILABLE (the caller may retry
// later), a unique or primary key conflict ALREADY_EXISTS, everything else
// (a trigger refusing, as the audit log's append-only guard does) INTERNAL.
// `context` says what was being done; neither SQL nor SQLite's message
// reaches the status.
absl::Status SqliteError(sqlite3* db, int code, absl::string_view context);

}  // namespace mpower::sqlite

#endif  // MPOWER_SERVER_STORAGE_SQLITE_DATABASE_H_
