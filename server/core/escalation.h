#ifndef MPOWER_SERVER_CORE_ESCALATION_H_
#define MPOWER_SERVER_CORE_ESCALATION_H_

// Escalation: no threat goes unanswered unnoticed. An open or verified
// alert that no partner has responded to within the window its urgency
// sets is marked escalated, an ordinary write that shows in Get, List and
// the change feed.

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mpower/v1/alert.pb.h"
#include "server/storage/store.h"

namespace mpower {

// How long each urgency may wait for a first response.
struct EscalationPolicy {
  std::map<int, absl::Duration> windows;  // by Alert::Urgency; absent: never

  // "immediate=24h,expected=72h,future=168h": urgencies without their
  // prefix, Abseil durations. INVALID_ARGUMENT naming the bad part.
  static absl::StatusOr<EscalationPolicy> Parse(absl::string_view text);
};

// Escalates overdue alerts. Thread-safe.
class Escalator {
 public:
  // REQUIRES: `store` outlives this object.
  Escalator(Store* store, EscalationPolicy policy) : store_(store), policy_(std::move(policy)) {}

  // Escalates every alert overdue at `now`; returns how many.
  absl::StatusOr<int> RunOnce(absl::Time now);

 private:
  Store* store_;
  const EscalationPolicy policy_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_ESCALATION_H_
