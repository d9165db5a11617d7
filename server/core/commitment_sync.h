#ifndef MPOWER_SERVER_CORE_COMMITMENT_SYNC_H_
#define MPOWER_SERVER_CORE_COMMITMENT_SYNC_H_

// Sync of a partner's commitments from its own system, keyed by
// external_id, all or nothing.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "mpower/v1/commitment.pb.h"
#include "server/core/access.h"
#include "server/storage/store.h"

namespace mpower {

struct SyncRequest {
  std::string parent;  // partners/{partner}
  bool mirror = false;
  bool validate_only = false;
  std::vector<std::string> fields;  // the fields the set provides; empty for all
  std::vector<v1::Commitment> items;
};

struct SyncResult {
  std::vector<v1::SyncOutcome> outcomes;  // by index, then deletions
  v1::SyncSummary summary;
};

// Applies sync requests. Thread-safe.
class CommitmentSync {
 public:
  // REQUIRES: `store` outlives this object.
  explicit CommitmentSync(Store* store) : store_(store) {}

  // Works out each item's outcome and, unless it is a dry run or some item
  // is invalid, applies them all in one transaction (one revision, or none
  // if nothing changed). A set with invalid items returns its outcomes
  // with summary.applied false; the caller reports INVALID_ARGUMENT.
  // Errors: UNAUTHENTICATED, PERMISSION_DENIED, INVALID_ARGUMENT (parent),
  // NOT_FOUND (partner), FAILED_PRECONDITION (partner deleted), storage.
  absl::StatusOr<SyncResult> Run(const Principal& caller, const SyncRequest& request);

 private:
  Store* store_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_COMMITMENT_SYNC_H_
