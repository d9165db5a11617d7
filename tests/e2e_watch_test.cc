// Watchers across a server restart, with the real mpowerd: each resumes
// from the last revision it saw and sees every write exactly once, in order.

#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "mpower/v1/change.grpc.pb.h"
#include "mpower/v1/commitment.grpc.pb.h"
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

MPOWER_ON_EVERY_BACKEND(WatchResumeTest);
MPOWER_ON_EVERY_BACKEND(RetentionTest);
MPOWER_ON_EVERY_BACKEND(AlertsWatchTest);

}  // namespace
}  // namespace mpower
