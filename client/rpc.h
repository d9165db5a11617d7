#ifndef MPOWER_CLIENT_RPC_H_
#define MPOWER_CLIENT_RPC_H_

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "google/protobuf/message.h"

namespace mpower::cli {

// How to reach the server. With no TLS files the channel is plaintext
// (fine on loopback); a CA file turns on TLS; a client certificate and key
// add mutual TLS.
struct ChannelSettings {
  std::string address;
  std::string tls_ca_pem;
  std::string tls_cert_pem;
  std::string tls_key_pem;
};

// Calls any unary RPC by its descriptor, over one channel. Not thread-safe.
class RpcClient {
 public:
  // Sends `token`, if not empty, as `authorization: Bearer <token>`.
  RpcClient(const ChannelSettings& channel, const std::string& token, absl::Duration timeout);

  // Calls `method` (e.g. "/mpower.v1.PartnerService/GetPartner") with
  // `request` and parses the reply into `response`. Every attempt has the
  // client's deadline. When `idempotent`, retries UNAVAILABLE up to three
  // times with backoff; other calls are tried once, since a repeat could
  // apply twice.
  grpc::Status Call(const std::string& method, const google::protobuf::Message& request,
                    google::protobuf::Message* response, bool idempotent);

  // For streaming calls: the channel, and the credentials to put on a call.
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }
  void Authorize(grpc::ClientContext& context) const {
    if (!token_.empty()) context.AddMetadata("authorization", "Bearer " + token_);
  }

 private:
  grpc::Status CallOnce(const std::string& method, const std::string& request,
                        google::protobuf::Message* response);

  std::shared_ptr<grpc::Channel> channel_;
  grpc::GenericStub stub_;
  std::string token_;
  absl::Duration timeout_;
};

}  // namespace mpower::cli

#endif  // MPOWER_CLIENT_RPC_H_
