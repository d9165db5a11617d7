#ifndef MPOWER_SERVER_STORAGE_POSTGRES_CONNECTION_H_
#define MPOWER_SERVER_STORAGE_POSTGRES_CONNECTION_H_

// Small RAII wrappers over libpq, in the manner of the SQLite ones: one
// owner per connection and per result, parameters bound by position,
// results read in binary, every error an absl::Status that never carries
// SQL or the server's message (those go to the log).

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/storage/postgres/libpq.h"

namespace mpower::postgres {

// The parameters of one statement, $1, $2, ... in the order added. Text
// and integers travel as text (PostgreSQL infers their types from the
// statement); bytes travel in binary, for bytea.
class Params {
 public:
  Params& Text(absl::string_view value);
  Params& TextOrNull(absl::string_view value);  // NULL for ""
  Params& Int64(int64_t value);
  Params& Bool(bool value);
  Params& Bytes(absl::string_view value);
  Params& BytesOrNull(absl::string_view value);  // NULL for ""
  Params& Null();
  // A text[] in PostgreSQL's array syntax, for `unnest($n::text[])`: one
  // statement for a whole list instead of one per item.
  Params& TextArray(const std::vector<std::string>& values);

  int size() const { return static_cast<int>(values_.size()); }
  const char* const* values() const { return pointers_.data(); }
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }

 private:
  void Add(std::string value, bool binary, bool null);

  std::deque<std::string> values_;  // a deque: adding keeps earlier values in place
  std::vector<const char*> pointers_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
};

// A statement's result, with columns in binary format. Not thread-safe.
class Result {
 public:
  explicit Result(PGresult* result) : result_(result) {}
  ~Result() { libpq::PQclear(result_); }
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;

  int rows() const { return libpq::PQntuples(result_); }
  bool IsNull(int row, int column) const { return libpq::PQgetisnull(result_, row, column) != 0; }
  // A text, varchar or bytea column's bytes.
  std::string Bytes(int row, int column) const;
  // A bigint column.
  int64_t Int64(int row, int column) const;
  // A boolean column.
  bool Bool(int row, int column) const;

  const PGresult* raw() const { return result_; }
  // Gives up ownership: the caller clears the result.
  PGresult* Release() {
    PGresult* result = result_;
    result_ = nullptr;
    return result;
  }

 private:
  PGresult* result_;
};

// One connection to a PostgreSQL server. Not thread-safe: use each from one
// thread at a time.
class Connection {
 public:
  // Connects to `url` (libpq's syntax: postgresql://... or key=value; the
  // PG* environment variables fill in what it leaves out). UNAVAILABLE if
  // the server cannot be reached.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const std::string& url);
  ~Connection() { libpq::PQfinish(conn_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs `sql` with `params` and returns its rows. `context` says what was
  // being done, for the error.
  absl::StatusOr<std::unique_ptr<Result>> Query(const char* sql, const Params& params,
                                                absl::string_view context);
  absl::StatusOr<std::unique_ptr<Result>> Query(const char* sql, absl::string_view context) {
    return Query(sql, Params(), context);
  }
  // Runs `sql` (one or more statements without parameters; in pipeline
  // mode, one) for its effect.
  absl::Status Execute(const char* sql, absl::string_view context);
  absl::Status Execute(const char* sql, const Params& params, absl::string_view context);

  // Pipeline mode (libpq's): Execute queues its statement and returns OK at
  // once; Query and Settle send everything queued with a synchronization
  // point and wait for all of it. The first error among the queued
  // statements is what that Query or Settle returns, and the statements
  // after it in the same batch do nothing. An open transaction stays open
  // across batches (a failed statement leaves it failed, as always). So
  // writes cost a round trip per read, not per statement.
  absl::Status EnterPipelineMode();
  // REQUIRES: settled (nothing queued).
  void ExitPipelineMode();
  absl::Status Settle();
  bool pipelined() const { return pipelined_; }
  // Pipeline mode: how many statements are queued, unanswered.
  size_t unanswered() const { return sent_.size(); }
  // Pipeline mode: statements are numbered in the order sent, from 0 for
  // the connection, so that a caller can tell which of its steps a failure
  // belongs to. The number the next statement sent will get:
  uint64_t statements_sent() const { return statements_sent_; }
  // The first statement that failed since the last call, if any, and its
  // error; later failures (the rest of a failed transaction) are not kept.
  struct FailedStatement {
    uint64_t number;
    absl::Status error;
  };
  std::optional<FailedStatement> TakeFailedStatement() { return std::exchange(failure_, {}); }

  // Whether the connection still works; a broken one is not reused.
  bool healthy() const { return libpq::PQstatus(conn_) == CONNECTION_OK; }
  // For an idle connection: false if the server has ended the session
  // meanwhile (a restart sends each session a farewell and closes it, which
  // libpq only notices on the next use). One non-blocking poll.
  bool StillOpen();
  // Whether a transaction (or a failed one) is open.
  bool InTransaction() const { return libpq::PQtransactionStatus(conn_) != PQTRANS_IDLE; }

  PGconn* handle() { return conn_; }

 private:
  explicit Connection(PGconn* conn) : conn_(conn) {}

  // The name `sql` is prepared under on this connection, preparing it
  // first (in pipeline mode, queued) if it is new; "" once kMaxPrepared
  // statements are, so that statements built at run time cannot grow the
  // server's memory without bound (those are parsed each time).
  absl::StatusOr<std::string> Prepared(const char* sql, int parameters, absl::string_view context);

  // Pipeline mode: sends `sql` without waiting, remembering `context` for
  // its error.
  absl::Status Send(const char* sql, const Params& params, absl::string_view context);
  // Pipeline mode: sends a synchronization point and reads the results of
  // everything sent, keeping the last statement's rows in `*last` if
  // `last` is set. Returns the first error.
  absl::Status Synchronize(std::unique_ptr<Result>* last);

  static constexpr int kMaxPrepared = 200;

  PGconn* conn_;
  // Statements prepared (or queued to be) on this session, by their SQL:
  // parsing and planning each statement once per session, not per call,
  // halves the database's work for a write.
  absl::flat_hash_map<std::string, std::string> prepared_;
  int prepared_count_ = 0;                      // names are never reused
  std::vector<std::string> prepared_in_batch_;  // pipeline mode: not yet confirmed
  bool pipelined_ = false;
  std::vector<std::string> sent_;  // pipeline mode: each unanswered statement's context
  uint64_t statements_sent_ = 0;
  std::optional<FailedStatement> failure_;
};

// A transaction on one Connection that rolls back when it goes out of
// scope unless Commit() succeeded. Not thread-safe.
class Transaction {
 public:
  explicit Transaction(Connection& connection) : connection_(connection) {}
  ~Transaction() { Rollback(); }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  absl::Status Begin();
  // Commits; on failure, rolls back. REQUIRES: Begin succeeded.
  // In pipeline mode, `before_answer` (if set) runs once COMMIT is queued
  // and before its answer is read: tests use it to cut the session there.
  absl::Status Commit(const std::function<void()>& before_answer = nullptr);
  void Rollback();

 private:
  Connection& connection_;
  bool open_ = false;
};

// Logs the server's message and maps its SQLSTATE to a Status: a lost or
// refused connection, a server shutting down, a full disk or too many
// connections UNAVAILABLE (retry later); a unique key's conflict
// ALREADY_EXISTS; a serialization failure or deadlock ABORTED; anything
// else (a trigger refusing) INTERNAL.
absl::Status PostgresError(const PGresult* result, PGconn* conn, absl::string_view context);

}  // namespace mpower::postgres

#endif  // MPOWER_SERVER_STORAGE_POSTGRES_CONNECTION_H_
