// mpowerd: the mpower gRPC server on an embedded SQLite database. main()
// parses flags and dispatches: the operators' subcommands are in
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
#include "absl/flags/usage.h"
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
#include "server/daemon/maintenance.h"
#include "server/daemon/stop_signals.h"
#include "server/daemon/systemd_notify.h"
#include "server/demo/demo_data.h"
#include "server/service/http_gateway.h"
#include "server/service/metrics.h"
#include "server/service/server.h"

ABSL_FLAG(std::string, config, "",
          "A configuration file: one `name = value` a line, names as these flags' (e.g. "
          "/etc/mpower/mpowerd.conf). Flags given here win over it.");
ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "host:port to serve on; port 0 picks a free port. Non-loopback addresses need TLS "
          "(--tls-cert and --tls-key) or --allow-insecure-non-loopback.");
ABSL_FLAG(std::string, data_dir, "",
          "Directory of the database (mpower.db). Default: $MPOWER_DATA_DIR, else "
          "$XDG_DATA_HOME/mpower, else ~/.local/share/mpower.");
ABSL_FLAG(std::string, database, "",
          "A PostgreSQL database to serve from, as a URL (postgresql://user@host/db; libpq's "
          "PG* environment variables fill in what it leaves out). Any number of mpowerd "
          "replicas may share one; give them all the same --key-dir. Default: SQLite in "
          "--data-dir.");
ABSL_FLAG(std::string, key_dir, "",
          "Directory of the keys that encrypt protected alert details at rest, and of each "
          "alert's own data key (in data-keys/; a purge destroys one). Default: DATA_DIR/keys. "
          "Keep it owner-only, and back it up apart from the database.");
ABSL_FLAG(int64_t, history_revisions, 0,
          "How many of the latest revisions the change feed keeps; older history is compacted "
          "away (watchers behind it must re-list). 0 keeps everything.");
ABSL_FLAG(absl::Duration, maintenance_interval, absl::Minutes(1),
          "How often to compact the change feed's history and escalate unanswered alerts.");
ABSL_FLAG(std::string, escalation_windows, "immediate=24h,expected=72h,future=168h",
          "How long an open alert of each urgency may go without any response before it is "
          "marked escalated; urgencies not named never escalate.");
ABSL_FLAG(absl::Duration, purge_protected_after, absl::ZeroDuration(),
          "Purge an alert's protected details (as `mpower alerts purge` does) once it has been "
          "resolved or dismissed this long, e.g. 2160h for 90 days. 0 keeps them.");
ABSL_FLAG(std::string, metrics_listen, "",
          "host:port to serve Prometheus metrics on, at /metrics (e.g. 127.0.0.1:9464; port 0 "
          "lets the OS pick). Off by default; they say nothing of any alert's content, but "
          "keep the port on loopback or behind your firewall.");
ABSL_FLAG(std::string, http_listen, "",
          "host:port to serve the RPCs over HTTP/JSON on, in the Connect protocol "
          "(POST /mpower.v1.PartnerService/GetPartner), with GET /healthz (e.g. "
          "127.0.0.1:8080; port 0 lets the OS pick). HTTPS with --tls-cert and --tls-key, "
          "as the gRPC port; plaintext otherwise, then loopback only unless "
          "--allow-insecure-non-loopback. Off by default.");
ABSL_FLAG(std::vector<std::string>, http_cors_origins, {},
          "Comma-separated web origins (e.g. https://union.example) whose pages may call the "
          "HTTP listener from a browser; requests from any other origin are refused. None by "
          "default.");
ABSL_FLAG(absl::Duration, http_header_timeout, absl::Seconds(10),
          "How long an HTTP client has, from connecting (TLS handshake included) or from the "
          "first byte of its next request, to send a request's headers; then 408 and closed "
          "(slowloris).");
ABSL_FLAG(int64_t, http_min_body_rate, 1024,
          "Bytes a second an HTTP request body must keep up on average, after a grace of "
          "--http-header-timeout, whatever length it declares; then 408 and closed (slow POST).");
ABSL_FLAG(absl::Duration, http_idle_timeout, absl::Seconds(60),
          "How long an idle keep-alive HTTP connection stays open waiting for its next request.");
ABSL_FLAG(int32_t, http_max_connections, 10000,
          "The most HTTP connections open at once; beyond it new ones are closed at once.");
ABSL_FLAG(int32_t, http_max_connections_per_address, 256,
          "The most HTTP connections one client address may hold open at once; beyond it its "
          "new ones are closed at once. Behind a proxy every client has the proxy's address: "
          "raise it there.");
ABSL_FLAG(int32_t, http_max_streams, 1000,
          "The most HTTP watch streams (Connect and REST) open at once; beyond it a new one is "
          "refused RESOURCE_EXHAUSTED (429). Each caller is also held to --max-watch-streams.");
ABSL_FLAG(bool, access_log, true,
          "Log one line per call: method, code, duration, principal, peer.");
ABSL_FLAG(std::string, log_format, "text", "text (key=value) or json: one line per event.");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warning or error: the least logged.");
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
ABSL_FLAG(int64_t, min_reported_count, 3,
          "Alerts a report leaves out because the caller may not read them are reported as "
          "\"fewer than N\" below this N, and rounded down to a multiple of it above, so that "
          "no figure can point at a restricted alert.");
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
ABSL_FLAG(bool, notify_allow_private_targets, false,
          "Let webhooks go to private, loopback and link-local addresses (receivers on the "
          "operator's own network). Off: such targets are server-side request forgery.");
ABSL_FLAG(bool, notify_allow_http_loopback, false,
          "Let webhooks use plain http to a loopback host (a receiver on this machine).");
ABSL_FLAG(std::string, notify_ca_file, "",
          "PEM bundle of the CAs webhook receivers' certificates are checked against, instead "
          "of the system's.");
ABSL_FLAG(absl::Duration, notify_timeout, absl::Seconds(10),
          "How long one webhook delivery may take, connecting included.");
ABSL_FLAG(absl::Duration, notify_retry_for, absl::Hours(24),
          "How long failed deliveries are retried (exponential backoff with jitter) before a "
          "subscription is marked failing and stops.");
ABSL_FLAG(absl::Duration, notify_max_backoff, absl::Minutes(10),
          "The longest wait between two attempts of a failed delivery.");
ABSL_FLAG(int32_t, notify_threads, 16, "Subscriptions delivered to at once.");
ABSL_FLAG(absl::Duration, email_digest_interval, absl::Minutes(1),
          "An email subscription gets at most one message per this; what comes between goes "
          "out as one digest.");
ABSL_FLAG(std::string, smtp_url, "",
          "The SMTP relay for email subscriptions: smtp://host:port (STARTTLS required) or "
          "smtps://host:port. Empty: email subscriptions fail with a clear error.");
ABSL_FLAG(std::string, smtp_from, "", "The sender address of notification email.");
ABSL_FLAG(std::string, smtp_username, "", "The SMTP relay's user name, if it wants one.");
ABSL_FLAG(std::string, smtp_password_file, "",
          "A file holding the SMTP relay's password (not a flag, so it stays out of ps).");
ABSL_FLAG(bool, smtp_allow_plaintext, false,
          "UNSAFE: send email unencrypted when the relay offers no STARTTLS.");
ABSL_FLAG(std::string, smtp_ca_file, "",
          "PEM bundle of the CAs the relay's certificate is checked against, instead of the "
          "system's.");

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
  absl::SetProgramUsageMessage(
      "the mpower gRPC server.\n\n"
      "  mpowerd [--listen=127.0.0.1:50051] [--data-dir=DIR] [--demo-data] [--public-read]\n"
      "  mpowerd credentials create --id=ID --principal=WHO --role=ROLE [--partner=partners/P]\n"
      "  mpowerd audit verify\n"
      "  mpowerd keys rotate     (SQLite: with mpowerd stopped; PostgreSQL: while it serves)\n"
      "  mpowerd backup FILE     (while mpowerd serves; a consistent snapshot)\n"
      "  mpowerd restore FILE    (with mpowerd stopped, into a data directory without a "
      "database)\n\n"
      "Example: mpowerd --demo-data");
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  return mpower::Run(std::vector<std::string>(positional.begin() + 1, positional.end()));
}
