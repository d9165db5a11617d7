// Backup and restore with the real mpowerd: a backup taken while writers
// run is one consistent snapshot, and a restored server serves it, with
// its protected details, to the keys it was made with.

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/process.h"
#include "tests/test_support.h"
#include "tests/write_load.h"

namespace mpower {
namespace {

using ::mpower::testing::Acknowledged;
using ::mpower::testing::CommandResult;
using ::mpower::testing::CurrentEtag;
using ::mpower::testing::ExpectRevisionsWithoutGaps;
using ::mpower::testing::IntegrityCheck;
using ::mpower::testing::RunCommand;
using ::mpower::testing::ServerProcess;
using ::mpower::testing::Write;
using ::testing::HasSubstr;

TEST(BackupTest, ABackupUnderWriteLoadRestoresAConsistentSnapshot) {
  testing::TempDir live, restored, backups;
  const std::string backup = backups.path() + "/mpower-backup.db";
  Acknowledged before_backup, all;
  std::string token;  // the local admin's: its credential is in the backup too
  {
    ServerProcess server(live.path(), {"--demo-data", "--rate-limit=0"});
    ASSERT_GT(server.port(), 0) << server.log();
    token = server.admin_token();
    auto channel = grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials());
    std::atomic<bool> stop = false;
    std::mutex mutex;
    std::vector<std::thread> writers;
    for (int w = 0; w < 3; ++w) {
      writers.emplace_back(Write, channel, token, "w" + std::to_string(w), std::ref(stop),
                           std::ref(mutex), std::ref(all));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    {
      std::lock_guard<std::mutex> lock(mutex);
      before_backup = all;
    }
    CommandResult backed_up =
        RunCommand({MPOWERD_PATH, "backup", "--data-dir=" + live.path(), backup});
    EXPECT_EQ(backed_up.exit_code, 0) << backed_up.err;
    EXPECT_THAT(backed_up.out, HasSubstr("back them up apart"));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    stop = true;
    for (auto& writer : writers) writer.join();
    EXPECT_EQ(server.Stop(SIGTERM), 0);
  }
  ASSERT_GT(before_backup.size(), 10u);
  EXPECT_EQ(IntegrityCheck(backup), "ok");
  EXPECT_FALSE(std::filesystem::exists(backup + "-wal")) << "a backup is one file";

  // Restored into a fresh data directory, with the live server's keys.
  CommandResult restore =
      RunCommand({MPOWERD_PATH, "restore", "--data-dir=" + restored.path(), backup});
  ASSERT_EQ(restore.exit_code, 0) << restore.err;
  ServerProcess server(restored.path(), {"--key-dir=" + live.path() + "/keys", "--rate-limit=0"});
  ASSERT_GT(server.port(), 0) << server.log();
  auto channel = grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials());
  for (const auto& [name, etag] : before_backup) {
    EXPECT_EQ(CurrentEtag(channel, token, name), etag) << name << " was written before the backup";
  }
  // A snapshot: whatever it holds has no gaps in its history, and each write
  // it holds is as acknowledged.
  ExpectRevisionsWithoutGaps(channel, token);
  size_t in_backup = 0;
  for (const auto& [name, etag] : all) {
    const std::string now = CurrentEtag(channel, token, name);
    if (now.empty()) continue;
    EXPECT_EQ(now, etag) << name;
    ++in_backup;
  }
  EXPECT_GE(in_backup, before_backup.size());
  // The protected details were restored and open with the original keys.
  CommandResult alert = RunCommand(
      {MPOWER_PATH, "alerts", "get", "alerts/example-detention-west-kalimantan", "-o", "json"},
      {{"MPOWER_ADDRESS", server.address()},
       {"MPOWER_TOKEN", token},
       {"MPOWER_CONFIG", "/nonexistent"}});
  EXPECT_THAT(alert.out, HasSubstr("Fictional Person One")) << alert.err;
}

TEST(BackupTest, RefusesWhatWouldLoseData) {
  testing::TempDir dir, other;
  const std::string backup = other.path() + "/b.db";
  ServerProcess server(dir.path(), {"--demo-data", "--rate-limit=0"});
  ASSERT_GT(server.port(), 0) << server.log();
  ASSERT_EQ(RunCommand({MPOWERD_PATH, "backup", "--data-dir=" + dir.path(), backup}).exit_code, 0);

  CommandResult again = RunCommand({MPOWERD_PATH, "backup", "--data-dir=" + dir.path(), backup});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("exists; back up to a new file name"));

  CommandResult under_server =
      RunCommand({MPOWERD_PATH, "restore", "--data-dir=" + dir.path(), backup});
  EXPECT_EQ(under_server.exit_code, 1);
  EXPECT_THAT(under_server.err, HasSubstr("another mpowerd is using"));

  CommandResult second_server =
      RunCommand({MPOWERD_PATH, "--data-dir=" + dir.path(), "--listen=127.0.0.1:0"});
  EXPECT_EQ(second_server.exit_code, 1);
  EXPECT_THAT(second_server.err, HasSubstr("another mpowerd is using"));

  EXPECT_EQ(server.Stop(SIGTERM), 0);
  CommandResult over_database =
      RunCommand({MPOWERD_PATH, "restore", "--data-dir=" + dir.path(), backup});
  EXPECT_EQ(over_database.exit_code, 1);
  EXPECT_THAT(over_database.err, HasSubstr("exists; move it"));

  std::ofstream(other.path() + "/not-a-db") << "hello";
  CommandResult garbage =
      RunCommand({MPOWERD_PATH, "restore", "--data-dir=" + other.path() + "/fresh",
                  other.path() + "/not-a-db"});
  EXPECT_EQ(garbage.exit_code, 1);
  EXPECT_FALSE(std::filesystem::exists(other.path() + "/fresh/mpower.db"));
}

}  // namespace
}  // namespace mpower
