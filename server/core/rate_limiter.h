#ifndef MPOWER_SERVER_CORE_RATE_LIMITER_H_
#define MPOWER_SERVER_CORE_RATE_LIMITER_H_

// Per-caller rate limits: one token bucket per key (a credential, or the
// network address of a caller without one), so one busy or hostile caller
// cannot starve the others. Thread-safe.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace mpower {

class RateLimiter {
 public:
  // Allows `per_second` calls a second per key on average, and bursts of up
  // to `burst`. REQUIRES: both positive.
  RateLimiter(double per_second, double burst) : per_second_(per_second), burst_(burst) {}

  // Takes a token for `key` at `now`. Returns nullopt if the call may
  // proceed, else how long until a token is free (the hint for a retry).
  std::optional<absl::Duration> Admit(absl::string_view key, absl::Time now);

  double per_second() const { return per_second_; }

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time updated;
  };
  // Forgets the buckets that have refilled: they hold no state worth keeping.
  void ForgetIdle(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const double per_second_;
  const double burst_;
  absl::Mutex mutex_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mutex_);
  uint64_t admitted_since_cleanup_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_CORE_RATE_LIMITER_H_
