#include "server/service/http_gateway.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/json_util.h"
#include "server/service/caller_address.h"
#include "server/service/http_wire.h"
#include "server/service/rest_routes.h"
#include "server/service/server.h"
#include "server/service/status_conversion.h"

namespace mpower {

using google::protobuf::DescriptorPool;
using google::protobuf::Message;
using google::protobuf::MessageFactory;
using google::protobuf::MethodDescriptor;

// The gRPC calls the gateway has in flight, unary and streaming, so that
// its stop can cancel them and wait until each has answered, and so that
// open streams stay under their cap. Thread-safe.
class HttpGateway::Calls {
 public:
  explicit Calls(int max_streams) : max_streams_(max_streams) {}

  enum class Admission { kAdmitted, kStopping, kTooManyStreams };
  Admission Add(grpc::ClientContext* context, bool stream) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return Admission::kStopping;
    if (stream && streams_ >= max_streams_) return Admission::kTooManyStreams;
    streams_ += stream ? 1 : 0;
    contexts_.insert(context);
    return Admission::kAdmitted;
  }
  void Remove(grpc::ClientContext* context, bool stream) {
    std::lock_guard<std::mutex> lock(mutex_);
    streams_ -= stream ? 1 : 0;
    contexts_.erase(context);
    changed_.notify_all();
  }
  // Refuses new calls and cancels those in flight.
  void CancelAll() {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    for (grpc::ClientContext* context : contexts_) context->TryCancel();
  }
  // Waits (up to ten seconds) until every call has ended.
  void Wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, std::chrono::seconds(10), [this] { return contexts_.empty(); });
  }

 private:
  const int max_streams_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::set<grpc::ClientContext*> contexts_;
  int streams_ = 0;
  bool closed_ = false;
};

namespace {

// A call with no Connect-Timeout-Ms gets this long, as the CLI's default
// would allow for the slowest report.
constexpr std::chrono::seconds kDefaultDeadline(60);

using Calls = HttpGateway::Calls;

// What every request's handling needs.
struct Context {
  std::shared_ptr<grpc::Channel> channel;
  std::shared_ptr<Calls> calls;
  std::vector<std::string> cors_origins;
};

// "/mpower.v1.PartnerService/GetPartner", the gRPC path of `method`.
std::string GrpcPath(const MethodDescriptor* method) {
  return absl::StrCat("/", method->service()->full_name(), "/", method->name());
}

std::string Bytes(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const grpc::Slice& slice : slices) {
    out.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return out;
}

// The caller's credentials, deadline and address on a call made for it.
void Prepare(grpc::ClientContext& context, const HttpRequest& request) {
  std::chrono::milliseconds timeout = kDefaultDeadline;
  if (int64_t ms = 0; absl::SimpleAtoi(request.Header("Connect-Timeout-Ms"), &ms) && ms > 0 &&
                      ms < 1000LL * 3600 * 24) {
    timeout = std::chrono::milliseconds(ms);
  }
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  if (request.HasHeader("Authorization")) {
    context.AddMetadata("authorization", request.Header("Authorization"));
  }
  SetHttpCallerAddress(context, request.peer);
}

// An exchange that adds the CORS headers a request earned to whatever it
// answers, streams included.
class CorsExchange : public HttpExchange {
 public:
  CorsExchange(std::shared_ptr<HttpExchange> inner,
               std::vector<std::pair<std::string, std::string>> headers)
      : inner_(std::move(inner)), headers_(std::move(headers)) {}
  void Respond(HttpResponse response) override {
    Add(response);
    inner_->Respond(std::move(response));
  }
  void StartStream(HttpResponse head) override {
    Add(head);
    inner_->StartStream(std::move(head));
  }
  void Send(std::string chunk, std::function<void(bool)> done) override {
    inner_->Send(std::move(chunk), std::move(done));
  }
  void Finish(std::string last) override { inner_->Finish(std::move(last)); }

 private:
  void Add(HttpResponse& response) const {
    response.headers.insert(response.headers.end(), headers_.begin(), headers_.end());
  }
  const std::shared_ptr<HttpExchange> inner_;
  const std::vector<std::pair<std::string, std::string>> headers_;
};

HttpResponse JsonResponse(int status, std::string json) {
  HttpResponse response;
  response.status = status;
  response.content_type = "application/json";
  response.body = std::move(json);
  return response;
}

// One unary call on the in-process channel, answered from gRPC's thread
// when it completes: no thread waits for it.
struct UnaryCall {
  grpc::ClientContext context;
  grpc::ByteBuffer request, response;
};

// Calls `path` with `request_bytes` for `request`'s caller, then `answer`
// with the status and the response's bytes.
void CallUnary(const Context& context, const HttpRequest& request, const std::string& path,
               const std::string& request_bytes, Dialect dialect,
               const std::shared_ptr<HttpExchange>& exchange,
               std::function<void(const grpc::Status&, const std::string&)> answer) {
  auto call = std::make_shared<UnaryCall>();
  Prepare(call->context, request);
  if (context.calls->Add(&call->context, /*stream=*/false) != Calls::Admission::kAdmitted) {
    exchange->Respond(ErrorResponse(dialect, grpc::StatusCode::UNAVAILABLE,
                                    "the server is shutting down; retry shortly"));
    return;
  }
  grpc::Slice slice(request_bytes);
  call->request = grpc::ByteBuffer(&slice, 1);
  grpc::GenericStub stub(context.channel);
  stub.UnaryCall(&call->context, path, grpc::StubOptions(), &call->request, &call->response,
                 [call, calls = context.calls, answer = std::move(answer)](grpc::Status status) {
                   answer(status, status.ok() ? Bytes(call->response) : "");
                   calls->Remove(&call->context, /*stream=*/false);
                 });
}

// Makes the unary call of `method` with `message` and answers with its
// response as JSON, or its error in `dialect`.
void CallAndRespond(const Context& context, const HttpRequest& request,
                    const std::shared_ptr<HttpExchange>& exchange, const MethodDescriptor* method,
                    const Message& message, Dialect dialect) {
  CallUnary(
      context, request, GrpcPath(method), message.SerializeAsString(), dialect, exchange,
      [exchange, method, dialect](const grpc::Status& status, const std::string& bytes) {
        if (!status.ok()) return exchange->Respond(ErrorResponse(dialect, status));
        std::unique_ptr<Message> response(
            MessageFactory::generated_factory()->GetPrototype(method->output_type())->New());
        std::string json;
        if (!response->ParseFromString(bytes) ||
            !google::protobuf::util::MessageToJsonString(*response, &json).ok()) {
          return exchange->Respond(ErrorResponse(dialect, grpc::StatusCode::INTERNAL,
                                                 "internal error; the server log has details"));
        }
        exchange->Respond(JsonResponse(200, std::move(json)));
      });
}

// One server-streaming call on the in-process channel, bridged to a
// chunked HTTP response: the next message is read only once the last was
// written, so a slow or stalled reader holds back its stream, never
// memory, and no thread waits for either side. Deletes itself when done.
class StreamBridge final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  StreamBridge(const MethodDescriptor* method, Dialect dialect,
               std::shared_ptr<HttpExchange> exchange, std::shared_ptr<Calls> calls)
      : method_(method),
        dialect_(dialect),
        exchange_(std::move(exchange)),
        calls_(std::move(calls)),
        message_(MessageFactory::generated_factory()->GetPrototype(method->output_type())->New()) {}

  grpc::ClientContext& context() { return context_; }

  // REQUIRES: calls_->Add(&context(), true) admitted it.
  void Start(const std::shared_ptr<grpc::Channel>& channel, const std::string& request_bytes) {
    grpc::Slice slice(request_bytes);
    request_ = grpc::ByteBuffer(&slice, 1);
    HttpResponse head;
    head.content_type =
        dialect_ == Dialect::kConnect ? "application/connect+json" : "application/x-ndjson";
    exchange_->StartStream(std::move(head));
    grpc::GenericStub stub(channel);
    stub.PrepareBidiStreamingCall(&context_, GrpcPath(method_), grpc::StubOptions(), this);
    StartWriteLast(&request_, grpc::WriteOptions());
    StartRead(&response_);
    AddHold();  // released when no read will follow
    StartCall();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return RemoveHold();
    std::string json;
    if (!message_->ParseFromString(Bytes(response_)) ||
        !google::protobuf::util::MessageToJsonString(*message_, &json).ok()) {
      context_.TryCancel();
      return RemoveHold();
    }
    exchange_->Send(Frame(json), [this](bool written) {
      if (written) return StartRead(&response_);
      reader_gone_ = true;
      context_.TryCancel();
      RemoveHold();
    });
  }

  void OnDone(const grpc::Status& status) override {
    std::string last;
    if (!reader_gone_) {
      if (dialect_ == Dialect::kConnect) {
        const std::string error =
            status.ok()
                ? "{}"
                : absl::StrCat(R"({"error":)",
                               ConnectErrorJson(ConnectCodeOf(status.error_code()).name,
                                                status.error_message(), status.error_details()),
                               "}");
        last = Envelope(kEndStream, error);
      } else if (!status.ok()) {
        last = absl::StrCat(
            RestErrorJson(status.error_code(), ConnectCodeOf(status.error_code()).http_status,
                          status.error_message(), status.error_details()),
            "\n");
      }
    }
    exchange_->Finish(std::move(last));
    calls_->Remove(&context_, /*stream=*/true);
    delete this;
  }

 private:
  // In Connect's dialect each message is an envelope; in REST's, as
  // grpc-gateway does, each is a line {"result": {…}}.
  std::string Frame(const std::string& json) const {
    return dialect_ == Dialect::kConnect ? Envelope(0, json)
                                         : absl::StrCat(R"({"result":)", json, "}\n");
  }

  const MethodDescriptor* method_;
  const Dialect dialect_;
  const std::shared_ptr<HttpExchange> exchange_;
  const std::shared_ptr<Calls> calls_;
  std::unique_ptr<Message> message_;
  grpc::ClientContext context_;
  grpc::ByteBuffer request_, response_;
  bool reader_gone_ = false;  // only touched by the one callback in flight
};

// Streams the responses of `method` called with `message`.
void StreamResponses(const Context& context, const HttpRequest& request,
                     const std::shared_ptr<HttpExchange>& exchange, const MethodDescriptor* method,
                     const Message& message, Dialect dialect) {
  auto* bridge = new StreamBridge(method, dialect, exchange, context.calls);
  Prepare(bridge->context(), request);
  if (!request.HasHeader("Connect-Timeout-Ms")) {
    bridge->context().set_deadline(std::chrono::system_clock::time_point::max());
  }
  switch (context.calls->Add(&bridge->context(), /*stream=*/true)) {
    case Calls::Admission::kAdmitted:
      return bridge->Start(context.channel, message.SerializeAsString());
    case Calls::Admission::kStopping:
      delete bridge;
      return exchange->Respond(ErrorResponse(dialect, grpc::StatusCode::UNAVAILABLE,
                                             "the server is shutting down; watch again shortly"));
    case Calls::Admission::kTooManyStreams:
      delete bridge;
      return exchange->Respond(
          ErrorResponse(dialect, grpc::StatusCode::RESOURCE_EXHAUSTED,
                        "this server has as many HTTP streams open as it allows (mpowerd "
                        "--http-max-streams); close one, watch over gRPC, or retry later"));
  }
}

// A server-streaming RPC (WatchChanges, ExportActivities) in the Connect
// streaming protocol with JSON: one enveloped request, then enveloped
// messages as they come and an end-stream message with the error, if any.
// A browser reads it with fetch() and a Connect web client.
void ServeServerStream(const Context& context, const HttpRequest& request,
                       const std::shared_ptr<HttpExchange>& exchange,
                       const MethodDescriptor* method) {
  const std::string& body = request.body;
  uint32_t size = 0;
  if (body.size() >= 5) {
    for (int i = 1; i <= 4; ++i) size = (size << 8) | static_cast<uint8_t>(body[i]);
  }
  if (body.size() < 5 || body.size() != 5 + static_cast<size_t>(size) || (body[0] & 0x01) != 0) {
    return exchange->Respond(
        ErrorResponse(Dialect::kConnect, grpc::StatusCode::INVALID_ARGUMENT,
                      "send one uncompressed Connect envelope: a flags byte of 0, the JSON's "
                      "length as 4 bytes big-endian, then the request as JSON"));
  }
  std::unique_ptr<Message> message(
      MessageFactory::generated_factory()->GetPrototype(method->input_type())->New());
  google::protobuf::util::JsonParseOptions parse;
  parse.ignore_unknown_fields = false;
  if (auto parsed =
          google::protobuf::util::JsonStringToMessage(body.substr(5), message.get(), parse);
      !parsed.ok()) {
    return exchange->Respond(
        ErrorResponse(Dialect::kConnect, grpc::StatusCode::INVALID_ARGUMENT,
                      absl::StrCat("the request is not a ", method->input_type()->name(),
                                   " in protobuf's JSON mapping: ", parsed.message().as_string())));
  }
  StreamResponses(context, request, exchange, method, *message, Dialect::kConnect);
}

// POST /mpower.v1.{Service}/{Method}: the Connect protocol's unary call
// with a JSON body.
void ServeConnect(const Context& context, const HttpRequest& request,
                  const std::shared_ptr<HttpExchange>& exchange, const std::string& service,
                  const std::string& method_name) {
  const auto* descriptor = DescriptorPool::generated_pool()->FindServiceByName(service);
  const auto* method = descriptor != nullptr && absl::StartsWith(service, "mpower.v1.")
                           ? descriptor->FindMethodByName(method_name)
                           : nullptr;
  if (method == nullptr) {
    return exchange->Respond(
        JsonResponse(404, ConnectErrorJson("unimplemented",
                                           absl::StrCat("no procedure /", service, "/", method_name,
                                                        "; docs/api.md lists them"),
                                           "")));
  }
  const std::string content_type = absl::AsciiStrToLower(request.Header("Content-Type"));
  if (method->client_streaming()) {
    return exchange->Respond(ErrorResponse(
        Dialect::kConnect, grpc::StatusCode::UNIMPLEMENTED,
        absl::StrCat(service, "/", method_name,
                     " streams from the client, which HTTP/1.1 cannot; call it over gRPC "
                     "(mpower commitments sync does)")));
  }
  if (method->server_streaming()) {
    if (!absl::StartsWith(content_type, "application/connect+json")) {
      return exchange->Respond(JsonResponse(
          415, ConnectErrorJson("invalid_argument",
                                absl::StrCat(service, "/", method_name,
                                             " streams: send Content-Type: "
                                             "application/connect+json, the Connect streaming "
                                             "protocol"),
                                "")));
    }
    return ServeServerStream(context, request, exchange, method);
  }
  if (!absl::StartsWith(content_type, "application/json")) {
    return exchange->Respond(JsonResponse(
        415,
        ConnectErrorJson("invalid_argument",
                         "send the request as JSON, with Content-Type: application/json", "")));
  }
  std::unique_ptr<Message> message(
      MessageFactory::generated_factory()->GetPrototype(method->input_type())->New());
  const std::string body = absl::StripAsciiWhitespace(request.body).empty() ? "{}" : request.body;
  google::protobuf::util::JsonParseOptions parse;
  parse.ignore_unknown_fields = false;
  if (auto parsed = google::protobuf::util::JsonStringToMessage(body, message.get(), parse);
      !parsed.ok()) {
    return exchange->Respond(
        ErrorResponse(Dialect::kConnect, grpc::StatusCode::INVALID_ARGUMENT,
                      absl::StrCat("the body is not a ", method->input_type()->name(),
                                   " in protobuf's JSON mapping: ", parsed.message().as_string())));
  }
  CallAndRespond(context, request, exchange, method, *message, Dialect::kConnect);
}

// GET /v1/partners/us-dol and every other route the protos declare with
// google.api.http (rest_routes.h): the request is built from the path,
// the query and the body, then called as the Connect path calls it.
// Server-streaming routes answer with newline-delimited JSON.
void ServeRest(const Context& context, const HttpRequest& request,
               const std::shared_ptr<HttpExchange>& exchange) {
  const RestRoutes& routes = RestRoutes::Mpower();
  RestRoutes::Match match;
  switch (routes.Find(request.method, request.path, match)) {
    case RestRoutes::Lookup::kFound:
      break;
    case RestRoutes::Lookup::kOtherMethod:
      return exchange->Respond(JsonResponse(
          405, RestErrorJson(grpc::StatusCode::UNIMPLEMENTED, 405,
                             absl::StrCat(request.path, " has no ", request.method,
                                          " route; docs/api.md lists each RPC's route"),
                             "")));
    case RestRoutes::Lookup::kNoRoute:
      return exchange->Respond(JsonResponse(
          404, RestErrorJson(grpc::StatusCode::NOT_FOUND, 404,
                             absl::StrCat("no route ", request.method, " ", request.path,
                                          "; docs/api.md lists each RPC's route"),
                             "")));
  }
  // Parameters in name order, each name's values in the order given.
  std::vector<std::pair<std::string, std::string>> query = ParseQuery(request.query);
  std::stable_sort(query.begin(), query.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  absl::StatusOr<std::unique_ptr<Message>> message =
      routes.BuildRequest(match, query, request.body);
  if (!message.ok()) {
    return exchange->Respond(
        ErrorResponse(Dialect::kRest, ToGrpcStatus(message.status(), match.method->full_name())));
  }
  if (match.method->server_streaming()) {
    StreamResponses(context, request, exchange, match.method, **message, Dialect::kRest);
  } else {
    CallAndRespond(context, request, exchange, match.method, **message, Dialect::kRest);
  }
}

// GET /healthz: the gRPC health service's answer for the whole server, for
// load balancers that speak only HTTP.
void ServeHealth(const Context& context, const HttpRequest& request,
                 const std::shared_ptr<HttpExchange>& exchange) {
  CallUnary(context, request, "/grpc.health.v1.Health/Check", "", Dialect::kConnect, exchange,
            [exchange](const grpc::Status& status, const std::string& bytes) {
              // HealthCheckResponse{status = SERVING} is field 1, varint 1.
              const bool serving = status.ok() && bytes == std::string("\x08\x01", 2);
              HttpResponse response;
              response.status = serving ? 200 : 503;
              response.content_type = "text/plain";
              response.body = serving ? "SERVING\n" : "NOT_SERVING\n";
              exchange->Respond(std::move(response));
            });
}

// The request headers a page may send: the bearer token and Connect's.
constexpr char kCorsAllowedHeaders[] =
    "Authorization, Content-Type, Connect-Protocol-Version, Connect-Timeout-Ms";

// "/mpower.v1.PartnerService/GetPartner" split into service and method,
// if `path` has that shape.
bool ParseProcedure(absl::string_view path, std::string& service, std::string& method) {
  if (!absl::ConsumePrefix(&path, "/")) return false;
  const size_t slash = path.find('/');
  if (slash == absl::string_view::npos || slash == 0 || slash + 1 == path.size()) return false;
  service = std::string(path.substr(0, slash));
  method = std::string(path.substr(slash + 1));
  const auto valid = [](absl::string_view text, bool dots) {
    return std::all_of(text.begin(), text.end(), [dots](char c) {
      return absl::ascii_isalnum(c) || c == '_' || (dots && c == '.');
    });
  };
  return valid(service, true) && valid(method, false);
}

// Every request: CORS for the origins the operator lists and no other (a
// browser request from another origin is refused before any call is made,
// so no page elsewhere can use a visitor's credentials), then the route.
void Handle(const Context& context, HttpRequest request, std::shared_ptr<HttpExchange> exchange) {
  if (request.HasHeader("Origin")) {
    const std::string origin = request.Header("Origin");
    if (std::find(context.cors_origins.begin(), context.cors_origins.end(), origin) ==
        context.cors_origins.end()) {
      return exchange->Respond(JsonResponse(
          403, ConnectErrorJson("permission_denied",
                                absl::StrCat("pages from ", origin,
                                             " may not call this server; the operator lists the "
                                             "origins that may (mpowerd --http-cors-origins)"),
                                "")));
    }
    exchange = std::make_shared<CorsExchange>(
        std::move(exchange), std::vector<std::pair<std::string, std::string>>{
                                 {"Access-Control-Allow-Origin", origin}, {"Vary", "Origin"}});
    if (request.method == "OPTIONS") {
      HttpResponse preflight;
      preflight.status = 204;
      preflight.headers = {{"Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE"},
                           {"Access-Control-Allow-Headers", kCorsAllowedHeaders},
                           {"Access-Control-Max-Age", "7200"}};
      return exchange->Respond(std::move(preflight));
    }
  }
  static const std::set<std::string> kRestMethods = {"GET", "POST", "PATCH", "PUT", "DELETE"};
  if (absl::StartsWith(request.path, "/v1/") && kRestMethods.count(request.method) > 0) {
    return ServeRest(context, request, exchange);
  }
  std::string service, method;
  if (request.method == "POST" && ParseProcedure(request.path, service, method)) {
    return ServeConnect(context, request, exchange, service, method);
  }
  if (request.method == "GET" && request.path == "/healthz") {
    return ServeHealth(context, request, exchange);
  }
  HttpResponse missing = ErrorResponse(
      Dialect::kConnect, grpc::StatusCode::UNIMPLEMENTED,
      absl::StrCat("no route ", request.method, " ", request.path,
                   "; docs/api.md lists each RPC's REST route and Connect procedure"));
  missing.status = 404;
  exchange->Respond(std::move(missing));
}

// The listener's own refusals, in the dialect of the path.
HttpResponse Refusal(int status, absl::string_view path, const HttpGatewayOptions& options) {
  const Dialect dialect = absl::StartsWith(path, "/v1/") ? Dialect::kRest : Dialect::kConnect;
  grpc::StatusCode code = grpc::StatusCode::INVALID_ARGUMENT;
  std::string message;
  switch (status) {
    case 408:
      code = grpc::StatusCode::DEADLINE_EXCEEDED;
      message = absl::StrCat("the request came too slowly: its headers must arrive within ",
                             absl::FormatDuration(options.header_timeout), " and its body at ",
                             options.min_body_bytes_per_second,
                             " bytes a second or faster on average; send it again at once");
      break;
    case 413:
      code = grpc::StatusCode::RESOURCE_EXHAUSTED;
      message = absl::StrCat("the request body is larger than ", options.max_request_bytes,
                             " bytes; send less, or page through it");
      break;
    case 431:
      code = grpc::StatusCode::RESOURCE_EXHAUSTED;
      message = "the request's headers are too large; send fewer or shorter ones";
      break;
    default:
      message = "the request is not HTTP/1.1 this server reads";
      break;
  }
  if (dialect == Dialect::kRest) {
    // REST keeps HTTP's own status (408, 413, 431, 400).
    return JsonResponse(status, RestErrorJson(code, status, message, ""));
  }
  // Connect answers with its code's status, but a timeout stays 408: the
  // client's request, not the call, ran out of time.
  HttpResponse response = ErrorResponse(dialect, code, message);
  if (status == 408) response.status = 408;
  return response;
}

// OpenSSL's certificate callback: the chain and key as the files hold them
// now, for this handshake. Files read per connection cost little beside a
// handshake, and a renewed certificate serves the next connection.
struct CertificateFiles {
  std::string cert;
  std::string key;
};
int UseCurrentCertificate(SSL* ssl, void* data) {
  const auto* files = static_cast<const CertificateFiles*>(data);
  return SSL_use_certificate_chain_file(ssl, files->cert.c_str()) == 1 &&
                 SSL_use_PrivateKey_file(ssl, files->key.c_str(), SSL_FILETYPE_PEM) == 1 &&
                 SSL_check_private_key(ssl) == 1
             ? 1
             : 0;
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpGateway>> HttpGateway::Start(
    std::shared_ptr<grpc::Channel> channel, const HttpGatewayOptions& options) {
  const size_t colon = options.listen_address.rfind(':');
  int requested_port = -1;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(options.listen_address.substr(colon + 1), &requested_port) ||
      requested_port < 0 || requested_port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--http-listen: expected host:port, e.g. 127.0.0.1:8080; got ", options.listen_address));
  }
  const bool tls = !options.tls_cert_file.empty() && !options.tls_key_file.empty();
  if (!tls && !IsLoopbackAddress(options.listen_address) && !options.allow_insecure_non_loopback) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--http-listen: ", options.listen_address,
        " is not a loopback address, and without --tls-cert and --tls-key the HTTP listener "
        "speaks plaintext; give them, listen on 127.0.0.1 behind a TLS-terminating proxy, or "
        "pass --allow-insecure-non-loopback"));
  }
  std::unique_ptr<HttpGateway> gateway(new HttpGateway());
  gateway->calls_ = std::make_shared<Calls>(options.max_streams);
  auto context =
      std::make_shared<Context>(Context{std::move(channel), gateway->calls_, options.cors_origins});

  HttpServerOptions server;
  server.host = options.listen_address.substr(0, colon);
  server.port = requested_port;
  server.header_timeout = options.header_timeout;
  server.min_body_bytes_per_second = options.min_body_bytes_per_second;
  server.idle_timeout = options.idle_timeout;
  server.max_connections = options.max_connections;
  server.max_connections_per_address = options.max_connections_per_address;
  server.max_body_bytes = static_cast<size_t>(options.max_request_bytes);
  server.on_limit = options.on_limit;
  if (tls) {
    auto files = std::make_shared<CertificateFiles>(
        CertificateFiles{options.tls_cert_file, options.tls_key_file});
    server.configure_tls = [files](SSL_CTX* context) {
      SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
      SSL_CTX_set_cert_cb(context, UseCurrentCertificate, files.get());
      // Loads them once now, so that a file that does not load fails the
      // start rather than every handshake.
      SSL* probe = SSL_new(context);
      const bool loaded = probe != nullptr && UseCurrentCertificate(probe, files.get()) == 1;
      SSL_free(probe);
      return loaded;
    };
  }
  absl::StatusOr<std::unique_ptr<HttpServer>> started = HttpServer::Start(
      std::move(server),
      [context](HttpRequest request, std::shared_ptr<HttpExchange> exchange) {
        Handle(*context, std::move(request), std::move(exchange));
      },
      [options](int status, absl::string_view, absl::string_view path) {
        return Refusal(status, path, options);
      });
  if (!started.ok()) {
    if (started.status().code() == absl::StatusCode::kFailedPrecondition) {
      return absl::FailedPreconditionError(
          absl::StrCat("--http-listen: cannot load the certificate ", options.tls_cert_file,
                       " and key ", options.tls_key_file, " for HTTPS"));
    }
    return absl::UnavailableError(
        absl::StrCat("--http-listen: cannot listen on ", options.listen_address));
  }
  gateway->server_ = *std::move(started);
  return gateway;
}

HttpGateway::~HttpGateway() {
  // Calls end (a stream's last message says why) and answer before the
  // listener stops writing; a stream write its client never reads is
  // abandoned, so that it cannot hold the stop.
  if (calls_ != nullptr) calls_->CancelAll();
  if (server_ != nullptr) server_->Shutdown();
  if (calls_ != nullptr) calls_->Wait();
  server_.reset();
}

}  // namespace mpower
