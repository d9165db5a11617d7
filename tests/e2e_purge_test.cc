// Purge end to end, with the real mpowerd and mpower on each backend: after
// `mpower alerts purge`, an alert's protected details come back through no
// path, to nobody, and not from a backup taken before the purge restored
// with the server's own keys. And the retention rule purges by itself.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
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

constexpr char kPerson[] = "Tupac Xiuhtecuhtli-Adeyemi";

std::string AlertJson(const std::string& status) {
  return std::string(R"({
    "filing_partner": "partners/example-union", "category": "CATEGORY_THREAT_OF_VIOLENCE",
    "severity": "SEVERITY_EXTREME", "urgency": "URGENCY_IMMEDIATE", "certainty": "CERTAINTY_OBSERVED",
    "country_code": "ID", "headline": "Organiser threatened after strike vote",
    "scope": "SCOPE_RESTRICTED", "recipient_partners": ["partners/ilo"], "status": ")") +
         status + R"(", "protected_details": {"people": [{"full_name": ")" + kPerson + R"("}]}})";
}

class PurgeEndToEndTest : public testing::ServerBackendTest {
 protected:
  CommandResult As(const std::string& token, std::vector<std::string> args,
                   const ServerProcess& server, const std::string& input = "") {
    return testing::RunMpowerAs(server, token, std::move(args), input);
  }

  // Files an alert as `token`; returns its name.
  std::string File(const ServerProcess& server, const std::string& token,
                   const std::string& status = "STATUS_OPEN") {
    CommandResult filed =
        As(token, {"alerts", "create", "-f", "-", "-o", "json"}, server, AlertJson(status));
    EXPECT_EQ(filed.exit_code, 0) << filed.err;
    const size_t at = filed.out.find("\"name\": \"") + 9;
    return filed.out.substr(at, filed.out.find('"', at) - at);
  }

  // Every path that could carry the details, as `token`: the output of each.
  std::string EveryPath(const ServerProcess& server, const std::string& token,
                        const std::string& alert) {
    std::string seen;
    for (const std::vector<std::string>& path : std::vector<std::vector<std::string>>{
             {"alerts", "get", alert, "-o", "json"},
             {"alerts", "list", "--all", "--show-deleted", "-o", "json"},
             {"changes", "list", "--all", "-o", "json"},
             {"changes", "list", "--collections", "alerts", "--after", "0", "-o", "json"},
             {"alerts", "watch", "--after", "0", "--for", "1s", "-o", "json"},
             {"responses", "list", "--parent", alert, "-o", "json"},
             {"report", "alerts", "--group-by", "country,status", "-o", "json"},
             {"country", "brief", "ID", "-o", "json"},
             {"report", "export", "--format", "iati"},
             {"audit", "list", "--all", "-o", "json"},
         }) {
      CommandResult result = As(token, path, server);
      seen += result.out + result.err;
    }
    return seen;
  }

  // A backup by the backend's own means, into `file`.
  CommandResult Backup(const std::string& file) {
    return postgres_ != nullptr
               ? RunCommand({"/usr/bin/pg_dump", "-Fc", "-f", file, postgres_->url()})
               : RunCommand({MPOWERD_PATH, "--data-dir=" + dir_.path(), "backup", file});
  }

  testing::TempDir dir_;
};

TEST_P(PurgeEndToEndTest, APurgedAlertsDetailsComeBackThroughNoPathNorAnEarlierBackup) {
  ServerProcess server(dir_.path(), ServerFlags({"--demo-data"}));
  ASSERT_GT(server.port(), 0) << server.log();
  const std::string admin = server.admin_token();
  const std::string filer = testing::IssueCredential(
      server, "union-editor", {"--role", "partner_editor", "--partner", "partners/example-union"});
  const std::string recipient = testing::IssueCredential(
      server, "ilo-editor", {"--role", "partner_editor", "--partner", "partners/ilo"});
  const std::string alert = File(server, filer);
  ASSERT_THAT(alert, ::testing::StartsWith("alerts/"));
  ASSERT_EQ(As(filer, {"alerts", "update", alert, "--severity", "severe"}, server).exit_code, 0);
  ASSERT_THAT(EveryPath(server, admin, alert), HasSubstr(kPerson))
      << "the secretariat reads them before the purge";

  const std::string backup = dir_.path() + "/before-purge.backup";
  CommandResult backed_up = Backup(backup);
  ASSERT_EQ(backed_up.exit_code, 0) << backed_up.err;

  // The recipient may read but not erase; a purge needs a reason.
  CommandResult refused = As(recipient, {"alerts", "purge", alert, "--reason", "x"}, server);
  EXPECT_EQ(refused.exit_code, 64 + 7) << refused.err;  // PERMISSION_DENIED
  CommandResult no_reason = As(filer, {"alerts", "purge", alert}, server);
  EXPECT_EQ(no_reason.exit_code, 64 + 3) << no_reason.err;  // INVALID_ARGUMENT
  EXPECT_THAT(no_reason.err, HasSubstr("reason"));

  CommandResult purged = As(
      filer, {"alerts", "purge", alert, "--reason", "the organiser asked to be forgotten"}, server);
  ASSERT_EQ(purged.exit_code, 0) << purged.err;
  EXPECT_THAT(purged.out, HasSubstr("purged"));

  // Through every path, even to the secretariat, the filer and the
  // recipient: gone, from every revision of the history too.
  for (const std::string& token : {admin, filer, recipient}) {
    EXPECT_EQ(EveryPath(server, token, alert).find("Xiuhtecuhtli"), std::string::npos);
  }
  const std::string now = As(admin, {"alerts", "get", alert, "-o", "json"}, server).out;
  EXPECT_THAT(now, HasSubstr("purge_time"));
  EXPECT_THAT(now, HasSubstr("the organiser asked to be forgotten"));
  EXPECT_THAT(now, HasSubstr("Organiser threatened")) << "the shareable part stays";
  const std::string audit = As(admin, {"audit", "list", "--all", "-o", "json"}, server).out;
  EXPECT_THAT(audit, HasSubstr("PurgeAlert"));
  EXPECT_THAT(audit, HasSubstr("the organiser asked to be forgotten"));
  EXPECT_EQ(server.Stop(SIGTERM), 0);
  EXPECT_THAT(server.log(), Not(HasSubstr("Xiuhtecuhtli")));

  // The backup taken before the purge, restored beside it and served with
  // the server's own keys, has lost them too.
  const std::string restored_dir = dir_.path() + "/restored";
  std::vector<std::string> flags = {"--key-dir=" + dir_.path() + "/keys"};
  std::unique_ptr<testing::PostgresTestDatabase> restored_database;
  if (postgres_ != nullptr) {
    restored_database = std::make_unique<testing::PostgresTestDatabase>();
    ASSERT_EQ(restored_database->error(), "");
    CommandResult restored = RunCommand({"/usr/bin/pg_restore", "--no-owner", "--exit-on-error",
                                         "-d", restored_database->url(), backup});
    ASSERT_EQ(restored.exit_code, 0) << restored.err;
    flags.push_back("--database=" + restored_database->url());
  } else {
    CommandResult restored =
        RunCommand({MPOWERD_PATH, "restore", "--data-dir=" + restored_dir, backup});
    ASSERT_EQ(restored.exit_code, 0) << restored.err;
  }
  ServerProcess from_backup(restored_dir, flags);
  ASSERT_GT(from_backup.port(), 0) << from_backup.log();
  // The backup holds the credentials of its day.
  const std::string seen = EveryPath(from_backup, admin, alert);
  // The backup itself is readable: the demo alert's details, and the
  // purged alert without what its data key sealed (details and, being
  // restricted, the headline of those versions).
  EXPECT_NE(seen.find("Fictional Person One"), std::string::npos);
  EXPECT_NE(seen.find(alert), std::string::npos);
  EXPECT_EQ(seen.find("Xiuhtecuhtli"), std::string::npos);
}

TEST_P(PurgeEndToEndTest, IncludeShareableErasesTheHeadlineFromEveryPath) {
  ServerProcess server(dir_.path(), ServerFlags({"--demo-data"}));
  ASSERT_GT(server.port(), 0) << server.log();
  const std::string admin = server.admin_token();
  const std::string filer = testing::IssueCredential(
      server, "union-editor", {"--role", "partner_editor", "--partner", "partners/example-union"});
  // Public at first, then narrowed: its headline was in the clear.
  const std::string alert = File(server, filer);
  ASSERT_EQ(As(filer, {"alerts", "update", alert, "--headline", "Strike leader Quauhtli-Obi held"},
               server)
                .exit_code,
            0);
  ASSERT_EQ(As(filer, {"alerts", "update", alert, "--scope", "PUBLIC"}, server).exit_code, 0);
  ASSERT_EQ(As(filer, {"alerts", "update", alert, "--scope", "RESTRICTED"}, server).exit_code, 0);
  ASSERT_THAT(EveryPath(server, admin, alert), HasSubstr("Quauhtli-Obi"))
      << "narrowing keeps the headline readable to those entitled";

  CommandResult misplaced =
      As(admin, {"partners", "delete", "partners/us-dol", "--include-shareable"}, server);
  EXPECT_EQ(misplaced.exit_code, 2) << misplaced.err;
  EXPECT_THAT(misplaced.err, HasSubstr("--include-shareable"));

  CommandResult purged =
      As(filer,
         {"alerts", "purge", alert, "--include-shareable", "--reason", "the headline names him"},
         server);
  ASSERT_EQ(purged.exit_code, 0) << purged.err;
  for (const std::string& token : {admin, filer}) {
    const std::string seen = EveryPath(server, token, alert);
    EXPECT_EQ(seen.find("Quauhtli-Obi"), std::string::npos);
    EXPECT_EQ(seen.find("Organiser threatened"), std::string::npos);
    EXPECT_EQ(seen.find(kPerson), std::string::npos);
  }
  EXPECT_THAT(As(admin, {"alerts", "get", alert, "-o", "json"}, server).out, HasSubstr("[erased]"));
}

TEST_P(PurgeEndToEndTest, TheRetentionRulePurgesAClosedAlertByItself) {
  ServerProcess server(dir_.path(), ServerFlags({"--demo-data", "--purge-protected-after=1s",
                                                 "--maintenance-interval=100ms"}));
  ASSERT_GT(server.port(), 0) << server.log();
  const std::string admin = server.admin_token();
  const std::string open = File(server, admin);
  const std::string resolved = File(server, admin, "STATUS_RESOLVED");
  std::string seen;
  for (int attempt = 0; attempt < 150; ++attempt) {
    seen = As(admin, {"alerts", "get", resolved, "-o", "json"}, server).out;
    if (seen.find("purge_time") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_THAT(seen, HasSubstr("purge_time"));
  EXPECT_THAT(seen, Not(HasSubstr("Xiuhtecuhtli")));
  EXPECT_THAT(As(admin, {"alerts", "get", open, "-o", "json"}, server).out, HasSubstr(kPerson))
      << "an open alert keeps its details";
  const std::string audit = As(admin, {"audit", "list", "--all", "-o", "json"}, server).out;
  EXPECT_THAT(audit, HasSubstr("--purge-protected-after"));
}

MPOWER_ON_EVERY_BACKEND(PurgeEndToEndTest);

}  // namespace
}  // namespace mpower
