#ifndef MPOWER_SERVER_SERVICE_HANDLER_SUPPORT_H_
#define MPOWER_SERVER_SERVICE_HANDLER_SUPPORT_H_

// What every handler does the same way: how it sees that its caller has
// given up, and how a create request is fingerprinted for request_id
// retries. How a unary call is answered is in parsing_service.h.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/message.h"
#include "server/core/access.h"
#include "server/core/page_token.h"

namespace mpower {

// True if the caller no longer wants the answer: it cancelled, or its
// deadline has passed. Such a call does no more work.
inline bool CallerGaveUp(grpc::CallbackServerContext& context) {
  return context.IsCancelled() || std::chrono::system_clock::now() >= context.deadline();
}

inline grpc::Status DeadlinePassed() {
  return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                      "the call's deadline passed before it was served");
}

// A fingerprint of a create request's content without its request_id:
// equal for a retry of the same request, different for a different one.
template <typename Request>
std::string CreateFingerprint(const Request& request) {
  Request copy = request;
  copy.clear_request_id();
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    copy.SerializeToCodedStream(&coded);
  }
  return Fingerprint(bytes);
}

}  // namespace mpower

#endif  // MPOWER_SERVER_SERVICE_HANDLER_SUPPORT_H_
