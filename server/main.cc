// mpowerd: the mpower gRPC server, on an embedded SQLite database or on a
// PostgreSQL database that replicas share. main() parses flags (defined in
// daemon/flags.cc) and dispatches: the operators' subcommands are in
// daemon/admin_commands.cc; serving is Serve() below.

#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/base/log.h"
#include "server/core/escalation.h"
#include "server/daemon/admin_commands.h"
#include "server/daemon/bootstrap.h"
#include "server/daemon/config_file.h"
#include "server/daemon/data_dir.h"
#include "server/daemon/flags.h"
#include "server/daemon/maintenance.h"
#include "server/daemon/stop_signals.h"
#include "server/daemon/systemd_notify.h"
#include "server/daemon/usage.h"
#include "server/demo/demo_data.h"
#include "server/service/http_gateway.h"
#include "server/service/metrics.h"
#include "server/service/server.h"

namespace mpower {
namespace {

// The contents of the file at `path`, or "" for an empty path.
absl::StatusOr<std::string> ReadPemFile(const std::string& path, absl::string_view flag) {
  if (path.empty()) return std::string();
  FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, ": cannot read ", path));
  }
  std::string contents;
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, file)) > 0;) contents.append(buffer, n);
  std::fclose(file);
  return contents;
}

// The server's options from the flags; INVALID_ARGUMENT naming a bad one
// or a PEM file that cannot be read.
absl::StatusOr<ServerOptions> ServerOptionsFromFlags() {
  ServerOptions options;
  options.listen_address = absl::GetFlag(FLAGS_listen);
  options.allow_insecure_non_loopback = absl::GetFlag(FLAGS_allow_insecure_non_loopback);
  options.public_read = absl::GetFlag(FLAGS_public_read);
  options.require_client_sealing = absl::GetFlag(FLAGS_require_client_sealing);
  options.rate_limit_per_second = absl::GetFlag(FLAGS_rate_limit);
  options.max_watch_streams_per_caller = absl::GetFlag(FLAGS_max_watch_streams);
  options.max_request_bytes = absl::GetFlag(FLAGS_max_request_bytes);
  options.min_reported_count = absl::GetFlag(FLAGS_min_reported_count);
  options.access_log = absl::GetFlag(FLAGS_access_log);
  if (options.rate_limit_per_second < 0 || options.max_watch_streams_per_caller < 1 ||
      options.max_request_bytes < 1024 || options.min_reported_count < 1) {
    return absl::InvalidArgumentError(
        "--rate-limit must be 0 or more, --max-watch-streams 1 or more, --max-request-bytes "
        "1024 or more, --min-reported-count 1 or more");
  }
  for (auto [target, path, flag] :
       {std::tuple{&options.tls_cert_pem, absl::GetFlag(FLAGS_tls_cert), "tls-cert"},
        std::tuple{&options.tls_key_pem, absl::GetFlag(FLAGS_tls_key), "tls-key"},
        std::tuple{&options.client_ca_pem, absl::GetFlag(FLAGS_client_ca), "client-ca"}}) {
    absl::StatusOr<std::string> pem = ReadPemFile(path, flag);
    if (!pem.ok()) return pem.status();
    *target = *std::move(pem);
  }
  // The server re-reads them, so a renewed certificate needs no restart.
  options.tls_files = {absl::GetFlag(FLAGS_tls_cert), absl::GetFlag(FLAGS_tls_key),
                       absl::GetFlag(FLAGS_client_ca)};
  NotifierOptions& notify = options.notify;
  notify.webhook.policy.allow_private_targets = absl::GetFlag(FLAGS_notify_allow_private_targets);
  notify.webhook.policy.allow_http_loopback = absl::GetFlag(FLAGS_notify_allow_http_loopback);
  notify.webhook.ca_file = absl::GetFlag(FLAGS_notify_ca_file);
  notify.webhook.timeout = absl::GetFlag(FLAGS_notify_timeout);
  notify.webhook.connect_timeout = std::min(notify.webhook.timeout, absl::Seconds(5));
  notify.retry_for = absl::GetFlag(FLAGS_notify_retry_for);
  notify.max_backoff = absl::GetFlag(FLAGS_notify_max_backoff);
  notify.first_backoff = std::min(notify.first_backoff, notify.max_backoff);
  notify.delivery_threads = absl::GetFlag(FLAGS_notify_threads);
  notify.email_digest_interval = absl::GetFlag(FLAGS_email_digest_interval);
  notify.smtp.url = absl::GetFlag(FLAGS_smtp_url);
  notify.smtp.from = absl::GetFlag(FLAGS_smtp_from);
  notify.smtp.username = absl::GetFlag(FLAGS_smtp_username);
  notify.smtp.allow_plaintext = absl::GetFlag(FLAGS_smtp_allow_plaintext);
  notify.smtp.ca_file = absl::GetFlag(FLAGS_smtp_ca_file);
  if (const std::string path = absl::GetFlag(FLAGS_smtp_password_file); !path.empty()) {
    absl::StatusOr<std::string> password = ReadPemFile(path, "smtp-password-file");
    if (!password.ok()) return password.status();
    notify.smtp.password = std::string(absl::StripTrailingAsciiWhitespace(*password));
  }
  if (notify.webhook.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--notify-timeout: must be positive, e.g. 10s");
  }
  if (absl::Status status = CheckNotifierOptions(notify); !status.ok()) return status;
  return options;
}

// The configuration file given with --config, and whether the command line
// set the log settings itself (then it wins over the file, on reload too).
std::string g_config_path;
bool g_log_format_on_command_line = false;
bool g_log_level_on_command_line = false;

// SIGHUP: the log format and level again, from the configuration file.
// TLS files need no signal: the server re-reads them by itself
// (ServerOptions::tls_files). Everything else takes a restart.
void ReloadLogSettings() {
  if (g_config_path.empty()) {
    Log(LogLevel::kInfo, "main", "SIGHUP: no --config to reload from");
    return;
  }
  std::vector<std::string> reloaded;
  for (const auto& [name, on_command_line] :
       {std::pair{"log_format", g_log_format_on_command_line},
        std::pair{"log_level", g_log_level_on_command_line}}) {
    if (on_command_line) continue;
    absl::StatusOr<std::optional<std::string>> value = ReadConfigSetting(g_config_path, name);
    if (!value.ok()) {
      Log(LogLevel::kWarning, "main", absl::StrCat("SIGHUP: ", value.status().message()));
      return;
    }
    if (!value->has_value()) continue;
    LogFormat format;
    LogLevel level;
    const absl::Status parsed = std::string(name) == "log_format" ? ParseLogFormat(**value, format)
                                                                  : ParseLogLevel(**value, level);
    if (!parsed.ok()) {
      Log(LogLevel::kWarning, "main",
          absl::StrCat("SIGHUP: ", g_config_path, ": ", name, ": ", parsed.message(),
                       "; keeping the current one"));
      continue;
    }
    if (std::string(name) == "log_format") {
      SetLogFormat(format);
    } else {
      SetMinLogLevel(level);
    }
    reloaded.push_back(absl::StrCat(name, "=", **value));
  }
  Log(LogLevel::kWarning, "main",
      absl::StrCat("SIGHUP: reloaded ", reloaded.empty() ? "nothing" : absl::StrJoin(reloaded, " "),
                   " from ", g_config_path));
}

// Serves until SIGINT or SIGTERM; returns the exit code.
// Each HTTP connection holds a descriptor, and Debian's default soft limit
// (1024) is far below what a public listener must hold: raise it to the
// hard limit, as Go's runtime does.
void RaiseDescriptorLimit() {
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
}

int Serve(const DataPaths& paths) {
  RaiseDescriptorLimit();
  // One mpowerd per SQLite file; replicas share a PostgreSQL database.
  if (!paths.postgres() && !LockDataDir(paths.data_dir)) return 1;
  absl::StatusOr<EscalationPolicy> escalation =
      EscalationPolicy::Parse(absl::GetFlag(FLAGS_escalation_windows));
  absl::StatusOr<ServerOptions> options = ServerOptionsFromFlags();
  const absl::Duration purge_after = absl::GetFlag(FLAGS_purge_protected_after);
  if (purge_after < absl::ZeroDuration()) {
    Log(LogLevel::kError, "main",
        "--purge-protected-after must be a positive duration, e.g. 2160h, or 0 to keep "
        "protected details");
    return 2;
  }
  for (const absl::Status& status : {escalation.status(), options.status()}) {
    if (!status.ok()) {
      Log(LogLevel::kError, "main", status.message());
      return status.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
    }
  }
  absl::StatusOr<OpenedStore> opened = OpenStore(paths);
  if (!opened.ok()) {
    Log(LogLevel::kError, "main", opened.status().message());
    return 1;
  }
  Store* store = opened->store.get();
  if (absl::GetFlag(FLAGS_demo_data)) {
    if (absl::Status status = LoadDemoData(store); !status.ok()) {
      Log(LogLevel::kError, "main", absl::StrCat("loading demo data: ", status.message()));
      return 1;
    }
    Log(LogLevel::kInfo, "main", "demo data loaded");
  }
  // Metrics first, so that every call is counted.
  std::unique_ptr<ServerMetrics> metrics;
  if (const std::string address = absl::GetFlag(FLAGS_metrics_listen); !address.empty()) {
    metrics = std::make_unique<ServerMetrics>();
    absl::StatusOr<int> port = metrics->Serve(address);
    if (!port.ok()) {
      Log(LogLevel::kError, "main", port.status().message());
      return 1;
    }
    if (absl::StatusOr<int64_t> bytes = store->DatabaseBytes(); bytes.ok()) {
      metrics->SetDatabaseBytes(*bytes);
    }
    // Tests and scripts read this line to learn the port.
    std::printf("mpowerd metrics on %s:%d\n", address.substr(0, address.rfind(':')).c_str(), *port);
    options->metrics = metrics.get();
  }
  options->server_info.set_storage_backend(opened->backend);
  options->server_info.set_storage_schema_version(opened->schema_version);
  absl::StatusOr<std::unique_ptr<MpowerServer>> server = MpowerServer::Start(store, *options);
  if (!server.ok()) {
    Log(LogLevel::kError, "main", server.status().message());
    return 1;
  }
  const std::string host = options->listen_address.substr(0, options->listen_address.rfind(':'));
  if (absl::Status status = BootstrapLocalAdmin(store, absl::StrCat(host, ":", (*server)->port()),
                                                paths.data_dir, absl::GetFlag(FLAGS_client_config));
      !status.ok()) {
    Log(LogLevel::kError, "main",
        absl::StrCat("issuing the first admin credential: ", status.message()));
    return 1;
  }
  std::unique_ptr<HttpGateway> http;
  if (const std::string address = absl::GetFlag(FLAGS_http_listen); !address.empty()) {
    absl::StatusOr<std::unique_ptr<HttpGateway>> started = HttpGateway::Start(
        (*server)->InProcessChannel(),
        HttpGatewayOptions{
            .listen_address = address,
            .allow_insecure_non_loopback = options->allow_insecure_non_loopback,
            // HTTPS with the gRPC port's certificate, when it has one.
            .tls_cert_file = options->tls_files.cert,
            .tls_key_file = options->tls_files.key,
            .max_request_bytes = options->max_request_bytes,
            .cors_origins = absl::GetFlag(FLAGS_http_cors_origins),
            .header_timeout = absl::GetFlag(FLAGS_http_header_timeout),
            .min_body_bytes_per_second = absl::GetFlag(FLAGS_http_min_body_rate),
            .idle_timeout = absl::GetFlag(FLAGS_http_idle_timeout),
            .max_connections = absl::GetFlag(FLAGS_http_max_connections),
            .max_connections_per_address = absl::GetFlag(FLAGS_http_max_connections_per_address),
            .max_streams = absl::GetFlag(FLAGS_http_max_streams),
            .on_limit = [metrics = metrics.get()](absl::string_view reason) {
              if (metrics != nullptr) metrics->RecordHttpLimit(reason);
            }});
    if (!started.ok()) {
      Log(LogLevel::kError, "main", started.status().message());
      return 2;
    }
    http = *std::move(started);
    // Tests and scripts read this line to learn the port.
    std::printf("mpowerd HTTP on %s:%d\n", address.substr(0, address.rfind(':')).c_str(),
                http->port());
  }
  // Tests and scripts read this line to learn the port.
  std::printf("mpowerd serving on %s:%d (database %s)\n", host.c_str(), (*server)->port(),
              paths.DatabaseForHumans().c_str());
  std::fflush(stdout);

  MaintenanceScheduler maintenance(
      store, opened->keyring.get(),
      MaintenanceOptions{absl::GetFlag(FLAGS_maintenance_interval),
                         absl::GetFlag(FLAGS_history_revisions), *std::move(escalation),
                         purge_after, metrics.get()});
  std::optional<SystemdNotifier> systemd(std::in_place);  // READY, and the watchdog
  const int signal_number = WaitForStopSignal([] { ReloadLogSettings(); });
  systemd.reset();  // STOPPING
  Log(LogLevel::kInfo, "main",
      absl::StrCat("received ", strsignal(signal_number),
                   "; finishing calls in flight and stopping"));
  http.reset();  // HTTP callers first: the gateway's calls end with the server's
  (*server)->Shutdown(absl::GetFlag(FLAGS_shutdown_grace));
  maintenance.Stop();
  server->reset();
  Log(LogLevel::kInfo, "main", "stopped");
  return 0;
}

int Run(const std::vector<std::string>& command) {
  LogFormat log_format;
  LogLevel log_level;
  for (const auto& [flag, status] :
       {std::pair{"log-format", ParseLogFormat(absl::GetFlag(FLAGS_log_format), log_format)},
        std::pair{"log-level", ParseLogLevel(absl::GetFlag(FLAGS_log_level), log_level)}}) {
    if (!status.ok()) {
      std::fprintf(stderr, "mpowerd: --%s: %s\n", flag, std::string(status.message()).c_str());
      return 2;
    }
  }
  SetLogFormat(log_format);
  SetMinLogLevel(log_level);
  // Everything mpowerd creates (database, keys, configs) is owner-only.
  umask(077);
  DataPaths paths;
  paths.data_dir = absl::GetFlag(FLAGS_data_dir);
  if (paths.data_dir.empty()) paths.data_dir = DefaultDataDir();
  if (!MakeDirectories(paths.data_dir)) {
    Log(LogLevel::kError, "main",
        absl::StrCat("cannot create data directory ", paths.data_dir, ": ", std::strerror(errno)));
    return 1;
  }
  paths.database = absl::StrCat(paths.data_dir, "/mpower.db");
  paths.key_dir = absl::GetFlag(FLAGS_key_dir);
  if (paths.key_dir.empty()) paths.key_dir = absl::StrCat(paths.data_dir, "/keys");
  paths.database_url = absl::GetFlag(FLAGS_database);
  if (command.empty()) return Serve(paths);
  return RunAdminCommand(
      command, paths,
      CredentialRequest{absl::GetFlag(FLAGS_id), absl::GetFlag(FLAGS_principal),
                        absl::GetFlag(FLAGS_role), absl::GetFlag(FLAGS_partner)});
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
  // Before any thread exists, so that every thread inherits the mask.
  mpower::BlockStopSignals();
  // Debian's Abseil is built without NDEBUG, so absl::Mutex (under gRPC's
  // own locks) checks every acquisition for lock-order cycles, a debugging
  // aid that costs a few percent of every call.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  HyphensToUnderscores(argc, argv);
  // Abseil's own --help lists only flags defined in main.cc, with
  // underscores, and its --version calls a Release build Debug: both are
  // answered here, before anything else reads the command line.
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h" || arg == "--helpfull" || arg == "--helpshort" ||
        arg == "-help") {
      std::fputs(mpower::MpowerdHelp().c_str(), stdout);
      return 0;
    }
    if (arg == "--version" || arg == "-version") {
      std::fputs(mpower::MpowerdVersion().c_str(), stdout);
      return 0;
    }
  }
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    mpower::g_log_format_on_command_line |= absl::StartsWith(arg, "--log_format");
    mpower::g_log_level_on_command_line |= absl::StartsWith(arg, "--log_level");
  }
  if (const std::string config = mpower::ConfigFileArgument(argc, argv); !config.empty()) {
    mpower::g_config_path = config;
    if (absl::Status applied = mpower::ApplyConfigFile(config); !applied.ok()) {
      std::fprintf(stderr, "mpowerd: %s\n", std::string(applied.message()).c_str());
      return 2;
    }
  }
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  return mpower::Run(std::vector<std::string>(positional.begin() + 1, positional.end()));
}
