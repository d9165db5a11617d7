// Requests as they arrive, as bytes: mpower parses them itself
// (server/service/message_bytes.h). Whatever the bytes, ParseMessage
// finishes, agrees with protobuf on what parses, and refuses the rest with
// INVALID_ARGUMENT; the field-naming walk over a refused request never
// crashes or recurses without bound.

#include <grpc/grpc.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "mpower/v1/alert.pb.h"
#include "mpower/v1/commitment.pb.h"
#include "mpower/v1/report.pb.h"
#include "server/service/message_bytes.h"

namespace {

template <typename Request>
void Parse(const grpc::ByteBuffer& bytes, const uint8_t* data, size_t size) {
  Request request;
  const absl::Status status = mpower::ParseMessage(bytes, &request);
  Request direct;
  const bool parses = direct.ParseFromArray(data, static_cast<int>(size));
  if (status.ok() != parses) abort();  // mpower and protobuf disagree
  if (!status.ok() && status.code() != absl::StatusCode::kInvalidArgument) abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  grpc_init();  // ByteBuffer needs gRPC's core
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  grpc::Slice slice(data, size);
  const grpc::ByteBuffer bytes(&slice, 1);
  Parse<mpower::v1::CreateAlertRequest>(bytes, data, size);
  Parse<mpower::v1::SyncCommitmentsRequest>(bytes, data, size);
  Parse<mpower::v1::ListCommitmentsRequest>(bytes, data, size);
  Parse<mpower::v1::GetCountryBriefRequest>(bytes, data, size);
  return 0;
}
