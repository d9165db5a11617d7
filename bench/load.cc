// A closed-loop gRPC load generator: N calls in flight over M connections,
// each slot sending its next call as soon as the last one answers, for a
// fixed time after a warm-up. Prints one line of figures per run:
//
//   scenario=get calls=... qps=... p50_ms=... p99_ms=... p999_ms=... errors=...
//
// Scenarios: echo (the bare server), get, list, create-alert,
// create-protected-alert (details sealed at rest by the server),
// create-sealed-alert (details sealed here, as on the filer's machine,
// under an alert_id made here, all of them before the load starts)
// (mpowerd), etcd-put, etcd-get (etcd), and fanout
// (one write reaching many watchers).

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/bench.pb.h"
#include "bench/etcd_kv.pb.h"
#include "bench/sealed_filer.h"
#include "mpower/v1/alert.pb.h"
#include "mpower/v1/change.grpc.pb.h"
#include "mpower/v1/commitment.pb.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string target;
  // fanout: where the watchers connect, when not to `target` (the writer's
  // replica): other replicas of the same database.
  std::string watch_target;
  std::string scenario;
  std::string token;
  int in_flight = 64;
  int connections = 4;
  absl::Duration duration = absl::Seconds(10);
  absl::Duration warmup = absl::Seconds(2);
  int payload_bytes = 256;
  std::vector<std::string> names;  // commitments to Get, from --names-file
  int watchers = 1000;
  int writes = 20;
  // create-sealed-alert: seals each alert's details, ahead of the load.
  std::shared_ptr<mpower::bench::SealedFiler> sealed_filer;
};

std::string Flag(int argc, char** argv, const std::string& name, const std::string& otherwise) {
  const std::string prefix = "--" + name + "=";
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]).rfind(prefix, 0) == 0)
      return std::string(argv[i]).substr(prefix.size());
  }
  return otherwise;
}

std::vector<std::shared_ptr<grpc::Channel>> Channels(const Options& options) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < options.connections; ++i) {
    grpc::ChannelArguments args;
    // Separate connections, not one shared subchannel.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("mpower.bench.connection", i);
    // A target of several replicas ("ipv4:A,B,C") spreads over them all.
    args.SetLoadBalancingPolicyName("round_robin");
    channels.push_back(
        grpc::CreateCustomChannel(options.target, grpc::InsecureChannelCredentials(), args));
  }
  return channels;
}

// Makes the next request of a scenario: its method and serialized bytes.
class RequestMaker {
 public:
  RequestMaker(const Options& options, int slot) : options_(options), random_(slot * 7919 + 1) {}

  std::pair<const char*, std::string> Next() {
    const std::string payload(options_.payload_bytes, 'x');
    if (options_.scenario == "echo") {
      mpower::bench::EchoRequest request;
      request.set_payload(payload);
      return {"/mpower.bench.EchoService/Echo", request.SerializeAsString()};
    }
    if (options_.scenario == "get") {
      mpower::v1::GetCommitmentRequest request;
      if (options_.names.empty()) {
        std::fprintf(stderr, "mpower-load: get needs --names-file (mpower-bench-seed writes it)\n");
        std::exit(2);
      }
      request.set_name(options_.names[Uniform(static_cast<int>(options_.names.size()))]);
      return {"/mpower.v1.CommitmentService/GetCommitment", request.SerializeAsString()};
    }
    if (options_.scenario == "list") {
      mpower::v1::ListCommitmentsRequest request;
      request.set_parent("partners/-");
      request.set_page_size(100);
      request.set_filter(
          absl::StrCat("country_codes:\"", kCountries[Uniform(kCountryCount)], "\""));
      return {"/mpower.v1.CommitmentService/ListCommitments", request.SerializeAsString()};
    }
    if (options_.scenario == "create-alert" || options_.scenario == "create-protected-alert" ||
        options_.scenario == "create-sealed-alert") {
      mpower::v1::CreateAlertRequest request;
      mpower::v1::Alert* alert = request.mutable_alert();
      alert->set_filing_partner("partners/bench-p0");
      alert->set_category(mpower::v1::Alert::CATEGORY_OTHER);
      alert->set_severity(mpower::v1::Alert::SEVERITY_MINOR);
      alert->set_urgency(mpower::v1::Alert::URGENCY_FUTURE);
      alert->set_certainty(mpower::v1::Alert::CERTAINTY_POSSIBLE);
      alert->set_country_code("ID");
      alert->set_headline("Benchmark alert");
      alert->set_summary(payload);
      if (options_.scenario == "create-protected-alert") {
        // Protected details: the alert gets a data key of its own.
        alert->mutable_protected_details()->add_people()->set_full_name("Benchmark Person");
      }
      if (options_.sealed_filer != nullptr) {
        if (absl::Status sealed = options_.sealed_filer->SealInto(request); !sealed.ok()) {
          std::fprintf(stderr, "mpower-load: %s\n", sealed.ToString().c_str());
          std::exit(1);
        }
      }
      return {"/mpower.v1.AlertService/CreateAlert", request.SerializeAsString()};
    }
    if (options_.scenario == "etcd-put") {
      etcdserverpb::PutRequest request;
      request.set_key(absl::StrCat("k", Uniform(10000)));
      request.set_value(payload);
      return {"/etcdserverpb.KV/Put", request.SerializeAsString()};
    }
    if (options_.scenario == "etcd-get") {
      etcdserverpb::RangeRequest request;
      request.set_key(absl::StrCat("k", Uniform(10000)));
      return {"/etcdserverpb.KV/Range", request.SerializeAsString()};
    }
    std::fprintf(stderr, "mpower-load: unknown scenario %s\n", options_.scenario.c_str());
    std::exit(2);
  }

  // The countries seed.cc spreads commitments over.
  static constexpr const char* kCountries[] = {"ID", "MY", "BD", "KH", "VN", "PH", "MX",
                                               "GT", "HN", "CO", "PE", "EC", "NG", "GH",
                                               "KE", "ET", "JO", "EG", "NP", "LK"};
  static constexpr int kCountryCount = 20;

 private:
  int Uniform(int n) { return std::uniform_int_distribution<int>(0, n - 1)(random_); }

  const Options& options_;
  std::mt19937 random_;
};

double Percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t rank = static_cast<size_t>(p / 100.0 * static_cast<double>(sorted.size()));
  return sorted[std::min(rank, sorted.size() - 1)];
}

void PrintFigures(const Options& options, std::vector<double> latencies_ms, int64_t errors,
                  double seconds) {
  std::sort(latencies_ms.begin(), latencies_ms.end());
  std::printf("scenario=%s calls=%zu qps=%.0f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f errors=%lld\n",
              options.scenario.c_str(), latencies_ms.size(),
              static_cast<double>(latencies_ms.size()) / seconds, Percentile(latencies_ms, 50),
              Percentile(latencies_ms, 99), Percentile(latencies_ms, 99.9),
              static_cast<long long>(errors));
  std::fflush(stdout);
}

// One call in flight at a time; starts the next when one answers.
class Slot {
 public:
  Slot(const Options& options, grpc::GenericStub* stub, int index, Clock::time_point measure_from,
       Clock::time_point stop_at, std::atomic<int>* running)
      : options_(options),
        stub_(stub),
        maker_(options, index),
        measure_from_(measure_from),
        stop_at_(stop_at),
        running_(running) {}

  void Start() {
    context_ = std::make_unique<grpc::ClientContext>();
    context_->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    if (!options_.token.empty()) context_->AddMetadata("authorization", "Bearer " + options_.token);
    auto [method, bytes] = maker_.Next();
    grpc::Slice slice(bytes);
    request_ = grpc::ByteBuffer(&slice, 1);
    started_ = Clock::now();
    stub_->UnaryCall(context_.get(), method, grpc::StubOptions(), &request_, &response_,
                     [this](grpc::Status status) { Done(status); });
  }

  std::vector<double> latencies_ms;
  int64_t errors = 0;

 private:
  void Done(const grpc::Status& status) {
    const Clock::time_point now = Clock::now();
    if (started_ >= measure_from_ && now <= stop_at_) {
      if (status.ok()) {
        latencies_ms.push_back(std::chrono::duration<double, std::milli>(now - started_).count());
      } else {
        if (errors++ == 0) {
          std::fprintf(stderr, "mpower-load: %s: %s\n", options_.scenario.c_str(),
                       status.error_message().c_str());
        }
      }
    }
    if (now < stop_at_) {
      Start();
    } else {
      running_->fetch_sub(1);
    }
  }

  const Options& options_;
  grpc::GenericStub* stub_;
  RequestMaker maker_;
  const Clock::time_point measure_from_, stop_at_;
  std::atomic<int>* running_;
  std::unique_ptr<grpc::ClientContext> context_;
  grpc::ByteBuffer request_, response_;
  Clock::time_point started_;
};

int RunClosedLoop(const Options& options) {
  std::vector<std::shared_ptr<grpc::Channel>> channels = Channels(options);
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs;
  for (auto& channel : channels) stubs.push_back(std::make_unique<grpc::GenericStub>(channel));
  const Clock::time_point start = Clock::now();
  const Clock::time_point measure_from = start + absl::ToChronoNanoseconds(options.warmup);
  const Clock::time_point stop_at = measure_from + absl::ToChronoNanoseconds(options.duration);
  std::atomic<int> running = options.in_flight;
  // Scripts measuring the server's CPU start their clocks from this line:
  // what came before it (sealing ahead) is not load.
  std::fprintf(stderr, "mpower-load: load starts\n");
  std::vector<std::unique_ptr<Slot>> slots;
  for (int i = 0; i < options.in_flight; ++i) {
    slots.push_back(std::make_unique<Slot>(options, stubs[i % stubs.size()].get(), i, measure_from,
                                           stop_at, &running));
  }
  for (auto& slot : slots) slot->Start();
  while (running.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::vector<double> all;
  int64_t errors = 0;
  for (auto& slot : slots) {
    all.insert(all.end(), slot->latencies_ms.begin(), slot->latencies_ms.end());
    errors += slot->errors;
  }
  PrintFigures(options, std::move(all), errors, absl::ToDoubleSeconds(options.duration));
  return 0;
}

// Fan-out: `watchers` WatchChanges streams on alerts; then alerts are filed
// one at a time, and each watcher notes when each alert reaches it,
// measured from the writer's acknowledgement.
class Watcher : public grpc::ClientReadReactor<mpower::v1::WatchChangesResponse> {
 public:
  Watcher(mpower::v1::ChangeService::Stub* stub, const std::string& token,
          std::map<std::string, Clock::time_point>* acked, std::mutex* mutex,
          std::vector<double>* delays_ms, std::atomic<int>* ready)
      : acked_(acked), mutex_(mutex), delays_ms_(delays_ms), ready_(ready) {
    context_.AddMetadata("authorization", "Bearer " + token);
    request_.set_start_now(true);
    request_.mutable_filter()->add_collections("alerts");
    stub->async()->WatchChanges(&context_, &request_, this);
    StartRead(&response_);
    StartCall();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    const Clock::time_point now = Clock::now();
    if (!started_) {
      started_ = true;
      ready_->fetch_add(1);
    }
    {
      std::lock_guard<std::mutex> lock(*mutex_);
      for (const auto& change : response_.changes()) {
        seen_[change.name()] = now;
      }
    }
    StartRead(&response_);
  }
  void OnDone(const grpc::Status&) override { done_ = true; }
  void Cancel() { context_.TryCancel(); }
  bool done() const { return done_; }

  // Records, for each acknowledged alert, how long after the ack it came.
  void Collect() {
    std::lock_guard<std::mutex> lock(*mutex_);
    for (const auto& [name, acked_at] : *acked_) {
      auto found = seen_.find(name);
      if (found == seen_.end()) {
        ++missing;
        continue;
      }
      delays_ms_->push_back(std::max(
          0.0, std::chrono::duration<double, std::milli>(found->second - acked_at).count()));
    }
  }
  int missing = 0;

 private:
  grpc::ClientContext context_;
  mpower::v1::WatchChangesRequest request_;
  mpower::v1::WatchChangesResponse response_;
  std::map<std::string, Clock::time_point>* acked_;
  std::mutex* mutex_;
  std::vector<double>* delays_ms_;
  std::atomic<int>* ready_;
  std::map<std::string, Clock::time_point> seen_;
  bool started_ = false;
  std::atomic<bool> done_ = false;
};

int RunFanout(const Options& options) {
  std::vector<std::shared_ptr<grpc::Channel>> channels = Channels(options);
  Options watching = options;
  if (!options.watch_target.empty()) watching.target = options.watch_target;
  std::vector<std::unique_ptr<mpower::v1::ChangeService::Stub>> stubs;
  for (auto& channel : Channels(watching)) {
    stubs.push_back(mpower::v1::ChangeService::NewStub(channel));
  }
  std::map<std::string, Clock::time_point> acked;
  std::mutex mutex;
  std::vector<double> delays_ms;
  std::atomic<int> ready = 0;
  std::vector<std::unique_ptr<Watcher>> watchers;
  for (int i = 0; i < options.watchers; ++i) {
    watchers.push_back(std::make_unique<Watcher>(stubs[i % stubs.size()].get(), options.token,
                                                 &acked, &mutex, &delays_ms, &ready));
  }
  const absl::Time give_up = absl::Now() + absl::Seconds(60);
  while (ready.load() < options.watchers && absl::Now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::fprintf(stderr, "mpower-load: %d of %d watchers ready\n", ready.load(), options.watchers);
  grpc::GenericStub writer(channels[0]);
  Options create = options;
  create.scenario = "create-alert";
  RequestMaker maker(create, 0);
  for (int i = 0; i < options.writes; ++i) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + options.token);
    auto [method, bytes] = maker.Next();
    grpc::Slice slice(bytes);
    grpc::ByteBuffer request(&slice, 1), response;
    std::promise<grpc::Status> done;
    writer.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                     [&](grpc::Status status) { done.set_value(status); });
    const grpc::Status status = done.get_future().get();
    const Clock::time_point now = Clock::now();
    std::vector<grpc::Slice> slices;
    mpower::v1::CreateAlertResponse created;
    std::string data;
    if (status.ok() && response.Dump(&slices).ok()) {
      for (auto& s : slices) data.append(reinterpret_cast<const char*>(s.begin()), s.size());
      created.ParseFromString(data);
      std::lock_guard<std::mutex> lock(mutex);
      acked[created.alert().name()] = now;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::this_thread::sleep_for(std::chrono::seconds(2));
  int missing = 0;
  for (auto& watcher : watchers) {
    watcher->Collect();
    missing += watcher->missing;
    watcher->Cancel();
  }
  for (auto& watcher : watchers) {
    while (!watcher->done()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::sort(delays_ms.begin(), delays_ms.end());
  std::printf(
      "scenario=fanout watchers=%d writes=%zu deliveries=%zu p50_ms=%.3f p99_ms=%.3f "
      "p999_ms=%.3f missing=%d\n",
      options.watchers, acked.size(), delays_ms.size(), Percentile(delays_ms, 50),
      Percentile(delays_ms, 99), Percentile(delays_ms, 99.9), missing);
  return missing == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  options.target = Flag(argc, argv, "target", "127.0.0.1:50051");
  options.watch_target = Flag(argc, argv, "watch-target", "");
  options.scenario = Flag(argc, argv, "scenario", "echo");
  options.token = Flag(argc, argv, "token", "");
  options.in_flight = std::atoi(Flag(argc, argv, "in-flight", "64").c_str());
  options.connections = std::atoi(Flag(argc, argv, "connections", "4").c_str());
  options.payload_bytes = std::atoi(Flag(argc, argv, "payload-bytes", "256").c_str());
  if (const std::string path = Flag(argc, argv, "names-file", ""); !path.empty()) {
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) options.names.push_back(line);
    }
  }
  options.watchers = std::atoi(Flag(argc, argv, "watchers", "1000").c_str());
  options.writes = std::atoi(Flag(argc, argv, "writes", "20").c_str());
  if (!absl::ParseDuration(Flag(argc, argv, "duration", "10s"), &options.duration) ||
      !absl::ParseDuration(Flag(argc, argv, "warmup", "2s"), &options.warmup)) {
    std::fprintf(stderr, "mpower-load: --duration and --warmup take durations such as 10s\n");
    return 2;
  }
  if (options.scenario == "create-sealed-alert") {
    absl::StatusOr<std::unique_ptr<mpower::bench::SealedFiler>> filer =
        mpower::bench::SealedFiler::Publish(
            grpc::CreateChannel(options.target, grpc::InsecureChannelCredentials()), options.token,
            "partners/bench-p0");
    if (!filer.ok()) {
      std::fprintf(stderr, "mpower-load: %s\n", filer.status().ToString().c_str());
      return 1;
    }
    // Enough for the warm-up and the run at well above any rate seen here;
    // --sealed-ahead says otherwise.
    const double seconds = absl::ToDoubleSeconds(options.duration + options.warmup);
    const int ahead = std::atoi(
        Flag(argc, argv, "sealed-ahead", std::to_string(static_cast<int>(seconds * 3000))).c_str());
    if (absl::Status sealed = (*filer)->SealAhead(ahead, /*threads=*/2); !sealed.ok()) {
      std::fprintf(stderr, "mpower-load: %s\n", sealed.ToString().c_str());
      return 1;
    }
    options.sealed_filer = *std::move(filer);
  }
  const int result = options.scenario == "fanout" ? RunFanout(options) : RunClosedLoop(options);
  if (options.sealed_filer != nullptr && options.sealed_filer->sealed_during_load() > 0) {
    std::fprintf(stderr,
                 "mpower-load: %zu filings were sealed during the load, past the %s sealed "
                 "ahead: give a larger --sealed-ahead, as these figures include sealing\n",
                 options.sealed_filer->sealed_during_load(),
                 Flag(argc, argv, "sealed-ahead", "ones").c_str());
  }
  return result;
}
