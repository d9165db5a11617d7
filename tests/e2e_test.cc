// End to end: the real mpowerd and mpower binaries, as a newcomer and an
// operator use them.

#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <thread>

#include "mpower/v1/commitment.grpc.pb.h"
#include "tests/process.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

using ::mpower::testing::CommandResult;
using ::mpower::testing::RunCommand;
using ::mpower::testing::ServerProcess;
using ::testing::HasSubstr;
using ::testing::Not;

// Runs mpower against `address` as the local admin the server
// bootstrapped into `data_dir`'s client config.
CommandResult CliAsAdmin(const std::string& data_dir, std::vector<std::string> args,
                         const std::string& address) {
  args.insert(args.begin(), MPOWER_PATH);
  return RunCommand(args,
                    {{"MPOWER_ADDRESS", address}, {"MPOWER_CONFIG", data_dir + "/client.config"}});
}

// What mpower and mpowerd do whatever the storage: the SQLite default only.
class CliTest : public ::testing::Test {
 protected:
  CommandResult Cli(std::vector<std::string> args, const std::string& address) {
    return CliAsAdmin(dir_.path(), std::move(args), address);
  }

  testing::TempDir dir_;
};

// What depends on the storage: on every backend.
class EndToEndTest : public testing::ServerBackendTest {
 protected:
  CommandResult Cli(std::vector<std::string> args, const std::string& address) {
    return CliAsAdmin(dir_.path(), std::move(args), address);
  }

  testing::TempDir dir_;
};

TEST_P(EndToEndTest, TheReadmeTourWorksOnTheDemoData) {
  ServerProcess server(dir_.path(), ServerFlags({"--demo-data"}));
  ASSERT_GT(server.port(), 0) << server.log();

  CommandResult partners = Cli({"partners", "list"}, server.address());
  EXPECT_EQ(partners.exit_code, 0) << partners.err;
  EXPECT_THAT(partners.out, HasSubstr("partners/ilo"));
  EXPECT_THAT(partners.out, HasSubstr("MULTILATERAL"));
  EXPECT_EQ(partners.err, "");

  CommandResult assessed =
      Cli({"commitments", "list", "--filter", "contribution_basis = ASSESSED", "-o", "json"},
          server.address());
  EXPECT_EQ(assessed.exit_code, 0) << assessed.err;
  EXPECT_THAT(assessed.out, HasSubstr("\"units\": \"424600000\""));
  EXPECT_THAT(assessed.out, Not(HasSubstr("192000000")));

  // The local admin is the secretariat and sees the protected details; a
  // viewer for a partner that is neither filer nor recipient does not.
  CommandResult alert =
      Cli({"alerts", "get", "alerts/example-detention-west-kalimantan", "-o", "json"},
          server.address());
  EXPECT_EQ(alert.exit_code, 0) << alert.err;
  EXPECT_THAT(alert.out, HasSubstr("Fictional Person One"));
  CommandResult issued =
      Cli({"credentials", "create", "dol-viewer", "--principal", "DOL desk", "--role",
           "partner_viewer", "--partner", "partners/us-dol", "-o", "json"},
          server.address());
  ASSERT_EQ(issued.exit_code, 0) << issued.err;
  const size_t at = issued.out.find("\"token\": \"") + 10;
  const std::string viewer_token = issued.out.substr(at, issued.out.find('"', at) - at);
  CommandResult as_viewer = RunCommand({MPOWER_PATH, "alerts", "list", "-o", "json"},
                                       {{"MPOWER_ADDRESS", server.address()},
                                        {"MPOWER_TOKEN", viewer_token},
                                        {"MPOWER_CONFIG", "/nonexistent"}});
  EXPECT_EQ(as_viewer.exit_code, 0) << as_viewer.err;
  EXPECT_THAT(as_viewer.out, HasSubstr("alerts/example-dismissals-honduras"));
  EXPECT_THAT(as_viewer.out, Not(HasSubstr("west-kalimantan"))) << "restricted to the ILO";
  EXPECT_THAT(as_viewer.out, Not(HasSubstr("Fictional Person")));

  CommandResult in_indonesia =
      Cli({"initiatives", "list", "--filter", "country_codes:\"ID\""}, server.address());
  EXPECT_THAT(in_indonesia.out, HasSubstr("initiatives/palm-oil-indonesia-malaysia"));
  EXPECT_THAT(in_indonesia.out, Not(HasSubstr("initiatives/better-work")));
}

TEST_P(EndToEndTest, CreateUpdateDeleteUndeleteThroughTheCli) {
  ServerProcess server(dir_.path(), ServerFlags({"--demo-data"}));
  ASSERT_GT(server.port(), 0) << server.log();
  CommandResult created =
      Cli({"partners", "create", "kspi", "--display-name", "Konfederasi Serikat Pekerja Indonesia",
           "--type", "union_federation", "--country", "ID"},
          server.address());
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_THAT(created.out, HasSubstr("UNION_FEDERATION"));

  const std::string file = dir_.path() + "/commitment.json";
  std::ofstream(file) << R"({"external_id": "KSPI-1", "kind": "KIND_FUNDING",
    "title": "Solidarity fund", "amount": {"currency_code": "IDR", "units": "250000000"},
    "contribution_basis": "CONTRIBUTION_BASIS_VOLUNTARY_CORE"})";
  CommandResult commitment = Cli({"commitments", "create", "solidarity", "--parent",
                                  "partners/kspi", "-f", file, "-o", "json"},
                                 server.address());
  ASSERT_EQ(commitment.exit_code, 0) << commitment.err;
  EXPECT_THAT(commitment.out, HasSubstr("partners/kspi/commitments/solidarity"));

  const std::string name = "partners/kspi/commitments/solidarity";
  CommandResult updated =
      Cli({"commitments", "update", name, "--status", "in_progress"}, server.address());
  EXPECT_EQ(updated.exit_code, 0) << updated.err;
  EXPECT_THAT(updated.out, HasSubstr("IN_PROGRESS"));
  EXPECT_THAT(updated.out, HasSubstr("IDR 250000000.00"));

  EXPECT_EQ(Cli({"commitments", "delete", name}, server.address()).exit_code, 0);
  EXPECT_THAT(Cli({"commitments", "list", "--parent", "partners/kspi"}, server.address()).out,
              Not(HasSubstr(name)));
  EXPECT_THAT(
      Cli({"commitments", "list", "--parent", "partners/kspi", "--show-deleted"}, server.address())
          .out,
      HasSubstr(name));
  EXPECT_EQ(Cli({"commitments", "undelete", name}, server.address()).exit_code, 0);
  EXPECT_THAT(Cli({"commitments", "list", "--parent", "partners/kspi"}, server.address()).out,
              HasSubstr(name));
}

TEST_F(CliTest, ExitCodesFollowTheConvention) {
  ServerProcess server(dir_.path(), {"--demo-data"});
  ASSERT_GT(server.port(), 0) << server.log();
  CommandResult missing = Cli({"partners", "get", "partners/nobody"}, server.address());
  EXPECT_EQ(missing.exit_code, 64 + 5);
  EXPECT_THAT(missing.err, HasSubstr("NOT_FOUND"));
  EXPECT_EQ(missing.out, "");

  CommandResult invalid =
      Cli({"partners", "create", "x", "--type", "government"}, server.address());
  EXPECT_EQ(invalid.exit_code, 64 + 3);
  EXPECT_THAT(invalid.err, HasSubstr("partner.display_name: required"));
  EXPECT_THAT(invalid.err, HasSubstr("partner.country_code"));

  EXPECT_EQ(Cli({"partners", "frobnicate"}, server.address()).exit_code, 2);
  EXPECT_EQ(Cli({"partners", "list", "--no-such-flag"}, server.address()).exit_code, 2);
  EXPECT_EQ(Cli({"partners", "create", "x", "--type", "kingdom"}, server.address()).exit_code, 2);
  EXPECT_EQ(Cli({"partners", "create", "x", "-f", "/nonexistent.json"}, server.address()).exit_code,
            1);
  EXPECT_EQ(Cli({"partners", "list", "--timeout", "soon"}, server.address()).exit_code, 2);
}

TEST_F(CliTest, UnreachableServerIsUnavailable) {
  CommandResult result = Cli({"partners", "list", "--timeout", "300ms"}, "127.0.0.1:1");
  EXPECT_EQ(result.exit_code, 64 + 14) << result.err;
  EXPECT_THAT(result.err, HasSubstr("UNAVAILABLE"));
}

TEST_F(CliTest, EveryCommandHasHelpWithAnExample) {
  for (std::vector<std::string> args : {std::vector<std::string>{"--help"},
                                        {"partners", "--help"},
                                        {"initiatives", "--help"},
                                        {"commitments", "--help"},
                                        {"alerts", "--help"},
                                        {"responses", "--help"},
                                        {"commitments", "list", "--help"},
                                        {"report", "--help"},
                                        {"country", "--help"}}) {
    CommandResult help = Cli(args, "127.0.0.1:1");
    EXPECT_EQ(help.exit_code, 0) << args[0];
    EXPECT_THAT(help.out, HasSubstr("Example")) << args[0];
  }
  CommandResult server_help = RunCommand({MPOWERD_PATH, "--help"});
  EXPECT_EQ(server_help.exit_code, 0);
  EXPECT_THAT(server_help.out, HasSubstr("Examples:\n  mpowerd --demo-data\n"));
}

TEST_P(EndToEndTest, DemoDataLoadsOnceAndDataSurvivesRestarts) {
  std::string first_listing;
  {
    ServerProcess server(dir_.path(), ServerFlags({"--demo-data"}));
    ASSERT_GT(server.port(), 0) << server.log();
    ASSERT_EQ(Cli({"partners", "create", "kspi", "--display-name", "KSPI", "--type",
                   "union_federation", "--country", "ID"},
                  server.address())
                  .exit_code,
              0);
    first_listing = Cli({"commitments", "list", "-o", "json"}, server.address()).out;
    EXPECT_EQ(server.Stop(SIGTERM), 0);
  }
  ServerProcess again(dir_.path(), ServerFlags({"--demo-data"}));
  ASSERT_GT(again.port(), 0) << again.log();
  EXPECT_EQ(Cli({"commitments", "list", "-o", "json"}, again.address()).out, first_listing)
      << "loading the demo data again must change nothing, etags included";
  EXPECT_THAT(Cli({"partners", "get", "partners/kspi"}, again.address()).out, HasSubstr("KSPI"));
}

TEST_F(CliTest, RefusesPlaintextOnANonLoopbackAddress) {
  CommandResult refused =
      RunCommand({MPOWERD_PATH, "--listen=0.0.0.0:0", "--data-dir=" + dir_.path()});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("refusing to serve plaintext"));
}

TEST_F(CliTest, ReflectionListsEveryService) {
  ServerProcess server(dir_.path(), {"--demo-data"});
  ASSERT_GT(server.port(), 0) << server.log();
  CommandResult listed = RunCommand({GRPCURL_PATH, "-plaintext", server.address(), "list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  for (const char* service :
       {"mpower.v1.PartnerService", "mpower.v1.InitiativeService", "mpower.v1.CommitmentService",
        "mpower.v1.AlertService", "mpower.v1.ResponseService", "mpower.v1.AdminService",
        "mpower.v1.ChangeService", "mpower.v1.ReportService", "grpc.health.v1.Health"}) {
    EXPECT_THAT(listed.out, HasSubstr(service));
  }
  CommandResult described = RunCommand(
      {GRPCURL_PATH, "-plaintext", "-H", "authorization: Bearer " + server.admin_token(), "-d",
       R"({"name": "partners/us-gov"})", server.address(), "mpower.v1.PartnerService/GetPartner"});
  EXPECT_EQ(described.exit_code, 0) << described.err;
  EXPECT_THAT(described.out, HasSubstr("United States Government"));
}

// Writers keep creating commitments while the server gets SIGTERM: every
// create the server acknowledged must be there after a restart.
TEST_P(EndToEndTest, SigtermDuringWritesLosesNoAcknowledgedWrite) {
  std::vector<std::string> acknowledged;
  std::mutex mutex;
  {
    ServerProcess server(dir_.path(),
                         ServerFlags({"--demo-data", "--shutdown-grace=5s", "--rate-limit=0"}));
    ASSERT_GT(server.port(), 0) << server.log();
    auto channel = grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials());
    const std::string token = server.admin_token();
    std::atomic<bool> stop = false;
    std::vector<std::thread> writers;
    for (int w = 0; w < 4; ++w) {
      writers.emplace_back([&, w] {
        auto stub = v1::CommitmentService::NewStub(channel);
        for (int i = 0; !stop && i < 5000; ++i) {
          v1::CreateCommitmentRequest request;
          request.set_parent("partners/us-gov");
          request.set_commitment_id("w" + std::to_string(w) + "-" + std::to_string(i));
          request.mutable_commitment()->set_kind(v1::Commitment::KIND_POLICY);
          request.mutable_commitment()->set_title("Apply ILO Convention 87");
          v1::CreateCommitmentResponse response;
          grpc::ClientContext context;
          context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
          context.AddMetadata("authorization", "Bearer " + token);
          if (stub->CreateCommitment(&context, request, &response).ok()) {
            std::lock_guard<std::mutex> lock(mutex);
            acknowledged.push_back(response.commitment().name());
          }
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const int status = server.Stop(SIGTERM);
    stop = true;
    for (auto& writer : writers) writer.join();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "a graceful stop exits 0";
  }
  ASSERT_GT(acknowledged.size(), 10u)
      << "the writers should have been acknowledged before the stop";
  ServerProcess restarted(dir_.path(), ServerFlags({"--rate-limit=0"}));
  ASSERT_GT(restarted.port(), 0) << restarted.log();
  const std::string token = restarted.admin_token();
  auto stub = v1::CommitmentService::NewStub(
      grpc::CreateChannel(restarted.address(), grpc::InsecureChannelCredentials()));
  size_t found = 0;
  for (const std::string& name : acknowledged) {
    v1::GetCommitmentRequest request;
    request.set_name(name);
    v1::GetCommitmentResponse response;
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + token);
    if (stub->GetCommitment(&context, request, &response).ok())
      ++found;
    else
      ADD_FAILURE() << "lost acknowledged write " << name;
  }
  EXPECT_EQ(found, acknowledged.size());
}

// A ministry's whole set, 100,000 commitments, through the CLI: streamed in
// chunks and applied in one transaction; the second run changes nothing.
TEST_P(EndToEndTest, SyncReportsBadRowsByLineAndColumnAndSendsNothing) {
  ServerProcess server(dir_.path(), ServerFlags({"--demo-data"}));
  ASSERT_GT(server.port(), 0) << server.log();
  const std::string file = dir_.path() + "/bad.csv";
  std::ofstream(file) << "external_id,kind,title,amount,currency\n"
                         "A,funding,Fine,10,USD\n"
                         "B,funding,Bad amount,ten,USD\n"
                         "C,kingdom,Bad kind,,\n";
  CommandResult result =
      Cli({"commitments", "sync", "--parent", "partners/us-dos", "-f", file}, server.address());
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("line 3, columns amount and currency"));
  EXPECT_THAT(result.err, HasSubstr("line 4, column kind"));
  EXPECT_THAT(
      Cli({"changes", "list", "--collections", "commitments", "--partner", "partners/us-dos"},
          server.address())
          .out,
      Not(HasSubstr("CREATED")))
      << "nothing was sent";
}

MPOWER_ON_EVERY_BACKEND(EndToEndTest);

}  // namespace
}  // namespace mpower
