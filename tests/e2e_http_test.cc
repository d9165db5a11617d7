// mpower over HTTP/JSON end to end: curl against `mpowerd --http-listen`,
// in the Connect protocol's unary form and on the REST routes the protos
// declare, every kind of call and error, with the same authentication,
// limits and redaction as gRPC.

#include <sys/wait.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/process.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

using ::mpower::testing::CommandResult;
using ::mpower::testing::JsonString;
using ::mpower::testing::RunCommand;
using ::mpower::testing::ServerProcess;
using ::testing::HasSubstr;
using ::testing::Not;

struct HttpAnswer {
  int status = 0;
  std::string body;
};

class HttpEndToEndTest : public testing::ServerBackendTest {
 protected:
  void SetUp() override {
    ServerBackendTest::SetUp();
    if (HasFatalFailure()) return;
    server_ = std::make_unique<ServerProcess>(
        dir_.path(),
        ServerFlags({"--demo-data", "--http-listen=127.0.0.1:0", "--max-request-bytes=65536",
                     "--http-cors-origins=https://union.example"}));
    ASSERT_GT(server_->port(), 0) << server_->log();
    ASSERT_GT(server_->http_port(), 0) << server_->log();
    admin_ = server_->admin_token();
  }

  // curl, answering the HTTP status and the body.
  HttpAnswer Curl(std::vector<std::string> args, const std::string& input = "") {
    std::vector<std::string> argv = {"/usr/bin/curl", "-s", "-S", "-o", "-", "-w",
                                     "\n%{http_code}"};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandResult result = RunCommand(argv, {}, input);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    HttpAnswer answer;
    const size_t last = result.out.rfind('\n');
    if (last == std::string::npos) return answer;
    EXPECT_TRUE(absl::SimpleAtoi(result.out.substr(last + 1), &answer.status)) << result.out;
    answer.body = result.out.substr(0, last);
    return answer;
  }

  std::string Url(const std::string& path) const {
    return absl::StrCat("http://127.0.0.1:", server_->http_port(), path);
  }

  // A Connect unary call: POST /mpower.v1.{procedure} with `json`.
  HttpAnswer Call(const std::string& procedure, const std::string& json, const std::string& token) {
    std::vector<std::string> args = {
        "-X", "POST", "-H", "Content-Type: application/json", "--data-binary", "@-"};
    if (!token.empty()) {
      args.push_back("-H");
      args.push_back("Authorization: Bearer " + token);
    }
    args.push_back(Url("/mpower.v1." + procedure));
    return Curl(args, json);
  }

  // A REST call: `method` on `path` (with its query), with `json` as the
  // body unless empty.
  HttpAnswer Rest(const std::string& method, const std::string& path, const std::string& json,
                  const std::string& token) {
    std::vector<std::string> args = {"-X", method};
    if (!json.empty()) args.insert(args.end(), {"--data-binary", "@-"});
    if (!token.empty()) args.insert(args.end(), {"-H", "Authorization: Bearer " + token});
    args.push_back(Url(path));
    return Curl(args, json);
  }

  testing::TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::string admin_;
};

// How many times `needle` occurs in `text`.
size_t Occurrences(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

TEST_P(HttpEndToEndTest, GetAndListWithAFilterAndPaging) {
  HttpAnswer got = Call("PartnerService/GetPartner", R"({"name": "partners/ilo"})", admin_);
  EXPECT_EQ(got.status, 200) << got.body;
  EXPECT_THAT(got.body, HasSubstr(R"("iatiIdentifier":"XM-DAC-41302")"));

  HttpAnswer first = Call("PartnerService/ListPartners",
                          R"({"filter": "country_code = \"US\"", "pageSize": 2})", admin_);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_THAT(first.body, HasSubstr("partners/us-dol"));
  const std::string token = JsonString(first.body, "nextPageToken");
  ASSERT_FALSE(token.empty()) << first.body;
  HttpAnswer second = Call("PartnerService/ListPartners",
                           absl::StrCat(R"({"filter": "country_code = \"US\"", "pageSize": 2, )",
                                        R"("pageToken": ")", token, R"("})"),
                           admin_);
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_THAT(second.body, HasSubstr("partners/us-dos"));
  EXPECT_THAT(second.body, Not(HasSubstr("partners/us-dol\"")));

  // The same filter error as gRPC gives, with the Connect code.
  HttpAnswer bad_filter =
      Call("PartnerService/ListPartners", R"({"filter": "colour = 1"})", admin_);
  EXPECT_EQ(bad_filter.status, 400);
  EXPECT_THAT(bad_filter.body, HasSubstr(R"("code":"invalid_argument")"));
}

TEST_P(HttpEndToEndTest, CreateUpdateDeleteAndUndelete) {
  const std::string create = R"({"parent": "partners/us-dol", "requestId": "http-1",
      "commitment": {"kind": "KIND_RESEARCH", "title": "Survey of union registration"}})";
  HttpAnswer created = Call("CommitmentService/CreateCommitment", create, admin_);
  ASSERT_EQ(created.status, 200) << created.body;
  const std::string name = JsonString(created.body, "name");
  EXPECT_THAT(name, ::testing::StartsWith("partners/us-dol/commitments/"));
  // A retry with the same request id: the first result, nothing written.
  HttpAnswer again = Call("CommitmentService/CreateCommitment", create, admin_);
  EXPECT_EQ(again.status, 200);
  EXPECT_THAT(again.body, HasSubstr(name));

  HttpAnswer updated = Call("CommitmentService/UpdateCommitment",
                            absl::StrCat(R"({"commitment": {"name": ")", name,
                                         R"(", "title": "Renamed"}, "updateMask": "title"})"),
                            admin_);
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_THAT(updated.body, HasSubstr(R"("title":"Renamed")"));
  // A stale etag: aborted, HTTP 409, with the PreconditionFailure.
  HttpAnswer stale =
      Call("CommitmentService/UpdateCommitment",
           absl::StrCat(R"({"commitment": {"name": ")", name,
                        R"(", "title": "Again", "etag": "r1"}, )", R"("updateMask": "title"})"),
           admin_);
  EXPECT_EQ(stale.status, 409) << stale.body;
  EXPECT_THAT(stale.body, HasSubstr(R"("code":"aborted")"));
  EXPECT_THAT(stale.body, HasSubstr(R"("type":"google.rpc.PreconditionFailure")"));
  EXPECT_THAT(stale.body, HasSubstr(R"("reason":"ETAG_MISMATCH")"));

  HttpAnswer deleted = Call("CommitmentService/DeleteCommitment",
                            absl::StrCat(R"({"name": ")", name, R"("})"), admin_);
  EXPECT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_THAT(deleted.body, HasSubstr("deleteTime"));
  HttpAnswer undeleted = Call("CommitmentService/UndeleteCommitment",
                              absl::StrCat(R"({"name": ")", name, R"("})"), admin_);
  EXPECT_EQ(undeleted.status, 200) << undeleted.body;
  EXPECT_THAT(undeleted.body, Not(HasSubstr("deleteTime")));
}

TEST_P(HttpEndToEndTest, ErrorsHaveTheirHttpStatusConnectCodeAndDetails) {
  // No credentials.
  HttpAnswer anonymous = Call("PartnerService/GetPartner", R"({"name": "partners/ilo"})", "");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_THAT(anonymous.body, HasSubstr(R"("code":"unauthenticated")"));
  // A bad field: every violation, as data.
  HttpAnswer bad = Call("CommitmentService/CreateCommitment",
                        R"({"parent": "partners/us-gov", "commitment": {"kind": "KIND_FUNDING",
                            "countryCodes": ["USA"]}})",
                        admin_);
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(bad.body, HasSubstr(R"("type":"google.rpc.BadRequest")"));
  EXPECT_THAT(bad.body, HasSubstr(R"("field":"commitment.country_codes[0]")"));
  EXPECT_THAT(bad.body, HasSubstr(R"("field":"commitment.title")"));
  // Not found.
  HttpAnswer missing = Call("PartnerService/GetPartner", R"({"name": "partners/nobody"})", admin_);
  EXPECT_EQ(missing.status, 404);
  EXPECT_THAT(missing.body, HasSubstr(R"("code":"not_found")"));
  // An unknown procedure and an unknown route.
  HttpAnswer unknown = Call("PartnerService/Explode", "{}", admin_);
  EXPECT_EQ(unknown.status, 404);
  EXPECT_THAT(unknown.body, HasSubstr(R"("code":"unimplemented")"));
  HttpAnswer route = Curl({Url("/v0/nothing")});
  EXPECT_EQ(route.status, 404);
  // A body that is not JSON, or not this request's JSON.
  HttpAnswer not_json = Call("PartnerService/GetPartner", "name=partners/ilo", admin_);
  EXPECT_EQ(not_json.status, 400);
  EXPECT_THAT(not_json.body, HasSubstr("is not a GetPartnerRequest in protobuf's JSON mapping"));
  HttpAnswer unknown_field = Call("PartnerService/GetPartner", R"({"colour": "red"})", admin_);
  EXPECT_EQ(unknown_field.status, 400);
  // Not JSON at all: the media type.
  HttpAnswer form = Curl({"-X", "POST", "-H", "Authorization: Bearer " + admin_, "--data",
                          "name=partners/ilo", Url("/mpower.v1.PartnerService/GetPartner")});
  EXPECT_EQ(form.status, 415);
  // Too large for --max-request-bytes.
  HttpAnswer large = Call("PartnerService/GetPartner",
                          absl::StrCat(R"({"name": ")", std::string(70000, 'x'), R"("})"), admin_);
  EXPECT_EQ(large.status, 429) << large.body;
  EXPECT_THAT(large.body, HasSubstr(R"("code":"resource_exhausted")"));
  // A stream needs the Connect streaming media type; a client stream
  // cannot be served over HTTP/1.1 at all.
  HttpAnswer stream = Call("ChangeService/WatchChanges", "{}", admin_);
  EXPECT_EQ(stream.status, 415);
  EXPECT_THAT(stream.body, HasSubstr("application/connect+json"));
  HttpAnswer sync = Call("CommitmentService/SyncCommitments", "{}", admin_);
  EXPECT_EQ(sync.status, 501);
  EXPECT_THAT(sync.body, HasSubstr("call it over gRPC"));
  // Nothing above wrote anything: us-gov has the demo's six commitments.
  HttpAnswer listed = Call("CommitmentService/ListCommitments",
                           R"({"parent": "partners/us-gov", "pageSize": 100})", admin_);
  EXPECT_EQ(Occurrences(listed.body, R"("name":"partners/us-gov/commitments/)"), 6u) << listed.body;
}

TEST_P(HttpEndToEndTest, ProtectedDetailsReachOnlyThoseEntitledOverHttpToo) {
  const std::string outsider = testing::IssueCredential(
      *server_, "dol-viewer", {"--role", "partner_viewer", "--partner", "partners/us-dol"});
  const std::string recipient = testing::IssueCredential(
      *server_, "ilo-viewer", {"--role", "partner_viewer", "--partner", "partners/ilo"});
  const std::string get = R"({"name": "alerts/example-detention-west-kalimantan"})";
  HttpAnswer hidden = Call("AlertService/GetAlert", get, outsider);
  EXPECT_NE(hidden.status, 200);
  EXPECT_THAT(hidden.body, Not(HasSubstr("Fictional Person")));
  EXPECT_THAT(hidden.body, Not(HasSubstr("police post")));
  HttpAnswer listed = Call("AlertService/ListAlerts", R"({"pageSize": 100})", outsider);
  EXPECT_EQ(listed.status, 200);
  EXPECT_THAT(listed.body, Not(HasSubstr("west-kalimantan")));
  EXPECT_THAT(listed.body, Not(HasSubstr("Fictional Person")));
  // The ILO is a named recipient: it reads them, as over gRPC.
  HttpAnswer shown = Call("AlertService/GetAlert", get, recipient);
  EXPECT_EQ(shown.status, 200) << shown.body;
  EXPECT_THAT(shown.body, HasSubstr("Fictional Person One"));
}

// The REST routes of the protos' google.api.http options (AIP-127).
TEST_P(HttpEndToEndTest, RestRoutesGetAndListWithAFilterAndPaging) {
  HttpAnswer got = Rest("GET", "/v1/partners/ilo", "", admin_);
  EXPECT_EQ(got.status, 200) << got.body;
  EXPECT_THAT(got.body, HasSubstr(R"("iatiIdentifier":"XM-DAC-41302")"));

  // The filter as a query parameter (URL-encoded), either spelling of a
  // field's name.
  HttpAnswer first =
      Rest("GET", "/v1/partners?filter=country_code%20%3D%20%22US%22&pageSize=2", "", admin_);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_THAT(first.body, HasSubstr("partners/us-dol"));
  const std::string token = JsonString(first.body, "nextPageToken");
  ASSERT_FALSE(token.empty()) << first.body;
  HttpAnswer second = Rest("GET",
                           absl::StrCat("/v1/partners?filter=country_code%20%3D%20%22US%22&"
                                        "page_size=2&page_token=",
                                        token),
                           "", admin_);
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_THAT(second.body, HasSubstr("partners/us-dos"));
  EXPECT_THAT(second.body, Not(HasSubstr("partners/us-dol\"")));

  // A nested field by its path, a repeated one by repeating it, and a
  // child collection under its parent's name.
  HttpAnswer changes =
      Rest("GET", "/v1/changes?filter.collections=alerts&filter.collections=responses&pageSize=100",
           "", admin_);
  ASSERT_EQ(changes.status, 200) << changes.body;
  EXPECT_THAT(changes.body, HasSubstr("alerts/example-dismissals-honduras"));
  EXPECT_THAT(changes.body, Not(HasSubstr(R"("partner":{)")));
  HttpAnswer commitments =
      Rest("GET", "/v1/partners/us-gov/commitments?filter=kind%20%3D%20POLICY", "", admin_);
  ASSERT_EQ(commitments.status, 200) << commitments.body;
  EXPECT_THAT(commitments.body, HasSubstr("partners/us-gov/commitments/ratified-c182"));
  HttpAnswer brief = Rest("GET", "/v1/countryBriefs/ID", "", admin_);
  EXPECT_EQ(brief.status, 200) << brief.body;
  EXPECT_THAT(brief.body, HasSubstr(R"("countryCode":"ID")"));
}

TEST_P(HttpEndToEndTest, RestRoutesCreateUpdateDeleteAndUndelete) {
  // The body is the resource; the id and request id are query parameters.
  const std::string create =
      R"({"kind": "KIND_RESEARCH", "title": "Survey of union registration"})";
  HttpAnswer created =
      Rest("POST", "/v1/partners/us-dol/commitments?requestId=rest-1", create, admin_);
  ASSERT_EQ(created.status, 200) << created.body;
  const std::string name = JsonString(created.body, "name");
  EXPECT_THAT(name, ::testing::StartsWith("partners/us-dol/commitments/"));
  // A retry with the same request id: the first result, nothing written.
  HttpAnswer again =
      Rest("POST", "/v1/partners/us-dol/commitments?requestId=rest-1", create, admin_);
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(JsonString(again.body, "name"), name);

  // PATCH with an update mask: only the masked field changes.
  HttpAnswer updated = Rest("PATCH", absl::StrCat("/v1/", name, "?updateMask=title"),
                            R"({"title": "Renamed", "description": "ignored"})", admin_);
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_THAT(updated.body, HasSubstr(R"("title":"Renamed")"));
  EXPECT_THAT(updated.body, Not(HasSubstr("ignored")));
  // A stale etag: ABORTED, HTTP 409, with the PreconditionFailure.
  HttpAnswer stale = Rest("PATCH", absl::StrCat("/v1/", name, "?update_mask=title"),
                          R"({"title": "Again", "etag": "r1"})", admin_);
  EXPECT_EQ(stale.status, 409) << stale.body;
  EXPECT_THAT(stale.body, HasSubstr(R"("status":"ABORTED")"));
  EXPECT_THAT(stale.body,
              HasSubstr(R"("@type":"type.googleapis.com/google.rpc.PreconditionFailure")"));
  EXPECT_THAT(Rest("GET", absl::StrCat("/v1/", name), "", admin_).body,
              HasSubstr(R"("title":"Renamed")"));

  HttpAnswer deleted = Rest("DELETE", absl::StrCat("/v1/", name), "", admin_);
  EXPECT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_THAT(deleted.body, HasSubstr("deleteTime"));
  HttpAnswer undeleted = Rest("POST", absl::StrCat("/v1/", name, ":undelete"), "{}", admin_);
  EXPECT_EQ(undeleted.status, 200) << undeleted.body;
  EXPECT_THAT(undeleted.body, Not(HasSubstr("deleteTime")));
}

TEST_P(HttpEndToEndTest, RestErrorsHaveTheirHttpStatusAndGoogleErrorJson) {
  // No credentials.
  HttpAnswer anonymous = Rest("GET", "/v1/partners/ilo", "", "");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_THAT(anonymous.body, HasSubstr(R"("status":"UNAUTHENTICATED")"));
  // A bad field: every violation, as data.
  HttpAnswer bad = Rest("POST", "/v1/partners/us-gov/commitments",
                        R"({"kind": "KIND_FUNDING", "countryCodes": ["USA"]})", admin_);
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(bad.body, HasSubstr(R"("@type":"type.googleapis.com/google.rpc.BadRequest")"));
  EXPECT_THAT(bad.body, HasSubstr(R"("field":"commitment.country_codes[0]")"));
  EXPECT_THAT(bad.body, HasSubstr(R"("field":"commitment.title")"));
  // Query parameters that do not fit: each named.
  HttpAnswer query = Rest("GET", "/v1/partners?pageSize=many&colour=red", "", admin_);
  EXPECT_EQ(query.status, 400);
  EXPECT_THAT(query.body, HasSubstr(R"("field":"pageSize","description":"\"many\" is not)"));
  EXPECT_THAT(query.body, HasSubstr(R"("field":"colour")"));
  // An unknown route, and a known path with another method.
  HttpAnswer route = Rest("GET", "/v1/nothing", "", admin_);
  EXPECT_EQ(route.status, 404);
  EXPECT_THAT(route.body, HasSubstr(R"("status":"NOT_FOUND")"));
  HttpAnswer method = Rest("PATCH", "/v1/changes", "{}", admin_);
  EXPECT_EQ(method.status, 405);
  // A body that is not JSON, a body on a route that takes none, one too
  // large for --max-request-bytes.
  HttpAnswer not_json = Rest("POST", "/v1/partners/us-gov/commitments", "kind=policy", admin_);
  EXPECT_EQ(not_json.status, 400);
  EXPECT_THAT(not_json.body, HasSubstr(R"("field":"body")"));
  HttpAnswer body_on_get = Rest("DELETE", "/v1/partners/ilo", R"({"etag": "r1"})", admin_);
  EXPECT_EQ(body_on_get.status, 400);
  EXPECT_THAT(body_on_get.body, HasSubstr("takes no body"));
  HttpAnswer large = Rest("POST", "/v1/partners/us-gov/commitments",
                          absl::StrCat(R"({"title": ")", std::string(70000, 'x'), R"("})"), admin_);
  EXPECT_EQ(large.status, 413) << large.body;
  EXPECT_THAT(large.body, HasSubstr(R"("status":"RESOURCE_EXHAUSTED")"));
  // Nothing above wrote anything: us-gov has the demo's six commitments,
  // and the ILO is still there.
  HttpAnswer listed = Rest("GET", "/v1/partners/us-gov/commitments?pageSize=100", "", admin_);
  EXPECT_EQ(Occurrences(listed.body, R"("name":"partners/us-gov/commitments/)"), 6u) << listed.body;
  EXPECT_EQ(Rest("GET", "/v1/partners/ilo", "", admin_).status, 200);
}

// The REST routes reach the same redaction: an outsider reads nothing of
// the restricted demo alert by any of them, its watch and export included.
TEST_P(HttpEndToEndTest, ProtectedDetailsReachOnlyThoseEntitledOnRestRoutesToo) {
  const std::string outsider = testing::IssueCredential(
      *server_, "dol-viewer", {"--role", "partner_viewer", "--partner", "partners/us-dol"});
  const std::string recipient = testing::IssueCredential(
      *server_, "ilo-viewer", {"--role", "partner_viewer", "--partner", "partners/ilo"});
  const std::string alert = "/v1/alerts/example-detention-west-kalimantan";
  std::vector<std::string> answers;
  HttpAnswer hidden = Rest("GET", alert, "", outsider);
  EXPECT_NE(hidden.status, 200);
  answers.push_back(hidden.body);
  // Each answers, with what the outsider may read.
  for (const char* path : {"/v1/alerts?pageSize=100", "/v1/changes?pageSize=1000",
                           "/v1/countryBriefs/ID", "/v1/alerts:summarize"}) {
    HttpAnswer answer = Rest("GET", path, "", outsider);
    EXPECT_EQ(answer.status, 200) << path << ": " << answer.body;
    answers.push_back(answer.body);
  }
  EXPECT_THAT(answers[1], HasSubstr("alerts/example-dismissals-honduras"));
  CommandResult watched = RunCommand({"/usr/bin/curl", "-s", "-N", "--max-time", "3", "-H",
                                      "Authorization: Bearer " + outsider,
                                      Url("/v1/changes:watch?filter.collections=alerts")});
  EXPECT_THAT(watched.out, HasSubstr("alerts/example-dismissals-honduras"));
  answers.push_back(watched.out);
  for (const std::string& answer : answers) {
    EXPECT_THAT(answer, Not(HasSubstr("Fictional Person")));
    EXPECT_THAT(answer, Not(HasSubstr("police post")));
  }
  // The ILO is a named recipient: it reads them, as over gRPC.
  HttpAnswer shown = Rest("GET", alert, "", recipient);
  EXPECT_EQ(shown.status, 200) << shown.body;
  EXPECT_THAT(shown.body, HasSubstr("Fictional Person One"));
}

// A server-streaming route answers with a line of JSON per message, as
// grpc-gateway does, so `curl -N` can follow a watch.
TEST_P(HttpEndToEndTest, AWatchStreamsOnItsRestRouteAsLinesOfJson) {
  CommandResult watch;
  std::thread watcher([&] {
    watch = RunCommand({"/usr/bin/curl", "-s", "-N", "--max-time", "3", "-H",
                        "Authorization: Bearer " + admin_,
                        Url("/v1/changes:watch?filter.collections=alerts&startNow=true")});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  HttpAnswer filed = Rest("POST", "/v1/alerts?alertId=filed-over-rest", R"({
      "filingPartner": "partners/example-union", "category": "CATEGORY_THREAT_OF_VIOLENCE",
      "severity": "SEVERITY_SEVERE", "urgency": "URGENCY_IMMEDIATE",
      "certainty": "CERTAINTY_LIKELY", "countryCode": "ID", "headline": "Shown live",
      "scope": "SCOPE_PUBLIC"})",
                          admin_);
  EXPECT_EQ(filed.status, 200) << filed.body;
  watcher.join();
  std::vector<std::string> lines = absl::StrSplit(watch.out, '\n', absl::SkipEmpty());
  ASSERT_GE(lines.size(), 2u) << watch.out;
  for (const std::string& line : lines) EXPECT_THAT(line, ::testing::StartsWith(R"({"result":)"));
  EXPECT_THAT(lines.front(), Not(HasSubstr("alerts/")));  // the progress mark of start_now
  EXPECT_THAT(watch.out, HasSubstr("alerts/filed-over-rest"));
  EXPECT_THAT(watch.out, Not(HasSubstr("west-kalimantan")));

  // A refused watch is one error line.
  CommandResult refused =
      RunCommand({"/usr/bin/curl", "-s", "-N", "--max-time", "5", Url("/v1/changes:watch")});
  EXPECT_THAT(refused.out, ::testing::StartsWith(R"({"error":{"code":401,)"));
}

TEST_P(HttpEndToEndTest, OnlyPagesFromListedOriginsMayCall) {
  // Headers and body, for the CORS headers.
  const auto exchange = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {"/usr/bin/curl", "-s", "-S", "-D", "-", "-o", "-"};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandResult result = RunCommand(argv, {}, R"({"name": "partners/ilo"})");
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return result.out;
  };
  const std::string procedure = Url("/mpower.v1.PartnerService/GetPartner");
  // The browser's preflight from a listed origin, then the call itself.
  const std::string preflight =
      exchange({"-X", "OPTIONS", "-H", "Origin: https://union.example", "-H",
                "Access-Control-Request-Method: POST", "-H",
                "Access-Control-Request-Headers: authorization,content-type", procedure});
  EXPECT_THAT(preflight, HasSubstr("HTTP/1.1 204"));
  EXPECT_THAT(preflight, HasSubstr("Access-Control-Allow-Origin: https://union.example"));
  EXPECT_THAT(preflight, HasSubstr("Access-Control-Allow-Headers: Authorization, Content-Type"));
  const std::string allowed = exchange(
      {"-X", "POST", "-H", "Origin: https://union.example", "-H", "Content-Type: application/json",
       "-H", "Authorization: Bearer " + admin_, "--data-binary", "@-", procedure});
  EXPECT_THAT(allowed, HasSubstr("HTTP/1.1 200"));
  EXPECT_THAT(allowed, HasSubstr("Access-Control-Allow-Origin: https://union.example"));
  EXPECT_THAT(allowed, HasSubstr("International Labour Organization"));
  // Any other origin: refused before anything runs, and no CORS headers.
  const std::string other =
      exchange({"-X", "POST", "-H", "Origin: https://elsewhere.example", "-H",
                "Content-Type: application/json", "-H", "Authorization: Bearer " + admin_,
                "--data-binary", "@-", procedure});
  EXPECT_THAT(other, HasSubstr("HTTP/1.1 403"));
  EXPECT_THAT(other, Not(HasSubstr("Access-Control-Allow-Origin")));
  EXPECT_THAT(other, Not(HasSubstr("International Labour Organization")));
  EXPECT_THAT(other, HasSubstr("--http-cors-origins"));
  const std::string other_preflight =
      exchange({"-X", "OPTIONS", "-H", "Origin: https://elsewhere.example", "-H",
                "Access-Control-Request-Method: POST", procedure});
  EXPECT_THAT(other_preflight, Not(HasSubstr("Access-Control-Allow-Origin")));
}

// The frames of a Connect streaming response: each envelope's flags and
// JSON.
std::vector<std::pair<int, std::string>> Envelopes(const std::string& body) {
  std::vector<std::pair<int, std::string>> frames;
  size_t at = 0;
  while (at + 5 <= body.size()) {
    uint32_t size = 0;
    for (int i = 1; i <= 4; ++i) size = (size << 8) | static_cast<uint8_t>(body[at + i]);
    if (at + 5 + size > body.size()) break;
    frames.emplace_back(static_cast<uint8_t>(body[at]), body.substr(at + 5, size));
    at += 5 + size;
  }
  return frames;
}

std::string Enveloped(const std::string& json) {
  std::string out(1, '\0');
  const uint32_t size = static_cast<uint32_t>(json.size());
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(size >> shift));
  return out + json;
}

TEST_P(HttpEndToEndTest, AWatchStreamsOverHttpInTheConnectStreamingProtocol) {
  const std::string outsider = testing::IssueCredential(
      *server_, "dol-viewer", {"--role", "partner_viewer", "--partner", "partners/us-dol"});
  // Watches from the start of history, for three seconds, by the secretariat
  // and by a partner that may not read the restricted demo alert.
  const auto watch = [&](const std::string& token) {
    return RunCommand(
        {"/usr/bin/curl", "-s", "-N", "--max-time", "3", "-X", "POST", "-H",
         "Content-Type: application/connect+json", "-H", "Authorization: Bearer " + token,
         "--data-binary", "@-", Url("/mpower.v1.ChangeService/WatchChanges")},
        {}, Enveloped(R"({"filter": {"collections": ["alerts"]}})"));
  };
  CommandResult admin_watch, outsider_watch;
  std::thread admin_thread([&] { admin_watch = watch(admin_); });
  std::thread outsider_thread([&] { outsider_watch = watch(outsider); });
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  HttpAnswer filed = Call("AlertService/CreateAlert", R"({"alertId": "filed-over-http", "alert": {
      "filingPartner": "partners/example-union", "category": "CATEGORY_THREAT_OF_VIOLENCE",
      "severity": "SEVERITY_SEVERE", "urgency": "URGENCY_IMMEDIATE",
      "certainty": "CERTAINTY_LIKELY", "countryCode": "ID", "headline": "Shown live",
      "scope": "SCOPE_PUBLIC"}})",
                          admin_);
  EXPECT_EQ(filed.status, 200) << filed.body;
  admin_thread.join();
  outsider_thread.join();

  // The history, then the live alert, each once, in revision order.
  std::vector<std::string> names;
  for (const auto& [flags, json] : Envelopes(admin_watch.out)) {
    EXPECT_EQ(flags, 0) << "the stream was cut by the client, so no end-stream frame";
    for (const char* name : {"alerts/example-detention-west-kalimantan",
                             "alerts/example-dismissals-honduras", "alerts/filed-over-http"}) {
      if (json.find(absl::StrCat(R"("name":")", name, R"(")")) != std::string::npos &&
          json.find(R"("changes")") != std::string::npos) {
        names.push_back(name);
      }
    }
  }
  EXPECT_THAT(names, ::testing::ElementsAre("alerts/example-detention-west-kalimantan",
                                            "alerts/example-dismissals-honduras",
                                            "alerts/filed-over-http"));
  // The outsider sees the live alert, and nothing of the restricted one.
  EXPECT_THAT(outsider_watch.out, HasSubstr("alerts/filed-over-http"));
  EXPECT_THAT(outsider_watch.out, Not(HasSubstr("west-kalimantan")));
  EXPECT_THAT(outsider_watch.out, Not(HasSubstr("Fictional Person")));

  // A refused watch ends with an end-stream frame carrying the error.
  CommandResult refused =
      RunCommand({"/usr/bin/curl", "-s", "-N", "--max-time", "5", "-X", "POST", "-H",
                  "Content-Type: application/connect+json", "--data-binary", "@-",
                  Url("/mpower.v1.ChangeService/WatchChanges")},
                 {}, Enveloped("{}"));
  const auto frames = Envelopes(refused.out);
  ASSERT_EQ(frames.size(), 1u) << refused.out;
  EXPECT_EQ(frames[0].first, 2);
  EXPECT_THAT(frames[0].second, HasSubstr(R"("code":"unauthenticated")"));
}

TEST_P(HttpEndToEndTest, AnOpenWatchDoesNotHoldUpAStop) {
  testing::BackgroundCommand watch({"/usr/bin/curl", "-s", "-N", "--max-time", "60", "-X", "POST",
                                    "-H", "Content-Type: application/connect+json", "-H",
                                    "Authorization: Bearer " + admin_, "--data-binary",
                                    "@" +
                                        [&] {
                                          const std::string file = dir_.path() + "/watch-request";
                                          std::ofstream(file) << Enveloped(R"({"startNow": true})");
                                          return file;
                                        }(),
                                    Url("/mpower.v1.ChangeService/WatchChanges")});
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto started = std::chrono::steady_clock::now();
  const int status = server_->Stop(SIGTERM);
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  // The grace for calls in flight is seconds; a watch never ends by itself.
  EXPECT_LT(took, std::chrono::seconds(15));
  watch.Stop(SIGTERM);
}

TEST_P(HttpEndToEndTest, HealthIsReachableForLoadBalancers) {
  HttpAnswer health = Curl({Url("/healthz")});
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "SERVING\n");
}

// The access log and the rate limit see the HTTP client's own address, not
// the gateway's in-process call; a gRPC caller cannot claim an address.
TEST_P(HttpEndToEndTest, CallsOverHttpAreLoggedAndLimitedByTheClientsAddress) {
  HttpAnswer got = Call("PartnerService/GetPartner", R"({"name": "partners/ilo"})", admin_);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_THAT(server_->log(), HasSubstr("peer=\"http:127.0.0.1:"));

  CommandResult forged = RunCommand(
      {GRPCURL_PATH, "-plaintext", "-H", "mpower-http-caller: http:203.0.113.9:1", "-H",
       "mpower-http-caller-proof: 00000000000000000000000000000000", "-d",
       R"({"name": "partners/ilo"})", server_->address(), "mpower.v1.PartnerService/GetPartner"});
  EXPECT_THAT(server_->log(), Not(HasSubstr("203.0.113.9"))) << forged.err;
}

MPOWER_ON_EVERY_BACKEND(HttpEndToEndTest);

// Plaintext HTTP off loopback is refused, as plaintext gRPC is.
TEST(HttpListenTest, APlaintextListenerOffLoopbackIsRefused) {
  testing::TempDir dir;
  CommandResult refused = RunCommand({MPOWERD_PATH, "--listen=127.0.0.1:0",
                                      "--data-dir=" + dir.path(), "--http-listen=0.0.0.0:0"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_THAT(refused.err, HasSubstr("--http-listen: 0.0.0.0:0 is not a loopback address"));
}

}  // namespace
}  // namespace mpower
