// What an operator watches, with the real mpowerd on each backend: the
// Prometheus endpoint after a known workload (checked by promtool, counts
// matching the calls made), the access log, and no protected detail in
// either.

#include <chrono>
#include <fstream>
#include <regex>
#include <string>
#include <thread>

#include "tests/process.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

using ::mpower::testing::CommandResult;
using ::mpower::testing::RunCommand;
using ::mpower::testing::ServerProcess;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPerson[] = "Itzpapalotl Nwachukwu-Ferreira";

class MetricsEndToEndTest : public testing::ServerBackendTest {
 protected:
  CommandResult As(const std::string& token, std::vector<std::string> args,
                   const ServerProcess& server, const std::string& input = "") {
    return testing::RunMpowerAs(server, token, std::move(args), input);
  }

  // The value of the one sample `series` (name and labels, as exposed).
  static double Sample(const std::string& metrics, const std::string& series) {
    const size_t at = metrics.find("\n" + series + " ");
    if (at == std::string::npos) return -1;
    return std::stod(metrics.substr(at + series.size() + 2));
  }

  testing::TempDir dir_;
};

TEST_P(MetricsEndToEndTest, TheEndpointCountsTheCallsMadeAndTheLogsSayWhoWithoutWhat) {
  ServerProcess server(dir_.path(), ServerFlags({"--demo-data", "--metrics-listen=127.0.0.1:0"}));
  ASSERT_GT(server.port(), 0) << server.log();
  ASSERT_GT(server.metrics_port(), 0) << server.log();
  const std::string admin = server.admin_token();

  // A known workload: three Gets that succeed, two of a missing partner,
  // two with a forged token, and an alert naming a person.
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(As(admin, {"partners", "get", "partners/ilo"}, server).exit_code, 0);
  }
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(As(admin, {"partners", "get", "partners/nobody"}, server).exit_code, 64 + 5);
  }
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(As("mpw_forged", {"partners", "get", "partners/ilo"}, server).exit_code, 64 + 16);
  }
  const std::string alert = std::string(R"({
    "filing_partner": "partners/example-union", "category": "CATEGORY_THREAT_OF_VIOLENCE",
    "severity": "SEVERITY_EXTREME", "urgency": "URGENCY_IMMEDIATE", "certainty": "CERTAINTY_OBSERVED",
    "country_code": "ID", "headline": "Threat", "scope": "SCOPE_RESTRICTED",
    "recipient_partners": ["partners/ilo"],
    "protected_details": {"people": [{"full_name": ")") +
                            kPerson + R"("}]}})";
  CommandResult filed = As(admin, {"alerts", "create", "-f", "-"}, server, alert);
  ASSERT_EQ(filed.exit_code, 0) << filed.err;

  // A call to a method the caller made up, its name carrying the planted
  // name: never named in a metric or a log line (gRPC 1.51 does not even
  // run interceptors for it; call_observer.cc guards anyway).
  CommandResult made_up =
      RunCommand({"/usr/bin/curl", "-s", "--http2-prior-knowledge", "-X", "POST", "-H",
                  "content-type: application/grpc", "--data-binary", "",
                  "http://" + server.address() + "/mpower.v1.PartnerService/Nwachukwu"});
  EXPECT_EQ(made_up.exit_code, 0) << made_up.err;

  const std::string url = "http://127.0.0.1:" + std::to_string(server.metrics_port()) + "/metrics";
  // Scraped while a watch stream is open.
  std::thread watcher([&] { As(admin, {"alerts", "watch", "--for", "4s"}, server); });
  std::string open_streams;
  for (int attempt = 0; attempt < 50 && open_streams.empty(); ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const std::string page = "\n" + RunCommand({"/usr/bin/curl", "-sf", url}).out;
    if (Sample(page, R"(mpower_streams_open{method="/mpower.v1.ChangeService/WatchChanges"})") ==
        1) {
      open_streams = page;
    }
  }
  EXPECT_FALSE(open_streams.empty()) << "the open watch stream never showed";
  EXPECT_EQ(Sample(open_streams, "mpower_watch_lag_revisions"), 0) << "a caught-up watcher";
  watcher.join();
  CommandResult scraped = RunCommand({"/usr/bin/curl", "-sf", url});
  ASSERT_EQ(scraped.exit_code, 0) << scraped.err;
  const std::string metrics = "\n" + scraped.out;
  EXPECT_EQ(
      Sample(metrics,
             R"(mpower_rpc_calls_total{code="OK",method="/mpower.v1.PartnerService/GetPartner"})"),
      3);
  EXPECT_EQ(
      Sample(
          metrics,
          R"(mpower_rpc_calls_total{code="NOT_FOUND",method="/mpower.v1.PartnerService/GetPartner"})"),
      2);
  EXPECT_EQ(
      Sample(
          metrics,
          R"(mpower_rpc_calls_total{code="UNAUTHENTICATED",method="/mpower.v1.PartnerService/GetPartner"})"),
      2);
  EXPECT_EQ(
      Sample(metrics,
             R"(mpower_rpc_calls_total{code="OK",method="/mpower.v1.AlertService/CreateAlert"})"),
      1);
  EXPECT_EQ(Sample(metrics, "mpower_authentication_failures_total"), 2);
  EXPECT_EQ(
      Sample(metrics,
             R"(mpower_rpc_duration_seconds_count{method="/mpower.v1.PartnerService/GetPartner"})"),
      7);
  EXPECT_GT(Sample(metrics, "mpower_database_bytes"), 0);
  EXPECT_GE(Sample(metrics, "mpower_group_commit_writes_count"), 1) << "the CreateAlert's group";
  EXPECT_GT(Sample(metrics, "mpower_group_commit_seconds_sum"), 0);
  EXPECT_EQ(
      Sample(metrics, R"(mpower_streams_open{method="/mpower.v1.ChangeService/WatchChanges"})"), 0)
      << "the stream closed";
  EXPECT_EQ(metrics.find("Nwachukwu"), std::string::npos);

  // promtool, Prometheus' own checker, accepts the exposition.
  CommandResult checked = RunCommand({PROMTOOL_PATH, "check", "metrics"}, {}, scraped.out);
  EXPECT_EQ(checked.exit_code, 0) << checked.out << checked.err;

  // One access line per call, saying who; never what.
  EXPECT_EQ(server.Stop(SIGTERM), 0);
  const std::string log = server.log();
  EXPECT_EQ(log.find("Nwachukwu"), std::string::npos);
  const std::regex get_line(
      R"re(component=access msg="call" method="/mpower.v1.PartnerService/GetPartner" code="OK" )re"
      R"re(duration_ms="[0-9.e-]+" principal="local administrator \(credentials/local-admin\)" )re"
      R"re(request_id="-" peer="ipv4:127.0.0.1:[0-9]+")re");
  int lines = 0;
  for (std::sregex_iterator it(log.begin(), log.end(), get_line), end; it != end; ++it) ++lines;
  EXPECT_EQ(lines, 3) << log;
  EXPECT_THAT(log, HasSubstr(R"(method="/mpower.v1.AlertService/CreateAlert" code="OK")"));
  // The CLI sends a request_id with each create; the line carries it.
  EXPECT_TRUE(std::regex_search(
      log, std::regex(R"re(method="/mpower.v1.AlertService/CreateAlert" code="OK" .*)re"
                      R"re(request_id="cli-[0-9a-f]+")re")))
      << log;
}

TEST_P(MetricsEndToEndTest, JsonLogsAndBadLogFlagsStopTheServerWithCode2) {
  ServerProcess server(dir_.path(), ServerFlags({"--log-format=json"}));
  ASSERT_GT(server.port(), 0) << server.log();
  ASSERT_EQ(As(server.admin_token(), {"partners", "list"}, server).exit_code, 0);
  EXPECT_EQ(server.Stop(SIGTERM), 0);
  EXPECT_THAT(
      server.log(),
      HasSubstr(
          R"("component":"access","msg":"call","method":"/mpower.v1.PartnerService/ListPartners","code":"OK")"));

  for (const char* bad : {"--log-format=xml", "--log-level=loud"}) {
    CommandResult refused = RunCommand({MPOWERD_PATH, "--data-dir=" + dir_.path(), bad});
    EXPECT_EQ(refused.exit_code, 2) << bad;
    EXPECT_THAT(refused.err, HasSubstr(std::string(bad).substr(2, 9))) << bad;
  }
}

MPOWER_ON_EVERY_BACKEND(MetricsEndToEndTest);

// mpowerd --config: the file's settings apply, the command line's win, and
// a bad file stops start-up with exit code 2 naming the line.
TEST(ConfigFileTest, SettingsApplyFlagsWinAndMistakesAreNamedByLine) {
  testing::TempDir dir;
  const std::string config = dir.path() + "/mpowerd.conf";
  const auto write = [&](const std::string& text) { std::ofstream(config) << text; };
  write("# an operator's file\nmetrics-listen = 127.0.0.1:0\nlog_format = json  # json lines\n");
  {
    ServerProcess server(dir.path() + "/data", {"--config=" + config, "--log-level=warning"});
    ASSERT_GT(server.port(), 0) << server.log();
    EXPECT_GT(server.metrics_port(), 0) << "metrics-listen came from the file";
    EXPECT_EQ(server.Stop(SIGTERM), 0);
    // log-level=warning from the command line: no info lines at all.
    EXPECT_THAT(server.log(), Not(HasSubstr(R"("level":"info")")));
  }
  {
    ServerProcess server(dir.path() + "/data", {"--config=" + config, "--log-format=text"});
    ASSERT_GT(server.port(), 0) << server.log();
    EXPECT_EQ(server.Stop(SIGTERM), 0);
    EXPECT_THAT(server.log(), HasSubstr("level=info component=main")) << "the flag wins";
  }
  {
    // SIGHUP takes the log level from the file again.
    write("log-level = info\n");
    ServerProcess server(dir.path() + "/data", {"--config=" + config});
    ASSERT_GT(server.port(), 0) << server.log();
    const auto call = [&] {
      // The bootstrapped config holds the first start's address.
      return RunCommand(
                 {MPOWER_PATH, "partners", "list"},
                 {{"MPOWER_CONFIG", server.client_config()}, {"MPOWER_ADDRESS", server.address()}})
          .exit_code;
    };
    ASSERT_EQ(call(), 0);
    write("log-level = warning\n");
    server.Signal(SIGHUP);
    std::string log;
    for (int attempt = 0; attempt < 50; ++attempt) {
      log = server.log();
      if (log.find("SIGHUP: reloaded log_level=warning") != std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_THAT(log, HasSubstr("SIGHUP: reloaded log_level=warning"));
    ASSERT_EQ(call(), 0) << "the server serves on after SIGHUP";
    EXPECT_EQ(server.Stop(SIGTERM), 0);
    EXPECT_EQ(server.log().find("component=access", log.size()), std::string::npos)
        << "no info lines after the reload";
  }
  for (const auto& [text, expected] : std::vector<std::pair<std::string, std::string>>{
           {"listen = 127.0.0.1:0\nlisten_adress = 127.0.0.1:1\n",
            ":2: unknown setting \"listen_adress\""},
           {"maintenance-interval = soon\n", ":1: "},
           {"just words\n", ":1: expected `name = value`"},
           {"tls-cert = /nonexistent/cert.pem\ntls-key = /nonexistent/key.pem\n",
            "cannot read /nonexistent/"},
       }) {
    write(text);
    CommandResult refused =
        RunCommand({MPOWERD_PATH, "--config=" + config, "--data-dir=" + dir.path() + "/data",
                    "--listen=127.0.0.1:0"});
    EXPECT_EQ(refused.exit_code, 2) << text << refused.err;
    EXPECT_THAT(refused.err, HasSubstr(expected)) << text;
  }
}

}  // namespace
}  // namespace mpower
