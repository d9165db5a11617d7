// Notifications end to end: the real mpowerd delivers to a real HTTPS
// receiver this test starts on 127.0.0.1, which checks every signature the
// way a Standard Webhooks library does, and records order and duplicates;
// and to a real SMTP server (aiosmtpd, STARTTLS required).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/hmac.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "httplib.h"
#include "tests/loopback_http_server.h"
#include "tests/process.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

using ::mpower::testing::BackgroundCommand;
using ::mpower::testing::CommandResult;
using ::mpower::testing::JsonString;
using ::mpower::testing::RunCommand;
using ::mpower::testing::ServerProcess;
using ::testing::HasSubstr;
using ::testing::Not;

// A value planted in an alert's protected details: it must never reach a
// receiver, an email or the log.
constexpr char kPlanted[] = "PLANTED-activist-Siti-Rahma-at-Jalan-Merdeka-12";

// One POST the receiver got.
struct Received {
  std::string id;
  std::string type;  // e.g. "alert.created"
  int64_t revision = 0;
  std::string name;  // the changed resource
  std::string body;
  bool signature_valid = false;
};

// An HTTPS webhook receiver on 127.0.0.1 that verifies what it gets.
class Receiver {
 public:
  enum class Mode { kAccept, kDown, kRedirect, kSlow };

  Receiver(const std::string& cert, const std::string& key) : server_(cert.c_str(), key.c_str()) {
    server_.Post("/hook", [this](const httplib::Request& request, httplib::Response& response) {
      Mode mode;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        mode = mode_;
      }
      if (mode == Mode::kDown) {
        response.status = 503;
        return;
      }
      if (mode == Mode::kRedirect) {
        response.status = 302;
        response.set_header("Location", "/elsewhere");
        return;
      }
      if (mode == Mode::kSlow) std::this_thread::sleep_for(std::chrono::milliseconds(300));
      Record(request);
      response.set_content("thanks", "text/plain");
    });
    server_.Post("/elsewhere", [this](const httplib::Request&, httplib::Response&) {
      std::lock_guard<std::mutex> lock(mutex_);
      ++redirected_;
    });
    serving_ = std::make_unique<testing::LoopbackHttpServer>(server_);
  }

  std::string url() const { return absl::StrCat("https://127.0.0.1:", serving_->port(), "/hook"); }
  void set_secret(const std::string& secret) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::string key;
    EXPECT_TRUE(absl::Base64Unescape(absl::StripPrefix(secret, "whsec_"), &key)) << secret;
    key_ = key;
  }
  void set_mode(Mode mode) {
    std::lock_guard<std::mutex> lock(mutex_);
    mode_ = mode;
  }
  std::vector<Received> received() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return received_;
  }
  int redirected() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return redirected_;
  }
  // Waits (at most 30 seconds) until `done` holds for what was received.
  bool WaitFor(const std::function<bool(const std::vector<Received>&)>& done) const {
    for (int i = 0; i < 300; ++i) {
      if (done(received())) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return done(received());
  }

 private:
  // Verifies as the Standard Webhooks libraries do: HMAC-SHA256 of
  // "{id}.{timestamp}.{body}" under the secret's key, base64, after "v1,";
  // and a timestamp within five minutes.
  void Record(const httplib::Request& request) {
    std::lock_guard<std::mutex> lock(mutex_);
    Received got;
    got.id = request.get_header_value("webhook-id");
    const std::string timestamp = request.get_header_value("webhook-timestamp");
    const std::string signed_content = absl::StrCat(got.id, ".", timestamp, ".", request.body);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_length = 0;
    HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
         reinterpret_cast<const unsigned char*>(signed_content.data()), signed_content.size(), mac,
         &mac_length);
    const std::string expected = absl::StrCat(
        "v1,", absl::Base64Escape(std::string(reinterpret_cast<char*>(mac), mac_length)));
    int64_t sent_at = 0;
    got.signature_valid =
        !key_.empty() && request.get_header_value("webhook-signature") == expected &&
        absl::SimpleAtoi(timestamp, &sent_at) && std::abs(time(nullptr) - sent_at) < 300;
    got.body = request.body;
    got.type = JsonString(request.body, "type");
    const size_t data = request.body.find("\"data\":");
    std::string revision = JsonString(request.body, "revision", data);
    (void)absl::SimpleAtoi(revision, &got.revision);
    got.name = JsonString(request.body, "name", data);
    received_.push_back(std::move(got));
  }

  httplib::SSLServer server_;
  mutable std::mutex mutex_;
  Mode mode_ = Mode::kAccept;
  std::string key_;
  std::vector<Received> received_;
  int redirected_ = 0;
  // Last, so that serving stops before what the handlers use goes.
  std::unique_ptr<testing::LoopbackHttpServer> serving_;
};

class NotifyTest : public testing::ServerBackendTest {
 protected:
  static void SetUpTestSuite() {
    certs_ = new testing::TempDir();
    std::ofstream(Path("server.ext")) << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
    Openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", Path("ca.key"), "-out", Path("ca.pem"), "-days", "2", "-subj",
             "/CN=test-ca"});
    Openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", Path("server.key"), "-out", Path("server.csr"), "-subj", "/CN=localhost"});
    Openssl({"x509", "-req", "-in", Path("server.csr"), "-CA", Path("ca.pem"), "-CAkey",
             Path("ca.key"), "-CAcreateserial", "-out", Path("server.pem"), "-days", "2",
             "-extfile", Path("server.ext")});
  }
  static void TearDownTestSuite() { delete certs_; }
  static std::string Path(const std::string& file) { return certs_->path() + "/" + file; }
  static void Openssl(std::vector<std::string> args) {
    args.insert(args.begin(), "/usr/bin/openssl");
    CommandResult result = RunCommand(args);
    ASSERT_EQ(result.exit_code, 0) << result.err;
  }

  void SetUp() override {
    ServerBackendTest::SetUp();
    if (HasFatalFailure()) return;
    receiver_ = std::make_unique<Receiver>(Path("server.pem"), Path("server.key"));
  }

  // mpowerd allowed to deliver to this machine, trusting the test's CA,
  // retrying fast.
  void StartServer(std::vector<std::string> extra = {}) {
    std::vector<std::string> flags = {"--demo-data", "--notify-allow-private-targets",
                                      "--notify-ca-file=" + Path("ca.pem"),
                                      "--notify-max-backoff=300ms", "--maintenance-interval=1s"};
    flags.insert(flags.end(), extra.begin(), extra.end());
    server_ = std::make_unique<ServerProcess>(dir_.path(), ServerFlags(flags));
    ASSERT_GT(server_->port(), 0) << server_->log();
  }

  CommandResult Cli(std::vector<std::string> args) {
    args.insert(args.begin(), MPOWER_PATH);
    return RunCommand(args, {{"MPOWER_CONFIG", server_->client_config()}});
  }

  // Creates a webhook subscription for `partner` to the receiver; returns
  // its name and hands the receiver its secret.
  std::string Subscribe(const std::string& partner, std::vector<std::string> flags = {}) {
    std::vector<std::string> args = {"subscriptions", "create",         "--parent", partner,
                                     "--webhook-url", receiver_->url(), "-o",       "json"};
    args.insert(args.end(), flags.begin(), flags.end());
    CommandResult created = Cli(args);
    EXPECT_EQ(created.exit_code, 0) << created.err;
    const std::string json = absl::StrReplaceAll(created.out, {{"\": \"", "\":\""}});
    receiver_->set_secret(JsonString(json, "signing_secret"));
    return JsonString(json, "name");
  }

  // Files an alert in Indonesia by the demo union; returns its name.
  std::string FileAlert(const std::string& headline,
                        const std::string& scope_json = R"("scope": "SCOPE_PARTNERS")") {
    const std::string file = dir_.path() + "/alert.json";
    std::ofstream(file) << absl::StrCat(
        R"({"filing_partner": "partners/example-union", "category": "CATEGORY_THREAT_OF_VIOLENCE",
            "severity": "SEVERITY_SEVERE", "urgency": "URGENCY_IMMEDIATE",
            "certainty": "CERTAINTY_LIKELY", "country_code": "ID", "headline": ")",
        headline, R"(", "summary": "Safe to share.", )", scope_json, R"(,
            "protected_details": {"people": [{"full_name": ")",
        kPlanted, R"("}], "narrative": ")", kPlanted, R"("}})");
    CommandResult created = Cli({"alerts", "create", "-f", file, "-o", "json"});
    EXPECT_EQ(created.exit_code, 0) << created.err;
    return JsonString(absl::StrReplaceAll(created.out, {{"\": \"", "\":\""}}), "name");
  }

  std::string SubscriptionJson(const std::string& name) {
    CommandResult got = Cli({"subscriptions", "get", name, "-o", "json"});
    EXPECT_EQ(got.exit_code, 0) << got.err;
    return absl::StrReplaceAll(got.out, {{"\": \"", "\":\""}, {"\": ", "\":"}});
  }

  static std::vector<std::string> NamesOf(const std::vector<Received>& received) {
    std::vector<std::string> names;
    for (const Received& r : received) names.push_back(r.name);
    return names;
  }
  static bool Contains(const std::vector<Received>& received, const std::string& name) {
    for (const Received& r : received) {
      if (r.name == name) return true;
    }
    return false;
  }

  static testing::TempDir* certs_;
  testing::TempDir dir_;
  std::unique_ptr<Receiver> receiver_;
  std::unique_ptr<ServerProcess> server_;
};

testing::TempDir* NotifyTest::certs_ = nullptr;

TEST_P(NotifyTest, DeliversSignedInOrderAndCatchesUpAfterTheReceiverWasDown) {
  StartServer({"--metrics-listen=127.0.0.1:0"});
  const std::string subscription = Subscribe("partners/ilo");
  CommandResult ping = Cli({"subscriptions", "test", subscription});
  EXPECT_EQ(ping.exit_code, 0) << ping.err;
  EXPECT_THAT(ping.out, HasSubstr("delivered: HTTP 200"));
  EXPECT_THAT(ping.out, HasSubstr("thanks"));

  const std::string first = FileAlert("First threat");
  ASSERT_TRUE(receiver_->WaitFor([&](const auto& got) { return Contains(got, first); }))
      << server_->log();

  receiver_->set_mode(Receiver::Mode::kDown);
  std::vector<std::string> while_down;
  for (int i = 0; i < 3; ++i) while_down.push_back(FileAlert(absl::StrCat("Threat ", i)));
  // The failures show on the subscription, without the receiver's answer.
  bool failing = false;
  for (int i = 0; i < 100 && !failing; ++i) {
    failing = absl::StrContains(SubscriptionJson(subscription), "\"consecutive_failures\":");
    if (!failing) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(failing) << SubscriptionJson(subscription);
  EXPECT_THAT(SubscriptionJson(subscription), HasSubstr("the receiver answered 503"));

  receiver_->set_mode(Receiver::Mode::kAccept);
  ASSERT_TRUE(receiver_->WaitFor([&](const auto& got) { return Contains(got, while_down.back()); }))
      << server_->log();

  const std::vector<Received> got = receiver_->received();
  std::set<std::string> ids;
  int64_t last_revision = -1;
  for (const Received& r : got) {
    EXPECT_TRUE(r.signature_valid) << r.id;
    EXPECT_TRUE(ids.insert(r.id).second) << "duplicate " << r.id;
    EXPECT_GE(r.revision, last_revision) << "out of order: " << r.name;
    last_revision = r.revision;
    EXPECT_THAT(r.body, Not(HasSubstr(kPlanted)));
  }
  std::vector<std::string> alerts;
  for (const Received& r : got) {
    if (r.type == "alert.created") alerts.push_back(r.name);
  }
  EXPECT_EQ(alerts, (std::vector<std::string>{first, while_down[0], while_down[1], while_down[2]}));
  EXPECT_THAT(SubscriptionJson(subscription), Not(HasSubstr("consecutive_failures")));
  EXPECT_THAT(server_->log(), Not(HasSubstr(kPlanted)));

  // The operator sees both in the metrics.
  CommandResult metrics =
      RunCommand({"/usr/bin/curl", "-s",
                  absl::StrCat("http://127.0.0.1:", server_->metrics_port(), "/metrics")});
  EXPECT_THAT(metrics.out, ::testing::ContainsRegex(
                               R"re(mpower_notifications_total\{result="delivered"\} [1-9])re"));
  EXPECT_THAT(metrics.out, ::testing::ContainsRegex(
                               R"re(mpower_notifications_total\{result="failed"\} [1-9])re"));
}

TEST_P(NotifyTest, ASigkillMidDeliveryLosesNothingAndDuplicatesAtMostOnce) {
  StartServer();
  Subscribe("partners/ilo");
  receiver_->set_mode(Receiver::Mode::kSlow);
  std::vector<std::string> filed;
  for (int i = 0; i < 8; ++i) filed.push_back(FileAlert(absl::StrCat("Threat ", i)));
  ASSERT_TRUE(receiver_->WaitFor([](const auto& got) { return got.size() >= 2; }));
  server_->Stop(SIGKILL);
  StartServer();
  ASSERT_TRUE(receiver_->WaitFor([&](const auto& got) { return Contains(got, filed.back()); }))
      << server_->log();
  std::map<std::string, int> times;
  for (const Received& r : receiver_->received()) {
    EXPECT_TRUE(r.signature_valid);
    ++times[r.id];
  }
  for (const auto& [id, count] : times) EXPECT_LE(count, 2) << id;
  for (const std::string& alert : filed) {
    EXPECT_TRUE(Contains(receiver_->received(), alert)) << alert << " was lost";
  }
}

TEST_P(NotifyTest, APartnerTakenOffAnAlertHearsNothingMoreOfIt) {
  StartServer();
  Subscribe("partners/ilo");
  const std::string restricted =
      FileAlert("Restricted threat",
                R"("scope": "SCOPE_RESTRICTED", "recipient_partners": ["partners/ilo"])");
  ASSERT_TRUE(receiver_->WaitFor([&](const auto& got) { return Contains(got, restricted); }));
  const size_t before = receiver_->received().size();
  CommandResult narrowed = Cli({"alerts", "update", restricted, "--recipients", "partners/us-dol"});
  ASSERT_EQ(narrowed.exit_code, 0) << narrowed.err;
  CommandResult edited = Cli({"alerts", "update", restricted, "--headline", "Still restricted"});
  ASSERT_EQ(edited.exit_code, 0) << edited.err;
  // A later alert ILO may read: once it arrives, everything before it has
  // been gone through.
  const std::string sentinel = FileAlert("Sentinel");
  ASSERT_TRUE(receiver_->WaitFor([&](const auto& got) { return Contains(got, sentinel); }));
  const std::vector<Received> got = receiver_->received();
  for (size_t i = before; i < got.size(); ++i) {
    EXPECT_NE(got[i].name, restricted) << "told of an alert it was taken off: " << got[i].body;
  }
}

TEST_P(NotifyTest, NoPayloadCarriesProtectedDetailsWhateverTheSubscribersRole) {
  StartServer();
  // The secretariat's own subscription, judged as the secretariat, and the
  // filer's: both may read the details, neither is sent them.
  Subscribe("partners/ilo", {"--secretariat-scope", "true"});
  const std::string alert = FileAlert("Details stay home");
  ASSERT_TRUE(receiver_->WaitFor([&](const auto& got) { return Contains(got, alert); }));
  Subscribe("partners/example-union");
  ASSERT_EQ(Cli({"alerts", "update", alert, "--status", "VERIFIED"}).exit_code, 0);
  ASSERT_TRUE(receiver_->WaitFor([&](const auto& got) {
    return std::count_if(got.begin(), got.end(),
                         [&](const Received& r) { return r.name == alert; }) >= 3;
  })) << server_->log();
  for (const Received& r : receiver_->received()) {
    EXPECT_THAT(r.body, Not(HasSubstr(kPlanted)));
    EXPECT_THAT(r.body, Not(HasSubstr("protectedDetails\":{")));
  }
  EXPECT_THAT(server_->log(), Not(HasSubstr(kPlanted)));
}

TEST_P(NotifyTest, AFailingSubscriptionStopsAndResumesWhereItStoppedOnceUpdated) {
  StartServer({"--notify-retry-for=2s"});
  const std::string subscription = Subscribe("partners/ilo");
  receiver_->set_mode(Receiver::Mode::kDown);
  const std::string missed = FileAlert("Missed while failing");
  bool failing = false;
  for (int i = 0; i < 100 && !failing; ++i) {
    failing = absl::StrContains(SubscriptionJson(subscription), "STATE_FAILING");
    if (!failing) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(failing) << SubscriptionJson(subscription);
  receiver_->set_mode(Receiver::Mode::kAccept);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_FALSE(Contains(receiver_->received(), missed)) << "a failing subscription delivered";
  ASSERT_EQ(Cli({"subscriptions", "update", subscription, "--display-name", "fixed"}).exit_code, 0);
  ASSERT_TRUE(receiver_->WaitFor([&](const auto& got) { return Contains(got, missed); }));
  EXPECT_THAT(SubscriptionJson(subscription), HasSubstr("STATE_ACTIVE"));

  // A replay from before it delivers it again.
  const std::string json = SubscriptionJson(subscription);
  int64_t created_at = 0;
  ASSERT_TRUE(absl::SimpleAtoi(
      JsonString(absl::StrReplaceAll(json, {{"\":\"", "\":\""}}), "delivered_revision"),
      &created_at))
      << json;
  const size_t before = receiver_->received().size();
  const Received first = receiver_->received().front();
  ASSERT_EQ(Cli({"subscriptions", "replay", subscription, "--after-revision",
                 std::to_string(first.revision - 1)})
                .exit_code,
            0);
  ASSERT_TRUE(receiver_->WaitFor([&](const auto& got) { return got.size() > before; }));
  EXPECT_EQ(receiver_->received()[before].id, first.id) << "a replay sends the same message ids";
  CommandResult ahead = Cli({"subscriptions", "replay", subscription, "--after-revision",
                             std::to_string(created_at + 1000)});
  EXPECT_EQ(ahead.exit_code, 64 + 3) << ahead.err;
  EXPECT_THAT(ahead.err, HasSubstr("after_revision"));
}

TEST_P(NotifyTest, ServerSideRequestForgeryIsRefused) {
  // mpowerd as deployed: no private targets.
  server_ = std::make_unique<ServerProcess>(dir_.path(), ServerFlags({"--demo-data"}));
  ASSERT_GT(server_->port(), 0) << server_->log();
  for (const std::string& url :
       {std::string("https://127.0.0.1:8443/hook"), std::string("https://10.0.0.7/hook"),
        std::string("https://169.254.169.254/latest/meta-data"), std::string("https://[::1]/hook"),
        std::string("https://localhost/hook"), std::string("http://example.org/hook")}) {
    CommandResult refused =
        Cli({"subscriptions", "create", "--parent", "partners/ilo", "--webhook-url", url});
    EXPECT_EQ(refused.exit_code, 64 + 3) << url << ": " << refused.out;
    EXPECT_THAT(refused.err, HasSubstr("subscription.webhook.url")) << url;
  }
  // A name that resolves to this machine passes the URL check, and is
  // refused when connecting.
  char host[256] = {};
  ASSERT_EQ(gethostname(host, sizeof(host) - 1), 0);
  CommandResult created = Cli({"subscriptions", "create", "by-name", "--parent", "partners/ilo",
                               "--webhook-url", absl::StrCat("https://", host, ":", 1, "/hook")});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  CommandResult ping = Cli({"subscriptions", "test", "partners/ilo/subscriptions/by-name"});
  EXPECT_EQ(ping.exit_code, 0) << ping.err;
  EXPECT_THAT(ping.out, HasSubstr("NOT delivered"));
  EXPECT_THAT(ping.out, HasSubstr("refused to connect: the host resolves to a"));
  EXPECT_THAT(Cli({"subscriptions", "list", "--parent", "partners/-"}).out,
              Not(HasSubstr("127.0.0.1:8443")))
      << "a refused subscription was created";
}

TEST_P(NotifyTest, RedirectsAreNotFollowedEvenToAllowedTargets) {
  StartServer();
  const std::string subscription = Subscribe("partners/ilo");
  receiver_->set_mode(Receiver::Mode::kRedirect);
  CommandResult redirected = Cli({"subscriptions", "test", subscription});
  EXPECT_THAT(redirected.out, HasSubstr("NOT delivered: HTTP 302"));
  EXPECT_THAT(redirected.out, HasSubstr("does not follow redirects"));
  EXPECT_EQ(receiver_->redirected(), 0);
}

// Waits for tests/smtp_receiver.py to listen; returns its port, or "".
std::string RelayPort(const BackgroundCommand& relay) {
  for (int i = 0; i < 100; ++i) {
    const std::string out = relay.Output();
    if (const size_t at = out.find("port ");
        at != std::string::npos && out.find('\n', at) != std::string::npos) {
      return out.substr(at + 5, out.find('\n', at) - at - 5);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return "";
}

TEST_P(NotifyTest, EmailGoesThroughTheRelayOverStartTlsWithALogin) {
  testing::TempDir mail;
  BackgroundCommand smtp({"/usr/bin/python3", MPOWER_SMTP_RECEIVER, Path("server.pem"),
                          Path("server.key"), mail.path(), "--auth", "mpower:relay-password"});
  const std::string port = RelayPort(smtp);
  ASSERT_FALSE(port.empty()) << smtp.Output();
  std::ofstream(dir_.path() + "/smtp-password") << "relay-password\n";
  StartServer({"--smtp-url=smtp://127.0.0.1:" + port, "--smtp-from=mpower@partnership.example",
               "--smtp-ca-file=" + Path("ca.pem"), "--email-digest-interval=2s",
               "--smtp-username=mpower", "--smtp-password-file=" + dir_.path() + "/smtp-password"});
  CommandResult created = Cli({"subscriptions", "create", "desk", "--parent", "partners/ilo",
                               "--email", "desk@ilo.example,duty@ilo.example"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const std::string alert = FileAlert("Mailed threat");
  std::string message;
  for (int i = 0; i < 200 && message.empty(); ++i) {
    std::ifstream in(mail.path() + "/0001.eml");
    message.assign(std::istreambuf_iterator<char>(in), {});
    if (message.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(message.empty()) << server_->log();
  EXPECT_THAT(message, HasSubstr("X-Test-TLS: yes"));
  EXPECT_THAT(message, HasSubstr("X-Test-Rcpt: desk@ilo.example,duty@ilo.example"));
  EXPECT_THAT(message, HasSubstr("Subject: [mpower] alert.created: " + alert));
  EXPECT_THAT(message, HasSubstr("headline: Mailed threat"));
  EXPECT_THAT(message, Not(HasSubstr(kPlanted)));

  // Busy: what comes within the interval goes out as one digest.
  const std::string second = FileAlert("Second");
  const std::string third = FileAlert("Third");
  std::string digest;
  for (int i = 0; i < 200 && digest.empty(); ++i) {
    std::ifstream in(mail.path() + "/0002.eml");
    digest.assign(std::istreambuf_iterator<char>(in), {});
    if (digest.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_THAT(digest, HasSubstr("2 changes"));
  EXPECT_THAT(digest, HasSubstr(second));
  EXPECT_THAT(digest, HasSubstr(third));
  EXPECT_THAT(digest, Not(HasSubstr(kPlanted)));
  smtp.Stop(SIGTERM);
}

// A relay that offers no STARTTLS gets nothing: mpowerd sends mail only
// encrypted unless told otherwise, and says why on the subscription.
TEST_P(NotifyTest, EmailIsNeverSentInPlaintextUnlessAllowed) {
  testing::TempDir mail;
  BackgroundCommand smtp({"/usr/bin/python3", MPOWER_SMTP_RECEIVER, Path("server.pem"),
                          Path("server.key"), mail.path(), "--no-tls"});
  const std::string port = RelayPort(smtp);
  ASSERT_FALSE(port.empty()) << smtp.Output();
  StartServer({"--smtp-url=smtp://127.0.0.1:" + port, "--smtp-from=mpower@partnership.example"});
  ASSERT_EQ(Cli({"subscriptions", "create", "desk", "--parent", "partners/ilo", "--email",
                 "desk@ilo.example"})
                .exit_code,
            0);
  CommandResult ping = Cli({"subscriptions", "test", "partners/ilo/subscriptions/desk"});
  EXPECT_THAT(ping.out, HasSubstr("NOT delivered"));
  EXPECT_THAT(ping.out, HasSubstr("offers no STARTTLS"));
  FileAlert("Never in plaintext");
  bool failing = false;
  for (int i = 0; i < 100 && !failing; ++i) {
    failing = absl::StrContains(SubscriptionJson("partners/ilo/subscriptions/desk"),
                                "\"consecutive_failures\":");
    if (!failing) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(failing);
  EXPECT_FALSE(std::ifstream(mail.path() + "/0001.eml").good()) << "mail went out in plaintext";
  smtp.Stop(SIGTERM);
}

TEST_P(NotifyTest, AnEscalationReachesAPersonAndNothingElseDoes) {
  // Immediate alerts escalate after a second unanswered.
  StartServer({"--escalation-windows=immediate=1s"});
  Subscribe("partners/ilo", {"--escalations-only", "true"});
  const std::string alert = FileAlert("Nobody answered");
  ASSERT_TRUE(receiver_->WaitFor([&](const auto& got) { return Contains(got, alert); }))
      << server_->log();
  ASSERT_EQ(Cli({"alerts", "update", alert, "--status", "RESPONDING"}).exit_code, 0);
  const std::string sentinel = FileAlert("Also unanswered");
  ASSERT_TRUE(receiver_->WaitFor([&](const auto& got) { return Contains(got, sentinel); }));
  for (const Received& r : receiver_->received()) {
    EXPECT_EQ(r.type, "alert.escalated") << r.body;
    EXPECT_THAT(r.body, HasSubstr("\"escalated\":true"));
  }
}

TEST_P(NotifyTest, ReplicasDeliverEachChangeOnceAndTakeOverFromADeadOne) {
  if (GetParam() != testing::Backend::kPostgres) {
    GTEST_SKIP() << "only PostgreSQL is shared by several replicas";
  }
  StartServer();
  testing::TempDir other_dir;
  std::vector<std::string> flags = {"--notify-allow-private-targets",
                                    "--notify-ca-file=" + Path("ca.pem"),
                                    "--notify-max-backoff=300ms", "--maintenance-interval=1s",
                                    "--key-dir=" + dir_.path() + "/keys"};
  ServerProcess other(other_dir.path(), ServerFlags(flags));
  ASSERT_GT(other.port(), 0) << other.log();
  const std::string token = server_->admin_token();
  const auto file_on_other = [&](const std::string& headline) {
    CommandResult filed = RunCommand(
        {MPOWER_PATH, "alerts", "create", "--filing-partner", "partners/example-union",
         "--category", "OTHER", "--severity", "MINOR", "--urgency", "FUTURE", "--certainty",
         "POSSIBLE", "--country", "ID", "--headline", headline, "-o", "json"},
        {{"MPOWER_ADDRESS", other.address()},
         {"MPOWER_TOKEN", token},
         {"MPOWER_CONFIG", "/nonexistent/mpower-config"}});
    EXPECT_EQ(filed.exit_code, 0) << filed.err;
    return JsonString(absl::StrReplaceAll(filed.out, {{"\": \"", "\":\""}}), "name");
  };
  Subscribe("partners/ilo");
  std::vector<std::string> filed;
  for (int i = 0; i < 3; ++i) {
    filed.push_back(FileAlert(absl::StrCat("On the first ", i)));
    filed.push_back(file_on_other(absl::StrCat("On the second ", i)));
  }
  ASSERT_TRUE(receiver_->WaitFor([&](const auto& got) {
    return std::all_of(filed.begin(), filed.end(),
                       [&](const std::string& name) { return Contains(got, name); });
  })) << server_->log()
      << other.log();
  std::set<std::string> ids;
  for (const Received& r : receiver_->received()) {
    EXPECT_TRUE(ids.insert(r.id).second) << "delivered twice: " << r.name;
  }
  // Whichever replica delivered dies; the survivor takes over.
  server_->Stop(SIGKILL);
  const std::string after = file_on_other("After a replica died");
  ASSERT_TRUE(receiver_->WaitFor([&](const auto& got) { return Contains(got, after); }))
      << other.log();
}

MPOWER_ON_EVERY_BACKEND(NotifyTest);

// The example receiver in examples/webhook-receiver verifies what mpowerd
// sends with the Standard Webhooks library from npm, and refuses a forgery.
// A test of the example, not of a backend: SQLite only.
TEST(ExampleReceiverTest, VerifiesEveryDeliveryWithTheStandardWebhooksLibrary) {
  testing::TempDir dir;
  ServerProcess server(dir.path(), {"--demo-data", "--notify-allow-http-loopback",
                                    "--notify-allow-private-targets"});
  ASSERT_GT(server.port(), 0) << server.log();
  const auto cli = [&](std::vector<std::string> args) {
    args.insert(args.begin(), MPOWER_PATH);
    return RunCommand(args, {{"MPOWER_CONFIG", server.client_config()}});
  };
  // A port the OS picks, for the receiver: bound, read, and let go.
  int port = 0;
  {
    const int probe = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    ASSERT_EQ(bind(probe, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    ASSERT_EQ(getsockname(probe, reinterpret_cast<sockaddr*>(&address), &length), 0);
    port = ntohs(address.sin_port);
    close(probe);
  }
  CommandResult created =
      cli({"subscriptions", "create", "example", "--parent", "partners/ilo", "--webhook-url",
           absl::StrCat("http://127.0.0.1:", port, "/"), "-o", "json"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  const std::string secret =
      JsonString(absl::StrReplaceAll(created.out, {{"\": \"", "\":\""}}), "signing_secret");
  ASSERT_FALSE(secret.empty()) << created.out;

  BackgroundCommand receiver(
      {"/bin/bash", std::string(MPOWER_EXAMPLES_DIR) + "/webhook-receiver/run.sh"},
      {{"MPOWER_WEBHOOK_SECRET", secret}, {"PORT", std::to_string(port)}});
  const auto wait_for = [&](const std::string& text) {
    for (int i = 0; i < 1200; ++i) {  // npm ci on a cold cache takes a while
      if (absl::StrContains(receiver.Output(), text)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  };
  ASSERT_TRUE(wait_for("listening on")) << receiver.Output();
  CommandResult ping = cli({"subscriptions", "test", "partners/ilo/subscriptions/example"});
  EXPECT_THAT(ping.out, HasSubstr("delivered: HTTP 204")) << ping.err;
  EXPECT_TRUE(wait_for("verified mpower.ping partners/ilo/subscriptions/example revision 0"))
      << receiver.Output();

  CommandResult alert = cli({"alerts", "update", "alerts/example-dismissals-honduras", "--status",
                             "VERIFIED", "-o", "json"});
  ASSERT_EQ(alert.exit_code, 0) << alert.err;
  EXPECT_TRUE(wait_for("verified alert.updated alerts/example-dismissals-honduras"))
      << receiver.Output();

  // A forgery: the right shape, signed with another secret.
  CommandResult forged = RunCommand(
      {"/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-H",
       "webhook-id: msg_forged", "-H", absl::StrCat("webhook-timestamp: ", time(nullptr)), "-H",
       "webhook-signature: v1,bm90IHRoZSByaWdodCBzaWduYXR1cmUgYXQgYWxsIQ==", "--data",
       R"({"type":"alert.created","data":{}})", absl::StrCat("http://127.0.0.1:", port, "/")});
  EXPECT_EQ(forged.out, "400");
  EXPECT_TRUE(wait_for("rejected:")) << receiver.Output();
  receiver.Stop(SIGTERM);
}

}  // namespace
}  // namespace mpower
