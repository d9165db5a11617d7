#ifndef MPOWER_SERVER_STORAGE_POSTGRES_IN_DOUBT_H_
#define MPOWER_SERVER_STORAGE_POSTGRES_IN_DOUBT_H_

// When the connection is lost after COMMIT was sent and before its answer
// came, PostgreSQL may or may not have committed. Treating such a write as
// failed loses it for the client (which is told "not written", and may
// write it twice) and for mpowerd (which would destroy the new alert's data
// key). So the group commit asks the database, through another session,
// what became of the transaction: pg_xact_status(xid).

#include <cstdint>
#include <string>

#include "absl/time/time.h"

namespace mpower::postgres {

enum class TransactionOutcome { kCommitted, kAborted, kUnknown };

// What became of transaction `transaction_id` (a full 64-bit xid8, as
// pg_current_xact_id() gave it), which ran on the session of backend
// `backend_pid` of the database at `url`.
//
// Waits while the transaction is still in progress: its session may not
// yet have noticed that its client is gone. If it still is after a short
// grace, the session is ended (pg_terminate_backend, which a role may do
// to its own sessions): the transaction then commits only if its COMMIT
// was already being carried out, and the answer follows at once. Keeps
// asking while the database cannot be reached (a restart, a failover).
// kUnknown once `limit` has passed without an answer.
TransactionOutcome ResolveTransaction(const std::string& url, int64_t transaction_id,
                                      int backend_pid, absl::Duration limit);

}  // namespace mpower::postgres

#endif  // MPOWER_SERVER_STORAGE_POSTGRES_IN_DOUBT_H_
