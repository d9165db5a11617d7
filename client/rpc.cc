#include "client/rpc.h"

#include <future>
#include <thread>

namespace mpower::cli {

namespace {

std::shared_ptr<grpc::ChannelCredentials> CredentialsFor(const ChannelSettings& settings) {
  if (settings.tls_ca_pem.empty() && settings.tls_cert_pem.empty()) {
    return grpc::InsecureChannelCredentials();
  }
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = settings.tls_ca_pem;  // empty: the system's roots
  ssl.pem_cert_chain = settings.tls_cert_pem;
  ssl.pem_private_key = settings.tls_key_pem;
  return grpc::SslCredentials(ssl);
}

// A channel to `address`. Several replicas in one target (gRPC's
// "ipv4:127.0.0.1:50051,127.0.0.1:50052") share the calls round-robin, so
// one that dies takes only its calls in flight with it.
std::shared_ptr<grpc::Channel> ChannelTo(const ChannelSettings& settings) {
  grpc::ChannelArguments arguments;
  arguments.SetLoadBalancingPolicyName("round_robin");
  return grpc::CreateCustomChannel(settings.address, CredentialsFor(settings), arguments);
}

}  // namespace

RpcClient::RpcClient(const ChannelSettings& channel, const std::string& token,
                     absl::Duration timeout)
    : channel_(ChannelTo(channel)), stub_(channel_), token_(token), timeout_(timeout) {}

grpc::Status RpcClient::Call(const std::string& method, const google::protobuf::Message& request,
                             google::protobuf::Message* response, bool idempotent) {
  std::string bytes;
  request.SerializeToString(&bytes);
  absl::Duration backoff = absl::Milliseconds(200);
  const int attempts = idempotent ? 4 : 1;
  grpc::Status status;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    status = CallOnce(method, bytes, response);
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE || attempt == attempts) break;
    std::this_thread::sleep_for(absl::ToChronoMilliseconds(backoff));
    backoff *= 2;
  }
  return status;
}

grpc::Status RpcClient::CallOnce(const std::string& method, const std::string& request,
                                 google::protobuf::Message* response) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  if (!token_.empty()) context.AddMetadata("authorization", "Bearer " + token_);
  grpc::Slice slice(request);
  grpc::ByteBuffer request_buffer(&slice, 1);
  grpc::ByteBuffer response_buffer;
  std::promise<grpc::Status> done;
  stub_.UnaryCall(&context, method, grpc::StubOptions(), &request_buffer, &response_buffer,
                  [&done](grpc::Status status) { done.set_value(std::move(status)); });
  grpc::Status status = done.get_future().get();
  if (!status.ok()) return status;
  std::vector<grpc::Slice> slices;
  if (!response_buffer.Dump(&slices).ok()) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "could not read the server's reply");
  }
  std::string bytes;
  for (const grpc::Slice& part : slices) {
    bytes.append(reinterpret_cast<const char*>(part.begin()), part.size());
  }
  if (!response->ParseFromString(bytes)) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "the server's reply does not parse");
  }
  return status;
}

}  // namespace mpower::cli
