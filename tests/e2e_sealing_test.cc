// End-to-end sealing through the CLI, against a real mpowerd on each
// backend: the filer's mpower seals protected details to every entitled
// partner's keys before they leave the machine; each entitled partner's
// mpower opens them with its own private key; nobody else, the server
// included, ever holds them in the clear.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "httplib.h"
#include "tests/loopback_http_server.h"
#include "tests/process.h"
#include "tests/process_memory.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

namespace fs = std::filesystem;
using ::mpower::testing::CommandResult;
using ::mpower::testing::RunCommand;
using ::mpower::testing::ServerProcess;
using ::testing::HasSubstr;
using ::testing::Not;

// A name that appears nowhere else, so finding it anywhere is a leak.
constexpr char kPerson[] = "Tupac Quispe-Vandermeer";
// Another, filed unsealed: where the search finds it, it can find kPerson.
constexpr char kUnsealedPerson[] = "Wayra Halvorsen-Condori";

// A webhook receiver on 127.0.0.1 that keeps the bodies it is sent.
class WebhookBodies {
 public:
  WebhookBodies() {
    server_.Post("/hook", [this](const httplib::Request& request, httplib::Response&) {
      std::lock_guard<std::mutex> lock(mutex_);
      bodies_ += request.body + "\n";
    });
    serving_ = std::make_unique<testing::LoopbackHttpServer>(server_);
  }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", serving_->port(), "/hook"); }
  // What it was sent, once a body names `alert` (after at most 30 s).
  std::string BodiesOnceOneNames(const std::string& alert) const {
    for (int i = 0; i < 300; ++i) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (bodies_.find(alert) != std::string::npos) return bodies_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::lock_guard<std::mutex> lock(mutex_);
    return bodies_;
  }

 private:
  httplib::Server server_;
  mutable std::mutex mutex_;
  std::string bodies_;
  // Last, so that serving stops before what the handler uses goes.
  std::unique_ptr<testing::LoopbackHttpServer> serving_;
};

class SealingEndToEndTest : public testing::ServerBackendTest {
 protected:
  void SetUp() override {
    ServerBackendTest::SetUp();
    // With the HTTP/JSON face, and webhooks allowed to this machine's
    // receivers, so that every way out can be watched.
    server_ = std::make_unique<ServerProcess>(
        server_dir_.path(),
        ServerFlags({"--demo-data", "--http-listen=127.0.0.1:0", "--notify-allow-private-targets",
                     "--notify-allow-http-loopback"}));
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
  // Makes the union's key "field" on `machine`, as its editor.
  void PublishUnionKey(const std::string& machine) {
    CommandResult made = Cli(union_editor_, machine,
                             {"keys", "generate", "field", "--parent", "partners/example-union"});
    ASSERT_EQ(made.exit_code, 0) << made.err;
  }
  // Makes the ILO's key "desk" on its machine "ilo-laptop", as its editor.
  void PublishIloKey() {
    CommandResult made =
        Cli(ilo_editor_, "ilo-laptop", {"keys", "generate", "desk", "--parent", "partners/ilo"});
    ASSERT_EQ(made.exit_code, 0) << made.err;
  }
  // The secretariat stands up, and its admin makes the recovery key
  // "vault" on the machine "vault", which it will keep offline.
  void StandUpTheSecretariat() {
    const std::string admin = server_->admin_token();
    const std::string secretariat_file = absl::StrCat(client_dir_.path(), "/secretariat.json");
    std::ofstream(secretariat_file)
        << R"({"displayName": "The partnership's secretariat", "type": "TYPE_SECRETARIAT"})";
    CommandResult stood_up =
        Cli(admin, "vault", {"partners", "create", "secretariat", "-f", secretariat_file});
    ASSERT_EQ(stood_up.exit_code, 0) << stood_up.err;
    CommandResult recovery =
        Cli(admin, "vault", {"keys", "generate", "vault", "--parent", "partners/secretariat"});
    ASSERT_EQ(recovery.exit_code, 0) << recovery.err;
  }
  // Each machine's key directory, apart from the server's.
  std::string KeyDir(const std::string& machine) const {
    return absl::StrCat(client_dir_.path(), "/", machine);
  }

  // An alert of the union for `recipient`, with `person` in its details.
  std::string AlertFile(const std::string& recipient, const std::string& person = kPerson) {
    const std::string path = absl::StrCat(client_dir_.path(), "/alert.json");
    std::ofstream(path) << R"({"filingPartner": "partners/example-union",
      "category": "CATEGORY_THREAT_OF_VIOLENCE", "severity": "SEVERITY_SEVERE",
      "urgency": "URGENCY_IMMEDIATE", "certainty": "CERTAINTY_LIKELY", "countryCode": "PE",
      "headline": "Organiser threatened after a strike vote", "scope": "SCOPE_RESTRICTED",
      "recipientPartners": [")"
                        << recipient << R"("],
      "protectedDetails": {"people": [{"fullName": ")"
                        << person << R"(", "role": "branch secretary"}],
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

  // Whether the server's database holds kPerson on disk: on PostgreSQL,
  // this database's files once a checkpoint wrote out its buffers, and
  // the write-ahead log.
  std::vector<std::string> PostgresFilesHoldingThePerson() {
    EXPECT_EQ(postgres_->Execute("CHECKPOINT"), "");
    const std::string data = postgres_->QueryValue("SHOW data_directory");
    const std::string table = postgres_->QueryValue("SELECT pg_relation_filepath('changes')");
    const fs::path database = fs::path(data + "/" + table).parent_path();
    EXPECT_TRUE(fs::is_directory(database)) << database;
    std::vector<std::string> found = FilesHoldingThePerson(database.string());
    for (std::string& file : FilesHoldingThePerson(data + "/pg_wal")) found.push_back(file);
    return found;
  }

  // A backup by the backend's own means: mpowerd's, or a plain pg_dump;
  // its bytes.
  std::string Backup(const std::string& file) {
    CommandResult made =
        postgres_ != nullptr
            ? RunCommand({"/usr/bin/pg_dump", "-Fp", "-f", file, postgres_->url()})
            : RunCommand({MPOWERD_PATH, "--data-dir=" + server_dir_.path(), "backup", file});
    EXPECT_EQ(made.exit_code, 0) << made.err;
    std::stringstream bytes;
    bytes << std::ifstream(file, std::ios::binary).rdbuf();
    EXPECT_GT(bytes.str().size(), 1000u);
    return bytes.str();
  }

  // Serves the backup in `file` beside the server, with the server's own
  // keys (a restored database of its own on PostgreSQL).
  std::unique_ptr<ServerProcess> ServeBackup(const std::string& file) {
    const std::string restored_dir = absl::StrCat(client_dir_.path(), "/restored");
    std::vector<std::string> flags = {"--key-dir=" + server_dir_.path() + "/keys"};
    if (postgres_ != nullptr) {
      restored_database_ = std::make_unique<testing::PostgresTestDatabase>();
      EXPECT_EQ(restored_database_->error(), "");
      CommandResult restored = RunCommand({"/usr/bin/psql", "-q", "-v", "ON_ERROR_STOP=1", "-d",
                                           restored_database_->url(), "-f", file});
      EXPECT_EQ(restored.exit_code, 0) << restored.err;
      flags.push_back("--database=" + restored_database_->url());
    } else {
      CommandResult restored =
          RunCommand({MPOWERD_PATH, "restore", "--data-dir=" + restored_dir, file});
      EXPECT_EQ(restored.exit_code, 0) << restored.err;
    }
    return std::make_unique<ServerProcess>(restored_dir, flags);
  }

  // GET `path` of the server's HTTP/JSON face as `token`'s holder: the body.
  std::string HttpGet(const std::string& path, const std::string& token) {
    CommandResult got = RunCommand({"/usr/bin/curl", "-sS", "-H", "Authorization: Bearer " + token,
                                    absl::StrCat("http://127.0.0.1:", server_->http_port(), path)});
    EXPECT_EQ(got.exit_code, 0) << got.err;
    return got.out;
  }

  testing::TempDir server_dir_;
  testing::TempDir client_dir_;
  std::unique_ptr<testing::PostgresTestDatabase> restored_database_;  // ServeBackup's
  std::unique_ptr<ServerProcess> server_;
  std::string union_editor_;
  std::string ilo_editor_;
};

TEST_P(SealingEndToEndTest, DetailsSealedByTheFilerOpenOnlyWhereAnEntitledKeyIsHeld) {
  ASSERT_NO_FATAL_FAILURE(PublishUnionKey("union-laptop"));
  ASSERT_NO_FATAL_FAILURE(PublishIloKey());

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
  // the envelope and cannot open it; nor can anyone reading the server's
  // files or log.
  CommandResult admin =
      Cli(server_->admin_token(), "admin-desk", {"alerts", "get", name, "-o", "json"});
  ASSERT_EQ(admin.exit_code, 0) << admin.err;
  EXPECT_THAT(admin.out, Not(HasSubstr(kPerson)));
  EXPECT_THAT(admin.err, HasSubstr("no key on this machine opens them"));
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

// Once an alert was filed sealed, read by every entitled partner (the
// secretariat's recovery key included) and updated, its name is in nothing
// the server side keeps or sends.
TEST_P(SealingEndToEndTest, NothingOnTheServerSideHoldsASealedName) {
  const std::string admin = server_->admin_token();
  ASSERT_NO_FATAL_FAILURE(StandUpTheSecretariat());
  ASSERT_NO_FATAL_FAILURE(PublishUnionKey("union-laptop"));
  ASSERT_NO_FATAL_FAILURE(PublishIloKey());
  WebhookBodies webhook;
  CommandResult subscribed =
      Cli(ilo_editor_, "ilo-laptop",
          {"subscriptions", "create", "--parent", "partners/ilo", "--webhook-url", webhook.url()});
  ASSERT_EQ(subscribed.exit_code, 0) << subscribed.err;

  CommandResult filed = Cli(union_editor_, "union-laptop",
                            {"alerts", "create", "-f", AlertFile("partners/ilo"), "-o", "json"});
  ASSERT_EQ(filed.exit_code, 0) << filed.err;
  EXPECT_THAT(filed.err, HasSubstr("protected details sealed here"));
  const std::string name = NameIn(filed.out);
  CommandResult updated = Cli(union_editor_, "union-laptop",
                              {"alerts", "update", name, "--update-mask", "protected_details", "-f",
                               AlertFile("partners/ilo"), "-o", "json"});
  ASSERT_EQ(updated.exit_code, 0) << updated.err;
  for (const auto& [token, machine] : std::vector<std::pair<std::string, std::string>>{
           {union_editor_, "union-laptop"}, {ilo_editor_, "ilo-laptop"}, {admin, "vault"}}) {
    EXPECT_THAT(Cli(token, machine, {"alerts", "get", name, "-o", "json"}).out, HasSubstr(kPerson))
        << machine << " opens them";
    EXPECT_THAT(Cli(token, machine, {"alerts", "list", "-o", "json"}).out, HasSubstr(kPerson))
        << machine << " opens them";
  }

  // The ways out: HTTP/JSON, to a reader that holds a wrap, and webhooks.
  const std::string http = HttpGet("/v1/" + name, ilo_editor_) +
                           HttpGet("/v1/alerts?pageSize=100", ilo_editor_) +
                           HttpGet("/v1/" + name, admin);
  EXPECT_THAT(http, HasSubstr(name));
  EXPECT_THAT(http, Not(HasSubstr(kPerson)));
  const std::string notified = webhook.BodiesOnceOneNames(name);
  EXPECT_THAT(notified, HasSubstr(name)) << "the ILO was told of the alert";
  EXPECT_THAT(notified, Not(HasSubstr(kPerson)));

  // Beside it, an alert whose details went unsealed (from a machine
  // without the union's key), read by the ILO: the server held that name.
  CommandResult unsealed =
      Cli(union_editor_, "borrowed-laptop",
          {"alerts", "create", "-f", AlertFile("partners/ilo", kUnsealedPerson), "-o", "json"});
  ASSERT_EQ(unsealed.exit_code, 0) << unsealed.err;
  EXPECT_THAT(unsealed.err, HasSubstr("sent unsealed"));
  EXPECT_THAT(
      Cli(ilo_editor_, "ilo-laptop", {"alerts", "get", NameIn(unsealed.out), "-o", "json"}).out,
      HasSubstr(kUnsealedPerson));

  // The running server's memory, as a core dump of it would hold it: the
  // search finds the name sent unsealed, and not the sealed one.
  absl::StatusOr<bool> sealed_in_memory = testing::MemoryHolds(server_->pid(), kPerson);
  ASSERT_TRUE(sealed_in_memory.ok()) << sealed_in_memory.status();
  EXPECT_FALSE(*sealed_in_memory) << "mpowerd's memory holds " << kPerson;
  absl::StatusOr<bool> unsealed_in_memory = testing::MemoryHolds(server_->pid(), kUnsealedPerson);
  ASSERT_TRUE(unsealed_in_memory.ok()) << unsealed_in_memory.status();
  EXPECT_TRUE(*unsealed_in_memory) << "the search would find what the server held";

  // What it keeps: its data directory (database, write-ahead log, its own
  // keys), PostgreSQL's files, a backup, and its log.
  EXPECT_THAT(FilesHoldingThePerson(server_dir_.path()), ::testing::IsEmpty());
  if (postgres_ != nullptr) EXPECT_THAT(PostgresFilesHoldingThePerson(), ::testing::IsEmpty());
  EXPECT_THAT(Backup(absl::StrCat(client_dir_.path(), "/backup")), Not(HasSubstr(kPerson)));
  EXPECT_THAT(server_->log(), Not(HasSubstr(kPerson)));
}

// After a purge, a backup taken before it, served with the server's keys,
// gives no key holder the details: the envelope was under the alert's
// server-side data key, which the purge destroyed.
TEST_P(SealingEndToEndTest, APurgedEnvelopeOpensFromNoEarlierBackupWithAnyPrivateKey) {
  const std::string admin = server_->admin_token();
  ASSERT_NO_FATAL_FAILURE(StandUpTheSecretariat());
  ASSERT_NO_FATAL_FAILURE(PublishUnionKey("union-laptop"));
  ASSERT_NO_FATAL_FAILURE(PublishIloKey());
  CommandResult filed = Cli(union_editor_, "union-laptop",
                            {"alerts", "create", "-f", AlertFile("partners/ilo"), "-o", "json"});
  ASSERT_EQ(filed.exit_code, 0) << filed.err;
  const std::string name = NameIn(filed.out);
  // Every key holder: the filer, the recipient and the recovery key.
  const std::vector<std::pair<std::string, std::string>> holders = {
      {union_editor_, "union-laptop"}, {ilo_editor_, "ilo-laptop"}, {admin, "vault"}};
  for (const auto& [token, machine] : holders) {
    ASSERT_THAT(Cli(token, machine, {"alerts", "get", name, "-o", "json"}).out, HasSubstr(kPerson))
        << machine << " opens them before the purge";
  }
  const std::string backup = absl::StrCat(client_dir_.path(), "/before-purge.sql");
  Backup(backup);

  CommandResult purged = Cli(union_editor_, "union-laptop",
                             {"alerts", "purge", name, "--reason", "the organiser asked"});
  ASSERT_EQ(purged.exit_code, 0) << purged.err;
  for (const auto& [token, machine] : holders) {
    CommandResult read = Cli(token, machine, {"alerts", "get", name, "-o", "json"});
    EXPECT_THAT(read.out, HasSubstr("purge_time")) << machine;
    EXPECT_THAT(read.out, Not(HasSubstr(kPerson))) << machine;
    EXPECT_THAT(read.err, Not(HasSubstr("opened here"))) << machine << " received no envelope";
  }

  std::unique_ptr<ServerProcess> from_backup = ServeBackup(backup);
  ASSERT_GT(from_backup->port(), 0) << from_backup->log();
  for (const auto& [token, machine] : holders) {
    // The backup holds the credentials of its day.
    CommandResult read = testing::RunMpowerAs(
        *from_backup, token, {"alerts", "get", name, "-o", "json", "--key-dir=" + KeyDir(machine)});
    EXPECT_EQ(read.exit_code, 0) << machine << ": " << read.err;
    EXPECT_THAT(read.out, HasSubstr(name)) << machine << " reads the alert from the backup";
    EXPECT_THAT(read.out + read.err, Not(HasSubstr(kPerson))) << machine;
  }
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
  ASSERT_NO_FATAL_FAILURE(PublishUnionKey("union-laptop"));
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

TEST_P(SealingEndToEndTest, AKeyUnderAPassphraseSealsAndOpensOnlyWithIt) {
  const std::string passphrase = absl::StrCat(client_dir_.path(), "/passphrase");
  std::ofstream(passphrase) << "seven wet lanterns under the quay\n";
  const std::string wrong = absl::StrCat(client_dir_.path(), "/wrong");
  std::ofstream(wrong) << "seven dry lanterns\n";
  CommandResult generated = Cli(union_editor_, "union-laptop",
                                {"keys", "generate", "field", "--parent", "partners/example-union",
                                 "--passphrase-file", passphrase});
  ASSERT_EQ(generated.exit_code, 0) << generated.err;
  EXPECT_THAT(generated.out, HasSubstr("under your passphrase"));
  // The file keeps the public halves readable, the private ones locked.
  std::stringstream file;
  file << std::ifstream(KeyDir("union-laptop") + "/example-union/field.key").rdbuf();
  EXPECT_THAT(file.str(), HasSubstr("locked_secret_keys = "));
  EXPECT_THAT(file.str(), Not(HasSubstr("secret_key =")));

  CommandResult filed = Cli(union_editor_, "union-laptop",
                            {"alerts", "create", "-f", AlertFile("partners/ilo"), "-o", "json",
                             "--passphrase-file", passphrase});
  ASSERT_EQ(filed.exit_code, 0) << filed.err;
  EXPECT_THAT(filed.err, HasSubstr("protected details sealed here"));
  const std::string name = NameIn(filed.out);

  // Without the passphrase, or with another, nothing opens; with it, the
  // details do.
  CommandResult without = Cli(union_editor_, "union-laptop", {"alerts", "get", name});
  EXPECT_NE(without.exit_code, 0);
  EXPECT_THAT(without.err, HasSubstr("--passphrase-file"));
  EXPECT_THAT(without.out + without.err, Not(HasSubstr(kPerson)));
  CommandResult mistaken =
      Cli(union_editor_, "union-laptop", {"alerts", "get", name, "--passphrase-file", wrong});
  EXPECT_EQ(mistaken.exit_code, 1);
  EXPECT_THAT(mistaken.err, HasSubstr("the passphrase does not open"));
  CommandResult opened =
      Cli(union_editor_, "union-laptop",
          {"alerts", "get", name, "-o", "json", "--passphrase-file", passphrase});
  ASSERT_EQ(opened.exit_code, 0) << opened.err;
  EXPECT_THAT(opened.out, HasSubstr(kPerson));
}

TEST_P(SealingEndToEndTest, TheSecretariatsRecoveryKeyRestoresAFilerWhoLostItsKey) {
  const std::string admin = server_->admin_token();
  ASSERT_NO_FATAL_FAILURE(StandUpTheSecretariat());
  ASSERT_NO_FATAL_FAILURE(PublishUnionKey("union-laptop"));
  CommandResult filed = Cli(union_editor_, "union-laptop",
                            {"alerts", "create", "-f", AlertFile("partners/ilo"), "-o", "json"});
  ASSERT_EQ(filed.exit_code, 0) << filed.err;
  EXPECT_THAT(filed.err, HasSubstr("partners/secretariat; the server cannot read them"));
  const std::string name = NameIn(filed.out);

  // The union's laptop is lost. On a new one it retires the lost key and
  // makes another; the new key opens nothing yet.
  ASSERT_EQ(Cli(union_editor_, "new-laptop",
                {"keys", "retire", "partners/example-union/encryptionKeys/field"})
                .exit_code,
            0);
  ASSERT_EQ(Cli(union_editor_, "new-laptop",
                {"keys", "generate", "field-2", "--parent", "partners/example-union"})
                .exit_code,
            0);
  EXPECT_THAT(Cli(union_editor_, "new-laptop", {"alerts", "get", name, "-o", "json"}).out,
              Not(HasSubstr(kPerson)));

  // The secretariat opens the details with its recovery key, and seals them
  // again to the union's new key, signing with the recovery key.
  CommandResult recovered = Cli(admin, "vault", {"alerts", "get", name, "-o", "json"});
  ASSERT_EQ(recovered.exit_code, 0) << recovered.err;
  EXPECT_THAT(recovered.out, HasSubstr(kPerson));
  // The union's new key is one the vault has not seen: the secretariat
  // compares its fingerprint with the union before accepting it.
  CommandResult unchecked = Cli(admin, "vault", {"alerts", "reseal", name});
  EXPECT_EQ(unchecked.exit_code, 1) << unchecked.err;
  EXPECT_THAT(unchecked.err, HasSubstr("partners/example-union/encryptionKeys/field-2"));
  CommandResult resealed =
      Cli(admin, "vault", {"alerts", "reseal", name, "-o", "json", "--trust-new-keys"});
  ASSERT_EQ(resealed.exit_code, 0) << resealed.err;
  EXPECT_THAT(resealed.err, HasSubstr("signed with partners/secretariat/encryptionKeys/vault"));
  // The union's new laptop trusts the recovery key's signature only once a
  // person accepts it: a server could make up a secretariat.
  CommandResult wary = Cli(union_editor_, "new-laptop", {"alerts", "get", name, "-o", "json"});
  EXPECT_EQ(wary.exit_code, 1) << wary.err;
  EXPECT_THAT(wary.err, HasSubstr("which this machine has not accepted"));
  EXPECT_THAT(wary.out, Not(HasSubstr(kPerson)));
  CommandResult restored =
      Cli(union_editor_, "new-laptop", {"alerts", "get", name, "-o", "json", "--trust-new-keys"});
  ASSERT_EQ(restored.exit_code, 0) << restored.err;
  EXPECT_THAT(restored.out, HasSubstr(kPerson));
  EXPECT_THAT(restored.err, HasSubstr("sealed by partners/secretariat/encryptionKeys/vault"));
  CommandResult unchanged = Cli(admin, "vault", {"alerts", "reseal", name});
  ASSERT_EQ(unchanged.exit_code, 0) << unchanged.err;
  EXPECT_THAT(unchanged.err, HasSubstr("nothing was changed"));

  // The union shares the alert with the ministry, which opens it at once;
  // the secretariat's online admin, without the vault, opens nothing.
  const std::string ministry_editor = testing::IssueCredential(
      *server_, "ministry-desk",
      {"--role", "partner_editor", "--partner", "partners/example-labour-ministry"});
  ASSERT_EQ(Cli(ministry_editor, "ministry-laptop",
                {"keys", "generate", "desk", "--parent", "partners/example-labour-ministry"})
                .exit_code,
            0);
  EXPECT_THAT(Cli(ministry_editor, "ministry-laptop", {"alerts", "get", name, "-o", "json"}).out,
              Not(HasSubstr(kPerson)));
  CommandResult shared =
      Cli(union_editor_, "new-laptop",
          {"alerts", "share", name, "--partner", "partners/example-labour-ministry"});
  ASSERT_EQ(shared.exit_code, 0) << shared.err;
  EXPECT_THAT(shared.err, HasSubstr("shared with partners/example-labour-ministry"));
  CommandResult by_ministry =
      Cli(ministry_editor, "ministry-laptop", {"alerts", "get", name, "-o", "json"});
  ASSERT_EQ(by_ministry.exit_code, 0) << by_ministry.err;
  EXPECT_THAT(by_ministry.out, HasSubstr(kPerson));
  EXPECT_THAT(Cli(admin, "admin-desk", {"alerts", "get", name, "-o", "json"}).out,
              Not(HasSubstr(kPerson)));
  EXPECT_THAT(FilesHoldingThePerson(server_dir_.path()), ::testing::IsEmpty());
  EXPECT_THAT(server_->log(), Not(HasSubstr(kPerson)));

  // A partner newly called the secretariat (as a server steering details
  // elsewhere would call one) is refused until a person accepts it.
  const std::string shadow_file = absl::StrCat(client_dir_.path(), "/shadow.json");
  std::ofstream(shadow_file) << R"({"displayName": "Shadow", "type": "TYPE_SECRETARIAT"})";
  ASSERT_EQ(Cli(admin, "shadow", {"partners", "create", "shadow", "-f", shadow_file}).exit_code, 0);
  ASSERT_EQ(
      Cli(admin, "shadow", {"keys", "generate", "k", "--parent", "partners/shadow"}).exit_code, 0);
  CommandResult steered = Cli(union_editor_, "new-laptop",
                              {"alerts", "create", "-f", AlertFile("partners/ilo"), "-o", "json"});
  EXPECT_EQ(steered.exit_code, 1) << steered.out << steered.err;
  EXPECT_THAT(steered.err, HasSubstr("partners/shadow the secretariat"));
  EXPECT_EQ(steered.out, "") << "nothing was filed";
}

MPOWER_ON_EVERY_BACKEND(SealingEndToEndTest);

}  // namespace
}  // namespace mpower
