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
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/service/http_server.h"

namespace mpower {

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
  // What a listener on the internet needs (HttpServerOptions says each):
  // deadlines for headers and bodies, an idle timeout, caps on
  // connections overall and per client address, and on open streams
  // (watches), which are served without a thread each.
  absl::Duration header_timeout = absl::Seconds(10);
  int64_t min_body_bytes_per_second = 1024;
  absl::Duration idle_timeout = absl::Seconds(60);
  int max_connections = 10000;
  int max_connections_per_address = 256;
  int max_streams = 1000;
  // Hears each connection closed or refused by one of those limits, by
  // reason (for metrics); may be null.
  std::function<void(absl::string_view reason)> on_limit;
};

class HttpGateway {
 public:
  // Serves until destroyed. `channel` reaches the gRPC server (its
  // in-process channel). FAILED_PRECONDITION for a plaintext non-loopback
  // address without allow_insecure_non_loopback, or certificate files that
  // do not load; UNAVAILABLE if it cannot bind.
  static absl::StatusOr<std::unique_ptr<HttpGateway>> Start(std::shared_ptr<grpc::Channel> channel,
                                                            const HttpGatewayOptions& options);
  // Ends the open streams and the calls in flight (their answers are
  // written), then stops the listener.
  ~HttpGateway();
  HttpGateway(const HttpGateway&) = delete;
  HttpGateway& operator=(const HttpGateway&) = delete;

  int port() const { return server_->port(); }

  class Calls;

 private:
  HttpGateway() = default;

  std::shared_ptr<Calls> calls_;
  std::unique_ptr<HttpServer> server_;  // after calls_: stopped before they go
};

}  // namespace mpower

#endif  // MPOWER_SERVER_SERVICE_HTTP_GATEWAY_H_
