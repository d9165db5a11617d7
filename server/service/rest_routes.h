#ifndef MPOWER_SERVER_SERVICE_REST_ROUTES_H_
#define MPOWER_SERVER_SERVICE_REST_ROUTES_H_

// The REST routes of mpower's RPCs, in the style of Google's APIs
// (AIP-127): `GET /v1/partners/us-dol`, `PATCH /v1/alerts/x?update_mask=…`,
// `POST /v1/alerts/x:undelete`. Each RPC declares its route in the protos
// with a google.api.http option; this reads them from the descriptors the
// binary was built with, so the protos are the only list of routes.
//
// A request becomes the RPC's request message as google/api/http.proto
// says: path variables set the fields they name, the body fills the field
// the route's `body` names (or the whole request for "*"), and query
// parameters set any other field by its path (`filter.collections=alerts`,
// repeated by repeating it). Nothing here calls anything: the gateway
// sends the message through the same gRPC call as the Connect path.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace mpower {

class RestRoutes {
 public:
  // The routes of every method of `services` that declares one. A route
  // the parser does not accept is a build defect: the process stops,
  // naming it.
  explicit RestRoutes(const std::vector<const google::protobuf::ServiceDescriptor*>& services);
  // The routes of every service in the mpower.v1 package.
  static const RestRoutes& Mpower();

  RestRoutes(const RestRoutes&) = delete;
  RestRoutes& operator=(const RestRoutes&) = delete;

  // One HTTP request matched to its RPC.
  struct Match {
    const google::protobuf::MethodDescriptor* method = nullptr;
    // The route's body field: "" for none, "*" for the whole request.
    std::string body;
    // Each path variable's field path and value, e.g. {"alert.name",
    // "alerts/abc"}.
    std::vector<std::pair<std::string, std::string>> variables;
  };
  enum class Lookup { kFound, kNoRoute, kOtherMethod };
  // Finds the route of `http_method` ("GET", "PATCH", …) and `path` (the
  // decoded path, without the query). kOtherMethod when the path has
  // routes but none for this method.
  Lookup Find(absl::string_view http_method, absl::string_view path, Match& match) const;

  // The request message for `match` from the query parameters (name,
  // value; a name repeats for a repeated field) and the body (JSON).
  // INVALID_ARGUMENT naming the parameter or the body when either does not
  // fit the request: an unknown parameter, a value of the wrong type, a
  // parameter that sets a field the path or body already set, a body on a
  // route that takes none.
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> BuildRequest(
      const Match& match, const std::vector<std::pair<std::string, std::string>>& query,
      absl::string_view body) const;

  // Every route as "GET /v1/{name=partners/*}" with its method's full name,
  // in declaration order.
  std::vector<std::pair<std::string, std::string>> Describe() const;

 private:
  struct Route;
  std::vector<std::unique_ptr<Route>> routes_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_SERVICE_REST_ROUTES_H_
