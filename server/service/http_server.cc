#include "server/service/http_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "server/base/log.h"

namespace mpower {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

std::string HttpRequest::Header(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return "";
}

bool HttpRequest::HasHeader(absl::string_view name) const {
  for (const auto& header : headers) {
    if (absl::EqualsIgnoreCase(header.first, name)) return true;
  }
  return false;
}

namespace {

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

class Session;

// What the server and its sessions share: the options, the handler, and
// the count of open connections, overall and per address. Lives as long
// as any session.
struct Shared {
  HttpServerOptions options;
  HttpHandler handler;
  HttpRefusalWriter refusals;

  std::mutex mutex;
  int open = 0;
  std::map<std::string, int> per_address;
  std::map<const void*, std::weak_ptr<Session>> sessions;
  bool stopping = false;

  void Limit(absl::string_view reason) const {
    if (options.on_limit) options.on_limit(reason);
  }
};

// One connection, served on its own strand: reads a request, hands it to
// the handler, writes the answer, and waits for the next, each step with
// its deadline. Owned by the operations pending on it (and by the
// exchange of a request being answered).
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<Shared> shared, std::string address, std::string peer)
      : shared_(std::move(shared)), address_(std::move(address)), peer_(std::move(peer)) {}
  virtual ~Session() {
    std::lock_guard<std::mutex> lock(shared_->mutex);
    --shared_->open;
    if (--shared_->per_address[address_] == 0) shared_->per_address.erase(address_);
    shared_->sessions.erase(this);
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  virtual net::any_io_executor executor() = 0;
  virtual void Run() = 0;  // on the strand
  // Posted at the server's stop: a connection waiting for a request
  // closes; one being answered closes after its answer.
  virtual void Stop() = 0;

  // The exchange's calls, posted onto the strand.
  virtual void Respond(HttpResponse response) = 0;
  virtual void StartStream(HttpResponse head) = 0;
  virtual void Send(std::string chunk, std::function<void(bool)> done) = 0;
  virtual void Finish(std::string last) = 0;

 protected:
  const std::shared_ptr<Shared> shared_;
  const std::string address_;
  const std::string peer_;
};

// The handler's side of one request: every call goes to the session's
// strand. An exchange dropped without an answer answers 500, so that no
// connection waits for ever on a handler's mistake.
class Exchange : public HttpExchange {
 public:
  explicit Exchange(std::shared_ptr<Session> session) : session_(std::move(session)) {}
  ~Exchange() override {
    if (!answered_) {
      HttpResponse response;
      response.status = 500;
      response.content_type = "text/plain";
      response.body = "internal error\n";
      Respond(std::move(response));
    }
  }

  void Respond(HttpResponse response) override {
    answered_ = true;
    net::post(session_->executor(), [session = session_, response = std::move(response)]() mutable {
      session->Respond(std::move(response));
    });
  }
  void StartStream(HttpResponse head) override {
    answered_ = true;
    net::post(session_->executor(), [session = session_, head = std::move(head)]() mutable {
      session->StartStream(std::move(head));
    });
  }
  void Send(std::string chunk, std::function<void(bool)> done) override {
    net::post(session_->executor(),
              [session = session_, chunk = std::move(chunk), done = std::move(done)]() mutable {
                session->Send(std::move(chunk), std::move(done));
              });
  }
  void Finish(std::string last) override {
    net::post(session_->executor(), [session = session_, last = std::move(last)]() mutable {
      session->Finish(std::move(last));
    });
  }

 private:
  const std::shared_ptr<Session> session_;
  std::atomic<bool> answered_ = false;
};

template <typename Stream>
class StreamSession final : public Session {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  StreamSession(std::shared_ptr<Shared> shared, Stream stream, std::string address,
                std::string peer)
      : Session(std::move(shared), std::move(address), std::move(peer)),
        stream_(std::move(stream)),
        timer_(stream_.get_executor()) {}

  net::any_io_executor executor() override { return stream_.get_executor(); }

  void Run() override {
    Arm(shared_->options.header_timeout);
    if constexpr (kTls) {
      phase_ = Phase::kHandshake;
      stream_.async_handshake(ssl::stream_base::server, [self = Self()](beast::error_code error) {
        if (error) return self->Fail(error);
        self->ReadRequest(/*first=*/true);
      });
    } else {
      ReadRequest(/*first=*/true);
    }
  }

  void Stop() override {
    net::post(executor(), [self = Self()] {
      self->stopping_ = true;
      self->keep_alive_ = false;
      const bool waiting_for_request =
          self->phase_ == Phase::kHandshake || self->phase_ == Phase::kIdle ||
          self->phase_ == Phase::kHeader || self->phase_ == Phase::kBody;
      if (waiting_for_request || (self->streaming_ && self->writing_)) self->Lowest().cancel();
    });
  }

  void Respond(HttpResponse response) override {
    if (phase_ != Phase::kHandling) return;
    WriteResponse(response, keep_alive_);
  }

  void StartStream(HttpResponse head) override {
    if (phase_ != Phase::kHandling) return;
    phase_ = Phase::kWriting;
    streaming_ = true;
    Outgoing out;
    out.kind = Outgoing::kHead;
    out.head = std::move(head);
    out_.push_back(std::move(out));
    Pump();
  }

  void Send(std::string chunk, std::function<void(bool)> done) override {
    Outgoing out;
    out.kind = Outgoing::kChunk;
    out.data = std::move(chunk);
    out.done = std::move(done);
    out_.push_back(std::move(out));
    Pump();
  }

  void Finish(std::string last) override {
    if (!last.empty()) Send(std::move(last), nullptr);
    Outgoing out;
    out.kind = Outgoing::kLast;
    out_.push_back(std::move(out));
    Pump();
  }

 private:
  enum class Phase { kHandshake, kIdle, kHeader, kBody, kHandling, kWriting, kClosed };

  // One piece of a streamed response waiting to be written.
  struct Outgoing {
    enum Kind { kHead, kChunk, kLast } kind = kChunk;
    HttpResponse head;
    std::string data;
    std::function<void(bool)> done;
  };

  std::shared_ptr<StreamSession> Self() {
    return std::static_pointer_cast<StreamSession>(shared_from_this());
  }
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  // The deadline of the phase now starting: when it passes, what is
  // pending is cancelled and timed_out_ says why.
  void Arm(absl::Duration timeout) {
    const uint64_t generation = ++generation_;
    timed_out_ = false;
    timer_.expires_after(absl::ToChronoNanoseconds(timeout));
    timer_.async_wait([self = Self(), generation](beast::error_code error) {
      if (error || generation != self->generation_) return;
      self->timed_out_ = true;
      self->Lowest().cancel();
    });
  }
  void Disarm() {
    ++generation_;
    timer_.cancel();
  }

  void ReadRequest(bool first) {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(shared_->options.max_header_bytes));
    parser_->body_limit(shared_->options.max_body_bytes);
    method_.clear();
    path_.clear();
    if (first || buffer_.size() > 0) {
      // The first request's deadline runs from the accept.
      if (!first) Arm(shared_->options.header_timeout);
      phase_ = Phase::kHeader;
      http::async_read_header(
          stream_, buffer_, *parser_,
          [self = Self()](beast::error_code error, std::size_t) { self->OnHeader(error); });
      return;
    }
    // Keep-alive: an idle wait for the next request's first bytes, then
    // the header deadline.
    phase_ = Phase::kIdle;
    Arm(shared_->options.idle_timeout);
    http::async_read_some(
        stream_, buffer_, *parser_, [self = Self()](beast::error_code error, std::size_t) {
          if (error) return self->Fail(error);
          if (self->parser_->is_header_done()) return self->OnHeader({});
          self->phase_ = Phase::kHeader;
          self->Arm(self->shared_->options.header_timeout);
          http::async_read_header(
              self->stream_, self->buffer_, *self->parser_,
              [self](beast::error_code error, std::size_t) { self->OnHeader(error); });
        });
  }

  void OnHeader(beast::error_code error) {
    if (error) return Fail(error);
    const auto& request = parser_->get();
    NoteRequestLine();
    if (parser_->is_done()) return Dispatch();
    phase_ = Phase::kBody;
    body_start_ = absl::Now();
    body_received_ = 0;
    ArmBodyDeadline();
    if (!absl::EqualsIgnoreCase(ToView(request[http::field::expect]), "100-continue")) {
      return ReadBody();
    }
    // curl asks before sending a body over 1 KiB, and waits a second for
    // the answer otherwise.
    continue_.emplace(http::status::continue_, request.version());
    http::async_write(stream_, *continue_, [self = Self()](beast::error_code error, std::size_t) {
      self->continue_.reset();
      if (error) return self->Fail(error);
      self->ReadBody();
    });
  }

  // The request's method and path, for the handler and for refusals.
  void NoteRequestLine() {
    const auto& request = parser_->get();
    method_ = std::string(request.method_string());
    const absl::string_view target = ToView(request.target());
    path_ = PercentDecode(target.substr(0, target.find('?')), /*plus_is_space=*/false);
  }

  // The body must keep up the minimum rate on average from its start,
  // after a grace of header_timeout: whatever length a client declares, one
  // that sends nothing is cut off after the grace, not after the time its
  // declared length would take.
  void ArmBodyDeadline() {
    const int64_t rate = std::max<int64_t>(1, shared_->options.min_body_bytes_per_second);
    const absl::Time deadline = body_start_ + shared_->options.header_timeout +
                                absl::Seconds(static_cast<double>(body_received_ + 1) / rate);
    Arm(std::max(deadline - absl::Now(), absl::ZeroDuration()));
  }

  // Reads the body a piece at a time, moving the deadline with each.
  void ReadBody() {
    http::async_read_some(stream_, buffer_, *parser_,
                          [self = Self()](beast::error_code error, std::size_t bytes) {
                            if (error) return self->Fail(error);
                            if (self->parser_->is_done()) return self->Dispatch();
                            self->body_received_ += bytes;
                            self->ArmBodyDeadline();
                            self->ReadBody();
                          });
  }

  static absl::string_view ToView(beast::string_view text) {
    return absl::string_view(text.data(), text.size());
  }

  // A read failed: a deadline passed, a limit was exceeded, the request
  // was not HTTP, the client left, or the server is stopping.
  void Fail(beast::error_code error) {
    Disarm();
    if (timed_out_) {
      switch (phase_) {
        case Phase::kIdle:
          shared_->Limit("idle_timeout");
          return Close();
        case Phase::kHandshake:
          shared_->Limit("header_timeout");
          return Close();  // no TLS yet to say it in
        case Phase::kHeader:
          shared_->Limit("header_timeout");
          return Refuse(408);
        case Phase::kBody:
          shared_->Limit("body_timeout");
          return Refuse(408);
        default:
          return Close();
      }
    }
    if (stopping_ || phase_ == Phase::kHandshake || phase_ == Phase::kIdle) return Close();
    if (error == http::error::body_limit) return Refuse(413);
    if (error == http::error::header_limit) return Refuse(431);
    if (error.category() == beast::http::make_error_code(http::error::bad_target).category() &&
        error != http::error::end_of_stream && error != http::error::partial_message) {
      return Refuse(400);
    }
    Close();
  }

  void Refuse(int status) {
    // A limit may be found before the headers end (a Content-Length over
    // the body limit): the request line, if it came, names the path.
    if (path_.empty() && parser_.has_value()) NoteRequestLine();
    keep_alive_ = false;
    phase_ = Phase::kHandling;
    WriteResponse(shared_->refusals(status, method_, path_), /*keep_alive=*/false);
  }

  void Dispatch() {
    Disarm();
    phase_ = Phase::kHandling;
    http::request<http::string_body> request = parser_->release();
    keep_alive_ = request.keep_alive() && !stopping_;
    version_ = request.version();
    HttpRequest out;
    out.method = method_;
    out.target = std::string(request.target());
    const size_t mark = out.target.find('?');
    out.path = path_;
    if (mark != std::string::npos) out.query = out.target.substr(mark + 1);
    for (const auto& field : request) {
      out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    out.body = std::move(request.body());
    out.peer = peer_;
    shared_->handler(std::move(out), std::make_shared<Exchange>(Self()));
  }

  static void SetFields(const HttpResponse& from, http::fields& to) {
    if (!from.content_type.empty()) to.set(http::field::content_type, from.content_type);
    for (const auto& [name, value] : from.headers) to.insert(name, value);
  }

  void WriteResponse(const HttpResponse& answer, bool keep_alive) {
    phase_ = Phase::kWriting;
    response_.emplace(static_cast<http::status>(answer.status), version_);
    SetFields(answer, *response_);
    response_->keep_alive(keep_alive && !stopping_);
    response_->body() = answer.body;
    response_->prepare_payload();
    Lowest().expires_after(absl::ToChronoNanoseconds(shared_->options.write_timeout));
    http::async_write(stream_, *response_,
                      [self = Self(), keep_alive](beast::error_code error, std::size_t) {
                        self->Lowest().expires_never();
                        self->response_.reset();
                        if (error) {
                          if (error == beast::error::timeout) self->shared_->Limit("write_timeout");
                          return self->Close();
                        }
                        if (keep_alive && !self->stopping_) return self->ReadRequest(false);
                        self->Close();
                      });
  }

  // Writes the streamed response's pieces one at a time.
  void Pump() {
    if (writing_ || out_.empty()) return;
    // Once the server stops, no new write starts: one its client never
    // takes would outlast the stop's wait.
    if (broken_ || stopping_) {
      while (!out_.empty()) {
        Outgoing out = std::move(out_.front());
        out_.pop_front();
        if (out.done) out.done(false);
        if (out.kind == Outgoing::kLast) Close();
      }
      return;
    }
    Outgoing& out = out_.front();
    if (out.kind == Outgoing::kChunk && out.data.empty()) {
      // An empty chunk would end the stream.
      Outgoing done = std::move(out);
      out_.pop_front();
      if (done.done) done.done(true);
      return Pump();
    }
    writing_ = true;
    Lowest().expires_after(absl::ToChronoNanoseconds(shared_->options.write_timeout));
    const auto written = [self = Self()](beast::error_code error, std::size_t) {
      self->OnWritten(error);
    };
    switch (out.kind) {
      case Outgoing::kHead:
        stream_head_.emplace(static_cast<http::status>(out.head.status), version_);
        SetFields(out.head, *stream_head_);
        stream_head_->keep_alive(keep_alive_ && !stopping_);
        stream_head_->chunked(true);
        serializer_.emplace(*stream_head_);
        http::async_write_header(stream_, *serializer_, written);
        break;
      case Outgoing::kChunk:
        net::async_write(stream_, http::make_chunk(net::buffer(out.data)), written);
        break;
      case Outgoing::kLast:
        net::async_write(stream_, http::make_chunk_last(), written);
        break;
    }
  }

  void OnWritten(beast::error_code error) {
    Lowest().expires_never();
    writing_ = false;
    Outgoing out = std::move(out_.front());
    out_.pop_front();
    if (error) {
      broken_ = true;
      if (error == beast::error::timeout) shared_->Limit("write_timeout");
    }
    if (out.done) out.done(!error);
    if (out.kind == Outgoing::kLast) {
      streaming_ = false;
      serializer_.reset();
      stream_head_.reset();
      if (!error && keep_alive_ && !stopping_) return ReadRequest(false);
      return Close();
    }
    Pump();
  }

  void Close() {
    if (phase_ == Phase::kClosed) return;
    phase_ = Phase::kClosed;
    Disarm();
    beast::error_code ignored;
    if constexpr (kTls) {
      Lowest().expires_after(std::chrono::seconds(2));
      stream_.async_shutdown([self = Self()](beast::error_code) {
        beast::error_code ignored;
        self->Lowest().socket().close(ignored);
      });
    } else {
      Lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
      Lowest().socket().close(ignored);
    }
  }

  Stream stream_;
  net::steady_timer timer_;
  uint64_t generation_ = 0;
  bool timed_out_ = false;
  Phase phase_ = Phase::kHeader;
  bool stopping_ = false;
  bool keep_alive_ = false;
  unsigned version_ = 11;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string method_, path_;
  absl::Time body_start_;
  uint64_t body_received_ = 0;
  std::optional<http::response<http::empty_body>> continue_;
  std::optional<http::response<http::string_body>> response_;
  std::optional<http::response<http::empty_body>> stream_head_;
  std::optional<http::response_serializer<http::empty_body>> serializer_;
  std::deque<Outgoing> out_;
  bool streaming_ = false;  // a chunked response is being written
  bool writing_ = false;
  bool broken_ = false;
};

}  // namespace

std::string PercentDecode(absl::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (plus_is_space && text[i] == '+') {
      out.push_back(' ');
    } else if (text[i] == '%' && i + 2 < text.size() && absl::ascii_isxdigit(text[i + 1]) &&
               absl::ascii_isxdigit(text[i + 2])) {
      const auto hex = [](char c) {
        return absl::ascii_isdigit(c) ? c - '0' : absl::ascii_tolower(c) - 'a' + 10;
      };
      out.push_back(static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

class HttpServer::Impl {
 public:
  explicit Impl(std::shared_ptr<Shared> shared)
      : shared_(std::move(shared)),
        io_(shared_->options.threads),
        acceptor_(net::make_strand(io_)),
        retry_(acceptor_.get_executor()) {}

  absl::Status Listen() {
    const HttpServerOptions& options = shared_->options;
    if (options.configure_tls) {
      tls_.emplace(ssl::context::tls_server);
      if (!options.configure_tls(tls_->native_handle())) {
        return absl::FailedPreconditionError("cannot set up TLS for the HTTP listener");
      }
    }
    beast::error_code error;
    tcp::resolver resolver(io_);
    const std::string host(absl::StripSuffix(absl::StripPrefix(options.host, "["), "]"));
    auto endpoints =
        resolver.resolve(host, std::to_string(options.port),
                         tcp::resolver::passive | tcp::resolver::numeric_service, error);
    if (error || endpoints.empty()) {
      return absl::UnavailableError(absl::StrCat("cannot resolve ", options.host));
    }
    const tcp::endpoint endpoint = *endpoints.begin();
    acceptor_.open(endpoint.protocol(), error);
    if (!error) acceptor_.set_option(net::socket_base::reuse_address(true), error);
    if (!error) acceptor_.bind(endpoint, error);
    if (!error) acceptor_.listen(net::socket_base::max_listen_connections, error);
    if (error) {
      return absl::UnavailableError(absl::StrCat("cannot listen on ", options.host, ":",
                                                 options.port, ": ", error.message()));
    }
    port_ = acceptor_.local_endpoint().port();
    net::dispatch(acceptor_.get_executor(), [this] { Accept(); });
    for (int i = 0; i < std::max(1, options.threads); ++i) {
      threads_.emplace_back([this] { io_.run(); });
    }
    return absl::OkStatus();
  }

  void Shutdown() {
    {
      std::lock_guard<std::mutex> lock(shared_->mutex);
      if (shared_->stopping) return;
      shared_->stopping = true;
    }
    net::post(acceptor_.get_executor(), [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
      retry_.cancel();
    });
    std::vector<std::shared_ptr<Session>> open;
    {
      std::lock_guard<std::mutex> lock(shared_->mutex);
      for (const auto& [key, weak] : shared_->sessions) {
        if (auto session = weak.lock()) open.push_back(std::move(session));
      }
    }
    for (const auto& session : open) session->Stop();
  }

  ~Impl() {
    Shutdown();
    // Answers being written finish; then nothing is left to wait for.
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < until) {
      {
        std::lock_guard<std::mutex> lock(shared_->mutex);
        if (shared_->open == 0) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    io_.stop();
    for (std::thread& thread : threads_) thread.join();
  }

  int port() const { return port_; }

 private:
  void Accept() {
    acceptor_.async_accept(net::make_strand(io_),
                           [this](beast::error_code error, tcp::socket socket) {
                             if (error == net::error::operation_aborted || !acceptor_.is_open())
                               return;
                             if (error) {
                               // Out of descriptors, most likely: try again shortly rather than
                               // spin.
                               retry_.expires_after(std::chrono::milliseconds(100));
                               retry_.async_wait([this](beast::error_code error) {
                                 if (!error) Accept();
                               });
                               return;
                             }
                             Admit(std::move(socket));
                             Accept();
                           });
  }

  void Admit(tcp::socket socket) {
    beast::error_code error;
    const tcp::endpoint remote = socket.remote_endpoint(error);
    if (error) return;
    const std::string address = remote.address().to_string();
    const std::string peer = remote.address().is_v6()
                                 ? absl::StrCat("[", address, "]:", remote.port())
                                 : absl::StrCat(address, ":", remote.port());
    {
      std::lock_guard<std::mutex> lock(shared_->mutex);
      const char* refused = nullptr;
      if (shared_->stopping) {
        refused = "";
      } else if (shared_->open >= shared_->options.max_connections) {
        refused = "connection_cap";
      } else if (shared_->per_address[address] >= shared_->options.max_connections_per_address) {
        refused = "address_cap";
      }
      if (refused != nullptr) {
        if (shared_->per_address[address] == 0) shared_->per_address.erase(address);
        socket.close(error);
        if (*refused != '\0') shared_->Limit(refused);
        return;
      }
      ++shared_->open;
      ++shared_->per_address[address];
    }
    socket.set_option(tcp::no_delay(true), error);
    std::shared_ptr<Session> session;
    if (tls_.has_value()) {
      session = std::make_shared<StreamSession<TlsStream>>(
          shared_, TlsStream(std::move(socket), *tls_), address, peer);
    } else {
      session = std::make_shared<StreamSession<PlainStream>>(
          shared_, PlainStream(std::move(socket)), address, peer);
    }
    {
      std::lock_guard<std::mutex> lock(shared_->mutex);
      shared_->sessions.emplace(session.get(), session);
    }
    net::dispatch(session->executor(), [session] { session->Run(); });
  }

  std::shared_ptr<Shared> shared_;
  net::io_context io_;
  std::optional<ssl::context> tls_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_;
  std::vector<std::thread> threads_;
  int port_ = 0;
};

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(HttpServerOptions options,
                                                              HttpHandler handler,
                                                              HttpRefusalWriter refusals) {
  auto shared = std::make_shared<Shared>();
  shared->options = std::move(options);
  shared->handler = std::move(handler);
  shared->refusals = std::move(refusals);
  auto impl = std::make_unique<Impl>(std::move(shared));
  if (absl::Status listening = impl->Listen(); !listening.ok()) return listening;
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() = default;
void HttpServer::Shutdown() { impl_->Shutdown(); }
int HttpServer::port() const { return impl_->port(); }

}  // namespace mpower
