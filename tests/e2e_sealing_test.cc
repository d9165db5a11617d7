// End-to-end sealing through the CLI, against a real mpowerd on each
// backend: the filer's mpower seals protected details to every entitled
// partner's keys before they leave the machine; each entitled partner's
// mpower opens them with its own private key; nobody else, the server
// included, ever holds them in the clear.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/process.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

namespace fs = std::filesystem;
using ::mpower::testing::CommandResult;
using ::mpower::testing::ServerProcess;
using ::testing::HasSubstr;
using ::testing::Not;

// A name that appears nowhere else, so finding it anywhere is a leak.
constexpr char kPerson[] = "Tupac Quispe-Vandermeer";

class SealingEndToEndTest : public testing::ServerBackendTest {
 protected:
  void SetUp() override {
    ServerBackendTest::SetUp();
    server_ = std::make_unique<ServerProcess>(server_dir_.path(), ServerFlags({"--demo-data"}));
    ASSERT_GT(server_->port(), 0) << server_->log();
    union_editor_ = testing::IssueCredential(
        *server_, "union-desk",
        {"--role", "partner_editor", "--partner", "partners/example-union"});
    ilo_editor_ = testing::IssueCredential(
        *server_, "ilo-desk", {"--role", "partner_editor", "--partner", "partners/ilo"});
  }

  // mpower as `token`'s holder, with the private keys in `keys`.
  CommandResult Cli(const std::string& token, const std::string& keys,
                    std::vector<std::string> args) {
    args.push_back("--key-dir=" + KeyDir(keys));
    return testing::RunMpowerAs(*server_, token, std::move(args));
  }
  // Each machine's key directory, apart from the server's.
  std::string KeyDir(const std::string& machine) const {
    return absl::StrCat(client_dir_.path(), "/", machine);
  }

  // An alert of the union for `recipient`, with kPerson in its details.
  std::string AlertFile(const std::string& recipient) {
    const std::string path = absl::StrCat(client_dir_.path(), "/alert.json");
    std::ofstream(path) << R"({"filingPartner": "partners/example-union",
      "category": "CATEGORY_THREAT_OF_VIOLENCE", "severity": "SEVERITY_SEVERE",
      "urgency": "URGENCY_IMMEDIATE", "certainty": "CERTAINTY_LIKELY", "countryCode": "PE",
      "headline": "Organiser threatened after a strike vote", "scope": "SCOPE_RESTRICTED",
      "recipientPartners": [")"
                        << recipient << R"("],
      "protectedDetails": {"people": [{"fullName": ")"
                        << kPerson << R"(", "role": "branch secretary"}],
        "narrative": "Followed home from the mine gate."}})";
    return path;
  }

  // The alert's name in `mpower alerts create -o json` output, which is
  // indented JSON whose first field is the name.
  static std::string NameIn(const std::string& json) {
    const std::string marker = "\"name\": \"";
    const size_t at = json.find(marker);
    if (at == std::string::npos) return "";
    const size_t start = at + marker.size();
    return json.substr(start, json.find('"', start) - start);
  }

  // Whether any file under `directory` holds kPerson.
  static std::vector<std::string> FilesHoldingThePerson(const std::string& directory) {
    std::vector<std::string> found;
    for (const auto& entry : fs::recursive_directory_iterator(directory)) {
      if (!entry.is_regular_file()) continue;
      std::stringstream bytes;
      bytes << std::ifstream(entry.path(), std::ios::binary).rdbuf();
      if (bytes.str().find(kPerson) != std::string::npos) found.push_back(entry.path().string());
    }
    return found;
  }

  testing::TempDir server_dir_;
  testing::TempDir client_dir_;
  std::unique_ptr<ServerProcess> server_;
  std::string union_editor_;
  std::string ilo_editor_;
};

TEST_P(SealingEndToEndTest, DetailsSealedByTheFilerOpenOnlyWhereAnEntitledKeyIsHeld) {
  ASSERT_EQ(Cli(union_editor_, "union-laptop",
                {"keys", "generate", "field", "--parent", "partners/example-union"})
                .exit_code,
            0);
  ASSERT_EQ(Cli(ilo_editor_, "ilo-laptop", {"keys", "generate", "desk", "--parent", "partners/ilo"})
                .exit_code,
            0);

  CommandResult filed = Cli(union_editor_, "union-laptop",
                            {"alerts", "create", "-f", AlertFile("partners/ilo"), "-o", "json"});
  ASSERT_EQ(filed.exit_code, 0) << filed.err;
  EXPECT_THAT(filed.err, HasSubstr("protected details sealed here"));
  EXPECT_THAT(filed.out, HasSubstr(kPerson)) << "the filer sees what it filed, opened here";
  const std::string name = NameIn(filed.out);
  ASSERT_FALSE(name.empty()) << filed.out;

  // Each entitled partner opens them with its own key.
  CommandResult by_recipient =
      Cli(ilo_editor_, "ilo-laptop", {"alerts", "get", name, "-o", "json"});
  ASSERT_EQ(by_recipient.exit_code, 0) << by_recipient.err;
  EXPECT_THAT(by_recipient.out, HasSubstr(kPerson));
  EXPECT_THAT(by_recipient.err, HasSubstr("opened here with partners/ilo/encryptionKeys/desk"));
  CommandResult listed = Cli(ilo_editor_, "ilo-laptop", {"alerts", "list", "-o", "json"});
  EXPECT_THAT(listed.out, HasSubstr(kPerson));

  // The same partner on a machine without its key receives only ciphertext.
  CommandResult elsewhere =
      Cli(ilo_editor_, "borrowed-laptop", {"alerts", "get", name, "-o", "json"});
  ASSERT_EQ(elsewhere.exit_code, 0) << elsewhere.err;
  EXPECT_THAT(elsewhere.out, Not(HasSubstr(kPerson)));
  EXPECT_THAT(elsewhere.out, HasSubstr("\"sealed\""));
  EXPECT_THAT(elsewhere.err, HasSubstr("no key on this machine opens them"));

  // The secretariat's online admin, whose recovery keys are offline, gets
  // no envelope; nor would anyone reading the server's files or log.
  CommandResult admin =
      testing::RunMpowerAs(*server_, server_->admin_token(), {"alerts", "get", name, "-o", "json"});
  ASSERT_EQ(admin.exit_code, 0) << admin.err;
  EXPECT_THAT(admin.out, Not(HasSubstr(kPerson)));
  EXPECT_THAT(admin.out, Not(HasSubstr("\"sealed\"")));
  EXPECT_THAT(admin.out, HasSubstr("\"protected_details_present\": true"));
  EXPECT_THAT(FilesHoldingThePerson(server_dir_.path()), ::testing::IsEmpty());
  EXPECT_THAT(server_->log(), Not(HasSubstr(kPerson)));

  // New details from the filer are sealed again, under a new data key.
  CommandResult updated = Cli(union_editor_, "union-laptop",
                              {"alerts", "update", name, "--update-mask", "protected_details", "-f",
                               AlertFile("partners/ilo"), "-o", "json"});
  ASSERT_EQ(updated.exit_code, 0) << updated.err;
  EXPECT_THAT(updated.err, HasSubstr("protected details sealed here"));
  EXPECT_THAT(Cli(ilo_editor_, "ilo-laptop", {"alerts", "get", name, "-o", "json"}).out,
              HasSubstr(kPerson));

  // From a machine without the union's key, new details are not sent at
  // all: sealed details are replaced only by sealed ones.
  CommandResult downgrade = Cli(union_editor_, "borrowed-laptop",
                                {"alerts", "update", name, "--update-mask", "protected_details",
                                 "-f", AlertFile("partners/ilo")});
  EXPECT_EQ(downgrade.exit_code, 1) << downgrade.out << downgrade.err;
  EXPECT_THAT(downgrade.err, HasSubstr("details are sealed, and new ones cannot be sealed here"));
  EXPECT_THAT(Cli(ilo_editor_, "ilo-laptop", {"alerts", "get", name, "-o", "json"}).out,
              HasSubstr(kPerson));
}

TEST_P(SealingEndToEndTest, DetailsGoInTheClearOnlyWhenTheySayWhy) {
  // The union's mpower holds none of the union's keys here.
  CommandResult filed = Cli(union_editor_, "union-laptop",
                            {"alerts", "create", "-f", AlertFile("partners/ilo"), "-o", "json"});
  ASSERT_EQ(filed.exit_code, 0) << filed.err;
  EXPECT_THAT(filed.err, HasSubstr("sent unsealed, readable by the server: this machine holds no "
                                   "ACTIVE key of partners/example-union"));
  CommandResult read =
      Cli(ilo_editor_, "ilo-laptop", {"alerts", "get", NameIn(filed.out), "-o", "json"});
  EXPECT_THAT(read.out, HasSubstr(kPerson));
}

TEST_P(SealingEndToEndTest, APartnersKeyNotSeenBeforeIsRefusedUntilAPersonAcceptsIt) {
  ASSERT_EQ(Cli(union_editor_, "union-laptop",
                {"keys", "generate", "field", "--parent", "partners/example-union"})
                .exit_code,
            0);
  CommandResult first = Cli(union_editor_, "union-laptop",
                            {"alerts", "create", "-f", AlertFile("partners/ilo"), "-o", "json"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.err, HasSubstr("pinned partners/ilo/encryptionKeys/geneva-desk"));

  // A key appears in the ILO's name (the ILO's own, or one the server
  // slipped in: the union's machine cannot tell which).
  CommandResult spare =
      Cli(ilo_editor_, "ilo-laptop", {"keys", "generate", "spare", "--parent", "partners/ilo"});
  ASSERT_EQ(spare.exit_code, 0) << spare.err;
  const std::string fingerprint = spare.out.substr(spare.out.find("fingerprint: ") + 13, 47);
  CommandResult refused = Cli(union_editor_, "union-laptop",
                              {"alerts", "create", "-f", AlertFile("partners/ilo"), "-o", "json"});
  EXPECT_EQ(refused.exit_code, 1) << refused.out << refused.err;
  EXPECT_THAT(refused.err,
              HasSubstr("partners/ilo/encryptionKeys/spare: fingerprint " + fingerprint));
  EXPECT_THAT(refused.err, HasSubstr("--trust-new-keys"));
  EXPECT_EQ(refused.out, "") << "nothing was filed";

  CommandResult accepted =
      Cli(union_editor_, "union-laptop",
          {"alerts", "create", "-f", AlertFile("partners/ilo"), "-o", "json", "--trust-new-keys"});
  ASSERT_EQ(accepted.exit_code, 0) << accepted.err;
  EXPECT_THAT(accepted.err, HasSubstr("pinned partners/ilo/encryptionKeys/spare"));
  EXPECT_THAT(accepted.err, HasSubstr("protected details sealed here to 4 keys"));
}

TEST_P(SealingEndToEndTest, AServerThatRequiresSealingRefusesDetailsInTheClear) {
  // On PostgreSQL, a replica of the fixture's server, with its keys: the
  // flag is each replica's own.
  testing::TempDir strict_dir;
  std::vector<std::string> flags = {"--demo-data", "--require-client-sealing"};
  if (postgres_ != nullptr) flags.push_back("--key-dir=" + server_dir_.path() + "/keys");
  ServerProcess strict(strict_dir.path(), ServerFlags(flags));
  ASSERT_GT(strict.port(), 0) << strict.log();
  // A replica shares the fixture's credentials; a server of its own has
  // its own.
  const ServerProcess& issuer = postgres_ != nullptr ? *server_ : strict;
  const std::string union_editor =
      testing::IssueCredential(issuer, "strict-union-desk",
                               {"--role", "partner_editor", "--partner", "partners/example-union"});
  const auto cli = [&](const std::string& keys, std::vector<std::string> args) {
    args.push_back("--key-dir=" + KeyDir(keys));
    return testing::RunMpowerAs(strict, union_editor, std::move(args));
  };
  CommandResult refused =
      cli("no-keys", {"alerts", "create", "-f", AlertFile("partners/ilo"), "-o", "json"});
  EXPECT_EQ(refused.exit_code, 64 + 3) << refused.out << refused.err;  // INVALID_ARGUMENT
  EXPECT_THAT(refused.err, HasSubstr("alert.protected_details"));
  EXPECT_THAT(refused.err, HasSubstr("--require-client-sealing"));
  EXPECT_THAT(refused.err, Not(HasSubstr(kPerson)));
  CommandResult none = testing::RunMpowerAs(
      strict, issuer.admin_token(), {"alerts", "list", "--filter", "country_code = \"PE\""});
  EXPECT_THAT(none.out, Not(HasSubstr("strike vote"))) << "nothing was filed";

  ASSERT_EQ(cli("union-laptop", {"keys", "generate", "field", "--parent", "partners/example-union"})
                .exit_code,
            0);
  CommandResult sealed =
      cli("union-laptop", {"alerts", "create", "-f", AlertFile("partners/ilo"), "-o", "json"});
  EXPECT_EQ(sealed.exit_code, 0) << sealed.err;
  EXPECT_THAT(sealed.out, HasSubstr(kPerson));
}

MPOWER_ON_EVERY_BACKEND(SealingEndToEndTest);

}  // namespace
}  // namespace mpower
