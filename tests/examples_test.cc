// The integrators' examples (examples/{python,go,java,node}): each generates
// its client from proto/ with its language's usual gRPC toolchain and runs
// the same scenario against a live mpowerd with the demo data; and
// examples/connect runs it over HTTP/JSON.

#include <condition_variable>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "httplib.h"
#include "tests/loopback_http_server.h"
#include "tests/process.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

using ::mpower::testing::CommandResult;
using ::mpower::testing::RunCommand;
using ::mpower::testing::ServerProcess;
using ::testing::HasSubstr;
using ::testing::Not;

class ExampleTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ExampleTest, RunsTheScenarioAgainstALiveServer) {
  testing::TempDir dir;
  ServerProcess server(dir.path(), {"--demo-data"});
  ASSERT_GT(server.port(), 0) << server.log();
  const std::string script = std::string(MPOWER_EXAMPLES_DIR) + "/" + GetParam() + "/run.sh";
  CommandResult run = RunCommand({"/bin/bash", script}, {{"MPOWER_ADDRESS", server.address()},
                                                         {"MPOWER_TOKEN", server.admin_token()}});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_THAT(run.out, HasSubstr("unauthenticated call refused: UNAUTHENTICATED"));
  EXPECT_THAT(run.out, HasSubstr("authenticated; partners: 8 over 4 pages"));
  EXPECT_THAT(run.out, HasSubstr("sync partners/us-dol: 2 created, 0 updated, 0 unchanged"));
  EXPECT_THAT(run.out, HasSubstr("watch saw alerts/"));
  EXPECT_THAT(run.out, HasSubstr("validation error INVALID_ARGUMENT names alert.country_code"));
  // Read as data, from the google.rpc.BadRequest in the error's details.
  EXPECT_THAT(run.out, HasSubstr("field violation: alert.country_code: not an ISO 3166-1"));
  EXPECT_THAT(run.out, HasSubstr("scenario passed"));
}

// The Python, Go, TypeScript and Java examples seal and open interchangeably
// with mpower's CLI: keys published from the example open what the CLI sealed, and what
// the example sealed opens in the CLI, through one key directory both read.
class SealingExampleTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SealingExampleTest, ItOpensWhatTheCliSealedAndTheCliOpensWhatItSealed) {
  testing::TempDir dir;
  testing::TempDir work;
  ServerProcess server(dir.path(), {"--demo-data"});
  ASSERT_GT(server.port(), 0) << server.log();
  const std::string keys = work.path() + "/keys";
  const std::map<std::string, std::string> env = {{"MPOWER_ADDRESS", server.address()},
                                                  {"MPOWER_TOKEN", server.admin_token()},
                                                  {"MPOWER_PYTHON_GEN", work.path() + "/gen"}};
  const std::string script = std::string(MPOWER_EXAMPLES_DIR) + "/" + GetParam() + "/sealing.sh";
  const auto example = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"/bin/bash", script});
    return RunCommand(args, env);
  };
  for (const auto& [partner, id] :
       {std::pair<std::string, std::string>{"partners/example-union", "example-union"},
        {"partners/ilo", "example-ilo"}}) {
    CommandResult published = example({"publish", partner, id, keys});
    ASSERT_EQ(published.exit_code, 0) << published.out << published.err;
    EXPECT_THAT(published.out, HasSubstr("published " + partner + "/encryptionKeys/" + id));
  }

  // The CLI files an alert whose details it seals here: to the union's
  // keys (its own, and the example's) and the ILO's.
  const auto cli = [&](std::vector<std::string> args) {
    args.push_back("--key-dir=" + keys);
    return testing::RunMpowerAs(server, server.admin_token(), std::move(args));
  };
  ASSERT_EQ(cli({"keys", "generate", "cli-desk", "--parent", "partners/example-union"}).exit_code,
            0);
  const std::string alert_file = work.path() + "/alert.json";
  std::ofstream(alert_file) << R"({"filingPartner": "partners/example-union",
    "category": "CATEGORY_THREAT_OF_VIOLENCE", "severity": "SEVERITY_SEVERE",
    "urgency": "URGENCY_IMMEDIATE", "certainty": "CERTAINTY_LIKELY", "countryCode": "ID",
    "headline": "Organiser threatened", "scope": "SCOPE_RESTRICTED",
    "recipientPartners": ["partners/ilo"],
    "protectedDetails": {"people": [{"fullName": "Dewi Sealed-by-the-CLI"}]}})";
  CommandResult filed = cli({"alerts", "create", "-f", alert_file, "-o", "json"});
  ASSERT_EQ(filed.exit_code, 0) << filed.err;
  EXPECT_THAT(filed.err, HasSubstr("protected details sealed here"));
  const size_t at = filed.out.find("\"name\": \"") + 9;
  const std::string name = filed.out.substr(at, filed.out.find('"', at) - at);

  CommandResult opened = example({"open", name, keys});
  ASSERT_EQ(opened.exit_code, 0) << opened.out << opened.err;
  EXPECT_THAT(opened.out, HasSubstr("people: Dewi Sealed-by-the-CLI"));

  const std::string person = "Rina Sealed-by-" + GetParam();
  CommandResult sealed = example({"seal", name, keys, person, "from the example"});
  ASSERT_EQ(sealed.exit_code, 0) << sealed.out << sealed.err;
  CommandResult read = cli({"alerts", "get", name, "-o", "json"});
  ASSERT_EQ(read.exit_code, 0) << read.err;
  EXPECT_THAT(read.out, HasSubstr(person));
  EXPECT_THAT(read.err, HasSubstr("sealed by partners/example-union/encryptionKeys/"));
}

INSTANTIATE_TEST_SUITE_P(Languages, SealingExampleTest,
                         ::testing::Values("python", "go", "node", "java"),
                         [](const auto& info) { return info.param; });

// Java's and Node's run.sh run exactly their README's route, which
// ExampleRouteTest follows; Python's and Go's take the repository's tools.
INSTANTIATE_TEST_SUITE_P(Languages, ExampleTest, ::testing::Values("python", "go"),
                         [](const auto& info) { return info.param; });

// The `$ ` lines of the console block under `heading` in `readme`, but
// those that install system packages (scripts/install-deps.sh did).
std::vector<std::string> RouteCommands(const std::string& readme, const std::string& heading) {
  std::vector<std::string> commands;
  const size_t start = readme.find("\n" + heading + "\n");
  if (start == std::string::npos) return commands;
  const size_t block = readme.find("```console\n", start);
  const size_t end = readme.find("```\n", block + 11);
  if (block == std::string::npos || end == std::string::npos) return commands;
  std::istringstream lines(readme.substr(block + 11, end - block - 11));
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("$ ", 0) == 0 && line.rfind("$ sudo ", 0) != 0)
      commands.push_back(line.substr(2));
  }
  return commands;
}

// Each example README's route to a client "with what you already have"
// (pip, the Go module proxy, Maven Central, npm), followed as written in a
// fresh copy of the example and proto/ (the files git tracks: nothing
// generated, no tools/), then its scenario against a live server.
class ExampleRouteTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ExampleRouteTest, TheReadmesRouteWorksInAFreshCopyWithoutTheRepositorysTools) {
  const std::string source = std::string(MPOWER_EXAMPLES_DIR) + "/..";
  std::ifstream in(std::string(MPOWER_EXAMPLES_DIR) + "/" + GetParam() + "/README.md");
  const std::string readme((std::istreambuf_iterator<char>(in)), {});
  const std::vector<std::string> commands =
      RouteCommands(readme, "## Generating the client with what you already have");
  ASSERT_FALSE(commands.empty()) << GetParam() << "/README.md has no route";

  testing::TempDir copy;
  const CommandResult copied =
      RunCommand({"/bin/bash", "-c",
                  "set -euo pipefail; cd \"$1\"; git ls-files -z \"examples/$2\" proto | "
                  "xargs -0 tar -cf - | tar -xf - -C \"$3\"",
                  "copy", source, GetParam(), copy.path()});
  ASSERT_EQ(copied.exit_code, 0) << copied.err;

  testing::TempDir dir;
  ServerProcess server(dir.path(), {"--demo-data"});
  ASSERT_GT(server.port(), 0) << server.log();
  std::string script = "set -euo pipefail\ncd \"$1\"\n";
  for (const std::string& command : commands) script += command + "\n";
  const CommandResult run =
      RunCommand({"/bin/bash", "-c", script, "route", copy.path() + "/examples/" + GetParam()},
                 {{"MPOWER_ADDRESS", server.address()}, {"MPOWER_TOKEN", server.admin_token()}});
  EXPECT_EQ(run.exit_code, 0) << script << run.out << run.err;
  EXPECT_THAT(run.out, HasSubstr("authenticated; partners: 8 over 4 pages"));
  EXPECT_THAT(run.out, HasSubstr("scenario passed"));
}

INSTANTIATE_TEST_SUITE_P(Languages, ExampleRouteTest,
                         ::testing::Values("python", "go", "java", "node"),
                         [](const auto& info) { return info.param; });

// examples/connect: the same scenario over HTTP/JSON, by a Connect client
// taken unchanged from npm, against --http-listen: what a browser or a
// serverless function speaks. Errors' field violations come as data.
TEST(ConnectExampleTest, AConnectClientFromItsRegistryRunsTheScenarioOverHttp) {
  testing::TempDir dir;
  ServerProcess server(dir.path(), {"--demo-data", "--http-listen=127.0.0.1:0"});
  ASSERT_GT(server.http_port(), 0) << server.log();
  const std::string script = std::string(MPOWER_EXAMPLES_DIR) + "/connect/run.sh";
  CommandResult run =
      RunCommand({"/bin/bash", script},
                 {{"MPOWER_HTTP_URL", "http://127.0.0.1:" + std::to_string(server.http_port())},
                  {"MPOWER_TOKEN", server.admin_token()}});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_THAT(run.out, HasSubstr("unauthenticated call refused: UNAUTHENTICATED"));
  EXPECT_THAT(run.out, HasSubstr("authenticated; partners: 8 over 4 pages"));
  EXPECT_THAT(run.out, HasSubstr("watch saw alerts/"));
  EXPECT_THAT(run.out, HasSubstr("field violation: alert.country_code: not an ISO 3166-1"));
  EXPECT_THAT(run.out, HasSubstr("field violation: alert.headline: required"));
  EXPECT_THAT(run.out, HasSubstr("scenario passed"));
}

// examples/browser in a real browser: headless Chromium (Debian's) opens the
// page, served by this test, which lists partners and watches alerts through
// the HTTP listener with Connect's web client; the test reads what the page
// shows. A page from an origin mpowerd does not list is refused by CORS.
TEST(BrowserExampleTest, APageListsPartnersAndWatchesAlertsAndOtherOriginsAreRefused) {
  const std::string example = std::string(MPOWER_EXAMPLES_DIR) + "/browser";
  CommandResult built = RunCommand({"/bin/bash", example + "/build.sh"});
  ASSERT_EQ(built.exit_code, 0) << built.out << built.err;
  // Two static servers of the page, one origin listed and one not; the page
  // posts what it shows to /report on the server it came from.
  struct Origin {
    httplib::Server server;
    int port = 0;
    std::mutex mutex;
    std::condition_variable reported_cv;
    std::string reported;
    // Last, so that serving stops before what the handler uses goes.
    std::unique_ptr<testing::LoopbackHttpServer> serving;
  };
  Origin listed, unlisted;
  for (Origin* origin : {&listed, &unlisted}) {
    ASSERT_TRUE(origin->server.set_mount_point("/", example + "/dist"));
    origin->server.Post("/report", [origin](const httplib::Request& request, httplib::Response&) {
      std::lock_guard<std::mutex> lock(origin->mutex);
      origin->reported = request.body;
      origin->reported_cv.notify_all();
    });
    origin->serving = std::make_unique<testing::LoopbackHttpServer>(origin->server);
    origin->port = origin->serving->port();
  }

  testing::TempDir dir;
  ServerProcess server(dir.path(),
                       {"--demo-data", "--http-listen=127.0.0.1:0",
                        "--http-cors-origins=http://127.0.0.1:" + std::to_string(listed.port)});
  ASSERT_GT(server.http_port(), 0) << server.log();
  // Opens the page in headless Chromium; returns what it reported (at most
  // 60 s later), then closes the browser.
  const auto open_page = [&](Origin& origin) {
    testing::TempDir profile;
    testing::BackgroundCommand browser(
        {"/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
         "--user-data-dir=" + profile.path(),
         "http://127.0.0.1:" + std::to_string(origin.port) +
             "/index.html?report&api=http://127.0.0.1:" + std::to_string(server.http_port()) +
             "#token=" + server.admin_token()});
    std::unique_lock<std::mutex> lock(origin.mutex);
    origin.reported_cv.wait_for(lock, std::chrono::seconds(60),
                                [&] { return !origin.reported.empty(); });
    return origin.reported;
  };
  const std::string page = open_page(listed);
  EXPECT_THAT(page, HasSubstr("International Labour Organization"));
  EXPECT_THAT(page, HasSubstr("FICTIONAL EXAMPLE: union organisers detained"));
  EXPECT_THAT(page, Not(HasSubstr("Error")));

  const std::string refused = open_page(unlisted);
  EXPECT_THAT(refused, Not(HasSubstr("International Labour Organization")));
  EXPECT_THAT(refused, HasSubstr("Failed to fetch"));
}

}  // namespace
}  // namespace mpower
