// The notification benchmark: N webhook subscriptions (default 1,000) of
// its own partner (partners/bench-notify, made if missing),
// each to its own URL on a receiver this program runs on 127.0.0.1; then
// alerts filed one at a time. For each alert it measures the time from
// the filer's acknowledgement to the last subscription's delivery, and
// prints p50 and p99 of that over the alerts, and the deliveries per
// second it implies, as one key=value line for bench/table.py.
//
//   mpower-notify-bench --target=127.0.0.1:50051 --token=T [--subscriptions=1000]
//                       [--alerts=20]
//
// mpowerd must run with --notify-allow-http-loopback and
// --notify-allow-private-targets: the receiver is plain HTTP on loopback.

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "httplib.h"
#include "mpower/v1/alert.grpc.pb.h"
#include "mpower/v1/partner.grpc.pb.h"
#include "mpower/v1/subscription.grpc.pb.h"
#include "tests/loopback_http_server.h"

namespace {

using Clock = std::chrono::steady_clock;

std::string Flag(int argc, char** argv, const std::string& name, const std::string& otherwise) {
  const std::string prefix = "--" + name + "=";
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]).rfind(prefix, 0) == 0) {
      return std::string(argv[i]).substr(prefix.size());
    }
  }
  return otherwise;
}

// Counts the deliveries of each alert, and when the last came.
class Receiver {
 public:
  explicit Receiver(int threads) {
    server_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    // httplib closes a connection after 5 requests by default; the
    // reconnections then overflow its listen backlog of 5, and a dropped SYN
    // is retried after a second: the receiver's delay, not mpowerd's.
    server_.set_keep_alive_max_count(100000);
    server_.Post(R"(/s/(\d+))", [this](const httplib::Request& request,
                                       httplib::Response& response) {
      const std::string marker = "\"name\":\"alerts/";
      const size_t at = request.body.find(marker);
      if (at != std::string::npos) {
        const size_t start = at + marker.size() - 7;
        const std::string alert = request.body.substr(start, request.body.find('"', start) - start);
        std::lock_guard<std::mutex> lock(mutex_);
        Arrival& arrival = arrivals_[alert];
        ++arrival.count;
        arrival.last = Clock::now();
        changed_.notify_all();
      }
      response.status = 204;
    });
    serving_ = std::make_unique<mpower::testing::LoopbackHttpServer>(server_);
  }
  int port() const { return serving_->port(); }

  // Waits until `alert` has `count` deliveries (at most `limit`); returns
  // when the last came, or nothing.
  std::optional<Clock::time_point> WaitFor(const std::string& alert, int count,
                                           std::chrono::seconds limit) {
    std::unique_lock<std::mutex> lock(mutex_);
    const bool done =
        changed_.wait_for(lock, limit, [&] { return arrivals_[alert].count >= count; });
    if (!done) return std::nullopt;
    return arrivals_[alert].last;
  }

 private:
  struct Arrival {
    int count = 0;
    Clock::time_point last;
  };
  httplib::Server server_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, Arrival> arrivals_;
  // Last, so that serving stops before what the handlers use goes.
  std::unique_ptr<mpower::testing::LoopbackHttpServer> serving_;
};

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<size_t>(p * values.size()))];
}

}  // namespace

int main(int argc, char** argv) {
  const std::string target = Flag(argc, argv, "target", "127.0.0.1:50051");
  const std::string token = Flag(argc, argv, "token", "");
  const int subscriptions = std::stoi(Flag(argc, argv, "subscriptions", "1000"));
  const int alerts = std::stoi(Flag(argc, argv, "alerts", "20"));
  const bool verbose = Flag(argc, argv, "verbose", "0") == "1";

  Receiver receiver(32);
  auto channel = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  auto subscription_stub = mpower::v1::SubscriptionService::NewStub(channel);
  auto alert_stub = mpower::v1::AlertService::NewStub(channel);
  const auto context = [&](grpc::ClientContext& c) {
    c.AddMetadata("authorization", "Bearer " + token);
    c.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  };

  // Its own partner, so that it runs on any store (the demo's, or a seeded
  // one without the demo partners).
  {
    auto partner_stub = mpower::v1::PartnerService::NewStub(channel);
    mpower::v1::CreatePartnerRequest request;
    request.set_partner_id("bench-notify");
    request.mutable_partner()->set_display_name("Notification benchmark union");
    request.mutable_partner()->set_type(mpower::v1::Partner::TYPE_TRADE_UNION);
    request.mutable_partner()->set_country_code("ID");
    mpower::v1::CreatePartnerResponse response;
    grpc::ClientContext c;
    context(c);
    const grpc::Status status = partner_stub->CreatePartner(&c, request, &response);
    if (!status.ok() && status.error_code() != grpc::StatusCode::ALREADY_EXISTS) {
      std::fprintf(stderr, "creating the partner: %s\n", status.error_message().c_str());
      return 1;
    }
  }
  for (int i = 0; i < subscriptions; ++i) {
    mpower::v1::CreateSubscriptionRequest request;
    request.set_parent("partners/bench-notify");
    request.set_subscription_id(absl::StrCat("bench-", i));
    request.mutable_subscription()->add_collections(mpower::v1::Subscription::COLLECTION_ALERTS);
    request.mutable_subscription()->mutable_webhook()->set_url(
        absl::StrCat("http://127.0.0.1:", receiver.port(), "/s/", i));
    mpower::v1::CreateSubscriptionResponse response;
    grpc::ClientContext c;
    context(c);
    const grpc::Status status = subscription_stub->CreateSubscription(&c, request, &response);
    if (!status.ok()) {
      std::fprintf(stderr, "creating subscription %d: %s\n", i, status.error_message().c_str());
      return 1;
    }
  }

  std::vector<double> to_last_ms;
  double total_seconds = 0;
  int64_t delivered = 0;
  for (int i = 0; i < alerts; ++i) {
    mpower::v1::CreateAlertRequest request;
    mpower::v1::Alert& alert = *request.mutable_alert();
    alert.set_filing_partner("partners/bench-notify");
    alert.set_category(mpower::v1::Alert::CATEGORY_THREAT_OF_VIOLENCE);
    alert.set_severity(mpower::v1::Alert::SEVERITY_SEVERE);
    alert.set_urgency(mpower::v1::Alert::URGENCY_IMMEDIATE);
    alert.set_certainty(mpower::v1::Alert::CERTAINTY_LIKELY);
    alert.set_country_code("ID");
    alert.set_headline(absl::StrCat("Benchmark alert ", i));
    mpower::v1::CreateAlertResponse response;
    grpc::ClientContext c;
    context(c);
    const grpc::Status status = alert_stub->CreateAlert(&c, request, &response);
    const Clock::time_point acknowledged = Clock::now();
    if (!status.ok()) {
      std::fprintf(stderr, "filing alert %d: %s\n", i, status.error_message().c_str());
      return 1;
    }
    const std::optional<Clock::time_point> last =
        receiver.WaitFor(response.alert().name(), subscriptions, std::chrono::seconds(60));
    if (!last.has_value()) {
      std::fprintf(stderr, "alert %d: not every subscription was told within 60 s\n", i);
      return 1;
    }
    const double seconds = std::chrono::duration<double>(*last - acknowledged).count();
    to_last_ms.push_back(seconds * 1000);
    if (verbose)
      std::fprintf(stderr, "alert %d: last delivery %.1f ms after the ack\n", i, seconds * 1000);
    total_seconds += seconds;
    delivered += subscriptions;
  }
  std::printf(
      "scenario=notify subscriptions=%d alerts=%d p50_ms=%.1f p99_ms=%.1f "
      "deliveries_per_s=%.0f\n",
      subscriptions, alerts, Percentile(to_last_ms, 0.5), Percentile(to_last_ms, 0.99),
      delivered / total_seconds);
  return 0;
}
