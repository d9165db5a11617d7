// Crash safety: writers run against the real mpowerd while it is killed
// with SIGKILL at random moments, round after round, on each backend. After
// every kill a SQLite database passes SQLite's integrity check, and after
// every restart each write a client saw acknowledged is there, unchanged,
// and the revisions have no gaps or duplicates.
//
// CI runs a few rounds; scripts/crash-test.sh runs the long version (500
// rounds on each backend). MPOWER_CRASH_SEED replays a run.

#include <signal.h>

#include <cstdlib>
#include <random>
#include <thread>

#include "tests/process.h"
#include "tests/test_support.h"
#include "tests/write_load.h"

namespace mpower {
namespace {

using ::mpower::testing::Acknowledged;
using ::mpower::testing::CurrentEtag;
using ::mpower::testing::ExpectRevisionsWithoutGaps;
using ::mpower::testing::IntegrityCheck;
using ::mpower::testing::ServerProcess;
using ::mpower::testing::Write;

int EnvInt(const char* name, int otherwise) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::atoi(value) : otherwise;
}

class CrashTest : public ::testing::TestWithParam<testing::Backend> {};

TEST_P(CrashTest, SigkillAtRandomMomentsLosesNoAcknowledgedWrite) {
  std::unique_ptr<testing::PostgresTestDatabase> postgres;
  std::vector<std::string> flags = {"--rate-limit=0"};
  if (GetParam() == testing::Backend::kPostgres) {
    postgres = std::make_unique<testing::PostgresTestDatabase>();
    ASSERT_EQ(postgres->error(), "");
    flags.push_back("--database=" + postgres->url());
  }
  std::vector<std::string> first_flags = flags;
  first_flags.push_back("--demo-data");
  const int rounds = EnvInt("MPOWER_CRASH_ROUNDS", 4);
  const unsigned seed = static_cast<unsigned>(EnvInt("MPOWER_CRASH_SEED", std::random_device()()));
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> kill_after_ms(20, 400);
  testing::TempDir dir;
  Acknowledged acknowledged, acknowledged_last_round;
  std::mutex mutex;
  size_t writes_before = 0;
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round) + " of seed " + std::to_string(seed));
    ServerProcess server(dir.path(), first_flags);
    ASSERT_GT(server.port(), 0) << server.log();
    auto channel = grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials());
    const std::string token = server.admin_token();
    // What was acknowledged before the last kill survived it, unchanged.
    // (Earlier rounds' writes were checked after their own kill; the last
    // restart checks them all again.)
    size_t lost = 0;
    for (const auto& [name, etag] : acknowledged_last_round) {
      const std::string now = CurrentEtag(channel, token, name);
      if (now != etag) {
        ++lost;
        ADD_FAILURE() << "acknowledged " << name << " (etag " << etag << ") is "
                      << (now.empty() ? "missing" : "now " + now);
      }
    }
    ASSERT_EQ(lost, 0u);
    ExpectRevisionsWithoutGaps(channel, token);

    std::atomic<bool> stop = false;
    std::vector<std::thread> writers;
    acknowledged_last_round.clear();
    for (int w = 0; w < 4; ++w) {
      writers.emplace_back(Write, channel, token,
                           "r" + std::to_string(round) + "w" + std::to_string(w), std::ref(stop),
                           std::ref(mutex), std::ref(acknowledged_last_round));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(kill_after_ms(random)));
    server.Stop(SIGKILL);
    stop = true;
    for (auto& writer : writers) writer.join();
    if (GetParam() == testing::Backend::kSqlite) {
      EXPECT_EQ(IntegrityCheck(dir.path() + "/mpower.db"), "ok");
    }
    acknowledged.insert(acknowledged_last_round.begin(), acknowledged_last_round.end());
    writes_before = acknowledged.size();
  }
  // One last restart checks every acknowledged write of every round.
  ServerProcess server(dir.path(), flags);
  ASSERT_GT(server.port(), 0) << server.log();
  auto channel = grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials());
  for (const auto& [name, etag] : acknowledged) {
    EXPECT_EQ(CurrentEtag(channel, server.admin_token(), name), etag) << name;
  }
  ExpectRevisionsWithoutGaps(channel, server.admin_token());
  std::printf("crash test on %s: %d rounds, %zu acknowledged writes, none lost (seed %u)\n",
              testing::BackendName({GetParam(), 0}).c_str(), rounds, writes_before, seed);
}

MPOWER_ON_EVERY_BACKEND(CrashTest);

}  // namespace
}  // namespace mpower
