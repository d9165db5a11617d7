#ifndef MPOWER_SERVER_STORAGE_COMMIT_OUTCOME_H_
#define MPOWER_SERVER_STORAGE_COMMIT_OUTCOME_H_

// A write whose COMMIT reached the database but whose answer did not come
// back is neither written nor unwritten until someone asks the database.
// The PostgreSQL backend asks (postgres/in_doubt.h); when it cannot learn
// the outcome either, the write fails with the status made here, which
// says so, and which nothing may treat as "not written": no data key, file
// or cache entry is removed because of it.
//
// Every other failure of Store::Write means the write was not committed.

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace mpower {

// UNAVAILABLE, saying that whether the write was committed is unknown and
// that a retry with the same request_id or etag is safe.
absl::Status CommitOutcomeUnknownError();

// Whether `status` is one CommitOutcomeUnknownError made (or a copy).
bool IsCommitOutcomeUnknown(const absl::Status& status);

}  // namespace mpower

#endif  // MPOWER_SERVER_STORAGE_COMMIT_OUTCOME_H_
