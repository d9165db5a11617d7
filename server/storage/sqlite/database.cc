#include "server/storage/sqlite/database.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "server/base/log.h"

namespace mpower::sqlite {

absl::Status SqliteError(sqlite3* db, int code, absl::string_view context) {
  // SQLite's own message may name tables and columns: it goes to the log,
  // and the caller gets a message that says what to do.
  Log(LogLevel::kError, "storage",
      absl::StrCat("sqlite error while ", context, ": ",
                   db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code)));
  switch (code & 0xff) {
    case SQLITE_FULL:
      return absl::UnavailableError(
          absl::StrCat("the disk holding the database is full, so nothing was written while ",
                       context, "; reads still work. Retry later; the operator must free space"));
    case SQLITE_READONLY:
      return absl::UnavailableError(
          absl::StrCat("the database is read-only, so nothing was written while ", context,
                       "; reads still work. Retry later; the operator must make it writable"));
    case SQLITE_IOERR:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
      return absl::UnavailableError(absl::StrCat(
          "the database is unavailable while ", context,
          " (an I/O error, or busy); retry later, and tell the operator if it persists"));
    case SQLITE_CONSTRAINT:
      // A unique index or primary key refusing a second record is a
      // conflict the caller can act on; any other constraint (the audit
      // log's append-only trigger) refusing is a fault of the server.
      if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return absl::AlreadyExistsError(
            absl::StrCat("conflicts with an existing record while ", context));
      }
      return absl::InternalError(absl::StrCat("the database refused a change while ", context,
                                              "; the server log has details"));
    default:
      return absl::InternalError(
          absl::StrCat("the database failed while ", context, "; the server log has details"));
  }
}

Statement::~Statement() {
  sqlite3_reset(statement_);
  sqlite3_clear_bindings(statement_);
}

void Statement::BindInt64(int index, int64_t value) {
  sqlite3_bind_int64(statement_, index, value);
}

void Statement::BindText(int index, absl::string_view value) {
  sqlite3_bind_text(statement_, index, value.data(), static_cast<int>(value.size()),
                    SQLITE_TRANSIENT);
}

void Statement::BindBlob(int index, absl::string_view value) {
  sqlite3_bind_blob(statement_, index, value.data(), static_cast<int>(value.size()),
                    SQLITE_TRANSIENT);
}

void Statement::BindNull(int index) { sqlite3_bind_null(statement_, index); }

void Statement::BindTextOrNull(int index, absl::string_view text) {
  if (text.empty()) {
    BindNull(index);
  } else {
    BindText(index, text);
  }
}

absl::StatusOr<bool> Statement::Step() {
  const int code = sqlite3_step(statement_);
  if (code == SQLITE_ROW) return true;
  if (code == SQLITE_DONE) return false;
  return SqliteError(sqlite3_db_handle(statement_), code, "running a statement");
}

absl::Status Statement::Run() {
  absl::StatusOr<bool> row = Step();
  if (!row.ok()) return row.status();
  return absl::OkStatus();
}

int64_t Statement::ColumnInt64(int column) const {
  return sqlite3_column_int64(statement_, column);
}

std::string Statement::ColumnText(int column) const {
  const auto* text = sqlite3_column_text(statement_, column);
  if (text == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(text), sqlite3_column_bytes(statement_, column));
}

std::string Statement::ColumnBlob(int column) const {
  const void* blob = sqlite3_column_blob(statement_, column);
  if (blob == nullptr) return "";
  return std::string(static_cast<const char*>(blob), sqlite3_column_bytes(statement_, column));
}

bool Statement::ColumnIsNull(int column) const {
  return sqlite3_column_type(statement_, column) == SQLITE_NULL;
}

absl::StatusOr<std::unique_ptr<Database>> Database::Open(const std::string& path) {
  sqlite3* db = nullptr;
  const int code = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (code != SQLITE_OK) {
    absl::Status status = SqliteError(db, code, absl::StrCat("opening ", path));
    sqlite3_close(db);
    return status;
  }
  std::unique_ptr<Database> database(new Database(db));
  // Extended result codes tell a unique key's conflict from a trigger's
  // refusal (SqliteError).
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, 5000);
  // temp_store=MEMORY keeps statement journals in memory. Each write of a
  // group commit runs in its own savepoint, whose journal otherwise spills
  // to a temporary file past 64 KiB: a pwrite for every page a write first
  // touched, a third of the leader's time per write.
  // secure_delete=ON zeroes what a write frees (a replaced row's old cell,
  // an emptied page) as it frees it, so that text taken out of the clear
  // (an alert whose scope narrowed) leaves no bytes behind in free space.
  // It costs a little I/O on writes that free whole pages; FAST would
  // leave freed pages (the freelist) unscrubbed.
  absl::Status status = database->Execute(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
      "PRAGMA temp_store=MEMORY; PRAGMA secure_delete=ON;");
  if (!status.ok()) return status;
  return database;
}

Database::~Database() {
  for (auto& [sql, statement] : statements_) sqlite3_finalize(statement);
  sqlite3_close(db_);
}

absl::Status Database::Execute(const char* sql) {
  // One statement (BEGIN, SAVEPOINT, RELEASE, COMMIT on the write path) is
  // kept prepared like any other: sqlite3_exec compiled them anew on every
  // call, a few percent of each write.
  if (std::strchr(sql, ';') == nullptr) {
    absl::StatusOr<std::unique_ptr<Statement>> statement = Prepare(sql);
    if (!statement.ok()) return statement.status();
    return (*statement)->Run();
  }
  const int code = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (code != SQLITE_OK) return SqliteError(db_, code, "executing a statement");
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Statement>> Database::Prepare(const char* sql) {
  auto found = statements_.find(sql);
  if (found == statements_.end()) {
    sqlite3_stmt* statement = nullptr;
    const int code =
        sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &statement, nullptr);
    if (code != SQLITE_OK) return SqliteError(db_, code, "preparing a statement");
    found = statements_.emplace(sql, statement).first;
  }
  return std::make_unique<Statement>(found->second);
}

Transaction::~Transaction() { Rollback(); }

absl::Status Transaction::Begin(Mode mode) {
  absl::Status status = db_.Execute(mode == kWrite ? "BEGIN IMMEDIATE" : "BEGIN");
  open_ = status.ok();
  return status;
}

absl::Status Transaction::Commit() {
  absl::Status status = db_.Execute("COMMIT");
  if (status.ok()) {
    open_ = false;
  } else {
    Rollback();
  }
  return status;
}

void Transaction::Rollback() {
  if (!open_) return;
  open_ = false;
  // SQLite may have rolled back by itself after an I/O error or a full
  // disk; then there is nothing left to roll back.
  if (!db_.InAutocommit()) db_.Execute("ROLLBACK").IgnoreError();
}

}  // namespace mpower::sqlite
