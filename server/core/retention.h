#ifndef MPOWER_SERVER_CORE_RETENTION_H_
#define MPOWER_SERVER_CORE_RETENTION_H_

// Retention: protected details are not kept forever. An alert resolved or
// dismissed longer ago than the operator's setting (mpowerd
// --purge-protected-after) has its protected details purged, exactly as
// `mpower alerts purge` would, by the system, with the rule as the reason.

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/storage/store.h"

namespace mpower {

// Purges the protected details of every alert whose close_time (for an
// alert closed before close_time existed, its update_time) is at least
// `after` before `now`. Returns how many it purged.
absl::StatusOr<int> PurgeClosedAlerts(Store& store, absl::Duration after, absl::Time now);

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_RETENTION_H_
