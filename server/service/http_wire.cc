#include "server/service/http_wire.h"

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "google/protobuf/any.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/status.pb.h"

namespace mpower {

using google::protobuf::DescriptorPool;
using google::protobuf::Message;
using google::protobuf::MessageFactory;

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
std::string ConnectErrorJson(const char* code, const std::string& message,
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

HttpResponse ErrorResponse(Dialect dialect, grpc::StatusCode code, const std::string& message,
                           const std::string& details_bytes) {
  const ConnectCode connect = ConnectCodeOf(code);
  HttpResponse response;
  response.status = connect.http_status;
  response.content_type = "application/json";
  response.body = dialect == Dialect::kConnect
                      ? ConnectErrorJson(connect.name, message, details_bytes)
                      : RestErrorJson(code, connect.http_status, message, details_bytes);
  return response;
}

HttpResponse ErrorResponse(Dialect dialect, const grpc::Status& status) {
  return ErrorResponse(dialect, status.error_code(), status.error_message(),
                       status.error_details());
}

std::string Envelope(uint8_t flags, const std::string& data) {
  const uint32_t size = static_cast<uint32_t>(data.size());
  std::string out;
  out.push_back(static_cast<char>(flags));
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(size >> shift));
  return out + data;
}

std::vector<std::pair<std::string, std::string>> ParseQuery(absl::string_view query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (absl::string_view part : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    const size_t equals = part.find('=');
    pairs.emplace_back(PercentDecode(part.substr(0, equals), /*plus_is_space=*/true),
                       equals == absl::string_view::npos
                           ? ""
                           : PercentDecode(part.substr(equals + 1), /*plus_is_space=*/true));
  }
  return pairs;
}

}  // namespace mpower
