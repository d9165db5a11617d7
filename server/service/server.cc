#include "server/service/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/base/log.h"
#include "server/service/admin_service.h"
#include "server/service/alert_service.h"
#include "server/service/call_observer.h"
#include "server/service/change_service.h"
#include "server/service/commitment_service.h"
#include "server/service/encryption_key_service.h"
#include "server/service/initiative_service.h"
#include "server/service/metrics.h"
#include "server/service/partner_service.h"
#include "server/service/report_service.h"
#include "server/service/response_service.h"
#include "server/service/server_info_service.h"
#include "server/service/subscription_service.h"

namespace mpower {

namespace {

// The notifier's options, telling `options.metrics` of its deliveries.
NotifierOptions NotifierOptionsWithMetrics(const ServerOptions& options) {
  NotifierOptions notify = options.notify;
  if (ServerMetrics* metrics = options.metrics; metrics != nullptr) {
    notify.observe_attempt = [metrics](bool delivered) { metrics->RecordNotification(delivered); };
    notify.observe_failing = [metrics] { metrics->RecordFailingSubscription(); };
  }
  return notify;
}

}  // namespace

struct MpowerServer::Services {
  Services(Store* store, const ServerOptions& options)
      : pool(std::make_unique<WorkerPool>(options.worker_threads)),
        store(store),
        credentials(store),
        limiter(options.rate_limit_per_second > 0
                    ? std::make_unique<RateLimiter>(options.rate_limit_per_second,
                                                    2 * options.rate_limit_per_second)
                    : nullptr),
        hub(
            store, &credentials, options.max_watch_streams_per_caller,
            options.metrics == nullptr
                ? std::function<void(int64_t)>()
                : [metrics = options.metrics](int64_t lag) { metrics->SetWatchLag(lag); }),
        observer(options.metrics, options.access_log),
        authenticator(&credentials, options.public_read, limiter.get(), &observer),
        admin(store, &credentials, &authenticator),
        partners(store, &authenticator),
        initiatives(store, &authenticator),
        commitments(store, &authenticator),
        alerts(store, &authenticator, options.require_client_sealing),
        responses(store, &authenticator),
        changes(store, &authenticator, &hub),
        reports(store, &authenticator, options.min_reported_count),
        notifier(store, NotifierOptionsWithMetrics(options)),
        subscriptions(store, &authenticator, &notifier),
        server_info(options.server_info, &authenticator),
        encryption_keys(store, &authenticator) {
    store->SetCommitListener([this] {
      hub.Notify();
      notifier.Nudge();
    });
    if (options.metrics != nullptr) {
      store->SetGroupCommitObserver(
          [metrics = options.metrics](size_t writes, absl::Duration took) {
            metrics->RecordGroupCommit(writes, took);
          });
    }
    admin.set_worker_pool(pool.get());
    admin.set_call_observer(&observer);
    partners.set_worker_pool(pool.get());
    partners.set_call_observer(&observer);
    initiatives.set_worker_pool(pool.get());
    initiatives.set_call_observer(&observer);
    commitments.set_worker_pool(pool.get());
    commitments.set_call_observer(&observer);
    alerts.set_worker_pool(pool.get());
    alerts.set_call_observer(&observer);
    responses.set_worker_pool(pool.get());
    responses.set_call_observer(&observer);
    changes.set_worker_pool(pool.get());
    changes.set_call_observer(&observer);
    reports.set_worker_pool(pool.get());
    reports.set_call_observer(&observer);
    subscriptions.set_worker_pool(pool.get());
    subscriptions.set_call_observer(&observer);
    server_info.set_worker_pool(pool.get());
    server_info.set_call_observer(&observer);
    encryption_keys.set_worker_pool(pool.get());
    encryption_keys.set_call_observer(&observer);
    notifier.Start();
  }
  ~Services() {
    hub.Stop();
    notifier.Stop();
    // Runs what is queued, while every service it may call is still here.
    // The server has shut down, so no call is left to queue more.
    pool.reset();
    store->SetCommitListener(nullptr);  // the store outlives the server
    store->SetGroupCommitObserver(nullptr);
  }
  std::unique_ptr<WorkerPool> pool;
  Store* const store;
  CredentialManager credentials;
  std::unique_ptr<RateLimiter> limiter;
  WatchHub hub;
  CallObserver observer;
  Authenticator authenticator;
  AdminServiceImpl admin;
  PartnerServiceImpl partners;
  InitiativeServiceImpl initiatives;
  CommitmentServiceImpl commitments;
  AlertServiceImpl alerts;
  ResponseServiceImpl responses;
  ChangeServiceImpl changes;
  ReportServiceImpl reports;
  Notifier notifier;
  SubscriptionServiceImpl subscriptions;
  ServerInfoServiceImpl server_info;
  EncryptionKeyServiceImpl encryption_keys;
};

bool IsLoopbackAddress(absl::string_view address) {
  const size_t colon = address.rfind(':');
  const absl::string_view host = address.substr(0, colon);
  return host == "localhost" || host == "[::1]" || absl::StartsWith(host, "127.");
}

absl::Status CheckTransportSecurity(const ServerOptions& options) {
  const bool tls = !options.tls_cert_pem.empty() && !options.tls_key_pem.empty();
  if (!tls && (!options.tls_cert_pem.empty() || !options.tls_key_pem.empty())) {
    return absl::FailedPreconditionError("TLS needs both --tls-cert and --tls-key");
  }
  if (!tls && !options.client_ca_pem.empty()) {
    return absl::FailedPreconditionError(
        "--client-ca (mutual TLS) needs TLS: give --tls-cert and --tls-key too");
  }
  if (tls || IsLoopbackAddress(options.listen_address) || options.allow_insecure_non_loopback) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "refusing to serve plaintext on non-loopback address ", options.listen_address,
      ": alerts would cross the network unencrypted. Give --tls-cert and --tls-key, listen on "
      "127.0.0.1, or pass --allow-insecure-non-loopback if a TLS proxy in front of mpowerd "
      "protects it"));
}

absl::StatusOr<std::unique_ptr<MpowerServer>> MpowerServer::Start(Store* store,
                                                                  const ServerOptions& options) {
  if (absl::Status status = CheckTransportSecurity(options); !status.ok()) return status;
  const bool tls = !options.tls_cert_pem.empty();
  if (!tls && !IsLoopbackAddress(options.listen_address)) {
    Log(LogLevel::kWarning, "server",
        absl::StrCat("INSECURE: serving plaintext on non-loopback address ", options.listen_address,
                     "; anyone on the network path can read alerts"));
  }
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (tls && !options.tls_files.cert.empty() && !options.tls_files.key.empty()) {
    // gRPC's file watcher re-reads the files: new handshakes use what they
    // hold now, established connections keep theirs.
    auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
        options.tls_files.key, options.tls_files.cert, options.tls_files.client_ca,
        kTlsRefreshSeconds);
    grpc::experimental::TlsServerCredentialsOptions tls_options(provider);
    tls_options.watch_identity_key_cert_pairs();
    if (!options.tls_files.client_ca.empty()) {
      tls_options.watch_root_certs();
      tls_options.set_cert_request_type(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
    } else {
      tls_options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
    }
    credentials = grpc::experimental::TlsServerCredentials(tls_options);
  } else if (tls) {
    grpc::SslServerCredentialsOptions ssl(options.client_ca_pem.empty()
                                              ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                              : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
    ssl.pem_root_certs = options.client_ca_pem;
    ssl.pem_key_cert_pairs.push_back({options.tls_key_pem, options.tls_cert_pem});
    credentials = grpc::SslServerCredentials(ssl);
  }
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  std::unique_ptr<MpowerServer> server(new MpowerServer());
  server->services_ = std::make_unique<Services>(store, options);
  grpc::ServerBuilder builder;
  builder.SetMaxReceiveMessageSize(options.max_request_bytes);
  // Interception costs every call something: only when someone listens.
  if (options.access_log || options.metrics != nullptr) {
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> observers;
    observers.push_back(server->services_->observer.NewInterceptorFactory());
    builder.experimental().SetInterceptorCreators(std::move(observers));
  }
  builder.AddListeningPort(options.listen_address, credentials, &server->port_);
  Services& services = *server->services_;
  for (grpc::Service* service : std::initializer_list<grpc::Service*>{
           &services.admin, &services.partners, &services.initiatives, &services.commitments,
           &services.alerts, &services.responses, &services.changes, &services.reports,
           &services.subscriptions, &services.server_info, &services.encryption_keys}) {
    // A method its ParsingService left unregistered would be served by the
    // generated synchronous default, which answers UNIMPLEMENTED.
    GPR_ASSERT(!service->has_synchronous_methods());
    builder.RegisterService(service);
  }
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.listen_address,
                     "; is another server using the port? Choose another with --listen"));
  }
  server->store_ = store;
  server->server_->GetHealthCheckService()->SetServingStatus(store->CheckHealth().ok());
  server->health_ = std::thread([raw = server.get()] { raw->WatchHealth(); });
  return server;
}

MpowerServer::~MpowerServer() {
  if (server_ != nullptr) Shutdown(absl::ZeroDuration());
}

void MpowerServer::WatchHealth() {
  bool serving = true;
  while (true) {
    {
      absl::MutexLock lock(&health_mutex_);
      const auto stopping = [this]()
                                ABSL_EXCLUSIVE_LOCKS_REQUIRED(health_mutex_) { return stopping_; };
      health_mutex_.AwaitWithTimeout(absl::Condition(&stopping), absl::Seconds(1));
      if (stopping_) return;
    }
    const absl::Status health = store_->CheckHealth();
    if (health.ok() != serving) {
      serving = health.ok();
      Log(serving ? LogLevel::kInfo : LogLevel::kWarning, "server",
          serving ? "the database answers again: serving"
                  : absl::StrCat("health NOT_SERVING: ", health.message()));
      server_->GetHealthCheckService()->SetServingStatus(serving);
    }
  }
}

std::shared_ptr<grpc::Channel> MpowerServer::InProcessChannel() {
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(-1);  // the server bounds its answers
  return server_->InProcessChannel(arguments);
}

void MpowerServer::Shutdown(absl::Duration grace) {
  if (server_ == nullptr) return;
  {
    absl::MutexLock lock(&health_mutex_);
    stopping_ = true;
  }
  if (health_.joinable()) health_.join();
  server_->GetHealthCheckService()->SetServingStatus(false);
  // Watch streams never end by themselves: end them first, telling each
  // watcher where to resume, so shutdown waits only for unary calls.
  services_->hub.Stop();
  server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  server_->Wait();
  server_.reset();
}

}  // namespace mpower
