#ifndef MPOWER_SERVER_STORAGE_HISTORY_H_
#define MPOWER_SERVER_STORAGE_HISTORY_H_

// What every backend answers when asked for history it has compacted away.

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace mpower {

// OUT_OF_RANGE for a read of the change history after `after_revision`,
// when everything up to `compacted` has been dropped: says where a client
// can continue from, and that it must list again.
inline absl::Status CompactedHistoryError(int64_t after_revision, int64_t compacted) {
  return absl::OutOfRangeError(absl::StrCat(
      "revision ", after_revision, " is no longer held: history up to revision ", compacted,
      " has been compacted, and the oldest revision you can continue after is ", compacted,
      ". List the resources again and watch from the revision the list returns"));
}

}  // namespace mpower

#endif  // MPOWER_SERVER_STORAGE_HISTORY_H_
