// mpowerd: the mpower gRPC server on an embedded SQLite database.

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/client_config_path.h"
#include "server/base/log.h"
#include "server/base/status_macros.h"
#include "server/core/audit.h"
#include "server/core/credentials.h"
#include "server/core/escalation.h"
#include "server/core/index_terms.h"
#include "server/demo/demo_data.h"
#include "server/service/server.h"
#include "server/storage/sqlite/backup.h"
#include "server/storage/sqlite/sqlite_store.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "host:port to serve on; port 0 picks a free port. Non-loopback addresses need TLS "
          "(--tls-cert and --tls-key) or --allow-insecure-non-loopback.");
ABSL_FLAG(std::string, data_dir, "",
          "Directory of the database (mpower.db). Default: $MPOWER_DATA_DIR, else "
          "$XDG_DATA_HOME/mpower, else ~/.local/share/mpower.");
ABSL_FLAG(std::string, key_dir, "",
          "Directory of the keys that encrypt protected alert details at rest. Default: "
          "DATA_DIR/keys. Keep it owner-only, and back it up apart from the database.");
ABSL_FLAG(int64_t, history_revisions, 0,
          "How many of the latest revisions the change feed keeps; older history is compacted "
          "away (watchers behind it must re-list). 0 keeps everything.");
ABSL_FLAG(absl::Duration, maintenance_interval, absl::Minutes(1),
          "How often to compact the change feed's history and escalate unanswered alerts.");
ABSL_FLAG(std::string, escalation_windows, "immediate=24h,expected=72h,future=168h",
          "How long an open alert of each urgency may go without any response before it is "
          "marked escalated; urgencies not named never escalate.");
ABSL_FLAG(bool, demo_data, false,
          "Load the demo data drawn from the seeds (idempotent) before serving.");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(10),
          "On SIGINT/SIGTERM, how long calls in flight may take to finish.");
ABSL_FLAG(std::string, tls_cert, "", "PEM file of the server's certificate chain; turns on TLS.");
ABSL_FLAG(std::string, tls_key, "", "PEM file of the server's private key.");
ABSL_FLAG(std::string, client_ca, "",
          "PEM file of the CA whose client certificates the server accepts (mutual TLS). A "
          "verified certificate authenticates as the credential mapping its subject CN.");
ABSL_FLAG(double, rate_limit, 1000,
          "Calls a second each caller (a credential, or an address without one) may make on "
          "average, with bursts of twice as many; beyond it calls end RESOURCE_EXHAUSTED with "
          "how long to wait. 0 turns the limit off.");
ABSL_FLAG(int32_t, max_watch_streams, 64,
          "The most WatchChanges streams one caller may hold open at once.");
ABSL_FLAG(int32_t, max_request_bytes, 4 * 1024 * 1024,
          "The largest request message accepted, in bytes.");
ABSL_FLAG(bool, public_read, false,
          "Let callers without credentials read partners, initiatives, commitments and public "
          "alerts (never protected details).");
ABSL_FLAG(std::string, client_config, "",
          "Where the first start writes the local admin's CLI config (address and token). "
          "Default: $MPOWER_CONFIG, else $XDG_CONFIG_HOME/mpower/config, else "
          "~/.config/mpower/config. Never overwritten.");
ABSL_FLAG(std::string, id, "", "credentials create: the credential id, e.g. ilo-geneva");
ABSL_FLAG(std::string, principal, "", "credentials create: who holds it");
ABSL_FLAG(std::string, role, "", "credentials create: admin, partner-editor or partner-viewer");
ABSL_FLAG(std::string, partner, "", "credentials create: partners/{partner} for partner roles");
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

// The contents of the file at `path`, or "" for an empty path.
absl::StatusOr<std::string> ReadPemFile(const std::string& path, absl::string_view flag) {
  if (path.empty()) return std::string();
  FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("--", flag, ": cannot read ", path));
  }
  std::string contents;
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, file)) > 0;) contents.append(buffer, n);
  std::fclose(file);
  return contents;
}

// Creates `path` and its parents, owner-only (alerts are in there).
bool MakeDirectories(const std::string& path) {
  for (size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
    const std::string prefix = path.substr(0, slash);
    if (mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) return false;
    if (slash == std::string::npos) return true;
  }
}

// Writes `contents` to a new file at `path` readable only by its owner.
// False if the file exists or cannot be written.
bool WriteOwnerOnlyFile(const std::string& path, const std::string& contents) {
  const size_t slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0 && !MakeDirectories(path.substr(0, slash))) {
    return false;
  }
  FILE* file = nullptr;
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd >= 0) file = fdopen(fd, "w");
  if (file == nullptr) return false;
  const bool written = std::fwrite(contents.data(), 1, contents.size(), file) == contents.size();
  return std::fclose(file) == 0 && written;
}

// On a database without credentials, issues the first admin credential and
// hands it to the local user as kind and minikube hand out a kubeconfig:
// in the CLI's config file, owner-only, never overwriting one.
absl::Status BootstrapLocalAdmin(Store* store, const std::string& address,
                                 const std::string& data_dir) {
  CredentialManager credentials(store);
  absl::StatusOr<bool> any = credentials.Any();
  if (!any.ok() || *any) return any.status();
  v1::Credential admin;
  admin.set_principal("local administrator");
  admin.set_role(v1::ROLE_ADMIN);
  admin.set_description("Issued by mpowerd on first start for the local user.");
  MPOWER_ASSIGN_OR_RETURN(IssuedCredential issued,
                          credentials.Create(Principal::System(), "local-admin", admin));
  std::string config = absl::GetFlag(FLAGS_client_config);
  if (config.empty()) config = ClientConfigPath();
  const std::string contents =
      absl::StrCat("# Written by mpowerd on first start: the local admin's credential.\n",
                   "address = ", address, "\ntoken = ", issued.token, "\n");
  if (!WriteOwnerOnlyFile(config, contents)) {
    config = absl::StrCat(data_dir, "/local-admin.config");
    if (!WriteOwnerOnlyFile(config, contents)) {
      return absl::UnavailableError(absl::StrCat("cannot write the admin credential to ", config));
    }
  }
  Log(LogLevel::kInfo, "main",
      absl::StrCat("issued the first admin credential, credentials/local-admin, and wrote it "
                   "owner-only to ",
                   config, "; mpower reads it from there (MPOWER_CONFIG)"));
  return absl::OkStatus();
}

// `mpowerd credentials create`: issues a credential on the database
// directly, for operators bootstrapping or recovering access.
int CreateCredentialCommand(Store* store) {
  static const std::map<std::string, v1::Role> kRoles = {
      {"admin", v1::ROLE_ADMIN},
      {"partner-editor", v1::ROLE_PARTNER_EDITOR},
      {"partner-viewer", v1::ROLE_PARTNER_VIEWER}};
  auto role = kRoles.find(absl::GetFlag(FLAGS_role));
  if (role == kRoles.end()) {
    std::fprintf(stderr, "mpowerd: --role must be admin, partner-editor or partner-viewer\n");
    return 2;
  }
  v1::Credential credential;
  credential.set_principal(absl::GetFlag(FLAGS_principal));
  credential.set_role(role->second);
  credential.set_partner(absl::GetFlag(FLAGS_partner));
  credential.set_description("Issued with mpowerd credentials create.");
  absl::StatusOr<IssuedCredential> issued =
      CredentialManager(store).Create(Principal::System(), absl::GetFlag(FLAGS_id), credential);
  if (!issued.ok()) {
    std::fprintf(stderr, "mpowerd: %s\n", std::string(issued.status().message()).c_str());
    return 1;
  }
  std::printf("%s\n", issued->token.c_str());
  return 0;
}

// `mpowerd audit verify`: checks the audit trail's hash chain.
int VerifyAuditCommand(Store* store) {
  absl::Status status = VerifyAuditChain(*store);
  if (!status.ok()) {
    std::fprintf(stderr, "mpowerd: audit trail broken: %s\n",
                 std::string(status.message()).c_str());
    return 1;
  }
  std::printf("audit trail intact\n");
  return 0;
}

// Takes the data directory's lock, held until exit, so that one mpowerd
// serves a database at a time and restore and key rotation never run
// under a live server. False, having logged why, if another holds it.
bool LockDataDir(const std::string& data_dir) {
  const std::string path = absl::StrCat(data_dir, "/mpowerd.lock");
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || ::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    Log(LogLevel::kError, "main",
        absl::StrCat("another mpowerd is using ", data_dir, " (", path,
                     " is locked); stop it first"));
    return false;
  }
  return true;  // the descriptor stays open, and the lock held, until exit
}

// `mpowerd backup FILE` and `mpowerd restore FILE`.
int BackupCommand(const std::vector<std::string>& command, const std::string& data_dir,
                  const std::string& database) {
  if (command.size() != 2) {
    std::fprintf(stderr, "mpowerd: usage: mpowerd %s FILE [--data-dir=DIR]\n", command[0].c_str());
    return 2;
  }
  const bool backup = command[0] == "backup";
  if (!backup && !LockDataDir(data_dir)) return 1;
  absl::Status status =
      backup ? BackupDatabase(database, command[1]) : RestoreDatabase(command[1], database);
  if (!status.ok()) {
    std::fprintf(stderr, "mpowerd: %s failed: %s\n", command[0].c_str(),
                 std::string(status.message()).c_str());
    return 1;
  }
  if (backup) {
    std::printf(
        "backed up %s to %s; the keys in the key directory are not in it: back them "
        "up apart, or the backup's protected details cannot be read\n",
        database.c_str(), command[1].c_str());
  } else {
    std::printf(
        "restored %s from %s; start mpowerd with the keys the backup was made "
        "with\n",
        database.c_str(), command[1].c_str());
  }
  return 0;
}

int Run(const std::vector<std::string>& command) {
  // Block the stop signals in every thread; one thread below waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  // Everything mpowerd creates (database, keys, configs) is owner-only.
  umask(077);
  std::string data_dir = absl::GetFlag(FLAGS_data_dir);
  if (data_dir.empty()) data_dir = DefaultDataDir();
  if (!MakeDirectories(data_dir)) {
    Log(LogLevel::kError, "main",
        absl::StrCat("cannot create data directory ", data_dir, ": ", std::strerror(errno)));
    return 1;
  }
  const std::string database = absl::StrCat(data_dir, "/mpower.db");
  if (!command.empty() && (command[0] == "backup" || command[0] == "restore")) {
    return BackupCommand(command, data_dir, database);
  }
  // Serving and key rotation need the database to themselves.
  if ((command.empty() || command == std::vector<std::string>{"keys", "rotate"}) &&
      !LockDataDir(data_dir)) {
    return 1;
  }
  std::string key_dir = absl::GetFlag(FLAGS_key_dir);
  if (key_dir.empty()) key_dir = absl::StrCat(data_dir, "/keys");
  if (command == std::vector<std::string>{"keys", "rotate"}) {
    absl::StatusOr<std::string> key = Keyring::AddKey(key_dir);
    if (!key.ok()) {
      Log(LogLevel::kError, "main", key.status().message());
      return 1;
    }
    std::printf("new current key %s\n", key->c_str());
  }
  absl::StatusOr<std::unique_ptr<Keyring>> keyring = Keyring::LoadOrCreate(key_dir);
  if (!keyring.ok()) {
    Log(LogLevel::kError, "main", keyring.status().message());
    return 1;
  }
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(database, keyring->get());
  if (!store.ok()) {
    Log(LogLevel::kError, "main",
        absl::StrCat("cannot open ", database, ": ", store.status().message()));
    return 1;
  }
  if (absl::Status indexed = InstallIndexTerms(**store); !indexed.ok()) {
    Log(LogLevel::kError, "main", absl::StrCat("indexing ", database, ": ", indexed.message()));
    return 1;
  }
  if (command == std::vector<std::string>{"credentials", "create"}) {
    return CreateCredentialCommand(store->get());
  }
  if (command == std::vector<std::string>{"audit", "verify"}) {
    return VerifyAuditCommand(store->get());
  }
  if (command == std::vector<std::string>{"keys", "rotate"}) {
    absl::StatusOr<int64_t> count = (*store)->ReencryptProtectedData();
    if (!count.ok()) {
      Log(LogLevel::kError, "main", count.status().message());
      return 1;
    }
    std::printf(
        "re-encrypted the protected details of %lld resources; keep the old key files "
        "until your backups no longer need them\n",
        static_cast<long long>(*count));
    return 0;
  }
  if (!command.empty()) {
    std::fprintf(stderr, "mpowerd: unknown command; run mpowerd --help\n");
    return 2;
  }
  if (absl::GetFlag(FLAGS_demo_data)) {
    if (absl::Status status = LoadDemoData(store->get()); !status.ok()) {
      Log(LogLevel::kError, "main", absl::StrCat("loading demo data: ", status.message()));
      return 1;
    }
    Log(LogLevel::kInfo, "main", "demo data loaded");
  }
  absl::StatusOr<EscalationPolicy> escalation =
      EscalationPolicy::Parse(absl::GetFlag(FLAGS_escalation_windows));
  if (!escalation.ok()) {
    Log(LogLevel::kError, "main", escalation.status().message());
    return 2;
  }
  ServerOptions options;
  options.listen_address = absl::GetFlag(FLAGS_listen);
  options.allow_insecure_non_loopback = absl::GetFlag(FLAGS_allow_insecure_non_loopback);
  options.public_read = absl::GetFlag(FLAGS_public_read);
  options.rate_limit_per_second = absl::GetFlag(FLAGS_rate_limit);
  options.max_watch_streams_per_caller = absl::GetFlag(FLAGS_max_watch_streams);
  options.max_request_bytes = absl::GetFlag(FLAGS_max_request_bytes);
  if (options.rate_limit_per_second < 0 || options.max_watch_streams_per_caller < 1 ||
      options.max_request_bytes < 1024) {
    std::fprintf(stderr,
                 "mpowerd: --rate-limit must be 0 or more, --max-watch-streams 1 or "
                 "more, --max-request-bytes 1024 or more\n");
    return 2;
  }
  for (auto [target, path, flag] :
       {std::tuple{&options.tls_cert_pem, absl::GetFlag(FLAGS_tls_cert), "tls-cert"},
        std::tuple{&options.tls_key_pem, absl::GetFlag(FLAGS_tls_key), "tls-key"},
        std::tuple{&options.client_ca_pem, absl::GetFlag(FLAGS_client_ca), "client-ca"}}) {
    absl::StatusOr<std::string> pem = ReadPemFile(path, flag);
    if (!pem.ok()) {
      Log(LogLevel::kError, "main", pem.status().message());
      return 1;
    }
    *target = *std::move(pem);
  }
  absl::StatusOr<std::unique_ptr<MpowerServer>> server = MpowerServer::Start(store->get(), options);
  if (!server.ok()) {
    Log(LogLevel::kError, "main", server.status().message());
    return 1;
  }
  const std::string host = options.listen_address.substr(0, options.listen_address.rfind(':'));
  if (absl::Status status =
          BootstrapLocalAdmin(store->get(), absl::StrCat(host, ":", (*server)->port()), data_dir);
      !status.ok()) {
    Log(LogLevel::kError, "main",
        absl::StrCat("issuing the first admin credential: ", status.message()));
    return 1;
  }
  // Tests and scripts read this line to learn the port.
  std::printf("mpowerd serving on %s:%d (database %s)\n", host.c_str(), (*server)->port(),
              database.c_str());
  std::fflush(stdout);

  // Maintenance until stopped: compacts the history to the retained
  // revisions and escalates unanswered alerts.
  Escalator escalator(store->get(), *escalation);
  std::mutex maintenance_mutex;
  std::condition_variable maintenance_wake;
  bool stopping = false;
  std::thread maintenance([&] {
    const int64_t keep = absl::GetFlag(FLAGS_history_revisions);
    std::unique_lock<std::mutex> lock(maintenance_mutex);
    while (!maintenance_wake.wait_for(
        lock, absl::ToChronoMilliseconds(absl::GetFlag(FLAGS_maintenance_interval)),
        [&] { return stopping; })) {
      absl::StatusOr<int64_t> current = (*store)->CurrentRevision();
      if (keep > 0 && current.ok() && *current > keep) {
        if (absl::Status status = (*store)->Compact(*current - keep); !status.ok()) {
          Log(LogLevel::kWarning, "main", absl::StrCat("compaction: ", status.message()));
        }
      }
      absl::StatusOr<int> escalated = escalator.RunOnce(absl::Now());
      if (!escalated.ok()) {
        Log(LogLevel::kWarning, "main", absl::StrCat("escalation: ", escalated.status().message()));
      } else if (*escalated > 0) {
        Log(LogLevel::kInfo, "main", absl::StrCat("escalated ", *escalated, " unanswered alerts"));
      }
    }
  });

  std::thread stopper([&] {
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    Log(LogLevel::kInfo, "main",
        absl::StrCat("received ", strsignal(signal_number),
                     "; finishing calls in flight and stopping"));
    (*server)->Shutdown(absl::GetFlag(FLAGS_shutdown_grace));
  });
  stopper.join();
  {
    std::lock_guard<std::mutex> lock(maintenance_mutex);
    stopping = true;
  }
  maintenance_wake.notify_all();
  maintenance.join();
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
  // Debian's Abseil is built without NDEBUG, so absl::Mutex (under gRPC's
  // own locks) checks every acquisition for lock-order cycles, a debugging
  // aid that costs a few percent of every call.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  HyphensToUnderscores(argc, argv);
  absl::SetProgramUsageMessage(
      "the mpower gRPC server.\n\n"
      "  mpowerd [--listen=127.0.0.1:50051] [--data-dir=DIR] [--demo-data] [--public-read]\n"
      "  mpowerd credentials create --id=ID --principal=WHO --role=ROLE [--partner=partners/P]\n"
      "  mpowerd audit verify\n"
      "  mpowerd keys rotate     (with mpowerd stopped)\n"
      "  mpowerd backup FILE     (while mpowerd serves; a consistent snapshot)\n"
      "  mpowerd restore FILE    (with mpowerd stopped, into a data directory without a "
      "database)\n\n"
      "Example: mpowerd --demo-data");
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  return mpower::Run(std::vector<std::string>(positional.begin() + 1, positional.end()));
}
