#include "server/core/rate_limiter.h"

#include <algorithm>

namespace mpower {

std::optional<absl::Duration> RateLimiter::Admit(absl::string_view key, absl::Time now) {
  absl::MutexLock lock(&mutex_);
  if (++admitted_since_cleanup_ >= 4096) ForgetIdle(now);
  auto [it, inserted] = buckets_.try_emplace(key, Bucket{burst_, now});
  Bucket& bucket = it->second;
  if (!inserted) {
    const double elapsed = absl::ToDoubleSeconds(now - bucket.updated);
    bucket.tokens = std::min(burst_, bucket.tokens + std::max(0.0, elapsed) * per_second_);
    bucket.updated = std::max(bucket.updated, now);
  }
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return std::nullopt;
  }
  return absl::Seconds((1 - bucket.tokens) / per_second_);
}

void RateLimiter::ForgetIdle(absl::Time now) {
  admitted_since_cleanup_ = 0;
  const absl::Duration refill = absl::Seconds(burst_ / per_second_);
  absl::erase_if(buckets_, [&](const auto& entry) { return now - entry.second.updated >= refill; });
}

}  // namespace mpower
