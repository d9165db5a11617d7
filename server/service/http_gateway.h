#ifndef MPOWER_SERVER_SERVICE_HTTP_GATEWAY_H_
#define MPOWER_SERVER_SERVICE_HTTP_GATEWAY_H_

// mpower over HTTP/JSON for integrators without gRPC: every unary RPC in
// the Connect protocol's unary form (POST /mpower.v1.PartnerService/
// GetPartner, a JSON body in protobuf's JSON mapping), the server-streaming
// RPCs in its streaming form (application/connect+json), each RPC on the
// REST route its proto declares (GET /v1/partners/ilo; rest_routes.h), and
// GET /healthz.
//
// The gateway holds no rules of its own. It turns each HTTP request into a
// gRPC call on the server's in-process channel, with the caller's
// Authorization header and deadline, so authentication, rate limits,
// request size limits, authorization, redaction, audit, the access log and
// the metrics are those of the gRPC path, reached through the same code, as
// etcd's gateway does. Errors come back with the google.rpc details of
// status_conversion.cc, as Connect error JSON on the Connect paths and as
// Google's REST error JSON on the REST routes.

#include <grpcpp/channel.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"

namespace httplib {
class Server;
}

namespace mpower {

// Where the HTTPS listener's certificate chain and key are.
struct CertificateFiles {
  std::string cert;
  std::string key;
};

struct HttpGatewayOptions {
  // host:port; port 0 lets the OS pick (see port()). Plaintext HTTP needs a
  // loopback address unless allow_insecure_non_loopback.
  std::string listen_address;
  bool allow_insecure_non_loopback = false;
  // PEM files of the certificate chain and its key: with both, the
  // listener speaks only HTTPS (TLS 1.2 and up). Read again for every new
  // connection, so a renewed certificate needs no restart.
  std::string tls_cert_file;
  std::string tls_key_file;
  // The largest request body accepted, as the gRPC port's limit.
  int max_request_bytes = 4 * 1024 * 1024;
  // The web origins ("https://union.example") whose pages may call the
  // API from a browser (CORS). A request from any other origin is refused
  // 403 before anything runs; requests without an Origin (curl, servers)
  // are not browsers' and pass.
  std::vector<std::string> cors_origins;
};

class HttpGateway {
 public:
  // Serves until destroyed. `channel` reaches the gRPC server (its
  // in-process channel). FAILED_PRECONDITION for a plaintext non-loopback
  // address without allow_insecure_non_loopback, or certificate files that
  // do not load; UNAVAILABLE if it cannot bind.
  static absl::StatusOr<std::unique_ptr<HttpGateway>> Start(std::shared_ptr<grpc::Channel> channel,
                                                            const HttpGatewayOptions& options);
  ~HttpGateway();

  int port() const { return port_; }

 private:
  HttpGateway() = default;

  std::shared_ptr<grpc::Channel> channel_;
  // Cancels the streams open through the gateway, before it stops.
  std::function<void()> cancel_streams_;
  std::shared_ptr<const CertificateFiles> tls_files_;  // for HTTPS; null for HTTP
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_SERVICE_HTTP_GATEWAY_H_
