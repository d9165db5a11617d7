// How a replica follows the others: one thread LISTENs for the notification
// every commit sends and reads the counters twice a second besides.

#include <poll.h>

#include "server/base/status_macros.h"
#include "server/storage/postgres/libpq.h"
#include "server/storage/postgres/postgres_store.h"
#include "server/storage/postgres/rows.h"
#include "server/storage/postgres/schema.h"

namespace mpower {

using postgres::Connection;
using postgres::Params;
using postgres::ReadCounter;

namespace {

// How often the follower reads the counters even without a notification:
// bounds how stale another replica's revocation can be.
constexpr int kFollowPollMs = 500;

}  // namespace

absl::Status PostgresStore::Refresh(Connection& connection) {
  MPOWER_ASSIGN_OR_RETURN(auto rows,
                          connection.Query("SELECT key, value FROM counters "
                                           "WHERE key IN ('revision', 'credentials_generation')",
                                           "following other replicas"));
  bool advanced = false;
  for (int row = 0; row < rows->rows(); ++row) {
    const std::string key = rows->Bytes(row, 0);
    const int64_t value = rows->Int64(row, 1);
    if (key == "revision") {
      int64_t known = revision_.load();
      while (value > known && !revision_.compare_exchange_weak(known, value)) {
      }
      advanced = value > known;
    } else if (stored_credentials_generation_.exchange(value) != value) {
      credentials_generation_.fetch_add(1);
    }
  }
  if (advanced) NotifyCommit();
  return absl::OkStatus();
}

void PostgresStore::Follow() {
  std::unique_ptr<Connection> connection;
  while (!stopping_.load()) {
    if (connection == nullptr || !connection->healthy()) {
      connection.reset();
      absl::StatusOr<std::unique_ptr<Connection>> opened = Connection::Open(url_);
      if (opened.ok() &&
          (*opened)->Execute("LISTEN " MPOWER_PG_CHANGES_CHANNEL, "listening for changes").ok()) {
        connection = *std::move(opened);
      } else {
        pollfd stop{stop_event_, POLLIN, 0};
        poll(&stop, 1, kFollowPollMs);
        continue;
      }
    }
    if (!Refresh(*connection).ok()) {
      connection.reset();
      continue;
    }
    // Wait for a notification, the poll interval, or the store's end.
    pollfd events[2] = {{postgres::libpq::PQsocket(connection->handle()), POLLIN, 0},
                        {stop_event_, POLLIN, 0}};
    if (poll(events, 2, kFollowPollMs) > 0 && (events[0].revents & POLLIN) != 0) {
      postgres::libpq::PQconsumeInput(connection->handle());
      while (PGnotify* notify = postgres::libpq::PQnotifies(connection->handle()))
        postgres::libpq::PQfreemem(notify);
    }
  }
}

}  // namespace mpower
