#ifndef MPOWER_SERVER_SERVICE_CALL_OBSERVER_H_
#define MPOWER_SERVER_SERVICE_CALL_OBSERVER_H_

// Every call the server answers, unary or streaming, mpower's services,
// health and reflection alike, seen once at its end through a gRPC server
// interceptor: counted in the metrics (if any) and written as one access
// log line with its time, method, code, duration, principal and peer.
// Never a request or response body, nor a status message (which may quote
// a caller's input), so nothing protected reaches the log this way.

#include <grpcpp/support/server_interceptor.h>

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/message.h"
#include "server/service/metrics.h"

namespace mpower {

// Thread-safe.
class CallObserver {
 public:
  // `metrics` may be null (no metrics endpoint); REQUIRES: it outlives this.
  CallObserver(ServerMetrics* metrics, bool access_log)
      : metrics_(metrics), access_log_(access_log) {}

  // For grpc::ServerBuilder::experimental().SetInterceptorCreators.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewInterceptorFactory();

  // Who `call` turned out to be (the principal's id), for its log line.
  void NotePrincipal(const grpc::ServerContextBase* call, absl::string_view id)
      ABSL_LOCKS_EXCLUDED(mutex_);
  // The request_id `request` carries, if it has one, for the log line
  // (at most 64 characters, as the methods accept).
  void NoteRequest(const grpc::ServerContextBase* call, const google::protobuf::Message& request)
      ABSL_LOCKS_EXCLUDED(mutex_);

 private:
  class Interceptor;
  class Factory;

  // What the service noted of one call while it ran.
  struct Notes {
    std::string principal;
    std::string request_id;
  };
  // The notes on `call`, forgotten as they are returned; empty if none.
  Notes TakeNotes(const grpc::ServerContextBase* call) ABSL_LOCKS_EXCLUDED(mutex_);

  ServerMetrics* const metrics_;
  const bool access_log_;
  absl::Mutex mutex_;
  absl::flat_hash_map<const grpc::ServerContextBase*, Notes> notes_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace mpower

#endif  // MPOWER_SERVER_SERVICE_CALL_OBSERVER_H_
