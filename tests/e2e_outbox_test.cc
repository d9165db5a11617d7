// The CLI's outbox, against a real mpowerd on each backend: writes queued
// while the server cannot be reached, encrypted at rest, pushed later in
// the order they were queued, each applied once, including when a push is
// cut short after the server applied a write and before the CLI knew.

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/flaky_proxy.h"
#include "tests/process.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

namespace fs = std::filesystem;
using ::mpower::testing::CommandResult;
using ::mpower::testing::RunCommand;
using ::mpower::testing::ServerProcess;
using ::testing::HasSubstr;
using ::testing::Not;

// Text that appears nowhere else: found in a file, it was written there.
constexpr char kPerson[] = "Quilla Ostergaard-Mamani";
constexpr char kHeadline[] = "Organiser detained at the port gate";
constexpr char kNote[] = "Lawyer on the way to the station";

// An address nothing listens on: the server "cannot be reached".
constexpr char kNowhere[] = "--address=127.0.0.1:1";

class OutboxEndToEndTest : public testing::ServerBackendTest {
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

  // mpower as the union's editor on its laptop: its keys and its outbox.
  CommandResult Union(std::vector<std::string> args) {
    args.push_back("--key-dir=" + key_dir());
    args.push_back("--outbox=" + outbox_dir());
    return testing::RunMpowerAs(*server_, union_editor_, std::move(args));
  }
  std::string key_dir() const { return client_dir_.path() + "/keys"; }
  std::string outbox_dir() const { return client_dir_.path() + "/outbox"; }

  void PublishUnionKey() {
    CommandResult made = Union({"keys", "generate", "field", "--parent", "partners/example-union"});
    ASSERT_EQ(made.exit_code, 0) << made.err;
  }

  // An alert of the union for the ILO, with kPerson in its details.
  std::string AlertFile(const std::string& country = "ID") {
    const std::string path = absl::StrCat(client_dir_.path(), "/alert-", country, ".json");
    std::ofstream(path) << R"({"filingPartner": "partners/example-union",
      "category": "CATEGORY_ARBITRARY_ARREST_OR_DETENTION", "severity": "SEVERITY_SEVERE",
      "urgency": "URGENCY_IMMEDIATE", "certainty": "CERTAINTY_OBSERVED", "countryCode": ")"
                        << country << R"(", "headline": ")" << kHeadline << R"(",
      "scope": "SCOPE_RESTRICTED", "recipientPartners": ["partners/ilo"],
      "protectedDetails": {"people": [{"fullName": ")"
                        << kPerson << R"(", "role": "shop steward"}]}})";
    return path;
  }

  // Queues the alert, while the server cannot be reached (or, with
  // `reachable`, while it can, so that the details are sealed as they are
  // queued); its name.
  std::string QueueAlert(const std::string& country = "ID", bool reachable = false) {
    std::vector<std::string> args = {"alerts", "create", "-f", AlertFile(country), "--queue"};
    if (!reachable) args.push_back(kNowhere);
    CommandResult queued = Union(args);
    EXPECT_EQ(queued.exit_code, 0) << queued.err;
    EXPECT_THAT(queued.out, HasSubstr("queued "));
    EXPECT_THAT(queued.out, Not(HasSubstr("created")));
    return QueuedName(queued.out);
  }
  CommandResult QueueResponse(const std::string& alert) {
    return Union({"responses", "create", "--parent", alert, "--responding-partner",
                  "partners/example-union", "--action", "ACKNOWLEDGED", "--note", kNote, "--queue",
                  kNowhere});
  }

  // The name in "queued ID: VERB NAME".
  static std::string QueuedName(const std::string& out) {
    for (absl::string_view line : absl::StrSplit(out, '\n')) {
      if (!absl::StartsWith(line, "queued ")) continue;
      std::vector<std::string> words = absl::StrSplit(line, ' ');
      return words.size() == 4 ? words[3] : "";
    }
    return "";
  }

  // Whether the key directory holds no key of an outbox item.
  bool NoOutboxKeys() const {
    std::error_code error;
    for (const auto& entry : fs::recursive_directory_iterator(key_dir() + "/outbox", error)) {
      if (entry.is_regular_file()) return false;
    }
    return true;
  }

  // Whether any file under `directory` holds `text`, as it is or in
  // base64 (at each of the three alignments it may fall on).
  static bool AnyFileHolds(const std::string& directory, const std::string& text) {
    std::vector<std::string> forms = {text};
    for (int shift = 0; shift < 3; ++shift) {
      const std::string encoded = absl::Base64Escape(std::string(shift, '\0') + text);
      forms.push_back(encoded.substr(4, encoded.size() - 8));  // past what the ends change
    }
    std::error_code error;
    for (const auto& entry : fs::recursive_directory_iterator(directory, error)) {
      if (!entry.is_regular_file()) continue;
      std::stringstream bytes;
      bytes << std::ifstream(entry.path(), std::ios::binary).rdbuf();
      for (const std::string& form : forms) {
        if (bytes.str().find(form) != std::string::npos) return true;
      }
    }
    return false;
  }

  // How many of the union's alerts the server holds with kHeadline.
  int AlertsOnTheServer() {
    CommandResult listed = testing::RunMpowerAs(*server_, server_->admin_token(),
                                                {"alerts", "list", "--all", "-o", "json"});
    EXPECT_EQ(listed.exit_code, 0) << listed.err;
    int count = 0;
    for (size_t at = listed.out.find(kHeadline); at != std::string::npos;
         at = listed.out.find(kHeadline, at + 1)) {
      ++count;
    }
    return count;
  }

  testing::TempDir server_dir_;
  testing::TempDir client_dir_;
  std::unique_ptr<ServerProcess> server_;
  std::string union_editor_;
  std::string ilo_editor_;
};

TEST_P(OutboxEndToEndTest, WritesQueuedWhileTheServerIsAwayArriveOnceInTheirOrder) {
  PublishUnionKey();
  const std::string alert = QueueAlert();
  ASSERT_TRUE(absl::StartsWith(alert, "alerts/a")) << alert;
  CommandResult response = QueueResponse(alert);
  ASSERT_EQ(response.exit_code, 0) << response.err;
  EXPECT_THAT(response.out, HasSubstr("queued "));
  const std::string response_name = QueuedName(response.out);
  EXPECT_TRUE(absl::StartsWith(response_name, alert + "/responses/")) << response.out;

  // At rest, nothing of what was written can be read: not in the outbox,
  // nor in the key directory that holds the outbox's keys.
  for (const std::string text : {kPerson, kHeadline, kNote}) {
    EXPECT_FALSE(AnyFileHolds(outbox_dir(), text)) << text;
    EXPECT_FALSE(AnyFileHolds(key_dir(), text)) << text;
  }
  EXPECT_EQ(AlertsOnTheServer(), 0);

  CommandResult pushed = Union({"outbox", "push"});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.out << pushed.err;
  const size_t alert_sent = pushed.out.find("sent ");
  const size_t response_sent = pushed.out.find(response_name);
  ASSERT_NE(alert_sent, std::string::npos) << pushed.out;
  ASSERT_NE(response_sent, std::string::npos) << pushed.out;
  EXPECT_LT(pushed.out.find(alert), response_sent) << "the alert goes first: " << pushed.out;
  // Sealed when pushed, since the keys could not be fetched when queued.
  EXPECT_THAT(pushed.err, HasSubstr("sealed here"));

  EXPECT_EQ(AlertsOnTheServer(), 1);
  CommandResult responses =
      testing::RunMpowerAs(*server_, ilo_editor_, {"responses", "list", "--parent", alert});
  EXPECT_THAT(responses.out, HasSubstr(kNote));
  // The server holds the details sealed: its admin, without a key, cannot
  // read them; the union's laptop can.
  CommandResult as_admin = testing::RunMpowerAs(
      *server_, server_->admin_token(),
      {"alerts", "get", alert, "-o", "json", "--key-dir=" + client_dir_.path() + "/admin-desk"});
  EXPECT_EQ(as_admin.exit_code, 0) << as_admin.err;
  EXPECT_THAT(as_admin.out, HasSubstr(kHeadline));
  EXPECT_THAT(as_admin.out, Not(HasSubstr(kPerson)));
  EXPECT_THAT(Union({"alerts", "get", alert, "-o", "json"}).out, HasSubstr(kPerson));

  CommandResult listed = Union({"outbox", "list"});
  EXPECT_THAT(listed.out, HasSubstr(alert));
  EXPECT_THAT(listed.out, HasSubstr(response_name));
  EXPECT_THAT(listed.out, Not(HasSubstr("queued ")));
  EXPECT_THAT(listed.out, Not(HasSubstr(kPerson)));
  // Sent items leave nothing of themselves but receipts: no item, no key.
  EXPECT_TRUE(NoOutboxKeys());
  CommandResult again = Union({"outbox", "push"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("the outbox is empty"));
  EXPECT_EQ(AlertsOnTheServer(), 1);
}

TEST_P(OutboxEndToEndTest, APushCutShortAfterTheServerAppliedItWritesNothingTwice) {
  PublishUnionKey();
  // Queued while the server can be reached: the details are sealed as they
  // are queued, so the outbox holds what a push sends.
  const std::string alert = QueueAlert("ID", /*reachable=*/true);
  ASSERT_EQ(QueueResponse(alert).exit_code, 0);
  // What the laptop holds before the push: as if the push were killed
  // after the server applied both writes and before the CLI recorded it.
  const std::string before = client_dir_.path() + "/before";
  fs::create_directories(before);
  fs::copy(outbox_dir(), before + "/outbox", fs::copy_options::recursive);
  fs::copy(key_dir(), before + "/keys", fs::copy_options::recursive);
  ASSERT_EQ(Union({"outbox", "push"}).exit_code, 0);
  ASSERT_EQ(AlertsOnTheServer(), 1);

  fs::remove_all(outbox_dir());
  fs::remove_all(key_dir());
  fs::copy(before + "/outbox", outbox_dir(), fs::copy_options::recursive);
  fs::copy(before + "/keys", key_dir(), fs::copy_options::recursive);
  CommandResult repeated = Union({"outbox", "push"});
  ASSERT_EQ(repeated.exit_code, 0) << repeated.out << repeated.err;
  EXPECT_THAT(repeated.out, HasSubstr("2 sent"));
  EXPECT_EQ(AlertsOnTheServer(), 1);
  CommandResult responses =
      testing::RunMpowerAs(*server_, ilo_editor_, {"responses", "list", "--parent", alert});
  EXPECT_EQ(std::count(responses.out.begin(), responses.out.end(), '\n'), 2)
      << "a header and one response: " << responses.out;
}

TEST_P(OutboxEndToEndTest, ARefusedCreateIsKeptWithItsReasonAndWhatNeedsItIsHeldBack) {
  // "ZZ" is no country: the server refuses the create when it arrives.
  const std::string refused = QueueAlert("ZZ");
  ASSERT_EQ(QueueResponse(refused).exit_code, 0);
  CommandResult partner = Union({"partners", "update", "partners/example-union", "--display-name",
                                 "Example Union (field office)", "--queue", kNowhere});
  ASSERT_EQ(partner.exit_code, 0) << partner.err;

  CommandResult pushed = Union({"outbox", "push"});
  EXPECT_EQ(pushed.exit_code, 1) << pushed.out << pushed.err;
  EXPECT_THAT(pushed.out, HasSubstr("INVALID_ARGUMENT"));
  EXPECT_THAT(pushed.out, HasSubstr("country_code"));
  EXPECT_THAT(pushed.out, HasSubstr(absl::StrCat("held back: it needs ", refused)));
  EXPECT_THAT(pushed.out, HasSubstr("sent "));  // the independent update went
  EXPECT_EQ(AlertsOnTheServer(), 0);

  CommandResult listed = Union({"outbox", "list"});
  EXPECT_THAT(listed.out, HasSubstr("rejected"));
  EXPECT_THAT(listed.out, HasSubstr("held"));
  EXPECT_THAT(listed.out, HasSubstr("country_code"));
  // Pushing again sends neither, and says so again.
  EXPECT_EQ(Union({"outbox", "push"}).exit_code, 1);
  EXPECT_EQ(AlertsOnTheServer(), 0);

  for (absl::string_view line : absl::StrSplit(listed.out, '\n')) {
    if (!absl::StrContains(line, "rejected") && !absl::StrContains(line, "held")) continue;
    if (absl::StartsWith(line, " ")) continue;
    const std::string id(line.substr(0, line.find(' ')));
    CommandResult dropped = Union({"outbox", "drop", id});
    EXPECT_EQ(dropped.exit_code, 0) << dropped.err;
  }
  CommandResult empty = Union({"outbox", "push"});
  EXPECT_EQ(empty.exit_code, 0) << empty.out << empty.err;
  EXPECT_THAT(empty.out, HasSubstr("the outbox is empty"));
  EXPECT_TRUE(NoOutboxKeys()) << "a dropped item's key goes with it";
}

TEST_P(OutboxEndToEndTest, AutoQueuesOnlyWhatCannotBeSentNow) {
  // mpower with MPOWER_QUEUE=auto, as the admin, reaching `address`.
  const auto auto_mpower = [&](std::vector<std::string> args, const std::string& address) {
    args.insert(args.begin(), MPOWER_PATH);
    args.push_back("--outbox=" + outbox_dir());
    args.push_back("--key-dir=" + key_dir());
    return RunCommand(args, {{"MPOWER_ADDRESS", address},
                             {"MPOWER_TOKEN", server_->admin_token()},
                             {"MPOWER_CONFIG", "/nonexistent/mpower-config"},
                             {"MPOWER_QUEUE", "auto"}});
  };
  const auto create = [](const std::string& id) {
    return std::vector<std::string>{"partners",         "create",    id,
                                    "--display-name",   "KSPI",      "--type",
                                    "union_federation", "--country", "ID"};
  };
  // Reached: sent at once, nothing queued.
  CommandResult sent = auto_mpower(create("kspi"), server_->address());
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_THAT(sent.out, HasSubstr("partners/kspi"));
  EXPECT_THAT(sent.out, Not(HasSubstr("queued")));
  // Refused for a reason of its own: not queued, the error as ever.
  CommandResult refused = auto_mpower(create("Bad Id"), server_->address());
  EXPECT_EQ(refused.exit_code, 64 + 3) << refused.out << refused.err;  // INVALID_ARGUMENT
  EXPECT_THAT(refused.out, Not(HasSubstr("queued")));

  // Unreachable: queued, exit 0.
  CommandResult queued = auto_mpower(create("kspsi"), "127.0.0.1:1");
  ASSERT_EQ(queued.exit_code, 0) << queued.err;
  EXPECT_THAT(queued.out, HasSubstr("queued "));
  EXPECT_THAT(queued.err, HasSubstr("UNAVAILABLE"));
  // Reachable again, while a write waits: this one goes behind it, never
  // ahead, so that the push applies them in the order they were made.
  CommandResult behind = auto_mpower(
      {"partners", "update", "partners/kspsi", "--display-name", "KSPSI"}, server_->address());
  ASSERT_EQ(behind.exit_code, 0) << behind.err;
  EXPECT_THAT(behind.out, HasSubstr("queued 00000002: update partners/kspsi"));
  EXPECT_THAT(behind.err, HasSubstr("1 writes wait in the outbox"));
  CommandResult pushed = auto_mpower({"outbox", "push"}, server_->address());
  EXPECT_EQ(pushed.exit_code, 0) << pushed.out << pushed.err;
  EXPECT_THAT(pushed.out, HasSubstr("2 sent"));
  EXPECT_THAT(
      testing::RunMpowerAs(*server_, union_editor_, {"partners", "get", "partners/kspsi"}).out,
      HasSubstr("KSPSI"));
}

TEST_P(OutboxEndToEndTest, PushesKilledAtRandomOrCutOffLeaveEveryWriteOnTheServerOnce) {
  // 25 alerts and a response to each, queued while the server is away:
  // each alert's details are sealed by the push that first sends it.
  PublishUnionKey();
  constexpr int kAlerts = 25;
  const std::string path = client_dir_.path() + "/plain-alert.json";
  std::vector<std::string> names;
  for (int i = 0; i < kAlerts; ++i) {
    std::ofstream(path) << R"({"filingPartner": "partners/example-union",
      "category": "CATEGORY_DISMISSAL_FOR_UNION_ACTIVITY", "severity": "SEVERITY_MODERATE",
      "urgency": "URGENCY_EXPECTED", "certainty": "CERTAINTY_LIKELY", "countryCode": "ID",
      "headline": "Queued dismissal )"
                        << i << R"(", "scope": "SCOPE_RESTRICTED",
      "recipientPartners": ["partners/ilo"],
      "protectedDetails": {"people": [{"fullName": ")"
                        << kPerson << R"("}]}})";
    CommandResult alert = Union({"alerts", "create", "-f", path, "--queue", kNowhere});
    ASSERT_EQ(alert.exit_code, 0) << alert.err;
    names.push_back(QueuedName(alert.out));
    CommandResult response = QueueResponse(names.back());
    ASSERT_EQ(response.exit_code, 0) << response.err;
    names.push_back(QueuedName(response.out));
  }

  // Pushes killed at a random moment, through a slow network that cuts half
  // of the connections part way: each call takes some 50 ms, so
  // each push sends a few writes at most before it is killed or cut.
  testing::FlakyProxy proxy(server_->port(), 0.5, std::chrono::milliseconds(25),
                            /*seed=*/20261208);
  ASSERT_GT(proxy.port(), 0);
  std::mt19937 random(1208);
  const std::map<std::string, std::string> environment = {
      {"MPOWER_TOKEN", union_editor_}, {"MPOWER_CONFIG", "/nonexistent/mpower-config"}};
  // On PostgreSQL, a second replica of the same database: every other push
  // lands there, as a push may land on any replica.
  testing::TempDir replica_dir;
  std::unique_ptr<ServerProcess> replica;
  if (GetParam() == testing::Backend::kPostgres) {
    replica = std::make_unique<ServerProcess>(
        replica_dir.path(), ServerFlags({"--key-dir=" + server_dir_.path() + "/keys"}));
    ASSERT_GT(replica->port(), 0) << replica->log();
  }
  int interrupted = 0;
  for (int round = 0; round < 20; ++round) {
    const std::string address = replica != nullptr && round % 2 == 1
                                    ? replica->address()
                                    : "127.0.0.1:" + std::to_string(proxy.port());
    testing::BackgroundCommand push(
        {MPOWER_PATH, "outbox", "push", "--address=" + address, "--timeout=2s",
         "--key-dir=" + key_dir(), "--outbox=" + outbox_dir()},
        environment);
    // Straight to the replica a push is quicker: it gets less time.
    const int most_ms = address == "127.0.0.1:" + std::to_string(proxy.port()) ? 500 : 250;
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(20, most_ms)(random)));
    interrupted += push.Stop(SIGKILL).exit_code != 0 ? 1 : 0;
  }
  // What the interrupted pushes left (the rest went, some perhaps twice).
  const std::string left = Union({"outbox", "list"}).out;
  RecordProperty("left_for_the_last_push",
                 static_cast<int>(std::count_if(names.begin(), names.end(), [&](const auto& name) {
                   return absl::StrContains(left, absl::StrCat("queued   create   ", name));
                 })));
  // Then one that is let finish, on a good connection.
  CommandResult last;
  for (int attempt = 0; attempt < 5; ++attempt) {
    last = Union({"outbox", "push"});
    if (last.exit_code == 0) break;
  }
  ASSERT_EQ(last.exit_code, 0) << last.out << last.err;
  // Each call through the proxy takes 50 ms or more, so no push of the 50
  // writes finished within the 0.5 s it was given.
  EXPECT_GE(interrupted, 10);
  RecordProperty("pushes_interrupted", interrupted);
  RecordProperty("connections_cut", proxy.cut());

  // Every write exactly once on the server.
  const auto occurrences = [](const std::string& text, const std::string& word) {
    int found = 0;
    for (size_t at = text.find(word + " "); at != std::string::npos;
         at = text.find(word + " ", at + 1)) {
      ++found;
    }
    return found;
  };
  CommandResult alerts =
      testing::RunMpowerAs(*server_, server_->admin_token(),
                           {"alerts", "list", "--all", "--filter", "country_code = \"ID\""});
  ASSERT_EQ(alerts.exit_code, 0) << alerts.err;
  CommandResult responses =
      testing::RunMpowerAs(*server_, server_->admin_token(), {"responses", "list", "--all"});
  ASSERT_EQ(responses.exit_code, 0) << responses.err;
  for (size_t i = 0; i < names.size(); i += 2) {
    EXPECT_EQ(occurrences(alerts.out, names[i]), 1) << names[i];
    EXPECT_EQ(occurrences(responses.out, names[i + 1]), 1) << names[i + 1];
    // And no other response to it.
    int to_alert = 0;
    for (size_t at = responses.out.find(names[i] + "/responses/"); at != std::string::npos;
         at = responses.out.find(names[i] + "/responses/", at + 1)) {
      ++to_alert;
    }
    EXPECT_EQ(to_alert, 1) << names[i];
  }
  // Every one sealed, whichever push sealed and sent it.
  CommandResult as_admin = testing::RunMpowerAs(
      *server_, server_->admin_token(),
      {"alerts", "list", "--all", "-o", "json", "--key-dir=" + client_dir_.path() + "/admin-desk"});
  EXPECT_THAT(as_admin.out, HasSubstr("Queued dismissal"));
  EXPECT_THAT(as_admin.out, Not(HasSubstr(kPerson)));
  // And the receipts agree: each write sent once, by the name it has.
  CommandResult listed = Union({"outbox", "list"});
  std::map<std::string, int> receipts;
  for (absl::string_view line : absl::StrSplit(listed.out, '\n')) {
    std::vector<std::string> columns = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (columns.size() >= 4 && columns[1] == "sent") ++receipts[columns[3]];
    EXPECT_FALSE(columns.size() >= 2 && (columns[1] == "queued" || columns[1] == "rejected"))
        << line;
  }
  EXPECT_EQ(receipts.size(), names.size());
  for (const std::string& name : names) EXPECT_EQ(receipts[name], 1) << name;
}

TEST_P(OutboxEndToEndTest, AnUpdateWhoseEtagWentStaleIsKeptAndRebasedOnlyWhenAsked) {
  CommandResult read = Union({"partners", "get", "partners/example-union", "-o", "json"});
  ASSERT_EQ(read.exit_code, 0) << read.err;
  const std::string marker = "\"etag\": \"";
  const size_t at = read.out.find(marker);
  ASSERT_NE(at, std::string::npos) << read.out;
  const std::string etag = read.out.substr(
      at + marker.size(), read.out.find('"', at + marker.size()) - at - marker.size());
  CommandResult queued =
      Union({"partners", "update", "partners/example-union", "--display-name",
             "Example Union (from the field)", "--etag", etag, "--queue", kNowhere});
  ASSERT_EQ(queued.exit_code, 0) << queued.err;
  // Meanwhile someone at the office changes it.
  CommandResult office = Union({"partners", "update", "partners/example-union", "--display-name",
                                "Example Union (from the office)"});
  ASSERT_EQ(office.exit_code, 0) << office.err;

  CommandResult pushed = Union({"outbox", "push"});
  EXPECT_EQ(pushed.exit_code, 1) << pushed.out << pushed.err;
  EXPECT_THAT(pushed.out, HasSubstr("ABORTED"));
  EXPECT_THAT(pushed.out, HasSubstr("it is now at etag r"));
  EXPECT_THAT(pushed.out, HasSubstr("mpower outbox retry 00000001 --rebase"));
  // Nothing was overwritten.
  EXPECT_THAT(Union({"partners", "get", "partners/example-union"}).out,
              HasSubstr("from the office"));
  EXPECT_THAT(Union({"outbox", "list"}).out, HasSubstr("rejected"));

  CommandResult rebased = Union({"outbox", "retry", "1", "--rebase"});
  ASSERT_EQ(rebased.exit_code, 0) << rebased.err;
  EXPECT_THAT(rebased.out, HasSubstr("rebased on partners/example-union at etag r"));
  CommandResult sent = Union({"outbox", "push"});
  ASSERT_EQ(sent.exit_code, 0) << sent.out << sent.err;
  EXPECT_THAT(Union({"partners", "get", "partners/example-union"}).out,
              HasSubstr("from the field"));
  // Only an update is rebased: a refused create is not.
  ASSERT_EQ(QueueResponse("alerts/no-such-alert").exit_code, 0);
  EXPECT_EQ(Union({"outbox", "push"}).exit_code, 1);
  CommandResult create = Union({"outbox", "retry", "2", "--rebase"});
  EXPECT_EQ(create.exit_code, 2) << create.out << create.err;
  EXPECT_THAT(create.err, HasSubstr("only an update"));
}

TEST_P(OutboxEndToEndTest, TwoOutboxesBesideOneKeyDirectoryKeepTheirOwnKeys) {
  // One on the laptop, one on a USB stick, both with the laptop's keys.
  const std::string stick = client_dir_.path() + "/usb-stick";
  ASSERT_EQ(QueueResponse("alerts/example-detention-west-kalimantan").exit_code, 0);
  CommandResult on_stick = testing::RunMpowerAs(
      *server_, union_editor_,
      {"responses", "create", "--parent", "alerts/example-detention-west-kalimantan",
       "--responding-partner", "partners/example-union", "--action", "ACKNOWLEDGED", "--note",
       "from the stick", "--queue", kNowhere, "--key-dir=" + key_dir(), "--outbox=" + stick});
  ASSERT_EQ(on_stick.exit_code, 0) << on_stick.err;
  ASSERT_EQ(Union({"outbox", "push"}).exit_code, 0);
  // Pushing the laptop's outbox left the stick's key alone.
  CommandResult pushed = testing::RunMpowerAs(
      *server_, union_editor_, {"outbox", "push", "--key-dir=" + key_dir(), "--outbox=" + stick});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.out << pushed.err;
  EXPECT_THAT(pushed.out, HasSubstr("1 sent"));
  EXPECT_THAT(testing::RunMpowerAs(
                  *server_, ilo_editor_,
                  {"responses", "list", "--parent", "alerts/example-detention-west-kalimantan"})
                  .out,
              HasSubstr("from the stick"));
}

TEST_P(OutboxEndToEndTest, AnUpdateWhoseAnswerNeverCameIsNotSentAgainUntilAPersonSays) {
  CommandResult queued = Union({"partners", "update", "partners/example-union", "--display-name",
                                "Example Union (late answer)", "--queue", kNowhere});
  ASSERT_EQ(queued.exit_code, 0) << queued.err;
  // A network so slow that no answer comes within the push's second: the
  // update may or may not have been applied.
  testing::FlakyProxy slow(server_->port(), 0, std::chrono::milliseconds(1500), /*seed=*/1);
  ASSERT_GT(slow.port(), 0);
  CommandResult timed_out = Union(
      {"outbox", "push", "--address=127.0.0.1:" + std::to_string(slow.port()), "--timeout=1s"});
  EXPECT_EQ(timed_out.exit_code, 64 + 4) << timed_out.out << timed_out.err;  // DEADLINE_EXCEEDED
  EXPECT_THAT(timed_out.err, HasSubstr("marked unknown"));
  // Not sent again by a push: a person checks first.
  CommandResult again = Union({"outbox", "push"});
  EXPECT_EQ(again.exit_code, 1) << again.out << again.err;
  EXPECT_THAT(again.out, HasSubstr("unknown 00000001"));
  EXPECT_THAT(Union({"outbox", "list"}).out, HasSubstr("may have been applied"));
  ASSERT_EQ(Union({"outbox", "retry", "1"}).exit_code, 0);
  CommandResult sent = Union({"outbox", "push"});
  EXPECT_EQ(sent.exit_code, 0) << sent.out << sent.err;
  EXPECT_THAT(Union({"partners", "get", "partners/example-union"}).out, HasSubstr("late answer"));
}

TEST_P(OutboxEndToEndTest, UnderAPassphraseTheKeyDirectoryAloneOpensNothing) {
  const std::string passphrase_file = client_dir_.path() + "/outbox-passphrase";
  std::ofstream(passphrase_file) << "correct horse battery staple\n";
  const std::string wrong_file = client_dir_.path() + "/wrong-passphrase";
  std::ofstream(wrong_file) << "incorrect mule\n";
  const std::string with = "--outbox-passphrase-file=" + passphrase_file;
  CommandResult queued =
      Union({"responses", "create", "--parent", "alerts/example-detention-west-kalimantan",
             "--responding-partner", "partners/example-union", "--action", "ACKNOWLEDGED", "--note",
             kNote, "--queue", kNowhere, with});
  ASSERT_EQ(queued.exit_code, 0) << queued.err;
  EXPECT_FALSE(AnyFileHolds(key_dir(), kNote));
  EXPECT_FALSE(AnyFileHolds(outbox_dir(), kNote));
  // The item's key is locked: the key directory alone opens nothing.
  CommandResult without = Union({"outbox", "show", "1"});
  EXPECT_EQ(without.exit_code, 2) << without.out << without.err;
  EXPECT_THAT(without.err, HasSubstr("under a passphrase"));
  EXPECT_THAT(without.out, Not(HasSubstr(kNote)));
  CommandResult wrong = Union({"outbox", "show", "1", "--outbox-passphrase-file=" + wrong_file});
  EXPECT_EQ(wrong.exit_code, 2) << wrong.out << wrong.err;
  EXPECT_THAT(wrong.err, HasSubstr("not the passphrase this outbox is under"));
  // Nothing more is queued under no passphrase, or under a mistyped one.
  for (const std::string& given : {std::string(), "--outbox-passphrase-file=" + wrong_file}) {
    std::vector<std::string> args = {"partners",       "update",   "partners/example-union",
                                     "--display-name", "Unlocked", "--queue",
                                     kNowhere};
    if (!given.empty()) args.push_back(given);
    CommandResult refused = Union(args);
    EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
    EXPECT_THAT(refused.out, Not(HasSubstr("queued")));
  }
  CommandResult shown = Union({"outbox", "show", "1", with});
  EXPECT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_THAT(shown.out, HasSubstr(kNote));
  CommandResult pushed = Union({"outbox", "push", with});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.out << pushed.err;
  EXPECT_THAT(testing::RunMpowerAs(
                  *server_, ilo_editor_,
                  {"responses", "list", "--parent", "alerts/example-detention-west-kalimantan"})
                  .out,
              HasSubstr(kNote));
}

TEST_P(OutboxEndToEndTest, WhatCannotBeQueuedSaysSoAndSendsNothing) {
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"subscriptions", "test", "partners/ilo/subscriptions/none"},
        std::vector<std::string>{"alerts", "get", "alerts/example-detention-west-kalimantan"},
        std::vector<std::string>{"changes", "list"}}) {
    std::vector<std::string> args = command;
    args.push_back("--queue");
    CommandResult refused = Union(args);
    EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
    EXPECT_THAT(refused.err, HasSubstr("--queue: "));
    EXPECT_EQ(refused.out, "");
  }
  EXPECT_THAT(Union({"outbox", "list"}).out, HasSubstr("the outbox is empty"));
}

TEST_P(OutboxEndToEndTest, AKeyGeneratedWhileAwayIsMadeAndPublishedByThePush) {
  CommandResult queued = Union({"keys", "generate", "field-phone", "--parent",
                                "partners/example-union", "--queue", kNowhere});
  ASSERT_EQ(queued.exit_code, 0) << queued.err;
  EXPECT_THAT(
      queued.out,
      HasSubstr("queued 00000001: generate partners/example-union/encryptionKeys/field-phone"));
  CommandResult pushed = Union({"outbox", "push"});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.out << pushed.err;
  EXPECT_THAT(pushed.out, HasSubstr("partners/example-union/encryptionKeys/field-phone published"));
  EXPECT_TRUE(fs::exists(fs::path(key_dir()) / "example-union" / "field-phone.key"));
  // Pushed again, nothing more is made.
  EXPECT_THAT(Union({"outbox", "push"}).out, HasSubstr("the outbox is empty"));
}

TEST_P(OutboxEndToEndTest, AShareQueuedBehindItsAlertIsRunByThePush) {
  const std::string path = client_dir_.path() + "/no-details.json";
  std::ofstream(path) << R"({"filingPartner": "partners/example-union",
      "category": "CATEGORY_SURVEILLANCE", "severity": "SEVERITY_MODERATE",
      "urgency": "URGENCY_EXPECTED", "certainty": "CERTAINTY_LIKELY", "countryCode": "ID",
      "headline": "Followed from the port", "scope": "SCOPE_RESTRICTED",
      "recipientPartners": ["partners/ilo"]})";
  CommandResult alert = Union({"alerts", "create", "-f", path, "--queue", kNowhere});
  ASSERT_EQ(alert.exit_code, 0) << alert.err;
  const std::string name = QueuedName(alert.out);
  CommandResult share =
      Union({"alerts", "share", name, "--partner", "partners/us-gov", "--queue", kNowhere});
  ASSERT_EQ(share.exit_code, 0) << share.err;
  EXPECT_THAT(share.out, HasSubstr("queued 00000002: share " + name));
  CommandResult pushed = Union({"outbox", "push"});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.out << pushed.err;
  EXPECT_THAT(pushed.out, HasSubstr("sent 00000002: alerts share " + name));
  EXPECT_THAT(Union({"alerts", "get", name, "-o", "json"}).out, HasSubstr("partners/us-gov"));
}

TEST_P(OutboxEndToEndTest, OfflineDetailsAreSealedToTheKeysLastFetchedAndAgainIfTheyChanged) {
  PublishUnionKey();
  // Online once: this machine fetches, checks and pins the keys it seals to.
  CommandResult online = Union({"alerts", "create", "-f", AlertFile("ID")});
  ASSERT_EQ(online.exit_code, 0) << online.err;
  ASSERT_THAT(online.err, HasSubstr("sealed here"));

  // Then no signal: sealed all the same, to those keys.
  const std::string alert = QueueAlert("PE");
  CommandResult shown = Union({"outbox", "show", "1"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_THAT(shown.out, HasSubstr("\"sealed\""));
  EXPECT_THAT(shown.out, Not(HasSubstr(kPerson))) << "the opened outbox holds only an envelope";

  // Meanwhile the ILO publishes a new key: the push seals again to it.
  CommandResult ilo_key =
      testing::RunMpowerAs(*server_, ilo_editor_,
                           {"keys", "generate", "new-desk", "--parent", "partners/ilo",
                            "--key-dir=" + client_dir_.path() + "/ilo-laptop"});
  ASSERT_EQ(ilo_key.exit_code, 0) << ilo_key.err;
  CommandResult pushed = Union({"outbox", "push", "--trust-new-keys"});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.out << pushed.err;
  EXPECT_THAT(pushed.err, HasSubstr("changed since it was queued: sealing them again"));
  CommandResult as_ilo = testing::RunMpowerAs(
      *server_, ilo_editor_,
      {"alerts", "get", alert, "-o", "json", "--key-dir=" + client_dir_.path() + "/ilo-laptop"});
  EXPECT_EQ(as_ilo.exit_code, 0) << as_ilo.err;
  EXPECT_THAT(as_ilo.out, HasSubstr(kPerson)) << as_ilo.err;
}

TEST_P(OutboxEndToEndTest, AnUpdateQueuedWhileOnlineIsPinnedToTheVersionItSaw) {
  // Queued with no --etag while the server can be reached: pinned to the
  // version it was queued against.
  CommandResult queued = Union({"partners", "update", "partners/example-union", "--display-name",
                                "Example Union (queued at the office)", "--queue"});
  ASSERT_EQ(queued.exit_code, 0) << queued.err;
  EXPECT_THAT(queued.err, HasSubstr("queued against partners/example-union as it is now"));
  ASSERT_EQ(Union({"partners", "update", "partners/example-union", "--display-name",
                   "Example Union (changed meanwhile)"})
                .exit_code,
            0);
  CommandResult pushed = Union({"outbox", "push"});
  EXPECT_EQ(pushed.exit_code, 1) << pushed.out << pushed.err;
  EXPECT_THAT(pushed.out, HasSubstr("ABORTED"));
  EXPECT_THAT(Union({"partners", "get", "partners/example-union"}).out,
              HasSubstr("changed meanwhile"));
  // Queued with no way to ask: said so, and applied as given.
  CommandResult offline = Union({"partners", "update", "partners/example-union", "--display-name",
                                 "Example Union (offline)", "--queue", kNowhere});
  ASSERT_EQ(offline.exit_code, 0) << offline.err;
  EXPECT_THAT(offline.err, HasSubstr("queued without an etag"));
}

MPOWER_ON_EVERY_BACKEND(OutboxEndToEndTest);

}  // namespace
}  // namespace mpower
