// Security end to end, with the real mpowerd and mpower: who sees protected
// details through every path, and credentials that stop working.

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/process.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

using ::mpower::testing::CommandResult;
using ::mpower::testing::RunCommand;
using ::mpower::testing::ServerProcess;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSecretName[] = "Zainab Quetzalcoatl-Oyelaran";
constexpr char kSecretPlace[] = "Warehouse 7 behind Jalan Merdeka";

// Runs on each backend: mpowerd on its SQLite default, and on a fresh
// PostgreSQL database of the test server.
class SecurityEndToEndTest : public testing::ServerBackendTest {
 protected:
  // Where the database's bytes lie on disk: the data directory, and for
  // PostgreSQL the test server's directory too.
  std::vector<std::string> DatabaseFiles() const {
    std::vector<std::string> roots = {dir_.path()};
    if (postgres_ != nullptr) {
      const std::string url = postgres_->url();
      roots.push_back(url.substr(url.find("host=") + 5));
    }
    return roots;
  }

  CommandResult As(const std::string& token, std::vector<std::string> args,
                   const ServerProcess& server, const std::string& input = "") {
    return testing::RunMpowerAs(server, token, std::move(args), input);
  }

  testing::TempDir dir_;
};

// The regular files under `root`. PostgreSQL removes and recycles files
// (WAL segments, rewritten tables) while a test walks its directory, and a
// walk that meets a vanished entry stops: so a walk that stopped early is
// done again, up to five times.
std::vector<std::filesystem::path> FilesUnder(const std::string& root) {
  std::vector<std::filesystem::path> files;
  for (int attempt = 0; attempt < 5; ++attempt) {
    files.clear();
    std::error_code error;
    for (std::filesystem::recursive_directory_iterator it(root, error), end; !error && it != end;
         it.increment(error)) {
      std::error_code type_error;
      if (it->is_regular_file(type_error)) files.push_back(it->path());
    }
    if (!error) return files;
  }
  ADD_FAILURE() << "could not walk " << root;
  return files;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

TEST_P(SecurityEndToEndTest, ProtectedDetailsReachNobodyUnentitledThroughAnyPath) {
  ServerProcess server(dir_.path(), ServerFlags({"--demo-data", "--public-read"}));
  ASSERT_GT(server.port(), 0) << server.log();
  const std::string admin = server.admin_token();

  // The union files a restricted alert for the ILO naming a person at risk.
  const std::string union_editor = testing::IssueCredential(
      server, "union-editor", {"--role", "partner_editor", "--partner", "partners/example-union"});
  const std::string alert_json = std::string(R"({
    "filing_partner": "partners/example-union", "category": "CATEGORY_THREAT_OF_VIOLENCE",
    "severity": "SEVERITY_EXTREME", "urgency": "URGENCY_IMMEDIATE", "certainty": "CERTAINTY_OBSERVED",
    "country_code": "ID", "headline": "Organiser threatened after strike vote",
    "scope": "SCOPE_RESTRICTED", "recipient_partners": ["partners/ilo"],
    "protected_details": {"people": [{"full_name": ")") +
                                 kSecretName + R"("}], "exact_location": ")" + kSecretPlace +
                                 R"("}})";
  EXPECT_THAT(As(union_editor, {"alerts", "create", "threat", "-f", "-"}, server, alert_json).err,
              HasSubstr("only the secretariat chooses such ids"))
      << "a partner choosing ids could probe for restricted alerts";
  CommandResult filed =
      As(union_editor, {"alerts", "create", "-f", "-", "-o", "json"}, server, alert_json);
  ASSERT_EQ(filed.exit_code, 0) << filed.err;
  EXPECT_THAT(filed.out, HasSubstr(kSecretName)) << "the filer sees what it filed";
  const size_t at = filed.out.find("\"name\": \"") + 9;
  const std::string alert = filed.out.substr(at, filed.out.find('"', at) - at);
  ASSERT_THAT(alert, ::testing::StartsWith("alerts/"));
  ASSERT_EQ(As(union_editor,
               {"responses", "create", "--parent", alert, "--responding-partner",
                "partners/example-union", "--action", "monitoring"},
               server)
                .exit_code,
            0);

  const std::string other_editor = testing::IssueCredential(
      server, "dol-editor", {"--role", "partner_editor", "--partner", "partners/us-dol"});
  const std::string other_viewer = testing::IssueCredential(
      server, "dol-viewer", {"--role", "partner_viewer", "--partner", "partners/us-dol"});
  const std::string recipient = testing::IssueCredential(
      server, "ilo-viewer", {"--role", "partner_viewer", "--partner", "partners/ilo"});

  // Every read path, as every caller not entitled to the details.
  const std::vector<std::vector<std::string>> paths = {
      {"alerts", "get", alert},
      {"alerts", "get", alert, "-o", "json"},
      {"alerts", "list", "-o", "json"},
      {"alerts", "list", "--show-deleted", "-o", "json"},
      {"alerts", "list", "--filter", "country_code = \"ID\"", "-o", "json"},
      {"alerts", "list", "--filter",
       std::string("protected_details.people.full_name = \"") + kSecretName + "\""},
      {"alerts", "list", "--filter", std::string("headline = \"") + kSecretName + "\"", "-o",
       "json"},
      {"responses", "list", "-o", "json"},
      {"responses", "list", "--parent", alert, "-o", "json"},
      {"responses", "get", alert + "/responses/nope"},
      {"alerts", "update", alert, "--status", "resolved"},
      {"alerts", "delete", alert},
      {"audit", "list", "--all", "-o", "json"},
      {"credentials", "list", "-o", "json"},
      {"changes", "list", "--all", "-o", "json"},
      {"changes", "list", "--collections", "alerts", "--country", "ID"},
      {"alerts", "watch", "--after", "0", "--for", "1s", "-o", "json"},
      {"country", "brief", "ID"},
      {"country", "brief", "ID", "-o", "json"},
      {"report", "alerts", "--group-by", "country,category,severity,status", "-o", "json"},
      {"report", "commitments", "--group-by", "country", "-o", "json"},
      {"report", "export", "--format", "iati"},
      {"report", "export", "--format", "commitments-csv"},
  };
  for (const auto& [who, token] :
       std::vector<std::pair<std::string, std::string>>{{"another partner's editor", other_editor},
                                                        {"another partner's viewer", other_viewer},
                                                        {"a public reader", ""}}) {
    for (const auto& path : paths) {
      CommandResult result = As(token, path, server);
      EXPECT_THAT(result.out + result.err, Not(HasSubstr("Quetzalcoatl")))
          << who << ": mpower " << path[0] << " " << path[1];
      EXPECT_THAT(result.out + result.err, Not(HasSubstr("Warehouse 7")))
          << who << ": mpower " << path[0] << " " << path[1];
    }
  }
  // The recipient the filer chose, and the secretariat, do see them; those
  // reads are in the audit trail.
  EXPECT_THAT(As(recipient, {"alerts", "get", alert, "-o", "json"}, server).out,
              HasSubstr(kSecretName));
  CommandResult audit = As(admin, {"audit", "list", "--all"}, server);
  EXPECT_THAT(audit.out, HasSubstr("ReadProtectedDetails"));
  EXPECT_THAT(audit.out, HasSubstr("ilo-viewer"));

  // Nothing in the server's log, and nothing in the clear on disk.
  EXPECT_EQ(server.Stop(SIGTERM), 0);
  EXPECT_THAT(server.log(), Not(HasSubstr("Quetzalcoatl")));
  for (const std::string& root : DatabaseFiles()) {
    for (const std::filesystem::path& file : FilesUnder(root)) {
      EXPECT_EQ(ReadAll(file).find("Quetzalcoatl"), std::string::npos) << file;
    }
  }
}

TEST_P(SecurityEndToEndTest, RevocationTakesEffectOnTheNextCall) {
  ServerProcess server(dir_.path(), ServerFlags({"--demo-data"}));
  ASSERT_GT(server.port(), 0) << server.log();
  const std::string token = testing::IssueCredential(
      server, "ilo-desk", {"--role", "partner_viewer", "--partner", "partners/ilo"});
  EXPECT_EQ(As(token, {"partners", "list"}, server).exit_code, 0);
  ASSERT_EQ(
      As(server.admin_token(), {"credentials", "revoke", "credentials/ilo-desk"}, server).exit_code,
      0);
  CommandResult refused = As(token, {"partners", "list"}, server);
  EXPECT_EQ(refused.exit_code, 64 + 16);
  EXPECT_THAT(refused.err, HasSubstr("credentials/ilo-desk was revoked"));
}

TEST_P(SecurityEndToEndTest, ExpiredTokensAreRefused) {
  ServerProcess server(dir_.path(), ServerFlags({"--demo-data"}));
  ASSERT_GT(server.port(), 0) << server.log();
  // Long enough for the first call to land before it, even under sanitizers.
  const absl::Time expiry = absl::Now() + absl::Seconds(4);
  const std::string token = testing::IssueCredential(
      server, "short-lived",
      {"--role", "partner_viewer", "--partner", "partners/ilo", "--expire-time",
       absl::FormatTime(absl::RFC3339_sec, expiry, absl::UTCTimeZone())});
  EXPECT_EQ(As(token, {"partners", "list"}, server).exit_code, 0);
  std::this_thread::sleep_for(
      absl::ToChronoMilliseconds(expiry - absl::Now() + absl::Milliseconds(1100)));
  CommandResult refused = As(token, {"partners", "list"}, server);
  EXPECT_EQ(refused.exit_code, 64 + 16);
  EXPECT_THAT(refused.err, HasSubstr("has expired"));
}

TEST_P(SecurityEndToEndTest, NoCredentialsNoAccessUnlessPublicRead) {
  ServerProcess server(dir_.path(), ServerFlags({"--demo-data"}));
  ASSERT_GT(server.port(), 0) << server.log();
  CommandResult anonymous = As("", {"partners", "list"}, server);
  EXPECT_EQ(anonymous.exit_code, 64 + 16);
  EXPECT_THAT(anonymous.err, HasSubstr("needs credentials"));
  EXPECT_EQ(As("mpw_forged", {"partners", "list"}, server).exit_code, 64 + 16);
}

TEST_P(SecurityEndToEndTest, TheBootstrappedConfigIsOwnerOnlyAndTheCliInsistsOnIt) {
  ServerProcess server(dir_.path(), ServerFlags({"--demo-data"}));
  ASSERT_GT(server.port(), 0) << server.log();
  struct stat info;
  ASSERT_EQ(stat(server.client_config().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 077, 0u);
  std::map<std::string, std::string> env = {{"MPOWER_CONFIG", server.client_config()}};
  EXPECT_EQ(RunCommand({MPOWER_PATH, "partners", "list"}, env).exit_code, 0)
      << "the config carries both the address and the admin token";
  chmod(server.client_config().c_str(), 0644);
  CommandResult refused = RunCommand({MPOWER_PATH, "partners", "list"}, env);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("chmod 600"));
}

TEST_P(SecurityEndToEndTest, TheFilesHoldInTheClearOnlyWhatAnyPartnerMayRead) {
  ServerProcess server(dir_.path(), ServerFlags({"--demo-data"}));
  ASSERT_GT(server.port(), 0) << server.log();
  const std::string admin = server.admin_token();
  const auto file = [&](const std::string& scope, const std::string& words) {
    const std::string json =
        R"({"filing_partner": "partners/example-union", "category": "CATEGORY_THREAT_OF_VIOLENCE",
        "severity": "SEVERITY_SEVERE", "urgency": "URGENCY_IMMEDIATE",
        "certainty": "CERTAINTY_OBSERVED", "country_code": "ID", "scope": ")" +
        scope + R"(", "recipient_partners": ["partners/ilo"], "headline": "Headline )" + words +
        R"(", "summary": "Summary )" + words + R"(", "area": "Area )" + words + R"("})";
    CommandResult filed = As(admin, {"alerts", "create", "-f", "-", "-o", "json"}, server, json);
    EXPECT_EQ(filed.exit_code, 0) << filed.err;
    const size_t at = filed.out.find("\"name\": \"") + 9;
    return filed.out.substr(at, filed.out.find('"', at) - at);
  };
  // A partners-only alert, changed once so the history holds two copies,
  // with a response; and a public alert, whose words may lie in the clear.
  const std::string hidden = file("SCOPE_PARTNERS", "Tlalocan-Ixchel");
  ASSERT_EQ(As(admin, {"alerts", "update", hidden, "--severity", "extreme"}, server).exit_code, 0);
  CommandResult responded =
      As(admin,
         {"responses", "create", "--parent", hidden, "--responding-partner", "partners/ilo",
          "--action", "acknowledged", "--note", "Note Tlalocan-Ixchel"},
         server);
  EXPECT_EQ(responded.exit_code, 0) << responded.err;
  file("SCOPE_PUBLIC", "Mictlan-Public");
  // Readers see what they saw before: any partner reads the headline.
  const std::string reader = testing::IssueCredential(
      server, "dol-viewer", {"--role", "partner_viewer", "--partner", "partners/us-dol"});
  EXPECT_THAT(As(reader, {"alerts", "get", hidden}, server).out,
              HasSubstr("Headline Tlalocan-Ixchel"));

  // A backup taken now, by the backend's own means.
  const std::string backup = dir_.path() + "/backup";
  CommandResult backed_up =
      postgres_ != nullptr
          ? RunCommand({"/usr/bin/pg_dump", "-Fc", "-f", backup, postgres_->url()})
          : RunCommand({MPOWERD_PATH, "--data-dir=" + dir_.path(), "backup", backup});
  ASSERT_EQ(backed_up.exit_code, 0) << backed_up.err;
  EXPECT_EQ(server.Stop(SIGTERM), 0);

  bool public_words_found = false;
  for (const std::string& root : DatabaseFiles()) {
    for (const std::filesystem::path& file : FilesUnder(root)) {
      const std::string bytes = ReadAll(file);
      EXPECT_EQ(bytes.find("Tlalocan-Ixchel"), std::string::npos) << file;
      public_words_found |= bytes.find("Mictlan-Public") != std::string::npos;
    }
  }
  EXPECT_TRUE(public_words_found) << "the search would have found words in the clear";
}

MPOWER_ON_EVERY_BACKEND(SecurityEndToEndTest);

}  // namespace
}  // namespace mpower

namespace mpower {
namespace {

// The operator's commands, on the database directly.
TEST(OperatorCommandsTest, AuditVerifyAndKeyRotation) {
  testing::TempDir dir;
  {
    ServerProcess server(dir.path(), {"--demo-data"});
    ASSERT_GT(server.port(), 0) << server.log();
    EXPECT_EQ(server.Stop(SIGTERM), 0);
  }
  const std::string data = "--data-dir=" + dir.path();
  CommandResult verified = RunCommand({MPOWERD_PATH, data, "audit", "verify"});
  EXPECT_EQ(verified.exit_code, 0) << verified.err;
  EXPECT_THAT(verified.out, HasSubstr("audit trail intact"));

  CommandResult rotated = RunCommand({MPOWERD_PATH, data, "keys", "rotate"});
  EXPECT_EQ(rotated.exit_code, 0) << rotated.err;
  // The demo's restricted alert (protected details, headline and summary)
  // and the demo response's note.
  EXPECT_THAT(rotated.out, HasSubstr("re-encrypted the protected details of 2 resources"));
  {
    ServerProcess again(dir.path());
    ASSERT_GT(again.port(), 0) << "the server starts on the rotated keys: " << again.log();
  }

  CommandResult issued = RunCommand({MPOWERD_PATH, data, "credentials", "create", "--id=ops",
                                     "--principal=operator", "--role=admin"});
  EXPECT_EQ(issued.exit_code, 0) << issued.err;
  EXPECT_THAT(issued.out, ::testing::StartsWith("mpw_"));

  // An intruder edits the trail behind mpowerd's back.
  CommandResult tampered = RunCommand({"/usr/bin/sqlite3", dir.path() + "/mpower.db",
                                       "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET "
                                       "principal = 'nobody' WHERE sequence = 3;"});
  ASSERT_EQ(tampered.exit_code, 0) << tampered.err;
  CommandResult broken = RunCommand({MPOWERD_PATH, data, "audit", "verify"});
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_THAT(broken.err, HasSubstr("audit entry 3"));
}

}  // namespace
}  // namespace mpower
