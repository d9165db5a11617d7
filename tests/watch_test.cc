// WatchChanges against a real server on 127.0.0.1:0.

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <map>
#include <thread>

#include "google/protobuf/text_format.h"
#include "mpower/v1/alert.grpc.pb.h"
#include "mpower/v1/change.grpc.pb.h"
#include "mpower/v1/commitment.grpc.pb.h"
#include "server/core/alert_rules.h"
#include "server/core/commitment_rules.h"
#include "server/core/commitment_sync.h"
#include "server/core/credentials.h"
#include "server/core/partner_rules.h"
#include "server/service/server.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

using ::testing::HasSubstr;

class WatchTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    for (const char* id : {"alpha", "beta"}) {
      v1::Partner partner;
      partner.set_display_name(id);
      partner.set_type(v1::Partner::TYPE_TRADE_UNION);
      partner.set_country_code("ID");
      ASSERT_TRUE(ResourceManager<v1::Partner>(store_.get())
                      .Create(Principal::System(), "", id, partner, "", "")
                      .ok());
    }
    admin_ = Issue("admin", v1::ROLE_ADMIN, "");
    auto server = MpowerServer::Start(store_.get(), {.listen_address = "127.0.0.1:0"});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
  }
  void TearDown() override { server_->Shutdown(absl::Seconds(1)); }

  std::string Issue(const std::string& id, v1::Role role, const std::string& partner) {
    v1::Credential credential;
    credential.set_principal(id);
    credential.set_role(role);
    credential.set_partner(partner);
    auto issued = CredentialManager(store_.get()).Create(Principal::System(), id, credential);
    EXPECT_TRUE(issued.ok()) << issued.status();
    return issued.ok() ? issued->token : "";
  }

  void Authorize(grpc::ClientContext& context, const std::string& token) {
    context.AddMetadata("authorization", "Bearer " + token);
  }

  void CreateCommitment(const std::string& id, size_t description_size = 0) {
    grpc::ClientContext context;
    Authorize(context, admin_);
    v1::CreateCommitmentRequest request;
    request.set_parent("partners/alpha");
    request.set_commitment_id(id);
    request.mutable_commitment()->set_kind(v1::Commitment::KIND_POLICY);
    request.mutable_commitment()->set_title("t");
    request.mutable_commitment()->set_description(std::string(description_size, 'd'));
    v1::CreateCommitmentResponse response;
    ASSERT_TRUE(v1::CommitmentService::NewStub(channel_)
                    ->CreateCommitment(&context, request, &response)
                    .ok());
  }

  std::string admin_;
  std::unique_ptr<MpowerServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_P(WatchTest, StreamsHistoryThenLiveChangesThenProgressMarks) {
  grpc::ClientContext context;
  Authorize(context, admin_);
  v1::WatchChangesRequest request;
  request.set_progress_interval_ms(100);
  auto reader = v1::ChangeService::NewStub(channel_)->WatchChanges(&context, request);
  std::vector<int64_t> revisions;
  v1::WatchChangesResponse message;
  while (revisions.size() < 2 && reader->Read(&message)) {
    for (const auto& change : message.changes()) revisions.push_back(change.revision());
  }
  EXPECT_EQ(revisions, (std::vector<int64_t>{1, 2})) << "the two partners, from history";
  std::thread writer([&] {
    for (int i = 0; i < 5; ++i) CreateCommitment("c" + std::to_string(i));
  });
  while (revisions.size() < 7 && reader->Read(&message)) {
    for (const auto& change : message.changes()) {
      EXPECT_EQ(change.type(), v1::CHANGE_TYPE_CREATED);
      revisions.push_back(change.revision());
    }
    EXPECT_EQ(message.revision(), revisions.back());
  }
  writer.join();
  EXPECT_EQ(revisions, (std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7}));
  // Then the stream is quiet, and progress marks say how far it is.
  ASSERT_TRUE(reader->Read(&message));
  EXPECT_TRUE(message.changes().empty());
  EXPECT_EQ(message.revision(), 7);
  context.TryCancel();
}

TEST_P(WatchTest, ACompactedRevisionEndsTheStreamClearly) {
  CreateCommitment("a");
  CreateCommitment("b");
  ASSERT_TRUE(store_->Compact(3).ok());
  grpc::ClientContext context;
  Authorize(context, admin_);
  v1::WatchChangesRequest request;
  request.set_after_revision(1);
  auto reader = v1::ChangeService::NewStub(channel_)->WatchChanges(&context, request);
  v1::WatchChangesResponse message;
  EXPECT_FALSE(reader->Read(&message));
  grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_THAT(status.error_message(), HasSubstr("oldest revision you can continue after is 3"));
}

TEST_P(WatchTest, AWatcherGetsNoEventForWhatItMayNotReadAndNoProtectedDetails) {
  const std::string beta_viewer = Issue("beta-viewer", v1::ROLE_PARTNER_VIEWER, "partners/beta");
  grpc::ClientContext context;
  Authorize(context, beta_viewer);
  v1::WatchChangesRequest request;
  request.set_after_revision(2);
  request.mutable_filter()->add_collections("alerts");
  auto reader = v1::ChangeService::NewStub(channel_)->WatchChanges(&context, request);
  for (const char* scope : {"SCOPE_RESTRICTED", "SCOPE_PARTNERS"}) {
    v1::CreateAlertRequest create;
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
        std::string(R"(alert { filing_partner: "partners/alpha" category: CATEGORY_SURVEILLANCE
          severity: SEVERITY_MINOR urgency: URGENCY_FUTURE certainty: CERTAINTY_POSSIBLE
          country_code: "ID" headline: "h" recipient_partners: "partners/alpha" scope: )") +
            scope + R"( protected_details { people { full_name: "Secret Person" } } })",
        &create));
    grpc::ClientContext write;
    Authorize(write, admin_);
    v1::CreateAlertResponse created;
    ASSERT_TRUE(v1::AlertService::NewStub(channel_)->CreateAlert(&write, create, &created).ok());
  }
  v1::WatchChangesResponse message;
  std::vector<v1::Change> seen;
  while (seen.empty() && reader->Read(&message)) {
    for (const auto& change : message.changes()) seen.push_back(change);
  }
  ASSERT_EQ(seen.size(), 1u) << "the restricted alert never shows";
  EXPECT_EQ(seen[0].alert().scope(), v1::Alert::SCOPE_PARTNERS);
  EXPECT_TRUE(seen[0].alert().protected_details_present());
  EXPECT_THAT(seen[0].DebugString(), ::testing::Not(HasSubstr("Secret Person")));
  EXPECT_EQ(message.revision(), 4) << "it has still been told it is up to date";
  context.TryCancel();
}

TEST_P(WatchTest, RevokingACredentialEndsItsOpenStreams) {
  const std::string token = Issue("leaving", v1::ROLE_PARTNER_VIEWER, "partners/alpha");
  grpc::ClientContext context;
  Authorize(context, token);
  // Without the recheck the stream would run to this deadline instead.
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  v1::WatchChangesRequest request;
  request.set_start_now(true);
  request.set_progress_interval_ms(100);
  auto reader = v1::ChangeService::NewStub(channel_)->WatchChanges(&context, request);
  v1::WatchChangesResponse message;
  ASSERT_TRUE(reader->Read(&message)) << "the stream is open";
  ASSERT_TRUE(
      CredentialManager(store_.get()).Revoke(Principal::System(), "credentials/leaving").ok());
  while (reader->Read(&message)) {
  }
  const grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(status.error_message(), HasSubstr("was revoked"));
}

TEST_P(WatchTest, AStalledWatcherDoesNotDelayAnother) {
  // The stalled watcher opens a stream and never reads from it.
  grpc::ClientContext stalled_context;
  Authorize(stalled_context, admin_);
  auto stalled = v1::ChangeService::NewStub(channel_)->WatchChanges(&stalled_context, {});
  grpc::ClientContext context;
  Authorize(context, admin_);
  auto reader = v1::ChangeService::NewStub(channel_)->WatchChanges(&context, {});
  // ~900 KB in all: far past what gRPC buffers for a reader that never reads.
  constexpr int kWrites = 300;
  std::thread writer([&] {
    for (int i = 0; i < kWrites; ++i) CreateCommitment(absl::StrCat("c", i), 3000);
  });
  int seen = 0;
  v1::WatchChangesResponse message;
  while (seen < kWrites + 2 && reader->Read(&message)) seen += message.changes_size();
  writer.join();
  EXPECT_EQ(seen, kWrites + 2) << "the reading watcher got everything while the other stalled";
  // The stalled one, once it reads, still gets every change in order.
  int stalled_seen = 0;
  int64_t last = 0;
  while (stalled_seen < kWrites + 2 && stalled->Read(&message)) {
    for (const auto& change : message.changes()) {
      EXPECT_GT(change.revision(), last);
      last = change.revision();
      ++stalled_seen;
    }
  }
  EXPECT_EQ(stalled_seen, kWrites + 2);
  context.TryCancel();
  stalled_context.TryCancel();
}

// A watcher cut at every message boundary while it catches up on a long
// history, and resumed each time after the `revision` of the last message
// it received, gets every change exactly once: messages end on whole
// revisions, including a revision of several hundred changes (a sync).
TEST_P(WatchTest, AWatcherResumedAfterEveryMessageOfACatchUpGetsEachChangeOnce) {
  // A revision of 300 changes, then 2,000 of one change each, written by
  // four writers at once (the group commit gives each its own revision).
  SyncRequest sync;
  sync.parent = "partners/beta";
  for (int i = 0; i < 300; ++i) {
    v1::Commitment commitment;
    commitment.set_external_id(absl::StrCat("synced-", i));
    commitment.set_kind(v1::Commitment::KIND_POLICY);
    commitment.set_title("synced");
    sync.items.push_back(commitment);
  }
  absl::StatusOr<SyncResult> synced = CommitmentSync(store_.get()).Run(Principal::System(), sync);
  ASSERT_TRUE(synced.ok()) << synced.status();
  ASSERT_TRUE(synced->summary.applied());
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([this, w] {
      for (int i = 0; i < 500; ++i) {
        v1::Commitment commitment;
        commitment.set_kind(v1::Commitment::KIND_POLICY);
        commitment.set_title("single");
        ASSERT_TRUE(ResourceManager<v1::Commitment>(store_.get())
                        .Create(Principal::System(), "partners/alpha", absl::StrCat("w", w, "-", i),
                                commitment, "", "")
                        .ok());
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  const int64_t head = *store_->CurrentRevision();

  std::map<std::pair<int64_t, std::string>, int> received;
  int64_t after = 0;
  int messages = 0;
  while (after < head) {
    ASSERT_LT(messages, 1000) << "the watcher makes no progress after revision " << after;
    grpc::ClientContext context;
    Authorize(context, admin_);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::WatchChangesRequest request;
    request.set_after_revision(after);
    request.mutable_filter()->add_collections("commitments");
    auto stream = v1::ChangeService::NewStub(channel_)->WatchChanges(&context, request);
    v1::WatchChangesResponse message;
    ASSERT_TRUE(stream->Read(&message)) << "after revision " << after;
    ++messages;
    for (const v1::Change& change : message.changes()) {
      EXPECT_GT(change.revision(), after) << change.name();
      ++received[{change.revision(), change.name()}];
    }
    ASSERT_GE(message.revision(), after);
    after = message.revision();
    context.TryCancel();  // cut at the message boundary
  }
  int repeated = 0;
  for (const auto& [change, times] : received) repeated += times > 1;
  EXPECT_EQ(repeated, 0) << "changes received more than once";
  EXPECT_EQ(received.size(), 2300u) << "every change, once";
  EXPECT_GE(messages, 5) << "the catch-up came in several messages";
}

// A backlog of protected alerts to an administrator's stream is recorded in
// the audit trail, every disclosure of it, in a few writes rather than one
// per alert: the watch hub serves every stream from one thread, and one
// write per alert would stall them all.
TEST_P(WatchTest, ABacklogOfProtectedAlertsIsAuditedInBatches) {
  ResourceManager<v1::Alert> alerts(store_.get());
  for (int i = 0; i < 600; ++i) {
    v1::Alert alert;
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
        R"(filing_partner: "partners/alpha" category: CATEGORY_SURVEILLANCE
           severity: SEVERITY_MINOR urgency: URGENCY_FUTURE certainty: CERTAINTY_POSSIBLE
           country_code: "ID" headline: "h" protected_details { people { full_name: "P" } })",
        &alert));
    ASSERT_TRUE(
        alerts.Create(Principal::System(), "", absl::StrCat("backlog-", i), alert, "", "").ok());
  }
  absl::StatusOr<std::vector<AuditRecord>> before = store_->ListAudit(0, 100000);
  ASSERT_TRUE(before.ok()) << before.status();
  const int64_t audited_before = before->empty() ? 0 : before->back().sequence;
  std::atomic<size_t> writes = 0;
  store_->SetGroupCommitObserver([&](size_t group, absl::Duration) { writes += group; });
  grpc::ClientContext context;
  Authorize(context, admin_);
  v1::WatchChangesRequest request;
  request.mutable_filter()->add_collections("alerts");
  auto reader = v1::ChangeService::NewStub(channel_)->WatchChanges(&context, request);
  size_t disclosed = 0;
  v1::WatchChangesResponse message;
  while (disclosed < 600 && reader->Read(&message)) {
    for (const auto& change : message.changes()) {
      disclosed += change.alert().protected_details().people_size();
    }
  }
  context.TryCancel();
  store_->SetGroupCommitObserver(nullptr);
  ASSERT_EQ(disclosed, 600u);
  EXPECT_LE(writes.load(), 10u) << "an audit write per round of the hub, not one per alert";
  size_t recorded = 0;
  absl::StatusOr<std::vector<AuditRecord>> audit = store_->ListAudit(audited_before, 100000);
  ASSERT_TRUE(audit.ok()) << audit.status();
  for (const AuditRecord& record : *audit) {
    recorded += record.method == "ReadProtectedDetails" ? 1 : 0;
  }
  EXPECT_EQ(recorded, 600u) << "every disclosure is recorded";
}

MPOWER_ON_EVERY_BACKEND(WatchTest);

}  // namespace
}  // namespace mpower
