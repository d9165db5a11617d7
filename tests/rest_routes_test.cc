// The REST routes read from the protos' google.api.http options: every RPC
// HTTP/1.1 can carry has one, no two collide, and a request is built from
// path, query and body as google/api/http.proto says.

#include "server/service/rest_routes.h"

#include <gtest/gtest.h>

#include <map>

#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "mpower/v1/admin.pb.h"
#include "mpower/v1/alert.pb.h"
#include "mpower/v1/change.pb.h"
#include "mpower/v1/commitment.pb.h"
#include "mpower/v1/initiative.pb.h"
#include "mpower/v1/partner.pb.h"
#include "mpower/v1/report.pb.h"
#include "mpower/v1/response.pb.h"
#include "mpower/v1/subscription.pb.h"
#include "tests/any_rpc.h"

namespace mpower {
namespace {

using ::testing::HasSubstr;

const google::protobuf::Message& Build(const RestRoutes::Match& match,
                                       std::vector<std::pair<std::string, std::string>> query,
                                       const std::string& body,
                                       std::unique_ptr<google::protobuf::Message>& holder) {
  auto built = RestRoutes::Mpower().BuildRequest(match, query, body);
  EXPECT_TRUE(built.ok()) << built.status();
  holder = built.ok() ? std::move(*built) : nullptr;
  static const v1::GetPartnerRequest kEmpty;
  if (holder == nullptr) return kEmpty;
  return *holder;
}

RestRoutes::Match Find(const std::string& method, const std::string& path) {
  RestRoutes::Match match;
  EXPECT_EQ(RestRoutes::Mpower().Find(method, path, match), RestRoutes::Lookup::kFound)
      << method << " " << path;
  return match;
}

TEST(RestRoutesTest, EveryRpcHttpCanCarryHasOneRouteAndNoTwoCollide) {
  const auto routes = RestRoutes::Mpower().Describe();
  std::map<std::string, int> routes_of_method;
  for (const auto& [route, method] : routes) ++routes_of_method[method];
  // Every method of every proto file, so a new service or method cannot
  // go without a route unnoticed. These link every file in, as mpowerd's
  // services do.
  for (const auto* type :
       {v1::Partner::descriptor(), v1::Initiative::descriptor(), v1::Commitment::descriptor(),
        v1::Alert::descriptor(), v1::Response::descriptor(), v1::Subscription::descriptor()}) {
    ASSERT_NE(type, nullptr);
  }
  const std::vector<std::string> methods = testing::AllMpowerMethods(MPOWER_PROTO_DIR);
  EXPECT_EQ(methods.size(), 53u);
  for (const std::string& name : methods) {
    const auto* method = testing::FindMpowerMethod(name);
    ASSERT_NE(method, nullptr) << name;
    // A client stream (SyncCommitments) needs HTTP/2: gRPC only.
    EXPECT_EQ(routes_of_method[method->full_name()], method->client_streaming() ? 0 : 1) << name;
  }
  // Each route, filled in, reaches its own method and no other.
  for (const auto& [route, method] : routes) {
    const size_t space = route.find(' ');
    std::string path = route.substr(space + 1);
    // {name=partners/*} becomes partners/x; {country_code} becomes x.
    std::string filled;
    for (size_t at = 0; at < path.size(); ++at) {
      if (path[at] == '{') {
        const size_t close = path.find('}', at);
        const std::string inner = path.substr(at + 1, close - at - 1);
        const size_t equals = inner.find('=');
        filled += equals == std::string::npos
                      ? "x"
                      : absl::StrReplaceAll(inner.substr(equals + 1), {{"*", "x"}});
        at = close;
      } else {
        filled.push_back(path[at]);
      }
    }
    RestRoutes::Match match = Find(route.substr(0, space), filled);
    ASSERT_NE(match.method, nullptr);
    EXPECT_EQ(match.method->full_name(), method) << route;
  }
}

TEST(RestRoutesTest, PathsMatchSegmentBySegmentWithTheirVerb) {
  RestRoutes::Match match;
  const RestRoutes& routes = RestRoutes::Mpower();
  EXPECT_EQ(routes.Find("GET", "/v1/alerts/abc", match), RestRoutes::Lookup::kFound);
  EXPECT_EQ(match.method->name(), "GetAlert");
  EXPECT_THAT(match.variables, ::testing::ElementsAre(::testing::Pair("name", "alerts/abc")));
  EXPECT_EQ(routes.Find("POST", "/v1/alerts/abc:undelete", match), RestRoutes::Lookup::kFound);
  EXPECT_EQ(match.method->name(), "UndeleteAlert");
  EXPECT_EQ(match.body, "*");
  EXPECT_EQ(routes.Find("GET", "/v1/alerts:summarize", match), RestRoutes::Lookup::kFound);
  EXPECT_EQ(match.method->name(), "SummarizeAlerts");
  EXPECT_EQ(routes.Find("PATCH", "/v1/alerts/abc", match), RestRoutes::Lookup::kFound);
  EXPECT_EQ(match.method->name(), "UpdateAlert");
  EXPECT_THAT(match.variables, ::testing::ElementsAre(::testing::Pair("alert.name", "alerts/abc")));
  EXPECT_EQ(match.body, "alert");

  EXPECT_EQ(routes.Find("PUT", "/v1/alerts/abc", match), RestRoutes::Lookup::kOtherMethod);
  EXPECT_EQ(routes.Find("GET", "/v1/alerts/abc/extra", match), RestRoutes::Lookup::kNoRoute);
  EXPECT_EQ(routes.Find("GET", "/v1/alerts/", match), RestRoutes::Lookup::kNoRoute);
  EXPECT_EQ(routes.Find("GET", "/v1//abc", match), RestRoutes::Lookup::kNoRoute);
  // An unknown verb is part of the name, as google/api/http.proto has it:
  // alerts/abc:explode has GET, PATCH and DELETE routes, but no POST.
  EXPECT_EQ(routes.Find("POST", "/v1/alerts/abc:explode", match), RestRoutes::Lookup::kOtherMethod);
  EXPECT_EQ(routes.Find("GET", "/v2/partners/ilo", match), RestRoutes::Lookup::kNoRoute);
}

TEST(RestRoutesTest, TheRequestComesFromPathQueryAndBody) {
  std::unique_ptr<google::protobuf::Message> holder;
  // The body fills the field the route names; the path sets the name in
  // it, over any the body gave; the mask is a query parameter, in either
  // spelling.
  const auto& update = static_cast<const v1::UpdateAlertRequest&>(Build(
      Find("PATCH", "/v1/alerts/abc"), {{"updateMask", "headline,countryCode"}},
      R"({"name": "alerts/other", "headline": "New", "severity": "SEVERITY_SEVERE"})", holder));
  EXPECT_EQ(update.alert().name(), "alerts/abc");
  EXPECT_EQ(update.alert().headline(), "New");
  EXPECT_EQ(update.alert().severity(), v1::Alert::SEVERITY_SEVERE);
  EXPECT_THAT(update.update_mask().paths(), ::testing::ElementsAre("headline", "country_code"));

  // Scalars, enums, booleans, nested and repeated fields from the query.
  const auto& watch =
      static_cast<const v1::WatchChangesRequest&>(Build(Find("GET", "/v1/changes:watch"),
                                                        {{"after_revision", "42"},
                                                         {"startNow", "true"},
                                                         {"filter.collections", "alerts"},
                                                         {"filter.collections", "responses"}},
                                                        "", holder));
  EXPECT_EQ(watch.after_revision(), 42);
  EXPECT_TRUE(watch.start_now());
  EXPECT_THAT(watch.filter().collections(), ::testing::ElementsAre("alerts", "responses"));
  const auto& summary = static_cast<const v1::SummarizeAlertsRequest&>(Build(
      Find("GET", "/v1/alerts:summarize"),
      {{"startTime", "2024-01-01T00:00:00Z"}, {"groupBy", "ALERT_DIMENSION_COUNTRY"}}, "", holder));
  EXPECT_EQ(summary.start_time().seconds(), 1704067200);
  ASSERT_EQ(summary.group_by_size(), 1);
  EXPECT_EQ(summary.group_by(0), v1::ALERT_DIMENSION_COUNTRY);
}

TEST(RestRoutesTest, WhatDoesNotFitIsRefusedNamingTheParameter) {
  const RestRoutes& routes = RestRoutes::Mpower();
  const auto refuse = [&](const RestRoutes::Match& match,
                          std::vector<std::pair<std::string, std::string>> query,
                          const std::string& body) {
    auto built = routes.BuildRequest(match, query, body);
    EXPECT_EQ(built.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(built.status().message());
  };
  const RestRoutes::Match list = Find("GET", "/v1/partners");
  EXPECT_THAT(refuse(list, {{"colour", "red"}}, ""), HasSubstr("colour: the request has no field"));
  EXPECT_THAT(refuse(list, {{"pageSize", "ten"}}, ""),
              HasSubstr("pageSize: \"ten\" is not a 32-bit integer"));
  EXPECT_THAT(refuse(list, {{"pageSize", "1"}, {"page_size", "2"}}, ""),
              HasSubstr("page_size: is given twice"));
  EXPECT_THAT(refuse(list, {}, R"({"pageSize": 1})"), HasSubstr("body: this route takes no body"));
  const RestRoutes::Match watch = Find("GET", "/v1/changes:watch");
  EXPECT_THAT(refuse(watch, {{"filter", "x"}}, ""), HasSubstr("filter: names a message"));
  EXPECT_THAT(refuse(watch, {{"startNow", "yes"}}, ""), HasSubstr("is not true or false"));
  const RestRoutes::Match update = Find("PATCH", "/v1/alerts/abc");
  EXPECT_THAT(refuse(update, {{"alert.headline", "x"}}, "{}"),
              HasSubstr("alert.headline: is set by the route's path or body"));
  EXPECT_THAT(refuse(update, {}, "{not json"), HasSubstr("body: not a Alert"));
  const RestRoutes::Match undelete = Find("POST", "/v1/alerts/abc:undelete");
  EXPECT_THAT(refuse(undelete, {{"etag", "r1"}}, "{}"), HasSubstr("etag: this route takes"));
  const RestRoutes::Match summary = Find("GET", "/v1/alerts:summarize");
  EXPECT_THAT(refuse(summary, {{"groupBy", "COLOUR"}}, ""), HasSubstr("is not a AlertDimension"));
  EXPECT_THAT(refuse(summary, {{"startTime", "yesterday"}}, ""),
              HasSubstr("is not a google.protobuf.Timestamp"));
}

}  // namespace
}  // namespace mpower
