#include "server/service/metrics.h"

#include <exception>
#include <vector>

#include "absl/strings/str_cat.h"

namespace mpower {
namespace {

// Seconds: from a cached Get (a fraction of a millisecond) to a report or a
// write waiting on a slow disk.
const prometheus::Histogram::BucketBoundaries kLatencyBuckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

}  // namespace

ServerMetrics::ServerMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      calls_(prometheus::BuildCounter()
                 .Name("mpower_rpc_calls_total")
                 .Help("Calls answered, by method and gRPC status code.")
                 .Register(*registry_)),
      latency_(prometheus::BuildHistogram()
                   .Name("mpower_rpc_duration_seconds")
                   .Help("Time from a call's arrival to its status, by method.")
                   .Register(*registry_)),
      streams_(prometheus::BuildGauge()
                   .Name("mpower_streams_open")
                   .Help("Streaming calls open now (watches, syncs, exports), by method.")
                   .Register(*registry_)),
      limit_refusals_(prometheus::BuildCounter()
                          .Name("mpower_limit_refusals_total")
                          .Help("Calls refused with RESOURCE_EXHAUSTED: over the rate limit, "
                                "the watch-stream cap or the request size.")
                          .Register(*registry_)
                          .Add({})),
      authentication_failures_(prometheus::BuildCounter()
                                   .Name("mpower_authentication_failures_total")
                                   .Help("Calls that presented credentials which did not check "
                                         "out (UNAUTHENTICATED).")
                                   .Register(*registry_)
                                   .Add({})),
      escalations_(prometheus::BuildCounter()
                       .Name("mpower_escalations_total")
                       .Help("Alerts this replica escalated for want of a response.")
                       .Register(*registry_)
                       .Add({})),
      purges_(prometheus::BuildCounter()
                  .Name("mpower_retention_purges_total")
                  .Help("Alerts whose protected details this replica purged by the retention "
                        "rule (--purge-protected-after).")
                  .Register(*registry_)
                  .Add({})),
      database_bytes_(prometheus::BuildGauge()
                          .Name("mpower_database_bytes")
                          .Help("The database's size on disk, as of the last maintenance round.")
                          .Register(*registry_)
                          .Add({})),
      group_writes_(
          prometheus::BuildHistogram()
              .Name("mpower_group_commit_writes")
              .Help("Writes per group commit: how many share one transaction and flush.")
              .Register(*registry_)
              .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64, 128, 256})),
      group_seconds_(prometheus::BuildHistogram()
                         .Name("mpower_group_commit_seconds")
                         .Help("Time to commit one group: its transaction and its flush to disk.")
                         .Register(*registry_)
                         .Add({}, kLatencyBuckets)),
      http_limits_(prometheus::BuildCounter()
                       .Name("mpower_http_connections_limited_total")
                       .Help("HTTP connections closed by a limit, by reason: connection_cap and "
                             "address_cap (refused at once), header_timeout and body_timeout "
                             "(408), idle_timeout, write_timeout.")
                       .Register(*registry_)),
      watch_lag_(prometheus::BuildGauge()
                     .Name("mpower_watch_lag_revisions")
                     .Help("Revisions between the head and the open watch stream furthest "
                           "behind, as of the watch hub's last round.")
                     .Register(*registry_)
                     .Add({})),
      notifications_(prometheus::BuildCounter()
                         .Name("mpower_notifications_total")
                         .Help("Attempts to deliver a notification (a webhook POST, an email), "
                               "by result: delivered, or failed and to be retried.")
                         .Register(*registry_)),
      notifications_delivered_(notifications_.Add({{"result", "delivered"}})),
      notifications_failed_(notifications_.Add({{"result", "failed"}})),
      failing_subscriptions_(prometheus::BuildCounter()
                                 .Name("mpower_subscriptions_failing_total")
                                 .Help("Subscriptions marked failing after their deliveries "
                                       "failed for --notify-retry-for.")
                                 .Register(*registry_)
                                 .Add({})) {}

void ServerMetrics::RecordGroupCommit(size_t writes, absl::Duration took) {
  group_writes_.Observe(static_cast<double>(writes));
  group_seconds_.Observe(absl::ToDoubleSeconds(took));
}

absl::StatusOr<int> ServerMetrics::Serve(const std::string& address) {
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(address, /*num_threads=*/1);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", address, ": ", e.what(),
                                               "; choose another --metrics-listen"));
  }
  exposer_->RegisterCollectable(registry_);
  const std::vector<int> ports = exposer_->GetListeningPorts();
  if (ports.empty())
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", address));
  return ports.front();
}

void ServerMetrics::RecordCall(absl::string_view method, absl::string_view code,
                               absl::Duration duration) {
  calls_.Add({{"method", std::string(method)}, {"code", std::string(code)}}).Increment();
  latency_.Add({{"method", std::string(method)}}, kLatencyBuckets)
      .Observe(absl::ToDoubleSeconds(duration));
}

void ServerMetrics::StreamOpened(absl::string_view method, int delta) {
  streams_.Add({{"method", std::string(method)}}).Increment(delta);
}

void ServerMetrics::RecordHttpLimit(absl::string_view reason) {
  http_limits_.Add({{"reason", std::string(reason)}}).Increment();
}

}  // namespace mpower
