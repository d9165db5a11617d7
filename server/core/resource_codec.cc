#include "server/core/resource_codec.h"

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace mpower {

std::string EtagOf(int64_t revision) { return absl::StrCat("r", revision); }

google::protobuf::Timestamp TimestampNow() {
  const absl::Time now = absl::Now();
  google::protobuf::Timestamp stamp;
  stamp.set_seconds(absl::ToUnixSeconds(now));
  stamp.set_nanos(
      static_cast<int32_t>(absl::ToInt64Nanoseconds(now - absl::FromUnixSeconds(stamp.seconds()))));
  return stamp;
}

}  // namespace mpower
