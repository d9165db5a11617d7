#include "server/storage/postgres/in_doubt.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/base/log.h"
#include "server/storage/postgres/connection.h"

namespace mpower::postgres {
namespace {

// How long a transaction may stay in progress before its session is ended:
// long enough for a session whose client vanished to roll back by itself,
// short enough that the group's callers do not wait long.
constexpr absl::Duration kGrace = absl::Milliseconds(500);
constexpr absl::Duration kPoll = absl::Milliseconds(20);
constexpr absl::Duration kReconnectPause = absl::Milliseconds(200);

// pg_xact_status's answer for `transaction_id`: "committed", "aborted",
// "in progress", or "" when the database no longer knows (too old).
absl::StatusOr<std::string> StatusOf(Connection& connection, int64_t transaction_id) {
  absl::StatusOr<std::unique_ptr<Result>> result =
      connection.Query("SELECT pg_xact_status($1::text::xid8)",
                       Params().Text(absl::StrCat(transaction_id)), "asking about a commit");
  if (!result.ok()) return result.status();
  if ((*result)->rows() != 1 || (*result)->IsNull(0, 0)) return std::string();
  return (*result)->Bytes(0, 0);
}

// Ends the session of `backend_pid` if it is still the one running
// `transaction_id` (a pid alone may have been reused).
void EndSession(Connection& connection, int64_t transaction_id, int backend_pid) {
  // pg_stat_activity shows the 32-bit xid, the low half of the xid8.
  const int64_t short_id = transaction_id & 0xffffffffLL;
  connection
      .Query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
          "WHERE pid = $1::integer AND backend_xid::text = $2",
          Params().Int64(backend_pid).Text(absl::StrCat(short_id)),
          "ending a session whose commit is in doubt")
      .status()
      .IgnoreError();
}

}  // namespace

TransactionOutcome ResolveTransaction(const std::string& url, int64_t transaction_id,
                                      int backend_pid, absl::Duration limit) {
  const absl::Time start = absl::Now();
  const absl::Time deadline = start + limit;
  std::unique_ptr<Connection> connection;
  bool ended = false;
  while (absl::Now() < deadline) {
    if (connection == nullptr || !connection->healthy()) {
      absl::StatusOr<std::unique_ptr<Connection>> opened = Connection::Open(url);
      if (!opened.ok()) {
        absl::SleepFor(kReconnectPause);
        continue;
      }
      connection = *std::move(opened);
    }
    absl::StatusOr<std::string> status = StatusOf(*connection, transaction_id);
    if (!status.ok()) {
      absl::SleepFor(kReconnectPause);
      continue;
    }
    if (*status == "committed") return TransactionOutcome::kCommitted;
    if (*status == "aborted") return TransactionOutcome::kAborted;
    if (status->empty()) break;  // forgotten: nobody can tell any more
    if (!ended && absl::Now() - start >= kGrace) {
      EndSession(*connection, transaction_id, backend_pid);
      ended = true;
    }
    absl::SleepFor(kPoll);
  }
  Log(LogLevel::kError, "storage",
      absl::StrCat("cannot learn whether transaction ", transaction_id,
                   " committed; its writes are answered as of unknown outcome"));
  return TransactionOutcome::kUnknown;
}

}  // namespace mpower::postgres
