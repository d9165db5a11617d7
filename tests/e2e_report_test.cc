// Reports end to end: the seeds' figures, the country brief and the IATI
// export, as a partner gets them from the real mpower and mpowerd.

#include <fstream>

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

TEST_P(ReportEndToEndTest, PolicyCommitmentsSyncFromCsvAndBackUnchanged) {
  // us-gov's export has its three ratifications, with their instrument,
  // action and milestones: it syncs back with nothing to change.
  const std::string exported_file = dir_.path() + "/us-gov.csv";
  CommandResult exported = Cli({"report", "export", "--format", "commitments-csv", "--parent",
                                "partners/us-gov", "--out", exported_file});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  CommandResult back =
      Cli({"commitments", "sync", "--parent", "partners/us-gov", "-f", exported_file, "--dry-run"});
  EXPECT_EQ(back.exit_code, 0) << back.err;
  EXPECT_THAT(back.out, HasSubstr("0 created, 0 updated, 6 unchanged, 0 deleted, 0 invalid"));

  // A ministry's spreadsheet with the policy columns.
  const std::string sheet = dir_.path() + "/policy.csv";
  std::ofstream(sheet)
      << "external_id,kind,title,instrument,policy_action,milestones,country_codes\n"
         "ILO-C190,POLICY,Ratify C190,C190,RATIFY,"
         "ANNOUNCED 2024-03-08;SUBMITTED_TO_LEGISLATURE 2024-09-01,US\n";
  CommandResult synced = Cli({"commitments", "sync", "--parent", "partners/us-gov", "-f", sheet});
  ASSERT_EQ(synced.exit_code, 0) << synced.err;
  EXPECT_THAT(synced.out, HasSubstr("1 created"));
  CommandResult listed =
      Cli({"commitments", "list", "--parent", "partners/us-gov", "--filter",
           "instrument = C190 AND stage = SUBMITTED_TO_LEGISLATURE", "-o", "json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_THAT(listed.out, HasSubstr("\"status\": \"STATUS_IN_PROGRESS\""));
  EXPECT_THAT(listed.out, HasSubstr("\"month\": 9"));

  // Milestones out of order: the row and field are named, nothing applied.
  std::ofstream(sheet) << "external_id,kind,title,instrument,policy_action,milestones\n"
                          "ILO-C190,POLICY,Ratify C190,C190,RATIFY,"
                          "RATIFIED 2025-01-01;ANNOUNCED 2024-03-08\n";
  CommandResult refused = Cli({"commitments", "sync", "--parent", "partners/us-gov", "-f", sheet});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.out + refused.err, HasSubstr("commitment.milestones[1].stage"));
  CommandResult unchanged = Cli({"commitments", "list", "--parent", "partners/us-gov", "--filter",
                                 "instrument = C190", "-o", "json"});
  EXPECT_THAT(unchanged.out, HasSubstr("STAGE_SUBMITTED_TO_LEGISLATURE"));
}

TEST_P(ReportEndToEndTest, TheAccountabilityReportHoldsThePromiseAgainstTheAlerts) {
  // The demo's (fictional) ministry promised to enforce C087 in ID; the
  // restricted detention alert there concerns it, and the ILO responded.
  CommandResult admin = Cli({"report", "accountability", "--country", "id", "-o", "json"});
  ASSERT_EQ(admin.exit_code, 0) << admin.err;
  EXPECT_THAT(admin.out, HasSubstr("\"instrument\": \"INSTRUMENT_C087\""));
  EXPECT_THAT(admin.out, HasSubstr("\"alert_count\": \"1\""));
  EXPECT_THAT(admin.out, HasSubstr("\"responded_count\": \"1\""));
  // As a table, for every country: the US ratifications too.
  CommandResult table = Cli({"report", "accountability"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("US        C144         RATIFY"));
  EXPECT_THAT(table.out, HasSubstr("UZ        P029         APPLY_IN_LAW"));
  CommandResult bad = Cli({"report", "accountability", "--instrument", "C999"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.err, HasSubstr("--instrument"));
}

TEST_P(ReportEndToEndTest, TheCliShowsEachFieldViolationOnItsOwnLine) {
  CommandResult bad = Cli({"commitments", "create", "--parent", "partners/us-gov", "--kind",
                           "funding", "--countries", "USA"});
  EXPECT_EQ(bad.exit_code, 64 + 3) << bad.err;  // INVALID_ARGUMENT
  EXPECT_THAT(bad.err, HasSubstr("INVALID_ARGUMENT: 4 fields are invalid:\n"
                                 "  commitment.title: required\n"
                                 "  commitment.amount: required for a funding commitment\n"));
  EXPECT_THAT(bad.err, HasSubstr("\n  commitment.country_codes[0]: not an ISO 3166-1"));
}

MPOWER_ON_EVERY_BACKEND(ReportEndToEndTest);

}  // namespace
}  // namespace mpower
