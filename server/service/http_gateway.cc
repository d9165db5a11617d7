#include "server/service/http_gateway.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/status.pb.h"
#include "server/service/caller_address.h"
#include "server/service/rest_routes.h"
#include "server/service/server.h"
#include "server/service/status_conversion.h"

namespace mpower {
namespace {

using google::protobuf::DescriptorPool;
using google::protobuf::Message;
using google::protobuf::MessageFactory;

// A call with no Connect-Timeout-Ms gets this long, as the CLI's default
// would allow for the slowest report.
constexpr std::chrono::seconds kDefaultDeadline(60);

// Threads serving HTTP: calls in flight plus open watch streams.
constexpr size_t kHttpThreads = 128;

// The Connect protocol's name and HTTP status for each gRPC code.
struct ConnectCode {
  const char* name;
  int http_status;
};

ConnectCode ConnectCodeOf(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::CANCELLED:
      return {"canceled", 499};
    case grpc::StatusCode::INVALID_ARGUMENT:
      return {"invalid_argument", 400};
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return {"deadline_exceeded", 504};
    case grpc::StatusCode::NOT_FOUND:
      return {"not_found", 404};
    case grpc::StatusCode::ALREADY_EXISTS:
      return {"already_exists", 409};
    case grpc::StatusCode::PERMISSION_DENIED:
      return {"permission_denied", 403};
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return {"resource_exhausted", 429};
    case grpc::StatusCode::FAILED_PRECONDITION:
      return {"failed_precondition", 400};
    case grpc::StatusCode::ABORTED:
      return {"aborted", 409};
    case grpc::StatusCode::OUT_OF_RANGE:
      return {"out_of_range", 400};
    case grpc::StatusCode::UNIMPLEMENTED:
      return {"unimplemented", 501};
    case grpc::StatusCode::INTERNAL:
      return {"internal", 500};
    case grpc::StatusCode::UNAVAILABLE:
      return {"unavailable", 503};
    case grpc::StatusCode::DATA_LOSS:
      return {"data_loss", 500};
    case grpc::StatusCode::UNAUTHENTICATED:
      return {"unauthenticated", 401};
    default:
      return {"unknown", 500};
  }
}

// The Connect error JSON: code, message, and each google.rpc detail with
// its type, its bytes (base64) and, for people reading it, its JSON.
std::string ErrorJson(const char* code, const std::string& message,
                      const std::string& details_bytes) {
  google::protobuf::Struct error;
  (*error.mutable_fields())["code"].set_string_value(code);
  (*error.mutable_fields())["message"].set_string_value(message);
  google::rpc::Status details;
  if (!details_bytes.empty() && details.ParseFromString(details_bytes) &&
      details.details_size() > 0) {
    google::protobuf::ListValue* list = (*error.mutable_fields())["details"].mutable_list_value();
    for (const google::protobuf::Any& any : details.details()) {
      const std::string type(absl::StripPrefix(any.type_url(), "type.googleapis.com/"));
      google::protobuf::Struct* detail = list->add_values()->mutable_struct_value();
      (*detail->mutable_fields())["type"].set_string_value(type);
      (*detail->mutable_fields())["value"].set_string_value(absl::Base64Escape(any.value()));
      const auto* descriptor = DescriptorPool::generated_pool()->FindMessageTypeByName(type);
      if (descriptor == nullptr) continue;
      std::unique_ptr<Message> unpacked(
          MessageFactory::generated_factory()->GetPrototype(descriptor)->New());
      std::string json;
      if (unpacked->ParseFromString(any.value()) &&
          google::protobuf::util::MessageToJsonString(*unpacked, &json).ok()) {
        (void)google::protobuf::util::JsonStringToMessage(
            json, (*detail->mutable_fields())["debug"].mutable_struct_value());
      }
    }
  }
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(error, &json);
  return json;
}

// Google's REST error JSON (AIP-193): {"error": {"code": <HTTP status>,
// "message", "status": "NOT_FOUND", "details": [{"@type": …, …}]}}.
std::string RestErrorJson(grpc::StatusCode code, int http_status, const std::string& message,
                          const std::string& details_bytes) {
  google::protobuf::Value message_value;
  message_value.set_string_value(message);
  std::string message_json;
  (void)google::protobuf::util::MessageToJsonString(message_value, &message_json);
  std::vector<std::string> details_json;
  google::rpc::Status details;
  if (!details_bytes.empty() && details.ParseFromString(details_bytes)) {
    for (const google::protobuf::Any& any : details.details()) {
      std::string json;
      if (google::protobuf::util::MessageToJsonString(any, &json).ok()) {
        details_json.push_back(std::move(json));
      }
    }
  }
  return absl::StrCat(
      R"({"error":{"code":)", http_status, R"(,"message":)", message_json, R"(,"status":")",
      absl::StatusCodeToString(static_cast<absl::StatusCode>(static_cast<int>(code))), "\"",
      details_json.empty() ? ""
                           : absl::StrCat(R"(,"details":[)", absl::StrJoin(details_json, ","), "]"),
      "}}");
}

// Which protocol's error JSON a path answers with.
enum class Dialect { kConnect, kRest };

void SendError(httplib::Response& res, Dialect dialect, grpc::StatusCode code,
               const std::string& message, const std::string& details_bytes = "") {
  const ConnectCode connect = ConnectCodeOf(code);
  res.status = connect.http_status;
  res.set_content(dialect == Dialect::kConnect
                      ? ErrorJson(connect.name, message, details_bytes)
                      : RestErrorJson(code, connect.http_status, message, details_bytes),
                  "application/json");
}

void SendError(httplib::Response& res, Dialect dialect, const grpc::Status& status) {
  SendError(res, dialect, status.error_code(), status.error_message(), status.error_details());
}

// Makes one unary call of `path` with `request` bytes, as the HTTP caller.
grpc::Status Call(const std::shared_ptr<grpc::Channel>& channel, const httplib::Request& req,
                  const std::string& path, const std::string& request, std::string& response) {
  grpc::ClientContext context;
  std::chrono::milliseconds timeout = kDefaultDeadline;
  if (int64_t ms = 0; absl::SimpleAtoi(req.get_header_value("Connect-Timeout-Ms"), &ms) && ms > 0 &&
                      ms < 1000LL * 3600 * 24) {
    timeout = std::chrono::milliseconds(ms);
  }
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  if (req.has_header("Authorization")) {
    context.AddMetadata("authorization", req.get_header_value("Authorization"));
  }
  SetHttpCallerAddress(context, absl::StrCat(req.remote_addr, ":", req.remote_port));
  grpc::GenericStub stub(channel);
  grpc::Slice slice(request);
  grpc::ByteBuffer request_buffer(&slice, 1), response_buffer;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, path, grpc::StubOptions(), &request_buffer, &response_buffer,
                 [&done](grpc::Status status) { done.set_value(std::move(status)); });
  grpc::Status status = done.get_future().get();
  if (!status.ok()) return status;
  std::vector<grpc::Slice> slices;
  if (!response_buffer.Dump(&slices).ok()) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "internal error; unreadable response");
  }
  response.clear();
  for (const grpc::Slice& s : slices) {
    response.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return status;
}

class OpenStreams;
void ServeServerStream(const std::shared_ptr<grpc::Channel>& channel,
                       const std::shared_ptr<OpenStreams>& open_streams,
                       const google::protobuf::MethodDescriptor* method,
                       const httplib::Request& req, httplib::Response& res);
void StreamResponses(const std::shared_ptr<grpc::Channel>& channel,
                     const std::shared_ptr<OpenStreams>& open_streams,
                     const google::protobuf::MethodDescriptor* method, const Message& request,
                     Dialect dialect, const httplib::Request& req, httplib::Response& res);

// "/mpower.v1.PartnerService/GetPartner", the gRPC path of `method`.
std::string GrpcPath(const google::protobuf::MethodDescriptor* method) {
  return absl::StrCat("/", method->service()->full_name(), "/", method->name());
}

// Makes the unary call of `method` with `request` and answers with its
// response as JSON, or its error in `dialect`.
void CallAndRespond(const std::shared_ptr<grpc::Channel>& channel, const httplib::Request& req,
                    httplib::Response& res, const google::protobuf::MethodDescriptor* method,
                    const Message& request, Dialect dialect) {
  std::string response_bytes;
  const grpc::Status status =
      Call(channel, req, GrpcPath(method), request.SerializeAsString(), response_bytes);
  if (!status.ok()) {
    SendError(res, dialect, status);
    return;
  }
  std::unique_ptr<Message> response(
      MessageFactory::generated_factory()->GetPrototype(method->output_type())->New());
  std::string json;
  if (!response->ParseFromString(response_bytes) ||
      !google::protobuf::util::MessageToJsonString(*response, &json).ok()) {
    SendError(res, dialect, grpc::StatusCode::INTERNAL,
              "internal error; the server log has details");
    return;
  }
  res.status = 200;
  res.set_content(json, "application/json");
}

// POST /mpower.v1.{Service}/{Method}: the Connect protocol's unary call
// with a JSON body.
void ServeUnary(const std::shared_ptr<grpc::Channel>& channel,
                const std::shared_ptr<OpenStreams>& open_streams, const httplib::Request& req,
                httplib::Response& res) {
  const std::string service = req.matches[1];
  const std::string method_name = req.matches[2];
  const auto* descriptor = DescriptorPool::generated_pool()->FindServiceByName(service);
  const auto* method = descriptor != nullptr && absl::StartsWith(service, "mpower.v1.")
                           ? descriptor->FindMethodByName(method_name)
                           : nullptr;
  if (method == nullptr) {
    res.status = 404;
    res.set_content(ErrorJson("unimplemented",
                              absl::StrCat("no procedure /", service, "/", method_name,
                                           "; docs/api.md lists them"),
                              ""),
                    "application/json");
    return;
  }
  const std::string content_type = absl::AsciiStrToLower(req.get_header_value("Content-Type"));
  if (method->client_streaming()) {
    SendError(res, Dialect::kConnect, grpc::StatusCode::UNIMPLEMENTED,
              absl::StrCat(service, "/", method_name,
                           " streams from the client, which HTTP/1.1 cannot; call it over gRPC "
                           "(mpower commitments sync does)"));
    return;
  }
  if (method->server_streaming()) {
    if (!absl::StartsWith(content_type, "application/connect+json")) {
      res.status = 415;
      res.set_content(ErrorJson("invalid_argument",
                                absl::StrCat(service, "/", method_name,
                                             " streams: send Content-Type: "
                                             "application/connect+json, the Connect streaming "
                                             "protocol"),
                                ""),
                      "application/json");
      return;
    }
    ServeServerStream(channel, open_streams, method, req, res);
    return;
  }
  if (!absl::StartsWith(content_type, "application/json")) {
    res.status = 415;
    res.set_content(ErrorJson("invalid_argument",
                              "send the request as JSON, with Content-Type: application/json", ""),
                    "application/json");
    return;
  }
  std::unique_ptr<Message> request(
      MessageFactory::generated_factory()->GetPrototype(method->input_type())->New());
  const std::string body = absl::StripAsciiWhitespace(req.body).empty() ? "{}" : req.body;
  google::protobuf::util::JsonParseOptions parse;
  parse.ignore_unknown_fields = false;
  if (auto parsed = google::protobuf::util::JsonStringToMessage(body, request.get(), parse);
      !parsed.ok()) {
    SendError(res, Dialect::kConnect, grpc::StatusCode::INVALID_ARGUMENT,
              absl::StrCat("the body is not a ", method->input_type()->name(),
                           " in protobuf's JSON mapping: ", parsed.message().as_string()));
    return;
  }
  CallAndRespond(channel, req, res, method, *request, Dialect::kConnect);
}

// GET /v1/partners/us-dol and every other route the protos declare with
// google.api.http (rest_routes.h): the request is built from the path,
// the query and the body, then called as the Connect path calls it.
// Server-streaming routes answer with newline-delimited JSON.
void ServeRest(const std::shared_ptr<grpc::Channel>& channel,
               const std::shared_ptr<OpenStreams>& open_streams, const httplib::Request& req,
               httplib::Response& res) {
  const RestRoutes& routes = RestRoutes::Mpower();
  RestRoutes::Match match;
  switch (routes.Find(req.method, req.path, match)) {
    case RestRoutes::Lookup::kFound:
      break;
    case RestRoutes::Lookup::kOtherMethod:
      res.status = 405;
      res.set_content(RestErrorJson(grpc::StatusCode::UNIMPLEMENTED, 405,
                                    absl::StrCat(req.path, " has no ", req.method,
                                                 " route; docs/api.md lists each RPC's route"),
                                    ""),
                      "application/json");
      return;
    case RestRoutes::Lookup::kNoRoute:
      res.status = 404;
      res.set_content(RestErrorJson(grpc::StatusCode::NOT_FOUND, 404,
                                    absl::StrCat("no route ", req.method, " ", req.path,
                                                 "; docs/api.md lists each RPC's route"),
                                    ""),
                      "application/json");
      return;
  }
  // The query as the URL has it: httplib's req.params also holds a form
  // body's fields, and a REST body is JSON whatever its Content-Type says.
  httplib::Params params;
  if (const size_t mark = req.target.find('?'); mark != std::string::npos) {
    httplib::detail::parse_query_text(req.target.substr(mark + 1), params);
  }
  const std::vector<std::pair<std::string, std::string>> query(params.begin(), params.end());
  absl::StatusOr<std::unique_ptr<Message>> request = routes.BuildRequest(match, query, req.body);
  if (!request.ok()) {
    SendError(res, Dialect::kRest, ToGrpcStatus(request.status(), match.method->full_name()));
    return;
  }
  if (match.method->server_streaming()) {
    StreamResponses(channel, open_streams, match.method, **request, Dialect::kRest, req, res);
  } else {
    CallAndRespond(channel, req, res, match.method, **request, Dialect::kRest);
  }
}

// One server-streaming call on the in-process channel, read a message at a
// time by the thread writing the HTTP response: the next read starts only
// once the last message was written, so a slow reader holds back the
// stream instead of filling memory.
class ServerStreamCall final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  void Start(const std::shared_ptr<grpc::Channel>& channel, const std::string& path,
             const std::string& request_bytes) {
    grpc::Slice slice(request_bytes);
    request_ = grpc::ByteBuffer(&slice, 1);
    grpc::GenericStub stub(channel);
    stub.PrepareBidiStreamingCall(&context, path, grpc::StubOptions(), this);
    StartWriteLast(&request_, grpc::WriteOptions());
    StartRead(&response_);
    StartCall();
  }

  // The next message's bytes; false once the stream has no more.
  bool Next(std::string& message) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [this] { return has_message_ || reads_over_; });
    if (!has_message_) return false;
    message = std::move(message_);
    has_message_ = false;
    lock.unlock();
    StartRead(&response_);
    return true;
  }

  // How the stream ended; waits for it.
  grpc::Status Finish() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [this] { return done_; });
    return status_;
  }

  void OnReadDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!ok) {
      reads_over_ = true;
    } else {
      std::vector<grpc::Slice> slices;
      message_.clear();
      if (response_.Dump(&slices).ok()) {
        for (const grpc::Slice& slice : slices) {
          message_.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
        }
      }
      has_message_ = true;
    }
    changed_.notify_all();
  }
  void OnDone(const grpc::Status& status) override {
    std::lock_guard<std::mutex> lock(mutex_);
    status_ = status;
    done_ = true;
    reads_over_ = true;
    changed_.notify_all();
  }

  grpc::ClientContext context;

 private:
  grpc::ByteBuffer request_, response_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::string message_;
  bool has_message_ = false;
  bool reads_over_ = false;
  bool done_ = false;
  grpc::Status status_;
};

// The streams open through the gateway, so that stopping it can cancel
// them: an open watch would otherwise hold its HTTP thread, and the stop,
// until the gRPC server ends the stream, which it does only after.
class OpenStreams {
 public:
  void Add(ServerStreamCall* call) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) call->context.TryCancel();
    calls_.insert(call);
  }
  void Remove(ServerStreamCall* call) {
    std::lock_guard<std::mutex> lock(mutex_);
    calls_.erase(call);
  }
  void CancelAll() {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    for (ServerStreamCall* call : calls_) call->context.TryCancel();
  }

 private:
  std::mutex mutex_;
  std::set<ServerStreamCall*> calls_;
  bool closed_ = false;
};

// A Connect streaming envelope: flags, the length (big-endian), the data.
std::string Envelope(uint8_t flags, const std::string& data) {
  const uint32_t size = static_cast<uint32_t>(data.size());
  std::string out;
  out.push_back(static_cast<char>(flags));
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(size >> shift));
  return out + data;
}

constexpr uint8_t kEndStream = 0x02;

// A server-streaming RPC (WatchChanges, ExportActivities) in the Connect
// streaming protocol with JSON: one enveloped request, then enveloped
// messages as they come and an end-stream message with the error, if any.
// A browser reads it with fetch() and a Connect web client.
void ServeServerStream(const std::shared_ptr<grpc::Channel>& channel,
                       const std::shared_ptr<OpenStreams>& open_streams,
                       const google::protobuf::MethodDescriptor* method,
                       const httplib::Request& req, httplib::Response& res) {
  const std::string& body = req.body;
  uint32_t size = 0;
  if (body.size() >= 5) {
    for (int i = 1; i <= 4; ++i) size = (size << 8) | static_cast<uint8_t>(body[i]);
  }
  if (body.size() < 5 || body.size() != 5 + static_cast<size_t>(size) || (body[0] & 0x01) != 0) {
    SendError(res, Dialect::kConnect, grpc::StatusCode::INVALID_ARGUMENT,
              "send one uncompressed Connect envelope: a flags byte of 0, the JSON's length as "
              "4 bytes big-endian, then the request as JSON");
    return;
  }
  std::unique_ptr<Message> request(
      MessageFactory::generated_factory()->GetPrototype(method->input_type())->New());
  google::protobuf::util::JsonParseOptions parse;
  parse.ignore_unknown_fields = false;
  if (auto parsed =
          google::protobuf::util::JsonStringToMessage(body.substr(5), request.get(), parse);
      !parsed.ok()) {
    SendError(res, Dialect::kConnect, grpc::StatusCode::INVALID_ARGUMENT,
              absl::StrCat("the request is not a ", method->input_type()->name(),
                           " in protobuf's JSON mapping: ", parsed.message().as_string()));
    return;
  }
  StreamResponses(channel, open_streams, method, *request, Dialect::kConnect, req, res);
}

// Streams the responses of `method` called with `request`. In Connect's
// dialect each message is an envelope and an end-stream message ends it;
// in REST's, as grpc-gateway does, each message is a line
// {"result": {…}} and an error ends it with a line {"error": {…}}.
void StreamResponses(const std::shared_ptr<grpc::Channel>& channel,
                     const std::shared_ptr<OpenStreams>& open_streams,
                     const google::protobuf::MethodDescriptor* method, const Message& request,
                     Dialect dialect, const httplib::Request& req, httplib::Response& res) {
  auto call = std::make_shared<ServerStreamCall>();
  if (int64_t ms = 0; absl::SimpleAtoi(req.get_header_value("Connect-Timeout-Ms"), &ms) && ms > 0) {
    call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(ms));
  }
  if (req.has_header("Authorization")) {
    call->context.AddMetadata("authorization", req.get_header_value("Authorization"));
  }
  SetHttpCallerAddress(call->context, absl::StrCat(req.remote_addr, ":", req.remote_port));
  call->Start(channel, GrpcPath(method), request.SerializeAsString());
  open_streams->Add(call.get());
  res.status = 200;
  const auto frame = [dialect](const std::string& json) {
    return dialect == Dialect::kConnect ? Envelope(0, json)
                                        : absl::StrCat(R"({"result":)", json, "}\n");
  };
  res.set_chunked_content_provider(
      dialect == Dialect::kConnect ? "application/connect+json" : "application/x-ndjson",
      [call, method, open_streams, dialect, frame](size_t, httplib::DataSink& sink) {
        std::unique_ptr<Message> message(
            MessageFactory::generated_factory()->GetPrototype(method->output_type())->New());
        std::string bytes, json;
        bool reader_gone = false;
        while (call->Next(bytes)) {
          if (reader_gone) continue;  // drain until the cancelled call ends
          json.clear();
          if (!message->ParseFromString(bytes) ||
              !google::protobuf::util::MessageToJsonString(*message, &json).ok()) {
            call->context.TryCancel();
            continue;
          }
          const std::string framed = frame(json);
          if (!sink.write(framed.data(), framed.size())) {
            reader_gone = true;
            call->context.TryCancel();
          }
        }
        const grpc::Status status = call->Finish();
        open_streams->Remove(call.get());
        if (reader_gone) return false;
        std::string end;
        if (dialect == Dialect::kConnect) {
          const std::string error =
              status.ok() ? "{}"
                          : absl::StrCat(R"({"error":)",
                                         ErrorJson(ConnectCodeOf(status.error_code()).name,
                                                   status.error_message(), status.error_details()),
                                         "}");
          end = Envelope(kEndStream, error);
        } else if (!status.ok()) {
          end = absl::StrCat(
              RestErrorJson(status.error_code(), ConnectCodeOf(status.error_code()).http_status,
                            status.error_message(), status.error_details()),
              "\n");
        }
        sink.write(end.data(), end.size());
        sink.done();
        return true;
      });
}

// GET /healthz: the gRPC health service's answer for the whole server, for
// load balancers that speak only HTTP.
void ServeHealth(const std::shared_ptr<grpc::Channel>& channel, const httplib::Request& req,
                 httplib::Response& res) {
  std::string response;
  const grpc::Status status = Call(channel, req, "/grpc.health.v1.Health/Check", "", response);
  // HealthCheckResponse{status = SERVING} is field 1, varint 1: "\x08\x01".
  const bool serving = status.ok() && response == std::string("\x08\x01", 2);
  res.status = serving ? 200 : 503;
  res.set_content(serving ? "SERVING\n" : "NOT_SERVING\n", "text/plain");
}

// The request headers a page may send: the bearer token and Connect's.
constexpr char kCorsAllowedHeaders[] =
    "Authorization, Content-Type, Connect-Protocol-Version, Connect-Timeout-Ms";

// CORS, for the origins the operator lists and no other. A browser request
// from another origin is refused outright, before any call is made, so no
// page elsewhere can use a visitor's credentials; a preflight from a
// listed origin is answered here.
// OpenSSL's certificate callback: the chain and key as the files hold them
// now, for this handshake. Files read per connection cost little beside a
// handshake, and a renewed certificate serves the next connection.
int UseCurrentCertificate(SSL* ssl, void* data) {
  const auto* files = static_cast<const CertificateFiles*>(data);
  return SSL_use_certificate_chain_file(ssl, files->cert.c_str()) == 1 &&
                 SSL_use_PrivateKey_file(ssl, files->key.c_str(), SSL_FILETYPE_PEM) == 1 &&
                 SSL_check_private_key(ssl) == 1
             ? 1
             : 0;
}

httplib::Server::HandlerResponse ApplyCors(const std::vector<std::string>& origins,
                                           const httplib::Request& req, httplib::Response& res) {
  if (!req.has_header("Origin")) return httplib::Server::HandlerResponse::Unhandled;
  const std::string origin = req.get_header_value("Origin");
  if (std::find(origins.begin(), origins.end(), origin) == origins.end()) {
    res.status = 403;
    res.set_content(ErrorJson("permission_denied",
                              absl::StrCat("pages from ", origin,
                                           " may not call this server; the operator lists the "
                                           "origins that may (mpowerd --http-cors-origins)"),
                              ""),
                    "application/json");
    return httplib::Server::HandlerResponse::Handled;
  }
  res.set_header("Access-Control-Allow-Origin", origin);
  res.set_header("Vary", "Origin");
  if (req.method == "OPTIONS") {
    res.status = 204;
    res.set_header("Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE");
    res.set_header("Access-Control-Allow-Headers", kCorsAllowedHeaders);
    res.set_header("Access-Control-Max-Age", "7200");
    return httplib::Server::HandlerResponse::Handled;
  }
  return httplib::Server::HandlerResponse::Unhandled;
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
  gateway->channel_ = std::move(channel);
  if (tls) {
    auto files = std::make_shared<CertificateFiles>(
        CertificateFiles{options.tls_cert_file, options.tls_key_file});
    gateway->tls_files_ = files;
    auto https = std::make_unique<httplib::SSLServer>([files](SSL_CTX& context) {
      SSL_CTX_set_min_proto_version(&context, TLS1_2_VERSION);
      SSL_CTX_set_cert_cb(&context, UseCurrentCertificate, files.get());
      return true;
    });
    // Loads them once now, so that a file that does not load fails the
    // start rather than every handshake.
    SSL* probe = SSL_new(https->ssl_context());
    const bool loaded = probe != nullptr && UseCurrentCertificate(probe, files.get()) == 1;
    SSL_free(probe);
    if (!https->is_valid() || !loaded) {
      return absl::FailedPreconditionError(
          absl::StrCat("--http-listen: cannot load the certificate ", options.tls_cert_file,
                       " and key ", options.tls_key_file, " for HTTPS"));
    }
    gateway->server_ = std::move(https);
  } else {
    gateway->server_ = std::make_unique<httplib::Server>();
  }
  httplib::Server& server = *gateway->server_;
  server.set_payload_max_length(static_cast<size_t>(options.max_request_bytes));
  // Headers and body go out in separate writes; without TCP_NODELAY, Nagle
  // holds the body back until the client's delayed ACK, 40 ms a call.
  server.set_tcp_nodelay(true);
  // Each open watch holds one of these threads for as long as it is open.
  server.new_task_queue = [] { return new httplib::ThreadPool(kHttpThreads); };
  const std::shared_ptr<grpc::Channel> target = gateway->channel_;
  auto open_streams = std::make_shared<OpenStreams>();
  gateway->cancel_streams_ = [open_streams] { open_streams->CancelAll(); };
  const auto rest = [target, open_streams](const httplib::Request& req, httplib::Response& res) {
    ServeRest(target, open_streams, req, res);
  };
  // Before the Connect route, whose pattern "/v1/partners" also fits.
  server.Get("/v1/.*", rest);
  server.Post("/v1/.*", rest);
  server.Patch("/v1/.*", rest);
  server.Put("/v1/.*", rest);
  server.Delete("/v1/.*", rest);
  server.Post(R"(/([A-Za-z0-9_.]+)/([A-Za-z0-9_]+))",
              [target, open_streams](const httplib::Request& req, httplib::Response& res) {
                ServeUnary(target, open_streams, req, res);
              });
  server.Get("/healthz", [target](const httplib::Request& req, httplib::Response& res) {
    ServeHealth(target, req, res);
  });
  server.set_pre_routing_handler(
      [origins = options.cors_origins](const httplib::Request& req, httplib::Response& res) {
        return ApplyCors(origins, req, res);
      });
  const int max_bytes = options.max_request_bytes;
  // httplib's own refusals (no handler, too large, not HTTP it can read)
  // get an error body in the dialect of the path.
  server.set_error_handler([max_bytes](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    const Dialect dialect = absl::StartsWith(req.path, "/v1/") ? Dialect::kRest : Dialect::kConnect;
    grpc::StatusCode code;
    std::string message;
    if (res.status == 413) {
      code = grpc::StatusCode::RESOURCE_EXHAUSTED;
      message = absl::StrCat("the request body is larger than ", max_bytes,
                             " bytes; send less, or page through it");
    } else if (res.status == 404) {
      code = grpc::StatusCode::UNIMPLEMENTED;
      message = absl::StrCat("no route ", req.method, " ", req.path,
                             "; docs/api.md lists each RPC's REST route and Connect procedure");
    } else if (res.status == 400) {
      code = grpc::StatusCode::INVALID_ARGUMENT;
      message =
          "the request is not HTTP/1.1 this server reads; a POST needs a Content-Length (an "
          "empty body is curl -d '')";
    } else {
      return;
    }
    if (dialect == Dialect::kRest) {
      // REST keeps HTTP's own status (413, 404, 400).
      res.set_content(RestErrorJson(code, res.status, message, ""), "application/json");
    } else {
      // Connect answers an unknown procedure 404 with code unimplemented.
      const int status = res.status;
      SendError(res, dialect, code, message);
      if (status == 404) res.status = 404;
    }
  });
  const std::string host = options.listen_address.substr(0, colon);
  gateway->port_ = requested_port == 0
                       ? server.bind_to_any_port(host)
                       : (server.bind_to_port(host, requested_port) ? requested_port : -1);
  if (gateway->port_ <= 0) {
    return absl::UnavailableError(
        absl::StrCat("--http-listen: cannot listen on ", options.listen_address));
  }
  gateway->thread_ = std::thread([&server] { server.listen_after_bind(); });
  return gateway;
}

HttpGateway::~HttpGateway() {
  if (cancel_streams_) cancel_streams_();
  // A stop before the listening thread runs would be lost, and the join
  // would wait for ever.
  for (int i = 0; server_ != nullptr && !server_->is_running() && i < 1000; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (server_ != nullptr) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace mpower
