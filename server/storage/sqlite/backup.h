#ifndef MPOWER_SERVER_STORAGE_SQLITE_BACKUP_H_
#define MPOWER_SERVER_STORAGE_SQLITE_BACKUP_H_

// Online backup and restore of the database file with SQLite's backup API:
// a backup is one consistent snapshot of a live database (writers carry on;
// the copy holds one read transaction), checked before it is kept.

#include <string>

#include "absl/status/status.h"

namespace mpower {

// Copies the database at `database` to a new file `destination`, which
// must not exist. The copy is written beside it, checked with PRAGMA
// integrity_check, synced and then renamed into place, so `destination`
// either holds a whole, verified backup or does not exist.
absl::Status BackupDatabase(const std::string& database, const std::string& destination);

// Replaces the database at `database`, which must not exist (move it
// aside first), with the backup at `backup` after checking the backup's
// integrity and that it is an mpower database. REQUIRES: no mpowerd is
// using `database`.
absl::Status RestoreDatabase(const std::string& backup, const std::string& database);

}  // namespace mpower

#endif  // MPOWER_SERVER_STORAGE_SQLITE_BACKUP_H_
