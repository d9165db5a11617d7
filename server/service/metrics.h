#ifndef MPOWER_SERVER_SERVICE_METRICS_H_
#define MPOWER_SERVER_SERVICE_METRICS_H_

// What mpowerd tells Prometheus, through prometheus-cpp: calls by method and
// code with their latency, open streams, refusals by the limits, failed
// authentication, escalations, purges and the database's size. Labels
// hold only method names and status codes: nothing from a request, so no
// protected detail and no caller's free text can reach a metric.

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "prometheus/counter.h"
#include "prometheus/exposer.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace mpower {

// Thread-safe.
class ServerMetrics {
 public:
  ServerMetrics();

  // Serves the metrics at http://`address`/metrics (host:port; port 0 lets
  // the OS pick). Returns the port bound; UNAVAILABLE if it cannot bind.
  absl::StatusOr<int> Serve(const std::string& address);

  // A call to `method` ("/mpower.v1.AlertService/GetAlert") that ended
  // with `code` (a gRPC code's name) after `duration`.
  void RecordCall(absl::string_view method, absl::string_view code, absl::Duration duration);
  // A stream of `method` opened (+1) or closed (-1).
  void StreamOpened(absl::string_view method, int delta);
  void RecordLimitRefusal() { limit_refusals_.Increment(); }
  void RecordAuthenticationFailure() { authentication_failures_.Increment(); }
  void RecordEscalations(int count) { escalations_.Increment(count); }
  void RecordPurges(int count) { purges_.Increment(count); }
  void SetDatabaseBytes(int64_t bytes) { database_bytes_.Set(static_cast<double>(bytes)); }
  // A group commit of `writes` writes that took `took`.
  void RecordGroupCommit(size_t writes, absl::Duration took);
  // One attempt to deliver a notification (a webhook POST, an email).
  void RecordNotification(bool delivered) {
    (delivered ? notifications_delivered_ : notifications_failed_).Increment();
  }
  // A subscription whose deliveries failed for too long, marked failing.
  void RecordFailingSubscription() { failing_subscriptions_.Increment(); }
  // An HTTP connection closed by the listener's limit `reason`.
  void RecordHttpLimit(absl::string_view reason);
  // How far the watch stream furthest behind is from the head revision.
  void SetWatchLag(int64_t revisions) { watch_lag_.Set(static_cast<double>(revisions)); }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& calls_;
  prometheus::Family<prometheus::Histogram>& latency_;
  prometheus::Family<prometheus::Gauge>& streams_;
  prometheus::Counter& limit_refusals_;
  prometheus::Counter& authentication_failures_;
  prometheus::Counter& escalations_;
  prometheus::Counter& purges_;
  prometheus::Gauge& database_bytes_;
  prometheus::Histogram& group_writes_;
  prometheus::Histogram& group_seconds_;
  prometheus::Family<prometheus::Counter>& http_limits_;
  prometheus::Gauge& watch_lag_;
  prometheus::Family<prometheus::Counter>& notifications_;
  prometheus::Counter& notifications_delivered_;
  prometheus::Counter& notifications_failed_;
  prometheus::Counter& failing_subscriptions_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_SERVICE_METRICS_H_
