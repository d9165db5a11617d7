#ifndef MPOWER_SERVER_STORAGE_POSTGRES_SCHEMA_H_
#define MPOWER_SERVER_STORAGE_POSTGRES_SCHEMA_H_

// The PostgreSQL store's tables, created and moved forward by numbered
// migrations. Replicas starting together take turns: each applies what is
// missing under one advisory lock, so exactly one of them does the work.

#include <cstdint>

#include "absl/status/status.h"
#include "server/storage/postgres/connection.h"

namespace mpower::postgres {

// pg_advisory_lock keys. Arbitrary, but fixed forever.
inline constexpr int64_t kMigrationLock = 0x6d706f7765720001;    // "mpower" 1
inline constexpr int64_t kMaintenanceLock = 0x6d706f7765720002;  // "mpower" 2

// The channel every commit notifies (pg_notify) and every replica's
// follower LISTENs on.
#define MPOWER_PG_CHANGES_CHANNEL "mpower_changes"
inline constexpr char kChangesChannel[] = MPOWER_PG_CHANGES_CHANNEL;

// The newest schema version this binary knows.
int64_t LatestSchemaVersion();

// Applies the migrations `connection`'s database lacks, each in its own
// transaction, under the migration lock. FAILED_PRECONDITION if the
// database's schema is newer than this binary knows.
absl::Status Migrate(Connection& connection);

}  // namespace mpower::postgres

#endif  // MPOWER_SERVER_STORAGE_POSTGRES_SCHEMA_H_
