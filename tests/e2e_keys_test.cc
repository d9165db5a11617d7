// Partners' published keys through the CLI, against a real mpowerd on each
// backend: a key pair made and kept here, its public halves published with
// a proof, its fingerprint worked out by the client, its retirement, and
// the trace both leave in the change feed and the audit trail.

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "tests/process.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

namespace fs = std::filesystem;
using ::mpower::testing::CommandResult;
using ::mpower::testing::ServerProcess;
using ::testing::HasSubstr;
using ::testing::Not;

// The line of `text` that starts with `prefix`, without it.
std::string After(const std::string& text, const std::string& prefix) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StartsWith(line, prefix)) return std::string(line.substr(prefix.size()));
  }
  return "";
}

int Mode(const fs::path& path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 ? static_cast<int>(info.st_mode & 0777) : -1;
}

class KeysEndToEndTest : public testing::ServerBackendTest {
 protected:
  void SetUp() override {
    ServerBackendTest::SetUp();
    server_ =
        std::make_unique<ServerProcess>(dir_.path(), ServerFlags({"--demo-data", "--public-read"}));
    ASSERT_GT(server_->port(), 0) << server_->log();
    ilo_editor_ = testing::IssueCredential(
        *server_, "ilo-desk", {"--role", "partner_editor", "--partner", "partners/ilo"});
    union_editor_ = testing::IssueCredential(
        *server_, "union-desk",
        {"--role", "partner_editor", "--partner", "partners/example-union"});
  }

  // mpower as `token`'s holder; the commands that use private keys keep
  // them in this test's directory.
  CommandResult Cli(const std::string& token, std::vector<std::string> args) {
    if (args.size() > 1 && (args[1] == "generate" || args[1] == "fingerprint")) {
      args.push_back("--key-dir=" + key_dir());
    }
    return testing::RunMpowerAs(*server_, token, std::move(args));
  }
  // Apart from mpowerd's own keys/ in its data directory.
  std::string key_dir() const { return dir_.path() + "/client-keys"; }

  testing::TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::string ilo_editor_;
  std::string union_editor_;
};

TEST_P(KeysEndToEndTest, AGeneratedKeyIsPublishedWithItsPrivateHalfKeptOwnerOnlyHere) {
  CommandResult made = Cli(ilo_editor_, {"keys", "generate", "laptop", "--parent", "partners/ilo",
                                         "--display-name", "Geneva duty desk"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_THAT(made.out, HasSubstr("partners/ilo/encryptionKeys/laptop published"));
  const std::string fingerprint = After(made.out, "fingerprint: ");
  ASSERT_EQ(fingerprint.size(), 47u) << "eight groups of five digits: " << made.out;

  const fs::path file = fs::path(key_dir()) / "ilo" / "laptop.key";
  ASSERT_TRUE(fs::exists(file)) << made.out;
  EXPECT_EQ(Mode(file), 0600);
  EXPECT_EQ(Mode(file.parent_path()), 0700);
  EXPECT_EQ(Mode(key_dir()), 0700);
  std::stringstream contents;
  contents << std::ifstream(file).rdbuf();
  EXPECT_THAT(contents.str(), HasSubstr("signing_secret_key = "));
  EXPECT_THAT(contents.str(), HasSubstr("fingerprint = " + fingerprint));
  // Nothing was left under a pending name.
  EXPECT_EQ(std::distance(fs::directory_iterator(file.parent_path()), fs::directory_iterator()), 1);

  // Any partner reads it, and works out the same fingerprint itself.
  CommandResult checked =
      Cli(union_editor_, {"keys", "fingerprint", "partners/ilo/encryptionKeys/laptop"});
  ASSERT_EQ(checked.exit_code, 0) << checked.err;
  EXPECT_EQ(After(checked.out, "fingerprint: "), fingerprint);
  EXPECT_THAT(checked.out, HasSubstr("proof of possession: verified for partners/ilo"));
  CommandResult listed = Cli(union_editor_, {"keys", "list", "--parent", "partners/-", "--filter",
                                             "state = STATE_ACTIVE"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_THAT(listed.out, HasSubstr("partners/ilo/encryptionKeys/laptop"));
  EXPECT_THAT(listed.out, HasSubstr("Geneva duty desk"));
  // The private half never reached the server: the key file's secret is
  // in no answer.
  const std::string secret = After(contents.str(), "signing_secret_key = ");
  ASSERT_FALSE(secret.empty());
  CommandResult json =
      Cli(union_editor_, {"keys", "get", "partners/ilo/encryptionKeys/laptop", "-o", "json"});
  EXPECT_THAT(json.out, Not(HasSubstr(secret)));
  EXPECT_THAT(json.out, HasSubstr("\"state\": \"STATE_ACTIVE\""));
}

TEST_P(KeysEndToEndTest, OnlyThePartnersEditorsPublishAndRetireItsKeysAndBothLeaveATrace) {
  // A parent that is not a partner's name makes no directory anywhere.
  CommandResult escaping = Cli(ilo_editor_, {"keys", "generate", "--parent", "partners/.."});
  EXPECT_EQ(escaping.exit_code, 2) << escaping.err;
  EXPECT_FALSE(fs::exists(key_dir()));

  CommandResult refused = Cli(union_editor_, {"keys", "generate", "--parent", "partners/ilo"});
  EXPECT_EQ(refused.exit_code, 64 + 7) << refused.out << refused.err;  // PERMISSION_DENIED
  // The private halves made for the refused key are gone with it.
  const fs::path ilo_keys = fs::path(key_dir()) / "ilo";
  EXPECT_TRUE(!fs::exists(ilo_keys) || fs::is_empty(ilo_keys));

  ASSERT_EQ(Cli(ilo_editor_, {"keys", "generate", "desk", "--parent", "partners/ilo"}).exit_code,
            0);
  CommandResult other = Cli(union_editor_, {"keys", "retire", "partners/ilo/encryptionKeys/desk"});
  EXPECT_EQ(other.exit_code, 64 + 7) << other.err;
  CommandResult retired = Cli(ilo_editor_, {"keys", "retire", "partners/ilo/encryptionKeys/desk"});
  ASSERT_EQ(retired.exit_code, 0) << retired.err;
  EXPECT_THAT(retired.out, HasSubstr("partners/ilo/encryptionKeys/desk retired"));
  CommandResult again = Cli(ilo_editor_, {"keys", "retire", "partners/ilo/encryptionKeys/desk"});
  EXPECT_EQ(again.exit_code, 0) << "retiring a retired key changes nothing: " << again.err;
  CommandResult active = Cli(union_editor_, {"keys", "list", "--parent", "partners/ilo", "--filter",
                                             "state = STATE_ACTIVE"});
  EXPECT_THAT(active.out, Not(HasSubstr("encryptionKeys/desk")));

  // Publishing and retiring, in the feed every partner reads.
  CommandResult feed =
      Cli(union_editor_, {"changes", "list", "--collections", "encryptionKeys", "-o", "json"});
  ASSERT_EQ(feed.exit_code, 0) << feed.err;
  EXPECT_THAT(feed.out, HasSubstr("CHANGE_TYPE_CREATED"));
  EXPECT_THAT(feed.out, HasSubstr("CHANGE_TYPE_UPDATED"));
  EXPECT_THAT(feed.out, HasSubstr("STATE_RETIRED"));
  // And in the audit trail, as what they were.
  CommandResult audit =
      testing::RunMpowerAs(*server_, server_->admin_token(), {"audit", "list", "--all"});
  EXPECT_THAT(audit.out, HasSubstr("CreateEncryptionKey"));
  EXPECT_THAT(audit.out, HasSubstr("RetireEncryptionKey"));
}

TEST_P(KeysEndToEndTest, APublishedKeyNeverReplacesAPrivateKeyFileHeldHere) {
  // A file already under the name the server gives the new key (a key
  // directory shared across servers, or a server that lies).
  const fs::path held = fs::path(key_dir()) / "ilo" / "reused.key";
  fs::create_directories(held.parent_path());
  std::ofstream(held) << "an older key's private half\n";
  CommandResult made = Cli(ilo_editor_, {"keys", "generate", "reused", "--parent", "partners/ilo"});
  EXPECT_EQ(made.exit_code, 1) << made.out << made.err;
  EXPECT_THAT(made.err, HasSubstr("is published, but its private half stays in"));
  std::stringstream contents;
  contents << std::ifstream(held).rdbuf();
  EXPECT_EQ(contents.str(), "an older key's private half\n");
  // The new key's private half is kept, under its pending name.
  EXPECT_EQ(std::distance(fs::directory_iterator(held.parent_path()), fs::directory_iterator()), 2);
}

TEST_P(KeysEndToEndTest, TheAnonymousPublicReaderSeesNoKeys) {
  // The server runs with --public-read: callers without a token read what
  // is public, and keys are not.
  CommandResult listed =
      testing::RunMpowerAs(*server_, "", {"keys", "list", "--parent", "partners/-"});
  EXPECT_EQ(listed.exit_code, 64 + 16) << listed.out;  // UNAUTHENTICATED
  CommandResult partners = testing::RunMpowerAs(*server_, "", {"partners", "list"});
  EXPECT_EQ(partners.exit_code, 0) << "what is public stays readable: " << partners.err;
  CommandResult feed = testing::RunMpowerAs(*server_, "", {"changes", "list", "-o", "json"});
  EXPECT_EQ(feed.exit_code, 0) << feed.err;
  EXPECT_THAT(feed.out, HasSubstr("partners/ilo")) << "the feed itself is readable";
  EXPECT_THAT(feed.out, Not(HasSubstr("encryptionKeys/"))) << "the demo's keys are not";
}

MPOWER_ON_EVERY_BACKEND(KeysEndToEndTest);

}  // namespace
}  // namespace mpower
