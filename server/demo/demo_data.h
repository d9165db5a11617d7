#ifndef MPOWER_SERVER_DEMO_DEMO_DATA_H_
#define MPOWER_SERVER_DEMO_DEMO_DATA_H_

#include "absl/status/status.h"
#include "server/storage/store.h"

namespace mpower {

// Loads the partnership's picture from ../shared/seeds: the US government
// agencies and the ILO, the initiatives the seeds describe with their
// results, the commitments they state, and a few alerts marked as fictional
// examples. Idempotent: what already exists is left as it is. Goes through
// core's validation like any client would.
absl::Status LoadDemoData(Store* store);

}  // namespace mpower

#endif  // MPOWER_SERVER_DEMO_DEMO_DATA_H_
