#ifndef MPOWER_SERVER_SERVICE_PARSING_SERVICE_H_
#define MPOWER_SERVER_SERVICE_PARSING_SERVICE_H_

// How every mpower service is served. Each method takes its request as
// bytes and mpower parses it (message_bytes.h says why), so a request that
// does not parse is refused with INVALID_ARGUMENT naming the field. A
// unary call is then answered here the same way for every method: no work
// for a caller that has given up, the handler's body run on gRPC's thread
// or on the worker pool, its absl::Status turned into the call's status.

#include <grpcpp/grpcpp.h>
// The raw method handlers: generated code includes this header, and so
// must a service that registers its own handlers.
#include <grpcpp/impl/codegen/server_callback_handlers.h>

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "server/service/call_observer.h"
#include "server/service/message_bytes.h"
#include "server/service/status_conversion.h"
#include "server/service/worker_pool.h"

namespace mpower {

// Where a unary method's body runs.
enum class RunsOn {
  // gRPC's thread: for calls that never wait on another thread.
  kGrpcThread,
  // The server's worker pool: for writes, which wait for their group's
  // fsync, and for reports, which read a lot.
  kWorkerPool,
};

// One unary call in progress: its request and response, and the body that
// answers it. Lives until the call is answered.
class UnaryCall {
 public:
  virtual ~UnaryCall() = default;
  virtual google::protobuf::Message& request() = 0;
  virtual const google::protobuf::Message& response() const = 0;
  virtual absl::Status Run(grpc::CallbackServerContext* context) = 0;
};

// Answers one call: parses `request_bytes` into `call`'s request, ends the
// call with DEADLINE_EXCEEDED without running the body if the caller has
// given up, else runs the body where `runs_on` says (`pool` for
// kWorkerPool) and finishes the call with its status, and its response if
// it succeeded. `method` names the method in logs.
// `observer`, if set, learns the request's request_id for the access log.
grpc::ServerUnaryReactor* AnswerUnaryCall(grpc::CallbackServerContext* context,
                                          const grpc::ByteBuffer& request_bytes,
                                          grpc::ByteBuffer* response_bytes, RunsOn runs_on,
                                          WorkerPool* pool, CallObserver* observer,
                                          absl::string_view method,
                                          std::unique_ptr<UnaryCall> call);

// A server stream that ends at once with `status`, having sent nothing.
grpc::ServerWriteReactor<grpc::ByteBuffer>* RefusedWriteStream(const grpc::Status& status);

// A gRPC service whose every method is registered with one of the Serve
// functions below; the derived class's constructor registers them all.
// `Generated` is the class protoc generates for the service, e.g.
// v1::AlertService. Its synchronous virtual methods are never called:
// MpowerServer refuses to start a service that left one unregistered.
template <typename Generated>
class ParsingService : public Generated::Service {
 public:
  // The pool that bodies registered with RunsOn::kWorkerPool run on.
  // REQUIRES: called before serving; `pool` outlives every call.
  void set_worker_pool(WorkerPool* pool) { worker_pool_ = pool; }
  // Where each unary call's request_id is noted for the access log.
  // REQUIRES: called before serving; `observer` outlives every call.
  void set_call_observer(CallObserver* observer) { call_observer_ = observer; }

 protected:
  WorkerPool* worker_pool() const { return worker_pool_; }

  template <typename Service, typename Request, typename Response>
  using UnaryBody = absl::Status (Service::*)(grpc::CallbackServerContext*, const Request*,
                                              Response*);
  // A server-streaming method's body: the request is valid only during the
  // call; the reactor writes serialized Responses (SerializeMessage).
  template <typename Service, typename Request>
  using WriteStreamBody = grpc::ServerWriteReactor<grpc::ByteBuffer>* (
      Service::*)(grpc::CallbackServerContext*, const Request&);
  // A bidirectional method's body: the reactor parses what it reads
  // (ParseMessage) and writes serialized responses.
  template <typename Service>
  using BidiStreamBody = grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* (
      Service::*)(grpc::CallbackServerContext*);

  // Serves the unary method `method_name` with `body`, a member function
  // of `service` (the derived class: `this`). Aborts at start-up if the
  // service has no such method with these message types.
  template <typename Service, typename Request, typename Response>
  void Serve(Service* service, absl::string_view method_name,
             UnaryBody<Service, Request, Response> body, RunsOn runs_on) {
    const google::protobuf::MethodDescriptor& method =
        FindMethod(method_name, *Request::descriptor(), false, false);
    GPR_ASSERT(method.output_type() == Response::descriptor());
    const std::string& name = method.name();  // lives as long as the generated pool
    this->MarkMethodRawCallback(
        method.index(),
        new grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
            [this, service, body, runs_on, &name](grpc::CallbackServerContext* context,
                                                  const grpc::ByteBuffer* request_bytes,
                                                  grpc::ByteBuffer* response_bytes) {
              return AnswerUnaryCall(
                  context, *request_bytes, response_bytes, runs_on, worker_pool_, call_observer_,
                  name,
                  std::make_unique<TypedUnaryCall<Service, Request, Response>>(service, body));
            }));
  }

  // Serves the server-streaming method `method_name` with `body`.
  template <typename Service, typename Request>
  void Serve(Service* service, absl::string_view method_name,
             WriteStreamBody<Service, Request> body) {
    const google::protobuf::MethodDescriptor& method =
        FindMethod(method_name, *Request::descriptor(), false, true);
    const std::string& name = method.name();
    this->MarkMethodRawCallback(
        method.index(),
        new grpc::internal::CallbackServerStreamingHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
            [service, body, &name](grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request_bytes) {
              Request request;
              if (absl::Status parsed = ParseMessage(*request_bytes, &request); !parsed.ok()) {
                return RefusedWriteStream(ToGrpcStatus(parsed, name));
              }
              return (service->*body)(context, request);
            }));
  }

  // Serves the bidirectional method `method_name`, whose requests are
  // `Request`s, with `body`.
  template <typename Request, typename Service>
  void ServeBidi(Service* service, absl::string_view method_name, BidiStreamBody<Service> body) {
    const google::protobuf::MethodDescriptor& method =
        FindMethod(method_name, *Request::descriptor(), true, true);
    this->MarkMethodRawCallback(
        method.index(), new grpc::internal::CallbackBidiHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
                            [service, body](grpc::CallbackServerContext* context) {
                              return (service->*body)(context);
                            }));
  }

 private:
  WorkerPool* worker_pool_ = nullptr;
  CallObserver* call_observer_ = nullptr;

  template <typename Service, typename Request, typename Response>
  class TypedUnaryCall final : public UnaryCall {
   public:
    TypedUnaryCall(Service* service, UnaryBody<Service, Request, Response> body)
        : service_(service), body_(body) {}
    google::protobuf::Message& request() override { return request_; }
    const google::protobuf::Message& response() const override { return response_; }
    absl::Status Run(grpc::CallbackServerContext* context) override {
      return (service_->*body_)(context, &request_, &response_);
    }

   private:
    Service* service_;
    UnaryBody<Service, Request, Response> body_;
    Request request_;
    Response response_;
  };

  static const google::protobuf::MethodDescriptor& FindMethod(
      absl::string_view method_name, const google::protobuf::Descriptor& request,
      bool client_streaming, bool server_streaming) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
            Generated::service_full_name());
    const google::protobuf::MethodDescriptor* method =
        service == nullptr ? nullptr : service->FindMethodByName(std::string(method_name));
    GPR_ASSERT(method != nullptr && method->input_type() == &request &&
               method->client_streaming() == client_streaming &&
               method->server_streaming() == server_streaming);
    return *method;
  }
};

}  // namespace mpower

#endif  // MPOWER_SERVER_SERVICE_PARSING_SERVICE_H_
