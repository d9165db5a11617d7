// Limits and overload: per-caller rate limits with a retry hint, a cap on
// open watch streams, a bound on request size, and a server that stays
// correct and answers health checks through a flood.

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <future>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "mpower/v1/change.grpc.pb.h"
#include "mpower/v1/commitment.grpc.pb.h"
#include "mpower/v1/partner.grpc.pb.h"
#include "server/core/credentials.h"
#include "server/core/rate_limiter.h"
#include "server/demo/demo_data.h"
#include "server/service/server.h"
#include "tests/any_rpc.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

TEST(RateLimiterTest, TokenBucketPerKey) {
  RateLimiter limiter(/*per_second=*/10, /*burst=*/3);
  const absl::Time start = absl::FromUnixSeconds(1000);
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limiter.Admit("a", start).has_value());
  std::optional<absl::Duration> wait = limiter.Admit("a", start);
  ASSERT_TRUE(wait.has_value()) << "the burst is spent";
  EXPECT_EQ(*wait, absl::Milliseconds(100)) << "one token comes back every 100ms";
  EXPECT_FALSE(limiter.Admit("b", start).has_value()) << "another key has its own bucket";
  EXPECT_FALSE(limiter.Admit("a", start + absl::Milliseconds(100)).has_value());
  EXPECT_TRUE(limiter.Admit("a", start + absl::Milliseconds(100)).has_value());
  EXPECT_FALSE(limiter.Admit("a", start + absl::Seconds(10)).has_value()) << "refilled";
}

TEST(RateLimiterTest, ConcurrentCallersNeverGetMoreThanTheBurst) {
  RateLimiter limiter(/*per_second=*/1, /*burst=*/100);
  const absl::Time now = absl::FromUnixSeconds(1000);
  std::atomic<int> admitted = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) {
        if (!limiter.Admit("shared", now).has_value()) ++admitted;
        (void)limiter.Admit("own-" + std::to_string(t), now);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(admitted.load(), 100) << "4,000 tries at one instant admit exactly the burst";
}

class LimitsTest : public testing::StoreTest {
 protected:
  void Start(const ServerOptions& options) {
    ASSERT_TRUE(LoadDemoData(store_.get()).ok());
    for (const char* id : {"busy", "quiet"}) {
      v1::Credential credential;
      credential.set_principal(id);
      credential.set_role(v1::ROLE_PARTNER_VIEWER);
      credential.set_partner("partners/ilo");
      auto issued = CredentialManager(store_.get()).Create(Principal::System(), id, credential);
      ASSERT_TRUE(issued.ok());
      tokens_[id] = issued->token;
    }
    ServerOptions with_port = options;
    with_port.listen_address = "127.0.0.1:0";
    auto server = MpowerServer::Start(store_.get(), with_port);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
  }
  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(absl::Seconds(1));
  }

  grpc::Status ListPartners(const std::string& who) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    context.AddMetadata("authorization", "Bearer " + tokens_[who]);
    v1::ListPartnersResponse response;
    return v1::PartnerService::NewStub(channel_)->ListPartners(&context, {}, &response);
  }

  // True if the health service answers SERVING.
  bool Serving() { return testing::HealthOf(channel_) == "SERVING"; }

  std::unique_ptr<MpowerServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::map<std::string, std::string> tokens_;
};

TEST_P(LimitsTest, AFloodFromOneCallerIsThrottledWhileOthersAndHealthChecksAreServed) {
  Start({.rate_limit_per_second = 20});
  std::atomic<int> ok = 0, throttled = 0, other = 0;
  std::string hint, details;
  std::mutex mutex;
  std::vector<std::thread> flood;
  for (int t = 0; t < 8; ++t) {
    flood.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        const grpc::Status status = ListPartners("busy");
        if (status.ok()) {
          ++ok;
        } else if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
          ++throttled;
          std::lock_guard<std::mutex> lock(mutex);
          hint = status.error_message();
          details = status.error_details();
        } else {
          ++other;
        }
      }
    });
  }
  int healthy = 0;
  for (int i = 0; i < 20; ++i) healthy += Serving() ? 1 : 0;
  for (auto& thread : flood) thread.join();
  EXPECT_GT(ok.load(), 0);
  EXPECT_GT(throttled.load(), 0);
  EXPECT_EQ(other.load(), 0) << "a flood degrades to throttling, never to errors";
  EXPECT_THAT(hint, MatchesRegex(".*rate limit: at most 20 calls a second per caller; retry "
                                 "after [0-9]+ms"));
  EXPECT_EQ(healthy, 20) << "health checks are not rate limited";
  EXPECT_TRUE(ListPartners("quiet").ok()) << "another caller is not held back";
  // The same hint as data: a RetryInfo a client can wait on, and a reason.
  google::rpc::Status status;
  ASSERT_TRUE(status.ParseFromString(details));
  bool retry_given = false, reason_given = false;
  for (const google::protobuf::Any& detail : status.details()) {
    google::rpc::RetryInfo retry;
    google::rpc::ErrorInfo info;
    if (detail.UnpackTo(&retry)) {
      retry_given = true;
      EXPECT_GT(retry.retry_delay().seconds() * 1000000000LL + retry.retry_delay().nanos(), 0);
      EXPECT_LE(retry.retry_delay().seconds(), 1);
    } else if (detail.UnpackTo(&info)) {
      reason_given = true;
      EXPECT_EQ(info.reason(), "RATE_LIMITED");
    }
  }
  EXPECT_TRUE(retry_given);
  EXPECT_TRUE(reason_given);
}

TEST_P(LimitsTest, BadTokensAreThrottledToo) {
  Start({.rate_limit_per_second = 5});
  int throttled = 0;
  for (int i = 0; i < 40; ++i) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer mpw_guess" + std::to_string(i));
    v1::ListPartnersResponse response;
    const grpc::Status status =
        v1::PartnerService::NewStub(channel_)->ListPartners(&context, {}, &response);
    if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED)
      ++throttled;
    else
      EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  EXPECT_GT(throttled, 20);
}

TEST_P(LimitsTest, OneCallerMayHoldOnlySoManyWatchStreams) {
  Start({.max_watch_streams_per_caller = 3});
  auto stub = v1::ChangeService::NewStub(channel_);
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientReader<v1::WatchChangesResponse>>> streams;
  const auto open = [&](const std::string& who) {
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    contexts.back()->AddMetadata("authorization", "Bearer " + tokens_[who]);
    v1::WatchChangesRequest request;
    request.set_start_now(true);
    streams.push_back(stub->WatchChanges(contexts.back().get(), request));
    v1::WatchChangesResponse first;
    return streams.back()->Read(&first) ? grpc::Status::OK : streams.back()->Finish();
  };
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(open("busy").ok());
  const grpc::Status fourth = open("busy");
  EXPECT_EQ(fourth.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(fourth.error_message(), HasSubstr("at most 3 open watch streams per caller"));
  EXPECT_TRUE(open("quiet").ok()) << "the limit is per caller";
  // Closing one frees its place.
  contexts[0]->TryCancel();
  streams[0]->Finish();
  bool reopened = false;
  for (int attempt = 0; attempt < 50 && !reopened; ++attempt) {
    reopened = open("busy").ok();
    if (!reopened) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(reopened);
  for (auto& context : contexts) context->TryCancel();
}

TEST_P(LimitsTest, OversizeRequestsAreRefusedBeforeAnyWork) {
  Start({.max_request_bytes = 64 * 1024});
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + tokens_["busy"]);
  v1::ListPartnersRequest request;
  request.set_filter(std::string(100 * 1024, 'x'));
  v1::ListPartnersResponse response;
  const grpc::Status status =
      v1::PartnerService::NewStub(channel_)->ListPartners(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
}

MPOWER_ON_EVERY_BACKEND(LimitsTest);

}  // namespace
}  // namespace mpower
