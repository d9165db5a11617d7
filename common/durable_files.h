#ifndef MPOWER_COMMON_DURABLE_FILES_H_
#define MPOWER_COMMON_DURABLE_FILES_H_

// Small owner-only files that must survive a crash once written: mpowerd's
// per-alert data keys and the private keys `mpower keys generate` keeps.

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace mpower {

// Writes all of `bytes` to `fd`, retrying short writes. False on error.
bool WriteAll(int fd, absl::string_view bytes);

// Makes `directory`'s entries durable: a file created, linked or removed
// in it survives a crash only once the directory is synced too.
// UNAVAILABLE naming the directory and the reason if it cannot be.
absl::Status SyncDirectory(const std::string& directory);

// Creates `path`, which must not exist (a symlink there is refused too),
// readable and writable by its owner only, with `contents`, synced. On
// failure nothing is left at `path`: UNAVAILABLE naming it and the reason.
// The directory is not synced: link the file into place, or call
// SyncDirectory, for that.
absl::Status CreateSyncedFile(const std::string& path, absl::string_view contents);

}  // namespace mpower

#endif  // MPOWER_COMMON_DURABLE_FILES_H_
