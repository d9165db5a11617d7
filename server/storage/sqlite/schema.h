#ifndef MPOWER_SERVER_STORAGE_SQLITE_SCHEMA_H_
#define MPOWER_SERVER_STORAGE_SQLITE_SCHEMA_H_

// The SQLite store's tables, and the metadata row that records their
// version and the store-wide counters.

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/storage/sqlite/database.h"

namespace mpower::sqlite {

// The schema version this binary writes and reads.
inline constexpr int64_t kSchemaVersion = 4;

// Creates whatever of the schema is missing. FAILED_PRECONDITION if the
// database was written by a newer mpowerd, whose schema this one does not
// know.
absl::Status CreateSchema(Database& db);

// The integer metadata value `key` ("revision", "compacted_revision").
// DATA_LOSS if the row is missing.
absl::StatusOr<int64_t> ReadMetadata(Database& db, absl::string_view key);
// Sets the integer metadata value `key`, inside the caller's transaction.
absl::Status WriteMetadata(Database& db, absl::string_view key, int64_t value);

}  // namespace mpower::sqlite

#endif  // MPOWER_SERVER_STORAGE_SQLITE_SCHEMA_H_
