#ifndef MPOWER_TESTS_ANY_RPC_H_
#define MPOWER_TESTS_ANY_RPC_H_

// Calls any mpower RPC by name with a request written in protobuf text
// format, whatever its streaming shape, and returns how it ended: the
// tables of the authorization and malformed-input tests go through every
// method this way.

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/text_format.h"
#include "mpower/v1/admin.pb.h"
#include "mpower/v1/change.pb.h"
#include "mpower/v1/encryption_key.pb.h"
#include "mpower/v1/report.grpc.pb.h"
#include "mpower/v1/server_info.pb.h"

namespace mpower::testing {

// The method descriptor of "Service/Method" in package mpower.v1, or null.
inline const google::protobuf::MethodDescriptor* FindMpowerMethod(const std::string& method) {
  const size_t slash = method.find('/');
  return google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
      "mpower.v1." + method.substr(0, slash) + "." + method.substr(slash + 1));
}

// Every method of every service in `proto_dir`/mpower/v1, as
// "Service/Method", read from the generated pool: a proto file that is not
// linked into the test fails it, so a new file or method cannot go
// unnoticed by the tables that must cover every RPC.
inline std::vector<std::string> AllMpowerMethods(const std::string& proto_dir) {
  (void)v1::ReportService::service_full_name();  // links in every file
  (void)v1::Change::descriptor();
  (void)v1::Credential::descriptor();
  (void)v1::GetServerInfoResponse::descriptor();
  (void)v1::EncryptionKey::descriptor();
  std::vector<std::string> methods;
  for (const auto& entry : std::filesystem::directory_iterator(proto_dir + "/mpower/v1")) {
    const std::string name = "mpower/v1/" + entry.path().filename().string();
    const auto* file = google::protobuf::DescriptorPool::generated_pool()->FindFileByName(name);
    EXPECT_NE(file, nullptr) << name << " is not linked into this test";
    if (file == nullptr) continue;
    for (int s = 0; s < file->service_count(); ++s) {
      const auto* service = file->service(s);
      for (int m = 0; m < service->method_count(); ++m) {
        methods.push_back(service->name() + "/" + service->method(m)->name());
      }
    }
  }
  return methods;
}

// One streaming call of either shape through the generic stub: sends one
// request message, half-closes, and reads. A server stream (a watch never
// ends by itself) is over at its first message: the call counts as OK and
// is cancelled. A bidirectional stream (a sync) is read to its end.
class GenericStreamCall final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  GenericStreamCall(grpc::ClientContext* context, bool over_at_first_message)
      : context_(context), over_at_first_message_(over_at_first_message) {}

  grpc::Status Run(const std::shared_ptr<grpc::Channel>& channel, const std::string& path,
                   const std::string& request_bytes) {
    grpc::Slice slice(request_bytes);
    request_ = grpc::ByteBuffer(&slice, 1);
    grpc::GenericStub stub(channel);
    stub.PrepareBidiStreamingCall(context_, path, grpc::StubOptions(), this);
    StartWriteLast(&request_, grpc::WriteOptions());
    StartRead(&response_);
    StartCall();
    return done_.get_future().get();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;
    if (over_at_first_message_) {
      got_message_ = true;
      context_->TryCancel();
      return;
    }
    StartRead(&response_);
  }
  void OnDone(const grpc::Status& status) override {
    done_.set_value(got_message_ ? grpc::Status::OK : status);
  }

 private:
  grpc::ClientContext* const context_;
  const bool over_at_first_message_;
  grpc::ByteBuffer request_, response_;
  bool got_message_ = false;
  std::promise<grpc::Status> done_;
};

// Calls `method` ("PartnerService/GetPartner") with `request_bytes`, the
// serialized request (which may be one protobuf would refuse to write),
// authenticated by `token` unless it is empty. Unary calls end with their
// status; a server stream with the status before its first message (OK
// once a message arrives); SyncCommitments sends the request as its one
// chunk and ends with the stream's status.
inline grpc::Status CallAnyMethodWithBytes(const std::shared_ptr<grpc::Channel>& channel,
                                           const std::string& method,
                                           const std::string& request_bytes,
                                           const std::string& token) {
  const google::protobuf::MethodDescriptor* descriptor = FindMpowerMethod(method);
  if (descriptor == nullptr) return grpc::Status(grpc::StatusCode::UNKNOWN, "no method " + method);
  const std::string path = "/mpower.v1." + method;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  if (descriptor->client_streaming() || descriptor->server_streaming()) {
    GenericStreamCall call(&context, /*over_at_first_message=*/!descriptor->client_streaming());
    return call.Run(channel, path, request_bytes);
  }
  grpc::GenericStub stub(channel);
  grpc::Slice slice(request_bytes);
  grpc::ByteBuffer request_buffer(&slice, 1), response_buffer;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, path, grpc::StubOptions(), &request_buffer, &response_buffer,
                 [&](grpc::Status status) { done.set_value(status); });
  return done.get_future().get();
}

// What the standard health service says of the whole server: "SERVING",
// "NOT_SERVING", or why it did not answer. (HealthCheckRequest{} is empty
// on the wire; HealthCheckResponse{status} is field 1, a varint.)
inline std::string HealthOf(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1), response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&](grpc::Status status) { done.set_value(status); });
  const grpc::Status status = done.get_future().get();
  if (!status.ok()) return "no answer: " + status.error_message();
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (response.Dump(&slices).ok()) {
    for (const grpc::Slice& slice : slices) {
      bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
  }
  if (bytes == std::string("\x08\x01", 2)) return "SERVING";
  if (bytes == std::string("\x08\x02", 2)) return "NOT_SERVING";
  return "an unexpected answer of " + std::to_string(bytes.size()) + " bytes";
}

// As CallAnyMethodWithBytes, with the request written in text format.
inline grpc::Status CallAnyMethod(const std::shared_ptr<grpc::Channel>& channel,
                                  const std::string& method, const std::string& request_text,
                                  const std::string& token) {
  const google::protobuf::MethodDescriptor* descriptor = FindMpowerMethod(method);
  if (descriptor == nullptr) return grpc::Status(grpc::StatusCode::UNKNOWN, "no method " + method);
  std::unique_ptr<google::protobuf::Message> request(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(descriptor->input_type())
          ->New());
  if (!google::protobuf::TextFormat::ParseFromString(request_text, request.get())) {
    return grpc::Status(grpc::StatusCode::UNKNOWN, "bad request text: " + request_text);
  }
  return CallAnyMethodWithBytes(channel, method, request->SerializeAsString(), token);
}

}  // namespace mpower::testing

#endif  // MPOWER_TESTS_ANY_RPC_H_
