#ifndef MPOWER_SERVER_SERVICE_SERVER_H_
#define MPOWER_SERVER_SERVICE_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "mpower/v1/server_info.pb.h"
#include "server/notify/notifier.h"
#include "server/storage/store.h"

namespace mpower {

class ServerMetrics;

struct ServerOptions {
  // host:port to listen on; port 0 lets the OS pick (see port()).
  std::string listen_address = "127.0.0.1:50051";
  // Serve plaintext on a non-loopback address. Unsafe: anyone on the path
  // can read alerts. Off unless the operator says so explicitly.
  bool allow_insecure_non_loopback = false;
  // Let callers without credentials read what is public: partners,
  // initiatives, commitments, and alerts of SCOPE_PUBLIC (never their
  // protected details). Off by default.
  bool public_read = false;
  // Refuse alerts' protected details sent in the clear: only envelopes
  // sealed on the filer's machine are taken.
  bool require_client_sealing = false;
  // PEM contents. With a certificate and key the server speaks only TLS;
  // with a client CA too, it asks each client for a certificate and
  // verifies any it gets against that CA (mutual TLS for the partners who
  // want it; the others authenticate with a bearer token over TLS).
  std::string tls_cert_pem;
  std::string tls_key_pem;
  std::string client_ca_pem;
  // The files those came from, if any. Then the server re-reads them every
  // kTlsRefresh, so that a renewed certificate (or CA) serves every new
  // connection within that time without a restart, while open connections
  // and their streams go on.
  struct TlsFiles {
    std::string cert;
    std::string key;
    std::string client_ca;
  } tls_files;
  // Calls a second each caller (a credential, or the address of a caller
  // without one) may make on average; bursts of twice as many pass. Over
  // it, calls end RESOURCE_EXHAUSTED with how long to wait. 0: no limit.
  double rate_limit_per_second = 0;
  // The most WatchChanges streams one caller may hold open at once.
  int max_watch_streams_per_caller = 64;
  // The largest request message accepted, in bytes; bigger ones end
  // RESOURCE_EXHAUSTED before any mpower code runs.
  int max_request_bytes = 4 * 1024 * 1024;
  // Threads for writes and reports (worker_pool.h): enough writers in
  // flight to fill a group commit.
  int worker_threads = 64;
  // Below this many, the alerts a report leaves out because the caller may
  // not read them are reported only as "fewer than"; above, rounded down
  // to a multiple of it (report.proto, UnreadableAlerts).
  int64_t min_reported_count = 3;
  // Where calls are counted for Prometheus; null for nowhere. REQUIRES: it
  // outlives the server.
  ServerMetrics* metrics = nullptr;
  // Write one access log line per call (call_observer.h).
  bool access_log = false;
  // How subscriptions are delivered (notify/notifier.h).
  NotifierOptions notify;
  // What GetServerInfo says of the storage served from (storage_backend
  // and storage_schema_version); the server fills in the build's fields.
  v1::GetServerInfoResponse server_info;
};

// How often the server re-reads ServerOptions::tls_files.
inline constexpr int kTlsRefreshSeconds = 5;

// OK if `options` may serve as configured: TLS anywhere, plaintext on
// loopback, or plaintext elsewhere only with allow_insecure_non_loopback.
// FAILED_PRECONDITION, saying what to do, otherwise; also for a client CA
// without a server certificate.
absl::Status CheckTransportSecurity(const ServerOptions& options);

// True if `address` (host:port) names a loopback host: localhost,
// 127.0.0.0/8 or [::1].
bool IsLoopbackAddress(absl::string_view address);

// mpowerd's gRPC server: every mpower service, gRPC health checking and
// server reflection, on one listening port. Thread-safe.
class MpowerServer {
 public:
  // Starts serving `store`, which must outlive the server.
  // FAILED_PRECONDITION if asked to listen in plaintext on a non-loopback
  // address without allow_insecure_non_loopback; UNAVAILABLE if the
  // address cannot be bound.
  static absl::StatusOr<std::unique_ptr<MpowerServer>> Start(Store* store,
                                                             const ServerOptions& options);
  ~MpowerServer();

  // The port actually bound.
  int port() const { return port_; }

  // A channel to this server that never leaves the process: the HTTP
  // gateway's way in, so that its calls meet the same code as any other.
  std::shared_ptr<grpc::Channel> InProcessChannel();

  // Stops taking new calls, lets calls in flight finish for up to `grace`,
  // then cancels the rest. Returns when the server has stopped.
  void Shutdown(absl::Duration grace);

 private:
  struct Services;
  MpowerServer() = default;

  // Answers health checks with the database's health: NOT_SERVING while
  // the store cannot reach it, SERVING again once it can. Once a second.
  void WatchHealth() ABSL_LOCKS_EXCLUDED(health_mutex_);

  std::unique_ptr<Services> services_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  Store* store_ = nullptr;
  absl::Mutex health_mutex_;
  bool stopping_ ABSL_GUARDED_BY(health_mutex_) = false;
  std::thread health_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_SERVICE_SERVER_H_
