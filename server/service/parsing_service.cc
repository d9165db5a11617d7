#include "server/service/parsing_service.h"

#include "server/service/handler_support.h"
#include "server/service/worker_pool.h"

namespace mpower {
namespace {

class RefusedStream final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  explicit RefusedStream(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerWriteReactor<grpc::ByteBuffer>* RefusedWriteStream(const grpc::Status& status) {
  return new RefusedStream(status);
}

grpc::ServerUnaryReactor* AnswerUnaryCall(grpc::CallbackServerContext* context,
                                          const grpc::ByteBuffer& request_bytes,
                                          grpc::ByteBuffer* response_bytes, RunsOn runs_on,
                                          WorkerPool* pool, CallObserver* observer,
                                          absl::string_view method,
                                          std::unique_ptr<UnaryCall> call) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (absl::Status parsed = ParseMessage(request_bytes, &call->request()); !parsed.ok()) {
    reactor->Finish(ToGrpcStatus(parsed, method));
    return reactor;
  }
  if (observer != nullptr) observer->NoteRequest(context, call->request());
  if (CallerGaveUp(*context)) {
    reactor->Finish(DeadlinePassed());
    return reactor;
  }
  // The response bytes stay valid until the call finishes.
  auto answer = [reactor, context, response_bytes, method](UnaryCall& call) {
    // On the pool it may have waited in the queue past its deadline.
    if (CallerGaveUp(*context)) {
      reactor->Finish(DeadlinePassed());
      return;
    }
    const absl::Status status = call.Run(context);
    if (status.ok()) *response_bytes = SerializeMessage(call.response());
    reactor->Finish(ToGrpcStatus(status, method));
  };
  if (runs_on == RunsOn::kGrpcThread) {
    answer(*call);
  } else {
    // std::function must be copyable, so the call travels as a shared_ptr.
    pool->Schedule([answer, call = std::shared_ptr<UnaryCall>(std::move(call))] { answer(*call); });
  }
  return reactor;
}

}  // namespace mpower
