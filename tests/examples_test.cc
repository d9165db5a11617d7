// The integrators' examples (examples/{python,go,java,node}): each generates
// its client from proto/ with its language's usual gRPC toolchain and runs
// the same scenario against a live mpowerd with the demo data; and
// examples/connect runs it over HTTP/JSON.

#include "tests/process.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

using ::mpower::testing::CommandResult;
using ::mpower::testing::RunCommand;
using ::mpower::testing::ServerProcess;
using ::testing::HasSubstr;

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
  EXPECT_THAT(run.out, HasSubstr("scenario passed"));
}

INSTANTIATE_TEST_SUITE_P(Languages, ExampleTest, ::testing::Values("python", "go", "java", "node"),
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

}  // namespace
}  // namespace mpower
