#ifndef MPOWER_SERVER_DAEMON_FLAGS_H_
#define MPOWER_SERVER_DAEMON_FLAGS_H_

// mpowerd's flags, and how `mpowerd --help` groups them. Abseil names them
// with underscores; people, README, the configuration file and the unit
// write hyphens, which main() turns into underscores before parsing.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/declare.h"
#include "absl/time/time.h"

ABSL_DECLARE_FLAG(std::string, config);
ABSL_DECLARE_FLAG(std::string, listen);
ABSL_DECLARE_FLAG(std::string, data_dir);
ABSL_DECLARE_FLAG(std::string, database);
ABSL_DECLARE_FLAG(std::string, key_dir);
ABSL_DECLARE_FLAG(int64_t, history_revisions);
ABSL_DECLARE_FLAG(absl::Duration, maintenance_interval);
ABSL_DECLARE_FLAG(std::string, escalation_windows);
ABSL_DECLARE_FLAG(absl::Duration, purge_protected_after);
ABSL_DECLARE_FLAG(std::string, metrics_listen);
ABSL_DECLARE_FLAG(std::string, http_listen);
ABSL_DECLARE_FLAG(std::vector<std::string>, http_cors_origins);
ABSL_DECLARE_FLAG(absl::Duration, http_header_timeout);
ABSL_DECLARE_FLAG(int64_t, http_min_body_rate);
ABSL_DECLARE_FLAG(absl::Duration, http_idle_timeout);
ABSL_DECLARE_FLAG(int32_t, http_max_connections);
ABSL_DECLARE_FLAG(int32_t, http_max_connections_per_address);
ABSL_DECLARE_FLAG(int32_t, http_max_streams);
ABSL_DECLARE_FLAG(bool, access_log);
ABSL_DECLARE_FLAG(std::string, log_format);
ABSL_DECLARE_FLAG(std::string, log_level);
ABSL_DECLARE_FLAG(bool, demo_data);
ABSL_DECLARE_FLAG(absl::Duration, shutdown_grace);
ABSL_DECLARE_FLAG(std::string, tls_cert);
ABSL_DECLARE_FLAG(std::string, tls_key);
ABSL_DECLARE_FLAG(std::string, client_ca);
ABSL_DECLARE_FLAG(double, rate_limit);
ABSL_DECLARE_FLAG(int32_t, max_watch_streams);
ABSL_DECLARE_FLAG(int64_t, min_reported_count);
ABSL_DECLARE_FLAG(int32_t, max_request_bytes);
ABSL_DECLARE_FLAG(bool, public_read);
ABSL_DECLARE_FLAG(bool, require_client_sealing);
ABSL_DECLARE_FLAG(std::string, client_config);
ABSL_DECLARE_FLAG(std::string, id);
ABSL_DECLARE_FLAG(std::string, principal);
ABSL_DECLARE_FLAG(std::string, role);
ABSL_DECLARE_FLAG(std::string, partner);
ABSL_DECLARE_FLAG(bool, allow_insecure_non_loopback);
ABSL_DECLARE_FLAG(bool, notify_allow_private_targets);
ABSL_DECLARE_FLAG(bool, notify_allow_http_loopback);
ABSL_DECLARE_FLAG(std::string, notify_ca_file);
ABSL_DECLARE_FLAG(absl::Duration, notify_timeout);
ABSL_DECLARE_FLAG(absl::Duration, notify_retry_for);
ABSL_DECLARE_FLAG(absl::Duration, notify_max_backoff);
ABSL_DECLARE_FLAG(int32_t, notify_threads);
ABSL_DECLARE_FLAG(absl::Duration, email_digest_interval);
ABSL_DECLARE_FLAG(std::string, smtp_url);
ABSL_DECLARE_FLAG(std::string, smtp_from);
ABSL_DECLARE_FLAG(std::string, smtp_username);
ABSL_DECLARE_FLAG(std::string, smtp_password_file);
ABSL_DECLARE_FLAG(bool, smtp_allow_plaintext);
ABSL_DECLARE_FLAG(std::string, smtp_ca_file);

namespace mpower {

// One flag as --help shows it.
struct FlagEntry {
  const char* name;        // Abseil's name: "data_dir"
  const char* value_name;  // what it takes, "DIR"; "" for a switch
};

struct FlagGroup {
  const char* title;  // "Listening and TLS"
  std::vector<FlagEntry> flags;
};

// Every flag of mpowerd, in the groups and order --help lists them.
const std::vector<FlagGroup>& MpowerdFlagGroups();

// Whether `flag` is one of mpowerd's own, defined in flags.cc, rather than
// one Abseil brings along (--flagfile, --fromenv, ...).
bool IsMpowerdFlag(const absl::CommandLineFlag& flag);

}  // namespace mpower

#endif  // MPOWER_SERVER_DAEMON_FLAGS_H_
