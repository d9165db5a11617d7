// Watchers across a server restart, with the real mpowerd: each resumes
// from the last revision it saw and sees every write exactly once, in order.

#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "mpower/v1/change.grpc.pb.h"
#include "mpower/v1/commitment.grpc.pb.h"
#include "tests/flaky_proxy.h"
#include "tests/process.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

using ::mpower::testing::BackgroundCommand;
using ::mpower::testing::CommandResult;
using ::mpower::testing::RunCommand;
using ::mpower::testing::ServerProcess;
using ::testing::HasSubstr;

// Where the server is now; writers and watchers follow it across restarts.
class Endpoint {
 public:
  void Set(const std::string& address, const std::string& token) {
    std::lock_guard<std::mutex> lock(mutex_);
    address_ = address;
    token_ = token;
  }
  std::pair<std::string, std::string> Get() {
    std::lock_guard<std::mutex> lock(mutex_);
    return {address_, token_};
  }

 private:
  std::mutex mutex_;
  std::string address_, token_;
};

struct Seen {
  int64_t revision;
  std::string name;
  bool operator==(const Seen& other) const {
    return revision == other.revision && name == other.name;
  }
};

// The watch suites run on every backend.
class WatchResumeTest : public testing::ServerBackendTest {};
class RetentionTest : public testing::ServerBackendTest {};
class AlertsWatchTest : public testing::ServerBackendTest {};

TEST_P(WatchResumeTest, EveryWriteOnceAndInOrderAcrossARestart) {
  testing::TempDir dir;
  auto server =
      std::make_unique<ServerProcess>(dir.path(), ServerFlags({"--demo-data", "--rate-limit=0"}));
  ASSERT_GT(server->port(), 0) << server->log();
  Endpoint endpoint;
  endpoint.Set(server->address(), server->admin_token());

  std::atomic<bool> stop_writing = false;
  std::mutex acknowledged_mutex;
  std::vector<std::string> acknowledged;
  std::vector<std::thread> writers;
  for (int w = 0; w < 2; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; !stop_writing && i < 100000;) {
        auto [address, token] = endpoint.Get();
        auto stub = v1::CommitmentService::NewStub(
            grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
        v1::CreateCommitmentRequest request;
        request.set_parent("partners/us-gov");
        request.set_commitment_id(absl::StrCat("w", w, "-", i));
        request.set_request_id(absl::StrCat("w", w, "-", i));  // a retry writes nothing twice
        request.mutable_commitment()->set_kind(v1::Commitment::KIND_RESEARCH);
        request.mutable_commitment()->set_title("Study");
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
        context.AddMetadata("authorization", "Bearer " + token);
        v1::CreateCommitmentResponse response;
        if (stub->CreateCommitment(&context, request, &response).ok()) {
          std::lock_guard<std::mutex> lock(acknowledged_mutex);
          acknowledged.push_back(response.commitment().name());
          ++i;
        } else {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      }
    });
  }

  constexpr int kWatchers = 3;
  std::atomic<bool> stop_watching = false;
  std::vector<std::vector<Seen>> seen(kWatchers);
  std::vector<std::atomic<int64_t>> complete(kWatchers);
  std::vector<std::atomic<int>> reconnects(kWatchers);
  std::mutex contexts_mutex;
  std::vector<grpc::ClientContext*> live(kWatchers, nullptr);
  std::vector<std::thread> watchers;
  for (int k = 0; k < kWatchers; ++k) {
    complete[k] = 0;
    reconnects[k] = 0;
    watchers.emplace_back([&, k] {
      while (!stop_watching) {
        auto [address, token] = endpoint.Get();
        grpc::ClientContext context;
        context.AddMetadata("authorization", "Bearer " + token);
        {
          std::lock_guard<std::mutex> lock(contexts_mutex);
          live[k] = &context;
          if (stop_watching) break;
        }
        v1::WatchChangesRequest request;
        request.set_after_revision(complete[k]);
        request.mutable_filter()->add_collections("commitments");
        request.set_progress_interval_ms(100);
        auto reader = v1::ChangeService::NewStub(
                          grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))
                          ->WatchChanges(&context, request);
        v1::WatchChangesResponse message;
        while (reader->Read(&message)) {
          for (const auto& change : message.changes())
            seen[k].push_back({change.revision(), change.name()});
          complete[k] = message.revision();
        }
        reader->Finish();
        {
          std::lock_guard<std::mutex> lock(contexts_mutex);
          live[k] = nullptr;
        }
        ++reconnects[k];
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
  }

  // Writes continue through the restart. How many land in a given time
  // depends on the machine (a channel per write is slow under TSan), so
  // wait for a count, not for a time.
  const auto wait_until_acknowledged = [&](size_t count) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      {
        std::lock_guard<std::mutex> lock(acknowledged_mutex);
        if (acknowledged.size() >= count) return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  };
  wait_until_acknowledged(15);
  ASSERT_EQ(server->Stop(SIGTERM), 0);
  size_t before_restart = 0;
  {
    std::lock_guard<std::mutex> lock(acknowledged_mutex);
    before_restart = acknowledged.size();
  }
  server = std::make_unique<ServerProcess>(dir.path(), ServerFlags({"--rate-limit=0"}));
  ASSERT_GT(server->port(), 0) << server->log();
  endpoint.Set(server->address(), server->admin_token());
  wait_until_acknowledged(before_restart + 15);
  stop_writing = true;
  for (auto& writer : writers) writer.join();

  // The truth: the store's own history of commitments.
  auto changes = v1::ChangeService::NewStub(
      grpc::CreateChannel(server->address(), grpc::InsecureChannelCredentials()));
  std::vector<Seen> truth;
  int64_t final_revision = 0;
  std::string token;
  do {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + server->admin_token());
    v1::ListChangesRequest request;
    request.mutable_filter()->add_collections("commitments");
    request.set_page_size(1000);
    request.set_page_token(token);
    v1::ListChangesResponse response;
    ASSERT_TRUE(changes->ListChanges(&context, request, &response).ok());
    for (const auto& change : response.changes())
      truth.push_back({change.revision(), change.name()});
    token = response.next_page_token();
    final_revision = response.current_revision();
  } while (!token.empty());

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (int k = 0; k < kWatchers; ++k) {
    while (complete[k] < final_revision && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  {
    std::lock_guard<std::mutex> lock(contexts_mutex);
    stop_watching = true;
    for (grpc::ClientContext* context : live) {
      if (context != nullptr) context->TryCancel();
    }
  }
  for (auto& watcher : watchers) watcher.join();

  ASSERT_GT(acknowledged.size(), 20u);
  std::set<std::string> in_truth;
  for (const Seen& change : truth) in_truth.insert(change.name);
  for (const std::string& name : acknowledged) {
    EXPECT_TRUE(in_truth.count(name)) << "acknowledged but not in the history: " << name;
  }
  for (int k = 0; k < kWatchers; ++k) {
    EXPECT_GE(reconnects[k], 1) << "watcher " << k << " lived through the restart";
    EXPECT_TRUE(seen[k] == truth) << "watcher " << k << " saw " << seen[k].size()
                                  << " changes; the history has " << truth.size();
  }
}

CommandResult FileAlert(const ServerProcess& server, const std::string& country,
                        const std::string& severity, const std::string& headline) {
  return RunCommand(
      {MPOWER_PATH, "alerts", "create", "--filing-partner", "partners/example-union", "--category",
       "threat_of_violence", "--severity", severity, "--urgency", "immediate", "--certainty",
       "observed", "--country", country, "--headline", headline},
      {{"MPOWER_ADDRESS", server.address()},
       {"MPOWER_TOKEN", server.admin_token()},
       {"MPOWER_CONFIG", "/nonexistent"}});
}

TEST_P(RetentionTest, HistoryBeyondTheRetainedRevisionsIsCompacted) {
  testing::TempDir dir;
  ServerProcess server(dir.path(), ServerFlags({"--demo-data", "--history-revisions=5",
                                                "--maintenance-interval=100ms"}));
  ASSERT_GT(server.port(), 0) << server.log();
  const std::map<std::string, std::string> env = {{"MPOWER_ADDRESS", server.address()},
                                                  {"MPOWER_TOKEN", server.admin_token()},
                                                  {"MPOWER_CONFIG", "/nonexistent"}};
  CommandResult compacted;
  for (int attempt = 0; attempt < 100; ++attempt) {
    compacted = RunCommand({MPOWER_PATH, "changes", "list", "--after", "1"}, env);
    if (compacted.exit_code != 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(compacted.exit_code, 64 + 11) << compacted.out;
  // The demo data ends at revision 31; five are kept.
  EXPECT_THAT(compacted.err, HasSubstr("the oldest revision you can continue after is 26"));
  CommandResult recent = RunCommand({MPOWER_PATH, "changes", "list", "--after", "26"}, env);
  EXPECT_EQ(recent.exit_code, 0) << recent.err;
  EXPECT_THAT(recent.out, HasSubstr("Up to date through revision 31"));
}

TEST_P(AlertsWatchTest, TheCliReconnectsByItselfAndMissesNothing) {
  testing::TempDir dir;
  auto server = std::make_unique<ServerProcess>(dir.path(), ServerFlags({"--demo-data"}));
  ASSERT_GT(server->port(), 0) << server->log();
  const std::string address = server->address();
  BackgroundCommand watch(
      {MPOWER_PATH, "alerts", "watch", "--countries", "ID,HN", "--min-severity", "severe"},
      {{"MPOWER_ADDRESS", address},
       {"MPOWER_TOKEN", server->admin_token()},
       {"MPOWER_CONFIG", "/nonexistent"}});
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  ASSERT_EQ(FileAlert(*server, "ID", "severe", "Before the restart").exit_code, 0);
  ASSERT_EQ(FileAlert(*server, "ID", "minor", "Too minor to show").exit_code, 0);
  ASSERT_EQ(server->Stop(SIGTERM), 0);
  // The same port again, as an operator's restart would keep it.
  server = std::make_unique<ServerProcess>(dir.path(), ServerFlags({"--listen=" + address}));
  ASSERT_GT(server->port(), 0) << server->log();
  ASSERT_EQ(FileAlert(*server, "MY", "extreme", "Another country").exit_code, 0);
  ASSERT_EQ(FileAlert(*server, "HN", "extreme", "After the restart").exit_code, 0);
  // Bounded wait for the watcher to catch up, however slow the machine.
  for (int i = 0; i < 600 && watch.Output().find("After the restart") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CommandResult watched = watch.Stop(SIGTERM);
  EXPECT_THAT(watched.err, HasSubstr("resuming after revision"));
  const std::string& out = watched.out;
  EXPECT_EQ(out.find("Before the restart"), out.rfind("Before the restart")) << out;
  EXPECT_NE(out.find("Before the restart"), std::string::npos) << out;
  EXPECT_NE(out.find("After the restart"), std::string::npos) << out;
  EXPECT_EQ(out.find("After the restart"), out.rfind("After the restart")) << out;
  EXPECT_EQ(out.find("Too minor"), std::string::npos);
  EXPECT_EQ(out.find("Another country"), std::string::npos);
  EXPECT_EQ(out.find("example-detention"), std::string::npos) << "starts from now, not history";
}

// The alert `mpower alerts create` printed: the first word of its table's
// second line.
std::string NameFiled(const std::string& out) {
  const size_t line = out.find('\n') + 1;
  return out.substr(line, out.find(' ', line) - line);
}

// The line of `text` that holds `what`, or "".
std::string LineWith(const std::string& text, const std::string& what) {
  const size_t at = text.find(what);
  if (at == std::string::npos) return "";
  const size_t start = text.rfind('\n', at) == std::string::npos ? 0 : text.rfind('\n', at) + 1;
  return text.substr(start, text.find('\n', at) - start);
}

// Waits (bounded) until `watch` has printed `text`.
bool WaitToSee(const BackgroundCommand& watch, const std::string& text) {
  for (int i = 0; i < 600; ++i) {
    if (watch.Output().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

TEST_P(AlertsWatchTest, ThroughAConnectionCutThreeTimesEveryChangeOnceInOrder) {
  testing::TempDir dir;
  ServerProcess server(dir.path(), ServerFlags({"--demo-data"}));
  ASSERT_GT(server.port(), 0) << server.log();
  testing::FlakyProxy proxy(server.port(), 0, std::chrono::milliseconds(0), /*seed=*/3);
  ASSERT_GT(proxy.port(), 0);
  const std::map<std::string, std::string> env = {
      {"MPOWER_ADDRESS", "127.0.0.1:" + std::to_string(proxy.port())},
      {"MPOWER_TOKEN", server.admin_token()},
      {"MPOWER_CONFIG", "/nonexistent"}};
  BackgroundCommand alerts({MPOWER_PATH, "alerts", "watch"}, env);
  BackgroundCommand changes({MPOWER_PATH, "changes", "watch", "--collections", "alerts"}, env);
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  std::vector<std::string> names;
  for (int i = 0; i < 4; ++i) {
    const std::string headline = absl::StrCat("Cut number ", i);
    CommandResult filed = FileAlert(server, "ID", "severe", headline);
    ASSERT_EQ(filed.exit_code, 0) << filed.err;
    names.push_back(NameFiled(filed.out));
    ASSERT_TRUE(absl::StartsWith(names.back(), "alerts/")) << filed.out;
    ASSERT_TRUE(WaitToSee(alerts, headline)) << alerts.Output();
    ASSERT_TRUE(WaitToSee(changes, names.back())) << changes.Output();
    // Cut both watchers off, and write while they are away.
    if (i < 3) {
      proxy.CutAll();
      ASSERT_EQ(FileAlert(server, "HN", "extreme", absl::StrCat("While cut ", i)).exit_code, 0);
    }
  }
  for (BackgroundCommand* watch : {&alerts, &changes}) {
    CommandResult watched = watch->Stop(SIGTERM);
    int resumed = 0;
    for (size_t at = watched.err.find("resuming after revision"); at != std::string::npos;
         at = watched.err.find("resuming after revision", at + 1)) {
      ++resumed;
    }
    EXPECT_GE(resumed, 3) << watched.err;
    // Every alert filed, once each, in the order filed.
    size_t last = 0;
    for (int i = 0; i < 4; ++i) {
      const std::string what =
          watch == &alerts ? absl::StrCat("Cut number ", i) : names[static_cast<size_t>(i)];
      const size_t at = watched.out.find(what);
      ASSERT_NE(at, std::string::npos) << what << "\n" << watched.out;
      EXPECT_EQ(at, watched.out.rfind(what)) << what << " twice:\n" << watched.out;
      EXPECT_GT(at, last) << what << " out of order:\n" << watched.out;
      last = at;
      if (i < 3 && watch == &alerts) {
        EXPECT_NE(watched.out.find(absl::StrCat("While cut ", i)), std::string::npos)
            << "written while it was cut off:\n"
            << watched.out;
      }
    }
  }
}

TEST_P(AlertsWatchTest, WhenTheChangesSinceWereCompactedItSaysSoAndListsTheAlertsAsTheyAre) {
  testing::TempDir dir;
  ServerProcess server(dir.path(), ServerFlags({"--demo-data", "--history-revisions=3",
                                                "--maintenance-interval=100ms"}));
  ASSERT_GT(server.port(), 0) << server.log();
  testing::FlakyProxy proxy(server.port(), 0, std::chrono::milliseconds(0), /*seed=*/4);
  ASSERT_GT(proxy.port(), 0);
  BackgroundCommand watch({MPOWER_PATH, "alerts", "watch", "--countries", "GT"},
                          {{"MPOWER_ADDRESS", "127.0.0.1:" + std::to_string(proxy.port())},
                           {"MPOWER_TOKEN", server.admin_token()},
                           {"MPOWER_CONFIG", "/nonexistent"}});
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  ASSERT_EQ(FileAlert(server, "GT", "severe", "Seen as it happened").exit_code, 0);
  ASSERT_TRUE(WaitToSee(watch, "Seen as it happened")) << watch.Output();
  // Cut off while more is written than the server keeps, and compacted.
  proxy.SetRefusing(true);
  proxy.CutAll();
  for (int i = 0; i < 6; ++i) {
    ASSERT_EQ(FileAlert(server, "GT", "severe", absl::StrCat("Filed while away ", i)).exit_code, 0);
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));  // ten maintenance rounds
  proxy.SetRefusing(false);
  ASSERT_TRUE(WaitToSee(watch, "Filed while away 5")) << watch.Output();
  ASSERT_EQ(FileAlert(server, "GT", "severe", "Seen again as it happened").exit_code, 0);
  ASSERT_TRUE(WaitToSee(watch, "Seen again as it happened")) << watch.Output();
  CommandResult watched = watch.Stop(SIGTERM);
  EXPECT_THAT(watched.err, HasSubstr("no longer holds the changes after revision"));
  EXPECT_THAT(watched.err, HasSubstr("re-listing the alerts as they are now"));
  for (int i = 0; i < 6; ++i) {
    EXPECT_THAT(LineWith(watched.out, absl::StrCat("Filed while away ", i)), HasSubstr("LISTED"))
        << "what was filed while away comes listed:\n"
        << watched.out;
  }
  // Listed, then the watch goes on.
  EXPECT_LT(watched.out.find("Filed while away 0"), watched.out.find("Seen again as it happened"));
  EXPECT_EQ(watched.out.find("Seen again as it happened"),
            watched.out.rfind("Seen again as it happened"));
}

MPOWER_ON_EVERY_BACKEND(WatchResumeTest);
MPOWER_ON_EVERY_BACKEND(RetentionTest);
MPOWER_ON_EVERY_BACKEND(AlertsWatchTest);

}  // namespace
}  // namespace mpower
