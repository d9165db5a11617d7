#include "server/core/resource_codec.h"

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace mpower {

std::string SealedPart(const google::protobuf::Message& sealed) {
  if (sealed.ByteSizeLong() == 0) return "";
  return std::string(1, '\0') + sealed.SerializeAsString();
}

bool OpenSealedPart(absl::string_view data, google::protobuf::Message& sealed) {
  if (data.empty() || data[0] != '\0') return false;
  data.remove_prefix(1);
  return sealed.ParseFromArray(data.data(), static_cast<int>(data.size()));
}

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
