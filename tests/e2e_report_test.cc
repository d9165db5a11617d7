// Reports end to end: the seeds' figures, the country brief and the IATI
// export, as a partner gets them from the real mpower and mpowerd.

#include "tests/process.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

using ::mpower::testing::CommandResult;
using ::mpower::testing::RunCommand;
using ::mpower::testing::ServerProcess;
using ::testing::HasSubstr;
using ::testing::Not;

class ReportEndToEndTest : public testing::ServerBackendTest {
 protected:
  void SetUp() override {
    ServerBackendTest::SetUp();
    if (HasFatalFailure()) return;
    server_ = std::make_unique<ServerProcess>(dir_.path(), ServerFlags({"--demo-data"}));
    ASSERT_GT(server_->port(), 0) << server_->log();
  }

  // Runs mpower as the local admin the server bootstrapped.
  CommandResult Cli(std::vector<std::string> args) {
    args.insert(args.begin(), MPOWER_PATH);
    return RunCommand(args, {{"MPOWER_ADDRESS", server_->address()},
                             {"MPOWER_CONFIG", dir_.path() + "/client.config"}});
  }

  testing::TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_P(ReportEndToEndTest, TheSeedsFiguresAsATable) {
  CommandResult report = Cli(
      {"report", "commitments", "--parent", "partners/us-gov", "--group-by", "contribution_basis",
       "--filter",
       R"(recipient_partner = "partners/ilo" AND start_date.year >= 2018 AND end_date.year <= 2022)"});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_THAT(report.out,
              HasSubstr("ASSESSED              USD        1             USD 424600000.00"));
  EXPECT_THAT(report.out,
              HasSubstr("VOLUNTARY_EARMARKED   USD        1             USD 192000000.00"));
  EXPECT_THAT(report.out,
              HasSubstr("TOTAL                 USD        2             USD 616600000.00"));

  CommandResult bad = Cli({"report", "commitments", "--group-by", "colour"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("unknown dimension \"colour\""));
  CommandResult bad_filter = Cli({"report", "commitments", "--filter", "colour = 1"});
  EXPECT_EQ(bad_filter.exit_code, 64 + 3) << bad_filter.err;  // INVALID_ARGUMENT
}

TEST_P(ReportEndToEndTest, AlertStatisticsAsJson) {
  CommandResult report = Cli({"report", "alerts", "--group-by", "country", "-o", "json"});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_THAT(report.out, HasSubstr("\"keys\": [\n    \"HN\"\n   ]"));
  EXPECT_THAT(report.out, HasSubstr("\"alert_count\": \"2\""));
}

TEST_P(ReportEndToEndTest, TheCountryBriefShowsAnOutsiderNoRestrictedAlert) {
  CommandResult issued =
      Cli({"credentials", "create", "dol-viewer", "--principal", "DOL desk", "--role",
           "partner_viewer", "--partner", "partners/us-dol", "-o", "json"});
  ASSERT_EQ(issued.exit_code, 0) << issued.err;
  const size_t at = issued.out.find("\"token\": \"") + 10;
  const std::string token = issued.out.substr(at, issued.out.find('"', at) - at);
  CommandResult outsider =
      RunCommand({MPOWER_PATH, "country", "brief", "id"}, {{"MPOWER_ADDRESS", server_->address()},
                                                           {"MPOWER_TOKEN", token},
                                                           {"MPOWER_CONFIG", "/nonexistent"}});
  ASSERT_EQ(outsider.exit_code, 0) << outsider.err;
  EXPECT_THAT(outsider.out, HasSubstr("initiatives/palm-oil-indonesia-malaysia"));
  EXPECT_THAT(outsider.out, HasSubstr("Alerts filed there that you may read (0)"));
  EXPECT_THAT(outsider.out, Not(HasSubstr("west-kalimantan")));
  // The secretariat sees the alert, that details exist, and the response.
  CommandResult admin = Cli({"country", "brief", "ID"});
  ASSERT_EQ(admin.exit_code, 0) << admin.err;
  EXPECT_THAT(admin.out, HasSubstr("alerts/example-detention-west-kalimantan"));
  EXPECT_THAT(admin.out, HasSubstr("2 person(s) at risk"));
  EXPECT_THAT(admin.out, HasSubstr("partners/ilo  ACKNOWLEDGED"));
}

TEST_P(ReportEndToEndTest, TheIatiExportOfTheDemoDataValidatesAgainstTheSchema) {
  const std::string file = dir_.path() + "/activities.xml";
  CommandResult exported = Cli({"report", "export", "--format", "iati", "--out", file});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  CommandResult valid = RunCommand({XMLLINT_PATH, "--noout", "--schema", MPOWER_IATI_SCHEMA, file});
  EXPECT_EQ(valid.exit_code, 0) << valid.err;
  EXPECT_THAT(valid.err, HasSubstr("validates"));
  CommandResult csv = Cli({"report", "export", "--format", "initiatives-csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_THAT(csv.out, HasSubstr("initiatives/better-work,Better Work,"));
}

TEST_P(ReportEndToEndTest, AnExportedPartnersCommitmentsSyncBackUnchanged) {
  const std::string file = dir_.path() + "/ilo.csv";
  CommandResult exported = Cli({"report", "export", "--format", "commitments-csv", "--parent",
                                "partners/ilo", "--out", file});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  CommandResult synced =
      Cli({"commitments", "sync", "--parent", "partners/ilo", "-f", file, "--dry-run"});
  EXPECT_EQ(synced.exit_code, 0) << synced.err;
  EXPECT_THAT(synced.out, HasSubstr("0 created, 0 updated, 2 unchanged, 0 deleted, 0 invalid"));
}

MPOWER_ON_EVERY_BACKEND(ReportEndToEndTest);

}  // namespace
}  // namespace mpower
