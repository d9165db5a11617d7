// mpowerd: the mpower gRPC server on an embedded SQLite database.

#include <signal.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "server/core/log.h"
#include "server/demo/demo_data.h"
#include "server/service/server.h"
#include "server/storage/sqlite_store.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "host:port to serve on; port 0 picks a free port. Non-loopback addresses need TLS "
          "(not yet available) or --allow-insecure-non-loopback.");
ABSL_FLAG(std::string, data_dir, "",
          "Directory of the database (mpower.db). Default: $MPOWER_DATA_DIR, else "
          "$XDG_DATA_HOME/mpower, else ~/.local/share/mpower.");
ABSL_FLAG(bool, demo_data, false,
          "Load the demo data drawn from the seeds (idempotent) before serving.");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(10),
          "On SIGINT/SIGTERM, how long calls in flight may take to finish.");
ABSL_FLAG(bool, allow_insecure_non_loopback, false,
          "UNSAFE: serve plaintext on a non-loopback address. Alerts would cross the network "
          "unencrypted; use only behind a TLS-terminating proxy.");

namespace mpower {
namespace {

std::string DefaultDataDir() {
  if (const char* dir = std::getenv("MPOWER_DATA_DIR"); dir != nullptr && *dir != '\0') {
    return dir;
  }
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg != nullptr && *xdg != '\0') {
    return absl::StrCat(xdg, "/mpower");
  }
  const char* home = std::getenv("HOME");
  return absl::StrCat(home != nullptr ? home : ".", "/.local/share/mpower");
}

// Creates `path` and its parents, owner-only (alerts are in there).
bool MakeDirectories(const std::string& path) {
  for (size_t slash = path.find('/', 1); ; slash = path.find('/', slash + 1)) {
    const std::string prefix = path.substr(0, slash);
    if (mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) return false;
    if (slash == std::string::npos) return true;
  }
}

int Run() {
  // Block the stop signals in every thread; one thread below waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::string data_dir = absl::GetFlag(FLAGS_data_dir);
  if (data_dir.empty()) data_dir = DefaultDataDir();
  if (!MakeDirectories(data_dir)) {
    Log(LogLevel::kError, "main",
        absl::StrCat("cannot create data directory ", data_dir, ": ", std::strerror(errno)));
    return 1;
  }
  const std::string database = absl::StrCat(data_dir, "/mpower.db");
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(database);
  if (!store.ok()) {
    Log(LogLevel::kError, "main", absl::StrCat("cannot open ", database, ": ",
                                               store.status().message()));
    return 1;
  }
  if (absl::GetFlag(FLAGS_demo_data)) {
    if (absl::Status status = LoadDemoData(store->get()); !status.ok()) {
      Log(LogLevel::kError, "main", absl::StrCat("loading demo data: ", status.message()));
      return 1;
    }
    Log(LogLevel::kInfo, "main", "demo data loaded");
  }
  ServerOptions options;
  options.listen_address = absl::GetFlag(FLAGS_listen);
  options.allow_insecure_non_loopback = absl::GetFlag(FLAGS_allow_insecure_non_loopback);
  absl::StatusOr<std::unique_ptr<MpowerServer>> server =
      MpowerServer::Start(store->get(), options);
  if (!server.ok()) {
    Log(LogLevel::kError, "main", server.status().message());
    return 1;
  }
  const std::string host = options.listen_address.substr(0, options.listen_address.rfind(':'));
  // Tests and scripts read this line to learn the port.
  std::printf("mpowerd serving on %s:%d (database %s)\n", host.c_str(), (*server)->port(),
              database.c_str());
  std::fflush(stdout);

  std::thread stopper([&] {
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    Log(LogLevel::kInfo, "main",
        absl::StrCat("received ", strsignal(signal_number),
                     "; finishing calls in flight and stopping"));
    (*server)->Shutdown(absl::GetFlag(FLAGS_shutdown_grace));
  });
  stopper.join();
  server->reset();
  Log(LogLevel::kInfo, "main", "stopped");
  return 0;
}

}  // namespace
}  // namespace mpower

// Accepts --data-dir as well as --data_dir: hyphens are the convention of
// kubectl and etcd, and Abseil's flag names cannot hold them.
void HyphensToUnderscores(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--", 2) != 0) continue;
    for (char* c = argv[i] + 2; *c != '\0' && *c != '='; ++c) {
      if (*c == '-') *c = '_';
    }
  }
}

int main(int argc, char** argv) {
  HyphensToUnderscores(argc, argv);
  absl::SetProgramUsageMessage(
      "the mpower gRPC server.\n\n"
      "  mpowerd [--listen=127.0.0.1:50051] [--data-dir=DIR] [--demo-data]\n\n"
      "Example: mpowerd --demo-data");
  absl::ParseCommandLine(argc, argv);
  return mpower::Run();
}
