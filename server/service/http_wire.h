#ifndef MPOWER_SERVER_SERVICE_HTTP_WIRE_H_
#define MPOWER_SERVER_SERVICE_HTTP_WIRE_H_

// The HTTP/JSON wire formats of the gateway, apart from any HTTP engine:
// the Connect protocol's error JSON and stream envelopes, Google's REST
// error JSON (AIP-193), and query strings.

#include <grpcpp/support/status.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "server/service/http_server.h"

namespace mpower {

// Which protocol's error JSON a path answers with.
enum class Dialect { kConnect, kRest };

// The Connect protocol's name and HTTP status for a gRPC code.
struct ConnectCode {
  const char* name;
  int http_status;
};
ConnectCode ConnectCodeOf(grpc::StatusCode code);

// The Connect error JSON: code, message, and each google.rpc detail in
// `details_bytes` (a serialized google.rpc.Status) with its type, its
// bytes (base64) and, for people reading it, its JSON.
std::string ConnectErrorJson(const char* code, const std::string& message,
                             const std::string& details_bytes);

// Google's REST error JSON: {"error": {"code": <HTTP status>, "message",
// "status": "NOT_FOUND", "details": [{"@type": …, …}]}}.
std::string RestErrorJson(grpc::StatusCode code, int http_status, const std::string& message,
                          const std::string& details_bytes);

// The error `code` with `message` as `dialect` answers it.
HttpResponse ErrorResponse(Dialect dialect, grpc::StatusCode code, const std::string& message,
                           const std::string& details_bytes = "");
HttpResponse ErrorResponse(Dialect dialect, const grpc::Status& status);

// A Connect streaming envelope: flags, the length (big-endian), the data.
std::string Envelope(uint8_t flags, const std::string& data);
inline constexpr uint8_t kEndStream = 0x02;

// The pairs of a query string ("a=1&b=x+y"), decoded ('+' is a space).
std::vector<std::pair<std::string, std::string>> ParseQuery(absl::string_view query);

}  // namespace mpower

#endif  // MPOWER_SERVER_SERVICE_HTTP_WIRE_H_
