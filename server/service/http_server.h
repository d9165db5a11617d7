#ifndef MPOWER_SERVER_SERVICE_HTTP_SERVER_H_
#define MPOWER_SERVER_SERVICE_HTTP_SERVER_H_

// An HTTP/1.1 server for the internet, on an event loop (Boost.Beast over
// Asio): no connection holds a thread while it waits, so slow or idle
// clients cost a socket and a small buffer each, never a thread, and a
// handler answers from whatever thread its work ends on.
//
// It enforces what a server facing hostile clients needs: a deadline for a
// request's headers (TLS handshake included) and a minimum rate for its
// body, both answered 408 before the connection closes; an idle timeout
// for keep-alive connections; a write deadline; and caps on open
// connections, overall and per client address, above which a new
// connection is closed at once. It knows nothing of mpower: the gateway
// (http_gateway.h) routes and answers.

#include <openssl/types.h>  // SSL_CTX

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace mpower {

// `text` with each %XX escape replaced by its byte, and with each '+'
// replaced by a space if `plus_is_space` (as in a query string's
// application/x-www-form-urlencoded pairs, not in a path). A '%' not
// followed by two hex digits stays as it is.
std::string PercentDecode(absl::string_view text, bool plus_is_space);

// One request, read whole.
struct HttpRequest {
  std::string method;  // "GET"
  std::string target;  // as sent: "/v1/partners?page_size=2"
  std::string path;    // the target before '?', percent-decoded
  std::string query;   // the target after '?', as sent
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string peer;  // "127.0.0.1:53412"

  // The value of header `name` (any case); "" if it is absent.
  std::string Header(absl::string_view name) const;
  bool HasHeader(absl::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// How a handler answers its request, once, from any thread: Respond, or
// StartStream, Send… and Finish for a chunked response that follows a
// server-streaming call. Thread-safe.
class HttpExchange {
 public:
  virtual ~HttpExchange() = default;
  virtual void Respond(HttpResponse response) = 0;
  // Starts a chunked response: `head`'s status, type and headers.
  virtual void StartStream(HttpResponse head) = 0;
  // Sends one chunk; `done(true)` once it is written, `done(false)` if the
  // client went away or did not read it in time. REQUIRES: no other Send
  // in flight, so a slow reader holds back its stream, not memory.
  virtual void Send(std::string chunk, std::function<void(bool written)> done) = 0;
  // Ends the stream with `last` (may be empty).
  virtual void Finish(std::string last) = 0;
};

// Called on a loop thread for each request; must not block (start the
// work and answer through `exchange` when it ends).
using HttpHandler =
    std::function<void(HttpRequest request, std::shared_ptr<HttpExchange> exchange)>;

// Words the server's own refusals (400 unreadable, 408 too slow, 413 too
// large, 431 headers too large): `method` and `path` are "" when the
// request line never arrived.
using HttpRefusalWriter =
    std::function<HttpResponse(int status, absl::string_view method, absl::string_view path)>;

struct HttpServerOptions {
  std::string host;
  int port = 0;  // 0: the OS picks (see HttpServer::port)
  // For HTTPS: sets up each new connection's TLS context (certificate
  // callback, protocol versions); false fails the start. Null for HTTP.
  std::function<bool(SSL_CTX*)> configure_tls;
  // From a connection's accept (or the first byte of its next request)
  // until its request's headers are in, the TLS handshake included.
  absl::Duration header_timeout = absl::Seconds(10);
  // A body must arrive this fast on average, after a grace of
  // header_timeout from its start, whatever length it declares.
  int64_t min_body_bytes_per_second = 1024;
  // How long a keep-alive connection may wait for its next request.
  absl::Duration idle_timeout = absl::Seconds(60);
  // How long a response (or one chunk of a stream) may take to be read.
  absl::Duration write_timeout = absl::Seconds(60);
  int max_connections = 10000;
  int max_connections_per_address = 256;
  size_t max_body_bytes = 4 * 1024 * 1024;
  size_t max_header_bytes = 64 * 1024;
  // Threads running the event loop: they only read, write and dispatch.
  int threads = 2;
  // Hears each connection closed by a limit: "connection_cap",
  // "address_cap", "header_timeout", "body_timeout", "idle_timeout",
  // "write_timeout". Called on loop threads; may be null.
  std::function<void(absl::string_view reason)> on_limit;
};

// Serves until destroyed. Thread-safe.
class HttpServer {
 public:
  // Binds and starts the loop. UNAVAILABLE if it cannot bind,
  // FAILED_PRECONDITION if configure_tls fails.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(HttpServerOptions options,
                                                           HttpHandler handler,
                                                           HttpRefusalWriter refusals);
  // Stops accepting and closes the connections waiting for a request;
  // a request being answered gets its answer, then its connection
  // closes; a streamed response's write its client does not take is
  // abandoned. Returns at once. Idempotent.
  void Shutdown();
  // Shuts down, waits (up to five seconds) for the connections to close,
  // and joins the loop's threads.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const;

  class Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_SERVICE_HTTP_SERVER_H_
