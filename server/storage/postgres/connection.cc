#include "server/storage/postgres/connection.h"

#include <endian.h>
#include <poll.h>

#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/base/log.h"
#include "server/base/status_macros.h"
#include "server/storage/postgres/libpq.h"

namespace mpower::postgres {
namespace {

// libpq result codes that carry rows or nothing, but no error.
bool Succeeded(const PGresult* result) {
  const ExecStatusType status = libpq::PQresultStatus(result);
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

}  // namespace

void Params::Add(std::string value, bool binary, bool null) {
  values_.push_back(std::move(value));
  pointers_.push_back(null ? nullptr : values_.back().data());
  lengths_.push_back(static_cast<int>(values_.back().size()));
  formats_.push_back(binary ? 1 : 0);
}

Params& Params::Text(absl::string_view value) {
  Add(std::string(value), false, false);
  return *this;
}
Params& Params::TextOrNull(absl::string_view value) {
  Add(std::string(value), false, value.empty());
  return *this;
}
Params& Params::Int64(int64_t value) {
  Add(absl::StrCat(value), false, false);
  return *this;
}
Params& Params::Bool(bool value) {
  Add(value ? "true" : "false", false, false);
  return *this;
}
Params& Params::Bytes(absl::string_view value) {
  Add(std::string(value), true, false);
  return *this;
}
Params& Params::BytesOrNull(absl::string_view value) {
  Add(std::string(value), true, value.empty());
  return *this;
}
Params& Params::Null() {
  Add("", false, true);
  return *this;
}

Params& Params::TextArray(const std::vector<std::string>& values) {
  std::string literal = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) literal += ',';
    literal += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') literal += '\\';
      literal += c;
    }
    literal += '"';
  }
  literal += '}';
  Add(std::move(literal), false, false);
  return *this;
}

std::string Result::Bytes(int row, int column) const {
  return std::string(libpq::PQgetvalue(result_, row, column),
                     libpq::PQgetlength(result_, row, column));
}

int64_t Result::Int64(int row, int column) const {
  // Binary bigint: eight bytes, big-endian.
  uint64_t value = 0;
  if (libpq::PQgetlength(result_, row, column) != 8) return 0;
  std::memcpy(&value, libpq::PQgetvalue(result_, row, column), 8);
  return static_cast<int64_t>(be64toh(value));
}

bool Result::Bool(int row, int column) const {
  return libpq::PQgetlength(result_, row, column) == 1 &&
         libpq::PQgetvalue(result_, row, column)[0] != 0;
}

absl::Status PostgresError(const PGresult* result, PGconn* conn, absl::string_view context) {
  const char* state =
      result != nullptr ? libpq::PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const std::string sqlstate = state != nullptr ? state : "";
  // The server's message may name tables and columns: it goes to the log,
  // and the caller gets a message that says what to do.
  Log(LogLevel::kError, "storage",
      absl::StrCat(
          "postgresql error while ", context, ": sqlstate=", sqlstate, " ",
          result != nullptr ? libpq::PQresultErrorMessage(result) : libpq::PQerrorMessage(conn)));
  const bool connection_lost = conn == nullptr || libpq::PQstatus(conn) != CONNECTION_OK;
  if (connection_lost || absl::StartsWith(sqlstate, "08") || absl::StartsWith(sqlstate, "57P") ||
      absl::StartsWith(sqlstate, "53") || sqlstate == "25006" || sqlstate.empty()) {
    return absl::UnavailableError(
        absl::StrCat("the database is unavailable while ", context,
                     "; nothing was written. Retry; tell the operator if it persists"));
  }
  if (sqlstate == "23505") {
    return absl::AlreadyExistsError(
        absl::StrCat("conflicts with an existing record while ", context));
  }
  if (sqlstate == "40001" || sqlstate == "40P01") {
    return absl::AbortedError(
        absl::StrCat("a concurrent write got in the way while ", context, "; retry"));
  }
  return absl::InternalError(
      absl::StrCat("the database failed while ", context, "; the server log has details"));
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(const std::string& url) {
  if (absl::Status loaded = libpq::Load(); !loaded.ok()) return loaded;
  PGconn* conn = libpq::PQconnectdb(url.c_str());
  if (conn == nullptr || libpq::PQstatus(conn) != CONNECTION_OK) {
    Log(LogLevel::kError, "storage",
        absl::StrCat("cannot connect to postgresql: ",
                     conn != nullptr ? libpq::PQerrorMessage(conn) : "out of memory"));
    libpq::PQfinish(conn);
    return absl::UnavailableError(
        "cannot connect to the PostgreSQL database; check --database and that the server is up "
        "(the server log has details)");
  }
  std::unique_ptr<Connection> connection(new Connection(conn));
  // Name order is byte order, as in SQLite, whatever the database's locale.
  if (absl::Status status =
          connection->Execute("SET client_min_messages = warning", "configuring a connection");
      !status.ok()) {
    return status;
  }
  return connection;
}

bool Connection::StillOpen() {
  if (!healthy()) return false;
  pollfd socket{libpq::PQsocket(conn_), POLLIN, 0};
  if (poll(&socket, 1, 0) <= 0) return true;  // nothing arrived: still open
  // An idle session hears from the server only to be told it is over: after
  // reading what came, a live one is healthy with nothing more waiting.
  return libpq::PQconsumeInput(conn_) == 1 && healthy() && poll(&socket, 1, 0) <= 0;
}

absl::StatusOr<std::unique_ptr<Result>> Connection::Query(const char* sql, const Params& params,
                                                          absl::string_view context) {
  if (pipelined_) {
    MPOWER_RETURN_IF_ERROR(Send(sql, params, context));
    std::unique_ptr<Result> result;
    MPOWER_RETURN_IF_ERROR(Synchronize(&result));
    return result;
  }
  MPOWER_ASSIGN_OR_RETURN(std::string name, Prepared(sql, params.size(), context));
  auto result = std::make_unique<Result>(
      name.empty() ? libpq::PQexecParams(conn_, sql, params.size(), nullptr, params.values(),
                                         params.lengths(), params.formats(), /*resultFormat=*/1)
                   : libpq::PQexecPrepared(conn_, name.c_str(), params.size(), params.values(),
                                           params.lengths(), params.formats(),
                                           /*resultFormat=*/1));
  const PGresult* raw = result->raw();
  if (raw == nullptr || !Succeeded(raw)) return PostgresError(raw, conn_, context);
  return result;
}

absl::Status Connection::Execute(const char* sql, const Params& params, absl::string_view context) {
  if (pipelined_) return Send(sql, params, context);
  absl::StatusOr<std::unique_ptr<Result>> result = Query(sql, params, context);
  return result.status();
}

absl::Status Connection::Execute(const char* sql, absl::string_view context) {
  if (pipelined_) return Send(sql, Params(), context);
  // PQexec runs several statements, which PQexecParams refuses.
  PGresult* result = libpq::PQexec(conn_, sql);
  absl::Status status = result != nullptr && Succeeded(result)
                            ? absl::OkStatus()
                            : PostgresError(result, conn_, context);
  libpq::PQclear(result);
  return status;
}

absl::Status Connection::EnterPipelineMode() {
  if (libpq::PQenterPipelineMode(conn_) != 1) {
    return PostgresError(nullptr, conn_, "entering pipeline mode");
  }
  pipelined_ = true;
  return absl::OkStatus();
}

void Connection::ExitPipelineMode() {
  if (!pipelined_) return;
  if (!sent_.empty()) Settle().IgnoreError();
  libpq::PQexitPipelineMode(conn_);
  pipelined_ = false;
}

absl::Status Connection::Settle() {
  if (!pipelined_ || sent_.empty()) return absl::OkStatus();
  return Synchronize(nullptr);
}

absl::StatusOr<std::string> Connection::Prepared(const char* sql, int parameters,
                                                 absl::string_view context) {
  if (auto found = prepared_.find(sql); found != prepared_.end()) return found->second;
  if (prepared_count_ >= kMaxPrepared) return "";
  std::string name = absl::StrCat("mpower_", ++prepared_count_);
  if (pipelined_) {
    if (libpq::PQsendPrepare(conn_, name.c_str(), sql, parameters, nullptr) != 1) {
      sent_.clear();
      return PostgresError(nullptr, conn_, context);
    }
    sent_.emplace_back(context);
    ++statements_sent_;
    prepared_in_batch_.push_back(sql);
  } else {
    Result prepared(libpq::PQprepare(conn_, name.c_str(), sql, parameters, nullptr));
    if (prepared.raw() == nullptr || !Succeeded(prepared.raw())) {
      return PostgresError(prepared.raw(), conn_, context);
    }
  }
  prepared_.emplace(sql, name);
  return name;
}

absl::Status Connection::Send(const char* sql, const Params& params, absl::string_view context) {
  MPOWER_ASSIGN_OR_RETURN(std::string name, Prepared(sql, params.size(), context));
  const int sent =
      name.empty()
          ? libpq::PQsendQueryParams(conn_, sql, params.size(), nullptr, params.values(),
                                     params.lengths(), params.formats(), /*resultFormat=*/1)
          : libpq::PQsendQueryPrepared(conn_, name.c_str(), params.size(), params.values(),
                                       params.lengths(), params.formats(), /*resultFormat=*/1);
  if (sent != 1) {
    // Nothing more can be sent on this connection; what was sent is lost
    // with it.
    sent_.clear();
    return PostgresError(nullptr, conn_, context);
  }
  sent_.emplace_back(context);
  ++statements_sent_;
  return absl::OkStatus();
}

absl::Status Connection::Synchronize(std::unique_ptr<Result>* last) {
  std::vector<std::string> sent;
  sent.swap(sent_);
  const uint64_t first_number = statements_sent_ - sent.size();
  std::vector<std::string> prepared;
  prepared.swap(prepared_in_batch_);
  if (libpq::PQpipelineSync(conn_) != 1) {
    return PostgresError(nullptr, conn_, sent.empty() ? "synchronizing" : sent.back());
  }
  // Each statement's results end with a null; the synchronization point's
  // own result ends the batch. After a failed statement, the rest of the
  // batch reports PGRES_PIPELINE_ABORTED.
  absl::Status first_error;
  size_t index = 0;
  while (true) {
    PGresult* raw = libpq::PQgetResult(conn_);
    if (raw == nullptr) {
      if (!healthy() || index >= sent.size()) {
        for (const std::string& sql : prepared) prepared_.erase(sql);
        return first_error.ok() ? PostgresError(nullptr, conn_, "reading results") : first_error;
      }
      ++index;
      continue;
    }
    Result result(raw);
    const ExecStatusType status = libpq::PQresultStatus(raw);
    if (status == PGRES_PIPELINE_SYNC) {
      // A statement prepared in a failed batch may not have been: prepare
      // it afresh (under a new name) next time.
      if (!first_error.ok()) {
        for (const std::string& sql : prepared) prepared_.erase(sql);
      }
      break;
    }
    if (status == PGRES_PIPELINE_ABORTED) continue;
    const std::string& context = index < sent.size() ? sent[index] : sent.back();
    if (!Succeeded(raw)) {
      absl::Status error = PostgresError(raw, conn_, context);
      if (first_error.ok()) {
        first_error = error;
        if (!failure_.has_value()) failure_ = FailedStatement{first_number + index, error};
      }
      continue;
    }
    if (last != nullptr && index + 1 == sent.size()) {
      *last = std::make_unique<Result>(raw);
      result.Release();
    }
  }
  return first_error;
}

absl::Status Transaction::Begin() {
  absl::Status status = connection_.Execute("BEGIN", "beginning a transaction");
  open_ = status.ok();
  return status;
}

absl::Status Transaction::Commit(const std::function<void()>& before_answer) {
  absl::Status status = connection_.Execute("COMMIT", "committing");
  if (status.ok() && before_answer != nullptr) before_answer();
  if (status.ok()) status = connection_.Settle();
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
  // In pipeline mode, what is queued runs (or fails) first.
  connection_.Settle().IgnoreError();
  if (connection_.healthy() && connection_.InTransaction()) {
    connection_.Execute("ROLLBACK", "rolling back").IgnoreError();
    connection_.Settle().IgnoreError();
  }
}

}  // namespace mpower::postgres
