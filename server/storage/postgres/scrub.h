#ifndef MPOWER_SERVER_STORAGE_POSTGRES_SCRUB_H_
#define MPOWER_SERVER_STORAGE_POSTGRES_SCRUB_H_

// After a narrowing or a purge of shareable text rewrites stored copies,
// their old bytes are still in the cluster's files: as dead row versions
// in the table files, and in the write-ahead log. A scrub removes them
// from both, as far as the role's privileges allow, and logs what it had
// to leave for the operator (README, "Narrowing an alert's scope").

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/storage/postgres/connection.h"

namespace mpower::postgres {

// Waits (up to 10 s) for the transactions open now to end, runs VACUUM
// FULL on the resources and the history, and then, if the vacuum was
// complete and the role may, cycles the write-ahead log until every
// segment file that held the old text has been overwritten or removed.
// Takes seconds to a minute: run it off any client's call. Never fails:
// what it cannot do, it logs.
//
// A scrub owed is recorded in the database, in the transaction that
// rewrote the copies (MarkScrubDue), and forgotten only once a scrub has
// vacuumed the tables completely: so one that a crash or a stop cut short
// is owed still, and the next mpowerd to open the store runs it.
void ScrubRewrittenRows(Connection& connection);

// Within a write transaction that rewrote stored copies: records that a
// scrub is owed.
absl::Status MarkScrubDue(Connection& connection);

// Whether a scrub is owed.
absl::StatusOr<bool> ScrubIsDue(Connection& connection);

}  // namespace mpower::postgres

#endif  // MPOWER_SERVER_STORAGE_POSTGRES_SCRUB_H_
