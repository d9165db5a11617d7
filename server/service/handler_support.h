#ifndef MPOWER_SERVER_SERVICE_HANDLER_SUPPORT_H_
#define MPOWER_SERVER_SERVICE_HANDLER_SUPPORT_H_

// What every handler does the same way: how a call ends,
// and how a create request is fingerprinted for request_id retries.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/message.h"
#include "server/core/access.h"
#include "server/core/page_token.h"
#include "server/service/status_conversion.h"
#include "server/service/worker_pool.h"

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

// Runs `body`, which returns absl::Status, and finishes the call with it;
// unless the caller has already given up (cancelled, or its deadline has
// passed), in which case the call ends without doing any of the work.
template <typename Body>
grpc::ServerUnaryReactor* Respond(grpc::CallbackServerContext* context, absl::string_view method,
                                  Body&& body) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(CallerGaveUp(*context) ? DeadlinePassed()
                                         : ToGrpcStatus(std::forward<Body>(body)(), method));
  return reactor;
}

// As Respond, but runs `body` on the pool for blocking calls rather than on
// gRPC's thread: for writes, which wait for their group's fsync. `body`
// must capture by value what it uses (the request and response pointers
// stay valid until the call finishes).
template <typename Body>
grpc::ServerUnaryReactor* RespondOffThread(grpc::CallbackServerContext* context,
                                           absl::string_view method, Body body) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (CallerGaveUp(*context)) {
    reactor->Finish(DeadlinePassed());
    return reactor;
  }
  WorkerPool::ForBlockingCalls().Schedule(
      [reactor, context, method, body = std::move(body)]() mutable {
        // It may have waited in the queue past its deadline.
        reactor->Finish(CallerGaveUp(*context) ? DeadlinePassed()
                                               : ToGrpcStatus(body(), method));
      });
  return reactor;
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
