// Three mpowerd replicas on one PostgreSQL database, driven through the
// real CLI: writes through all of them, a watcher on each seeing every
// replica's writes once and in order, a request_id retry landing on
// another replica writing once, a revocation on one replica refused by the
// others, two replicas starting at once on an empty database, and the
// Python example client balancing over all three. Then
// faults: a replica killed under load, the maintenance leader killed, and
// the database going away and coming back.

#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "mpower/v1/alert.grpc.pb.h"
#include "mpower/v1/commitment.grpc.pb.h"
#include "tests/any_rpc.h"
#include "tests/own_postgres.h"
#include "tests/process.h"
#include "tests/test_support.h"
#include "tests/write_load.h"

namespace mpower {
namespace {

using ::mpower::testing::BackgroundCommand;
using ::mpower::testing::CommandResult;
using ::mpower::testing::OwnPostgres;
using ::mpower::testing::RunCommand;
using ::mpower::testing::ServerProcess;
using ::testing::HasSubstr;
using ::testing::Not;

// (revision, name) rows of the CLI's change and watch tables, in order.
std::vector<std::pair<int64_t, std::string>> Rows(const std::string& table) {
  std::vector<std::pair<int64_t, std::string>> rows;
  std::istringstream lines(table);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    int64_t revision = 0;
    std::string type, name;
    if (words >> revision >> type >> name) rows.emplace_back(revision, name);
  }
  return rows;
}

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(database_.error(), "");
    // Every replica must seal with the same keys: make them first, as an
    // operator would, with `mpowerd keys rotate` on a scratch directory.
    ASSERT_EQ(mkdir(keys().c_str(), 0700), 0);
    CommandResult made = RunCommand({MPOWERD_PATH, "--data-dir=" + dir_.path() + "/scratch",
                                     "--key-dir=" + keys(), "keys", "rotate"});
    ASSERT_EQ(made.exit_code, 0) << made.err;
  }

  std::string keys() const { return dir_.path() + "/keys"; }

  // Starts replica `i` (its own data directory, the shared database and
  // keys).
  std::unique_ptr<ServerProcess> StartReplica(int i, std::vector<std::string> flags = {}) {
    const std::string data = dir_.path() + "/replica-" + std::to_string(i);
    std::filesystem::create_directories(data);
    flags.push_back("--database=" + database_.url());
    flags.push_back("--key-dir=" + keys());
    flags.push_back("--rate-limit=0");
    return std::make_unique<ServerProcess>(data, flags);
  }

  // The local admin's token: in the config of whichever replica issued it.
  std::string AdminToken() const {
    for (const auto& replica : replicas_) {
      if (replica != nullptr && std::filesystem::exists(replica->client_config())) {
        return replica->admin_token();
      }
    }
    return "";
  }

  CommandResult Cli(const std::string& address, const std::string& token,
                    std::vector<std::string> args) {
    args.insert(args.begin(), MPOWER_PATH);
    return RunCommand(args, {{"MPOWER_ADDRESS", address},
                             {"MPOWER_TOKEN", token},
                             {"MPOWER_CONFIG", dir_.path() + "/no-config"}});
  }

  testing::PostgresTestDatabase database_;
  testing::TempDir dir_;
  std::vector<std::unique_ptr<ServerProcess>> replicas_;
};

TEST_F(ClusterTest, ThreeReplicasKeepEveryPromiseTogether) {
  // Two replicas start at once on an empty database: one migrates it and
  // issues the admin credential; the other waits for the migration and
  // finds the credential issued.
  std::unique_ptr<ServerProcess> first, second;
  std::thread starting([&] { first = StartReplica(1); });
  second = StartReplica(2);
  starting.join();
  replicas_.push_back(std::move(first));
  replicas_.push_back(std::move(second));
  replicas_.push_back(StartReplica(3, {"--demo-data"}));
  for (const auto& replica : replicas_) ASSERT_GT(replica->port(), 0) << replica->log();
  const std::string admin = AdminToken();
  ASSERT_FALSE(admin.empty()) << "one replica issued the admin credential";
  const std::string all = "ipv4:" + replicas_[0]->address() + "," + replicas_[1]->address() + "," +
                          replicas_[2]->address();

  // The Python example client, balancing over all three: its watch and its
  // writes land on different replicas.
  CommandResult python =
      RunCommand({"/bin/bash", std::string(MPOWER_EXAMPLES_DIR) + "/python/run.sh"},
                 {{"MPOWER_ADDRESS", all},
                  {"MPOWER_TOKEN", admin},
                  {"MPOWER_PYTHON_GEN", dir_.path() + "/python-gen"}});
  EXPECT_EQ(python.exit_code, 0) << python.out << python.err;
  EXPECT_THAT(python.out, HasSubstr("watch saw alerts/"));
  EXPECT_THAT(python.out, HasSubstr("scenario passed"));

  // A watcher on each replica, from the start of history.
  std::vector<std::unique_ptr<BackgroundCommand>> watchers;
  for (const auto& replica : replicas_) {
    watchers.push_back(std::make_unique<BackgroundCommand>(
        std::vector<std::string>{MPOWER_PATH, "alerts", "watch", "--after", "0", "--for", "12s"},
        std::map<std::string, std::string>{{"MPOWER_ADDRESS", replica->address()},
                                           {"MPOWER_TOKEN", admin},
                                           {"MPOWER_CONFIG", dir_.path() + "/no-config"}}));
  }

  // Writes through all three, round-robin.
  for (int i = 0; i < 12; ++i) {
    CommandResult filed =
        Cli(all, admin,
            {"alerts", "create", "--filing-partner", "partners/example-union", "--category",
             "threat_of_violence", "--severity", "severe", "--urgency", "immediate", "--certainty",
             "observed", "--country", "ID", "--headline", "cluster alert " + std::to_string(i)});
    ASSERT_EQ(filed.exit_code, 0) << filed.err;
  }

  // A retried create with the same request_id, sent to another replica,
  // returns the first result and writes nothing.
  const std::vector<std::string> create = {"partners",
                                           "create",
                                           "kspi",
                                           "--display-name",
                                           "Konfederasi Serikat Pekerja Indonesia",
                                           "--type",
                                           "union_federation",
                                           "--country",
                                           "ID",
                                           "--request-id",
                                           "kspi-once",
                                           "-o",
                                           "json"};
  CommandResult created = Cli(replicas_[0]->address(), admin, create);
  ASSERT_EQ(created.exit_code, 0) << created.err;
  CommandResult before_retry =
      Cli(replicas_[2]->address(), admin, {"changes", "list", "--all", "--page-size", "1000"});
  CommandResult retried = Cli(replicas_[1]->address(), admin, create);
  EXPECT_EQ(retried.exit_code, 0) << retried.err;
  EXPECT_EQ(retried.out, created.out);
  CommandResult after_retry =
      Cli(replicas_[2]->address(), admin, {"changes", "list", "--all", "--page-size", "1000"});
  EXPECT_EQ(Rows(after_retry.out), Rows(before_retry.out)) << "the retry wrote something";

  // Every watcher saw exactly the store's history of alerts: each change
  // once, in revision order, whichever replica wrote it.
  CommandResult history =
      Cli(replicas_[1]->address(), admin, {"changes", "list", "--all", "--collections", "alerts"});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  const auto truth = Rows(history.out);
  ASSERT_GE(truth.size(), 12u);
  for (size_t k = 0; k < watchers.size(); ++k) {
    CommandResult watched = watchers[k]->Wait();
    EXPECT_EQ(Rows(watched.out), truth) << "the watcher on replica " << k + 1 << ":\n"
                                        << watched.out << watched.err;
  }

  // A credential revoked on one replica is refused by the others, though
  // they had it cached.
  CommandResult issued =
      Cli(replicas_[0]->address(), admin,
          {"credentials", "create", "ilo-viewer", "--principal", "ilo-viewer", "--role",
           "partner_viewer", "--partner", "partners/ilo", "-o", "json"});
  ASSERT_EQ(issued.exit_code, 0) << issued.err;
  const size_t at = issued.out.find("\"token\": \"") + 10;
  const std::string viewer = issued.out.substr(at, issued.out.find('"', at) - at);
  ASSERT_EQ(Cli(replicas_[1]->address(), viewer, {"partners", "list"}).exit_code, 0);
  ASSERT_EQ(Cli(replicas_[2]->address(), admin, {"credentials", "revoke", "credentials/ilo-viewer"})
                .exit_code,
            0);
  const auto revoked_at = std::chrono::steady_clock::now();
  CommandResult refused;
  while (std::chrono::steady_clock::now() - revoked_at < std::chrono::seconds(5)) {
    refused = Cli(replicas_[1]->address(), viewer, {"partners", "list"});
    if (refused.exit_code != 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(refused.exit_code, 64 + 16) << refused.out;  // UNAUTHENTICATED
  EXPECT_THAT(refused.err, HasSubstr("revoked"));
  std::cout << "another replica refused the revoked credential after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - revoked_at)
                   .count()
            << " ms\n";
}

// Files alerts (with protected details) one after another, each retried
// with the same request_id until the server acknowledges it, and remembers
// what was acknowledged and how the attempts that failed on the way ended.
class PersistentWriter {
 public:
  PersistentWriter(std::shared_ptr<grpc::Channel> channel, std::string token)
      : channel_(std::move(channel)), token_(std::move(token)), thread_([this] { Run(); }) {}
  ~PersistentWriter() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  size_t acknowledged_count() {
    std::lock_guard<std::mutex> lock(mutex_);
    return acknowledged_.size();
  }
  testing::Acknowledged acknowledged() {
    std::lock_guard<std::mutex> lock(mutex_);
    return acknowledged_;
  }
  int failed_attempts() const { return failed_attempts_; }
  // How many failed attempts ended with `code`.
  int failed_with(grpc::StatusCode code) {
    std::lock_guard<std::mutex> lock(mutex_);
    return failures_[code];
  }
  std::string last_failure() {
    std::lock_guard<std::mutex> lock(mutex_);
    return last_failure_;
  }

 private:
  void Run() {
    auto stub = v1::AlertService::NewStub(channel_);
    for (int i = 0; !stop_; ++i) {
      v1::CreateAlertRequest request = testing::ProtectedAlertRequest(
          "written through a fault", "Zainab Quetzalcoatl-Oyelaran " + std::to_string(i));
      request.set_alert_id("fault-" + std::to_string(i));
      request.set_request_id("fault-request-" + std::to_string(i));
      for (int attempt = 0; attempt < 400 && !stop_; ++attempt) {
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
        context.AddMetadata("authorization", "Bearer " + token_);
        v1::CreateAlertResponse response;
        const grpc::Status status = stub->CreateAlert(&context, request, &response);
        if (status.ok()) {
          std::lock_guard<std::mutex> lock(mutex_);
          acknowledged_[response.alert().name()] = response.alert().etag();
          break;
        }
        ++failed_attempts_;
        {
          std::lock_guard<std::mutex> lock(mutex_);
          ++failures_[status.error_code()];
          last_failure_ = std::to_string(status.error_code()) + " " + status.error_message();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
  }

  std::shared_ptr<grpc::Channel> channel_;
  const std::string token_;
  std::atomic<bool> stop_ = false;
  std::atomic<int> failed_attempts_ = 0;
  std::mutex mutex_;
  testing::Acknowledged acknowledged_;
  std::map<grpc::StatusCode, int> failures_;
  std::string last_failure_;
  std::thread thread_;  // started last
};

// Waits up to `limit` for `done`.
bool WaitFor(const std::function<bool()>& done, std::chrono::seconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

TEST(PostgresFaultTest, AnOutageUnderLoadLosesNothingAndTheReplicaRecoversByItself) {
  OwnPostgres postgres;
  ASSERT_FALSE(postgres.url().empty());
  testing::TempDir dir;
  ServerProcess server(dir.path(),
                       {"--database=" + postgres.url(), "--demo-data", "--rate-limit=0"});
  ASSERT_GT(server.port(), 0) << server.log();
  auto channel = grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials());
  EXPECT_EQ(testing::HealthOf(channel), "SERVING");
  PersistentWriter writer(channel, server.admin_token());
  ASSERT_TRUE(WaitFor([&] { return writer.acknowledged_count() >= 20; }, std::chrono::seconds(30)));

  // The database goes away: health says so, and writes fail UNAVAILABLE.
  ASSERT_TRUE(postgres.Pause());
  EXPECT_TRUE(WaitFor([&] { return testing::HealthOf(channel) == "NOT_SERVING"; },
                      std::chrono::seconds(10)))
      << testing::HealthOf(channel);
  const int failed_before = writer.failed_with(grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(
      WaitFor([&] { return writer.failed_with(grpc::StatusCode::UNAVAILABLE) > failed_before; },
              std::chrono::seconds(10)))
      << "last failure: " << writer.last_failure();
  const size_t at_outage = writer.acknowledged_count();

  // It comes back: health and writes recover by themselves, with no restart
  // of mpowerd, and every failed attempt succeeded when retried.
  ASSERT_TRUE(postgres.Resume());
  EXPECT_TRUE(
      WaitFor([&] { return testing::HealthOf(channel) == "SERVING"; }, std::chrono::seconds(10)));
  EXPECT_TRUE(WaitFor([&] { return writer.acknowledged_count() >= at_outage + 20; },
                      std::chrono::seconds(30)))
      << "writes did not resume; last failure: " << writer.last_failure();
  // A fast restart, cutting the sessions in use, is survived the same way.
  ASSERT_TRUE(postgres.Restart());
  const size_t at_restart = writer.acknowledged_count();
  EXPECT_TRUE(WaitFor([&] { return writer.acknowledged_count() >= at_restart + 20; },
                      std::chrono::seconds(30)))
      << "writes did not resume; last failure: " << writer.last_failure();
  writer.Stop();
  std::cout << "attempts that failed across the outage and the restart, then succeeded on retry: "
            << writer.failed_attempts() << " (" << writer.failed_with(grpc::StatusCode::UNAVAILABLE)
            << " UNAVAILABLE)\n";
  EXPECT_EQ(writer.failed_attempts(), writer.failed_with(grpc::StatusCode::UNAVAILABLE) +
                                          writer.failed_with(grpc::StatusCode::DEADLINE_EXCEEDED))
      << "a write failed otherwise than UNAVAILABLE: " << writer.last_failure();

  // Nothing half-applied: each acknowledged alert is there as acknowledged,
  // the history has no gap, and the audit chain verifies.
  for (const auto& [name, etag] : writer.acknowledged()) {
    EXPECT_EQ(testing::CurrentEtag(channel, server.admin_token(), name), etag) << name;
  }
  testing::ExpectRevisionsWithoutGaps(channel, server.admin_token());
  CommandResult verified = RunCommand({MPOWERD_PATH, "--data-dir=" + dir.path(),
                                       "--database=" + postgres.url(), "audit", "verify"});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_THAT(server.log(), Not(HasSubstr("Quetzalcoatl")));
}

TEST_F(ClusterTest, AKilledReplicaLosesNoAcknowledgedWriteAndTheSurvivorsWatchersMissNothing) {
  replicas_.push_back(StartReplica(1, {"--demo-data"}));
  ASSERT_GT(replicas_[0]->port(), 0) << replicas_[0]->log();
  replicas_.push_back(StartReplica(2));
  replicas_.push_back(StartReplica(3));
  for (const auto& replica : replicas_) ASSERT_GT(replica->port(), 0) << replica->log();
  const std::string admin = AdminToken();

  // Watchers on the two replicas that will survive.
  std::vector<std::unique_ptr<BackgroundCommand>> watchers;
  for (int i : {1, 2}) {
    watchers.push_back(std::make_unique<BackgroundCommand>(
        std::vector<std::string>{MPOWER_PATH, "alerts", "watch", "--after", "0", "--for", "10s"},
        std::map<std::string, std::string>{{"MPOWER_ADDRESS", replicas_[i]->address()},
                                           {"MPOWER_TOKEN", admin},
                                           {"MPOWER_CONFIG", dir_.path() + "/no-config"}}));
  }
  // One writer balancing over all three, as a client behind a load
  // balancer would; a request lost with the killed replica is retried on
  // another with the same request_id.
  grpc::ChannelArguments balanced;
  balanced.SetLoadBalancingPolicyName("round_robin");
  auto all = grpc::CreateCustomChannel("ipv4:" + replicas_[0]->address() + "," +
                                           replicas_[1]->address() + "," + replicas_[2]->address(),
                                       grpc::InsecureChannelCredentials(), balanced);
  PersistentWriter writer(all, admin);
  ASSERT_TRUE(WaitFor([&] { return writer.acknowledged_count() >= 30; }, std::chrono::seconds(30)));
  replicas_[0]->Stop(SIGKILL);
  const size_t at_kill = writer.acknowledged_count();
  EXPECT_TRUE(WaitFor([&] { return writer.acknowledged_count() >= at_kill + 30; },
                      std::chrono::seconds(30)))
      << "last failure: " << writer.last_failure();
  writer.Stop();
  std::cout << "acknowledged " << writer.acknowledged_count() << " alerts, " << at_kill
            << " before the kill; " << writer.failed_attempts()
            << " attempts failed and were retried\n";

  // Every acknowledged write is there, as acknowledged, exactly once.
  auto survivor = grpc::CreateChannel(replicas_[1]->address(), grpc::InsecureChannelCredentials());
  const testing::Acknowledged acknowledged = writer.acknowledged();
  for (const auto& [name, etag] : acknowledged) {
    EXPECT_EQ(testing::CurrentEtag(survivor, admin, name), etag) << name;
  }
  testing::ExpectRevisionsWithoutGaps(survivor, admin);
  CommandResult history =
      Cli(replicas_[1]->address(), admin, {"changes", "list", "--all", "--collections", "alerts"});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  const auto truth = Rows(history.out);
  std::map<std::string, int> created;  // the writer's alerts, not the demo data's
  for (const auto& [revision, name] : truth) {
    if (name.rfind("alerts/fault-", 0) == 0) ++created[name];
  }
  for (const auto& [name, etag] : acknowledged) {
    EXPECT_EQ(created[name], 1) << name << " should be in the history exactly once";
  }
  // The writer stops between writes; at most the one in flight then is
  // written without an acknowledgement.
  EXPECT_LE(created.size(), acknowledged.size() + 1);

  // The survivors' watchers saw that history: each change once, in order.
  for (size_t k = 0; k < watchers.size(); ++k) {
    CommandResult watched = watchers[k]->Wait();
    EXPECT_EQ(Rows(watched.out), truth) << "the watcher on replica " << k + 2 << ":\n"
                                        << watched.err;
  }
}

TEST_F(ClusterTest, AnotherReplicaTakesOverMaintenanceWhenItsLeaderDies) {
  const std::vector<std::string> maintenance = {"--history-revisions=3",
                                                "--maintenance-interval=100ms"};
  std::vector<std::string> first_flags = maintenance;
  first_flags.push_back("--demo-data");
  auto leader = StartReplica(1, first_flags);
  ASSERT_GT(leader->port(), 0) << leader->log();
  replicas_.push_back(nullptr);  // keeps AdminToken's search simple
  const std::string admin = leader->admin_token();
  // Alone, the first replica leads: it compacts.
  const auto compacted_after = [&](const std::string& address) {
    CommandResult result = Cli(address, admin, {"changes", "list", "--after", "0"});
    const size_t at = result.err.find("continue after is ");
    return at == std::string::npos ? int64_t{0} : std::stoll(result.err.substr(at + 18));
  };
  ASSERT_TRUE(
      WaitFor([&] { return compacted_after(leader->address()) > 0; }, std::chrono::seconds(20)));
  auto follower = StartReplica(2, maintenance);
  ASSERT_GT(follower->port(), 0) << follower->log();
  leader->Stop(SIGKILL);
  const int64_t before = compacted_after(follower->address());
  for (int i = 0; i < 6; ++i) {
    ASSERT_EQ(Cli(follower->address(), admin,
                  {"partners", "create", "p" + std::to_string(i), "--display-name", "P", "--type",
                   "trade_union", "--country", "ID"})
                  .exit_code,
              0);
  }
  // The survivor takes the lease and compacts the history written since.
  EXPECT_TRUE(WaitFor([&] { return compacted_after(follower->address()) > before; },
                      std::chrono::seconds(20)))
      << follower->log();
}

// Files an alert naming `person` in its protected details; returns its
// name, or "" and the reason in the test's failures.
std::string FileProtectedAlert(const std::string& address, const std::string& token,
                               const std::string& person) {
  auto stub =
      v1::AlertService::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + token);
  const v1::CreateAlertRequest request =
      testing::ProtectedAlertRequest("filed around a key rotation", person);
  v1::CreateAlertResponse response;
  const grpc::Status status = stub->CreateAlert(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.alert().name();
}

// The first person named in `name`'s protected details, as `address` shows
// them to `token`, or the error.
std::string ProtectedPerson(const std::string& address, const std::string& token,
                            const std::string& name) {
  auto stub =
      v1::AlertService::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + token);
  v1::GetAlertRequest request;
  request.set_name(name);
  v1::GetAlertResponse response;
  const grpc::Status status = stub->GetAlert(&context, request, &response);
  if (!status.ok()) return "error: " + status.error_message();
  const v1::Alert& alert = response.alert();
  if (alert.protected_details().people_size() == 0) return "(none)";
  return alert.protected_details().people(0).full_name();
}

TEST_F(ClusterTest, KeysRotateWhileReplicasServe) {
  const std::vector<std::string> quick = {"--maintenance-interval=200ms"};
  std::vector<std::string> first_flags = quick;
  first_flags.push_back("--demo-data");
  replicas_.push_back(StartReplica(1, first_flags));
  ASSERT_GT(replicas_[0]->port(), 0) << replicas_[0]->log();
  replicas_.push_back(StartReplica(2, quick));
  ASSERT_GT(replicas_[1]->port(), 0) << replicas_[1]->log();
  const std::string admin = AdminToken();
  const std::string before =
      FileProtectedAlert(replicas_[0]->address(), admin, "Amaru Quetzalcoatl");
  std::ifstream current(keys() + "/current");
  std::string old_key;
  current >> old_key;
  ASSERT_FALSE(old_key.empty());

  // The operator rotates with both replicas serving.
  CommandResult rotated =
      RunCommand({MPOWERD_PATH, "--data-dir=" + dir_.path() + "/rotation", "--key-dir=" + keys(),
                  "--database=" + database_.url(), "keys", "rotate"});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.out << rotated.err;

  // Both go on reading what was re-sealed with a key they had not loaded,
  // and writing; what a replica seals with the old key meanwhile is
  // re-sealed by the maintenance leader.
  EXPECT_EQ(ProtectedPerson(replicas_[1]->address(), admin, before), "Amaru Quetzalcoatl");
  EXPECT_EQ(ProtectedPerson(replicas_[0]->address(), admin, before), "Amaru Quetzalcoatl");
  const std::string during =
      FileProtectedAlert(replicas_[1]->address(), admin, "Nayra Quetzalcoatl");
  const std::string still_old =
      "SELECT (SELECT count(*) FROM resources WHERE protected_key_id = '" + old_key +
      "') + (SELECT count(*) FROM changes WHERE "
      "protected_key_id = '" +
      old_key + "')";
  EXPECT_TRUE(
      WaitFor([&] { return database_.QueryValue(still_old) == "0"; }, std::chrono::seconds(20)))
      << database_.QueryValue(still_old) << " rows still sealed with the old key";

  // Without the old key at all, a new replica starts (it opens a row of
  // every key in use) and reads everything.
  ASSERT_EQ(std::remove((keys() + "/" + old_key + ".key").c_str()), 0);
  replicas_.push_back(StartReplica(3, quick));
  ASSERT_GT(replicas_[2]->port(), 0) << replicas_[2]->log();
  EXPECT_EQ(ProtectedPerson(replicas_[2]->address(), admin, before), "Amaru Quetzalcoatl");
  EXPECT_EQ(ProtectedPerson(replicas_[2]->address(), admin, during), "Nayra Quetzalcoatl");
}

TEST_F(ClusterTest, APgDumpTakenWhileServingRestoresWithItsAuditChainIntact) {
  replicas_.push_back(StartReplica(1, {"--demo-data"}));
  ASSERT_GT(replicas_[0]->port(), 0) << replicas_[0]->log();
  const std::string admin = AdminToken();
  const std::string before =
      FileProtectedAlert(replicas_[0]->address(), admin, "Amaru Quetzalcoatl");

  // The backup README describes, taken while the replica serves.
  const std::string dump = dir_.path() + "/mpower.dump";
  CommandResult dumped = RunCommand({"/usr/bin/pg_dump", "-Fc", "-f", dump, database_.url()});
  ASSERT_EQ(dumped.exit_code, 0) << dumped.err;
  const std::string after =
      FileProtectedAlert(replicas_[0]->address(), admin, "Nayra Quetzalcoatl");

  testing::PostgresTestDatabase restored;
  ASSERT_EQ(restored.error(), "");
  CommandResult loaded = RunCommand(
      {"/usr/bin/pg_restore", "--no-owner", "--exit-on-error", "-d", restored.url(), dump});
  ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
  CommandResult verified =
      RunCommand({MPOWERD_PATH, "--data-dir=" + dir_.path() + "/verify", "--key-dir=" + keys(),
                  "--database=" + restored.url(), "audit", "verify"});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_THAT(verified.out, HasSubstr("audit trail intact"));

  // A replica on the restored database serves what the backup held, with
  // the same keys, and nothing written after it.
  const std::string data = dir_.path() + "/restored-replica";
  std::filesystem::create_directories(data);
  ServerProcess on_restored(data, {"--database=" + restored.url(), "--key-dir=" + keys()});
  ASSERT_GT(on_restored.port(), 0) << on_restored.log();
  EXPECT_EQ(ProtectedPerson(on_restored.address(), admin, before), "Amaru Quetzalcoatl");
  EXPECT_THAT(ProtectedPerson(on_restored.address(), admin, after), HasSubstr("error"));
}

}  // namespace
}  // namespace mpower
