#include "server/storage/commit_outcome.h"

#include "absl/strings/cord.h"

namespace mpower {
namespace {

// An internal payload: the status conversion turns it into the ErrorInfo
// reason COMMIT_OUTCOME_UNKNOWN, and it never travels as it is.
constexpr absl::string_view kOutcomeUnknownPayload = "mpower.storage/commit-outcome-unknown";

}  // namespace

absl::Status CommitOutcomeUnknownError() {
  absl::Status status = absl::UnavailableError(
      "the connection to the database was lost while committing, and the database could not "
      "be asked whether the write was committed: it may or may not have been. Retrying with "
      "the same request_id (for a create) or the same etag (for an update) is safe; without "
      "them, read first to see whether it was written");
  status.SetPayload(kOutcomeUnknownPayload, absl::Cord("1"));
  return status;
}

bool IsCommitOutcomeUnknown(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable &&
         status.GetPayload(kOutcomeUnknownPayload).has_value();
}

}  // namespace mpower
