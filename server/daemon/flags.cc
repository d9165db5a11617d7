// mpowerd's flags. Each one's help is what `mpowerd --help` and the man
// page say of it; MpowerdFlagGroups() at the end orders them.

#include "server/daemon/flags.h"

#include "absl/flags/flag.h"
#include "absl/strings/match.h"

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
ABSL_FLAG(bool, require_client_sealing, false,
          "Refuse alerts' protected details sent in the clear: take them only sealed on the "
          "filer's machine (README, \"End-to-end sealing\"), so this server never holds them "
          "readable.");
ABSL_FLAG(std::string, client_config, "",
          "Where the first start writes the local admin's CLI config (address and token). "
          "Default: $MPOWER_CONFIG, else $XDG_CONFIG_HOME/mpower/config, else "
          "~/.config/mpower/config. Never overwritten.");
ABSL_FLAG(std::string, id, "", "The credential's id, e.g. ilo-geneva.");
ABSL_FLAG(std::string, principal, "", "Who holds it: a person or a desk, e.g. ilo-geneva-desk.");
ABSL_FLAG(std::string, role, "", "admin, partner-editor or partner-viewer.");
ABSL_FLAG(std::string, partner, "",
          "The partner a partner-editor or partner-viewer acts for, e.g. partners/ilo.");
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

// ABSL_FLAG records the file that defines a flag as __FILE__ says it, and
// Filename() gives it back without its leading slashes.
bool IsMpowerdFlag(const absl::CommandLineFlag& flag) {
  const std::string file = flag.Filename();
  return !file.empty() && absl::EndsWith(__FILE__, file);
}

const std::vector<FlagGroup>& MpowerdFlagGroups() {
  static const auto* const kGroups = new std::vector<FlagGroup>{
      {"Listening and TLS",
       {{"listen", "HOST:PORT"},
        {"tls_cert", "FILE"},
        {"tls_key", "FILE"},
        {"client_ca", "FILE"},
        {"allow_insecure_non_loopback", ""},
        {"public_read", ""}}},
      {"Storage",
       {{"data_dir", "DIR"},
        {"database", "URL"},
        {"key_dir", "DIR"},
        {"history_revisions", "N"},
        {"purge_protected_after", "DURATION"},
        {"require_client_sealing", ""},
        {"demo_data", ""}}},
      {"Limits",
       {{"rate_limit", "CALLS"},
        {"max_watch_streams", "N"},
        {"max_request_bytes", "BYTES"},
        {"min_reported_count", "N"}}},
      {"Notifications",
       {{"notify_allow_private_targets", ""},
        {"notify_allow_http_loopback", ""},
        {"notify_ca_file", "FILE"},
        {"notify_timeout", "DURATION"},
        {"notify_retry_for", "DURATION"},
        {"notify_max_backoff", "DURATION"},
        {"notify_threads", "N"},
        {"email_digest_interval", "DURATION"},
        {"smtp_url", "URL"},
        {"smtp_from", "ADDRESS"},
        {"smtp_username", "NAME"},
        {"smtp_password_file", "FILE"},
        {"smtp_allow_plaintext", ""},
        {"smtp_ca_file", "FILE"}}},
      {"HTTP",
       {{"http_listen", "HOST:PORT"},
        {"http_cors_origins", "ORIGINS"},
        {"http_header_timeout", "DURATION"},
        {"http_min_body_rate", "BYTES"},
        {"http_idle_timeout", "DURATION"},
        {"http_max_connections", "N"},
        {"http_max_connections_per_address", "N"},
        {"http_max_streams", "N"}}},
      {"Operations",
       {{"config", "FILE"},
        {"client_config", "FILE"},
        {"metrics_listen", "HOST:PORT"},
        {"maintenance_interval", "DURATION"},
        {"escalation_windows", "URGENCY=DURATION,..."},
        {"shutdown_grace", "DURATION"}}},
      {"Logging", {{"log_format", "FORMAT"}, {"log_level", "LEVEL"}, {"access_log", ""}}},
      {"mpowerd credentials create",
       {{"id", "ID"}, {"principal", "WHO"}, {"role", "ROLE"}, {"partner", "partners/P"}}},
  };
  return *kGroups;
}

}  // namespace mpower
