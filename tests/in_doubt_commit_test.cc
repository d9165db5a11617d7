// Commits in doubt on PostgreSQL: the session is cut after a group's COMMIT
// was sent and before its answer came back. The database may have
// committed or not; mpowerd asks it which (pg_xact_status) and answers the
// caller as if the answer had arrived, and when it cannot learn the
// outcome it says so, destroys nothing, and a retry with the same
// request_id finds the alert whole.

#include <libpq-fe.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "google/protobuf/text_format.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "server/core/alert_rules.h"
#include "server/core/partner_rules.h"
#include "server/service/status_conversion.h"
#include "server/storage/commit_outcome.h"
#include "server/storage/data_keys.h"
#include "server/storage/postgres/in_doubt.h"
#include "server/storage/postgres/postgres_store.h"
#include "tests/test_support.h"

namespace mpower {
namespace {

using ::mpower::testing::StatusIs;
using postgres::TransactionOutcome;

constexpr char kPerson[] = "Tlalli Nakamura-Abernathy";
const Principal kSecretariat = Principal::System();

// Waits up to ten seconds for `done`.
bool WaitFor(const std::function<bool()>& done) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

class InDoubtCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(database_.error(), "");
    auto keyring = Keyring::LoadOrCreate(dir_.path() + "/keys");
    ASSERT_TRUE(keyring.ok()) << keyring.status();
    keyring_ = *std::move(keyring);
    auto store = PostgresStore::Open(database_.url(), keyring_.get());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    v1::Partner partner;
    partner.set_display_name("Union");
    partner.set_type(v1::Partner::TYPE_TRADE_UNION);
    partner.set_country_code("ID");
    ASSERT_TRUE(ResourceManager<v1::Partner>(store_.get())
                    .Create(kSecretariat, "", "union", partner, "", "")
                    .ok());
  }
  void TearDown() override { store_.reset(); }

  ResourceManager<v1::Alert> alerts() { return ResourceManager<v1::Alert>(store_.get()); }

  // Files alert `id` naming kPerson, with `request_id`.
  absl::StatusOr<v1::Alert> File(const std::string& id, const std::string& request_id) {
    v1::Alert alert;
    EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(
        absl::StrCat(
            R"(filing_partner: "partners/union" category: CATEGORY_ARBITRARY_ARREST_OR_DETENTION
           severity: SEVERITY_SEVERE urgency: URGENCY_IMMEDIATE certainty: CERTAINTY_OBSERVED
           country_code: "ID" headline: "Organiser detained at the port" scope: SCOPE_PARTNERS
           protected_details { people { full_name: ")",
            kPerson, R"(" } })"),
        &alert));
    return alerts().Create(kSecretariat, "", id, alert, request_id, "");
  }

  // Arms a fault for the next group's commit only: `cut` runs once COMMIT
  // is queued, with the connection and the transaction's id.
  void ArmFault(std::function<void(postgres::Connection&, int64_t)> cut,
                absl::Duration resolve_limit) {
    auto armed = std::make_shared<std::atomic<bool>>(true);
    store_->SetCommitFaultForTesting(
        [armed, cut](postgres::Connection& connection, int64_t transaction) {
          if (armed->exchange(false)) cut(connection, transaction);
        },
        resolve_limit);
  }

  // pg_xact_status of `transaction`, asked on a session of the test's own.
  std::string StatusOf(int64_t transaction) {
    return database_.QueryValue(absl::StrCat("SELECT pg_xact_status('", transaction, "'::xid8)"));
  }

  // Sends what is queued on `connection`, COMMIT included, waits until the
  // database has committed it, then cuts the session before the answer is
  // read: the database committed, and mpowerd never heard.
  void CommitThenCut(postgres::Connection& connection, int64_t transaction) {
    ASSERT_EQ(PQflush(connection.handle()), 0);
    EXPECT_TRUE(WaitFor([&] { return StatusOf(transaction) == "committed"; }))
        << "the database did not commit: " << StatusOf(transaction);
    shutdown(PQsocket(connection.handle()), SHUT_RDWR);
  }

  // Ends the session before COMMIT leaves mpowerd: the database rolls the
  // transaction back, and mpowerd learns of it only when it sends COMMIT.
  void EndSessionBeforeCommit(postgres::Connection& connection, int64_t transaction) {
    const int pid = PQbackendPID(connection.handle());
    EXPECT_EQ(database_.QueryValue(absl::StrCat("SELECT pg_terminate_backend(", pid, ")")), "t");
    EXPECT_TRUE(WaitFor([&] { return StatusOf(transaction) == "aborted"; }))
        << StatusOf(transaction);
  }

  // The store's revision as the database holds it.
  std::string StoredRevision() {
    return database_.QueryValue("SELECT value FROM counters WHERE key = 'revision'");
  }

  // The alert as the secretariat reads it now.
  absl::StatusOr<v1::Alert> Read(const std::string& name) {
    return alerts().Get(kSecretariat, name);
  }

  testing::PostgresTestDatabase database_;
  testing::TempDir dir_;
  std::unique_ptr<Keyring> keyring_;
  std::unique_ptr<PostgresStore> store_;
};

TEST_F(InDoubtCommitTest, ACommitWhoseAnswerIsLostIsAnsweredAsWrittenAndKeepsItsDataKey) {
  ArmFault([this](auto& connection, int64_t xid) { CommitThenCut(connection, xid); },
           absl::Seconds(5));
  absl::StatusOr<v1::Alert> filed = File("cut-after-commit", "once");
  ASSERT_TRUE(filed.ok()) << "the database committed, so the create succeeded: " << filed.status();
  EXPECT_TRUE(store_->data_keys().Has("alerts/cut-after-commit"));
  absl::StatusOr<v1::Alert> read = Read("alerts/cut-after-commit");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->headline(), "Organiser detained at the port");
  ASSERT_EQ(read->protected_details().people_size(), 1);
  EXPECT_EQ(read->protected_details().people(0).full_name(), kPerson);
  EXPECT_EQ(read->etag(), filed->etag());

  // The store goes on: the next write reconnects.
  absl::StatusOr<v1::Alert> next = File("after-the-cut", "");
  ASSERT_TRUE(next.ok()) << next.status();
}

TEST_F(InDoubtCommitTest, ACommitTheDatabaseRolledBackIsAnsweredAsNotWritten) {
  ArmFault([this](auto& connection, int64_t xid) { EndSessionBeforeCommit(connection, xid); },
           absl::Seconds(5));
  const std::string before = StoredRevision();
  absl::StatusOr<v1::Alert> filed = File("cut-before-commit", "once");
  EXPECT_THAT(filed, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_FALSE(IsCommitOutcomeUnknown(filed.status())) << filed.status();
  EXPECT_THAT(Read("alerts/cut-before-commit"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_FALSE(store_->data_keys().Has("alerts/cut-before-commit"))
      << "a key made for a create known not to have happened goes again";
  EXPECT_EQ(StoredRevision(), before);

  // The retry the error invites writes it once.
  absl::StatusOr<v1::Alert> retried = File("cut-before-commit", "once");
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(Read("alerts/cut-before-commit")->protected_details().people(0).full_name(), kPerson);
}

TEST_F(InDoubtCommitTest, AnOutcomeThatCannotBeLearnedIsSaidSoAndDestroysNothing) {
  // No time to ask: the outcome stays unknown, although the database did
  // commit.
  ArmFault([this](auto& connection, int64_t xid) { CommitThenCut(connection, xid); },
           absl::ZeroDuration());
  absl::StatusOr<v1::Alert> filed = File("unknown-outcome", "unknown-once");
  ASSERT_THAT(filed, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_TRUE(IsCommitOutcomeUnknown(filed.status())) << filed.status();
  EXPECT_THAT(std::string(filed.status().message()), ::testing::HasSubstr("same request_id"));
  EXPECT_TRUE(store_->data_keys().Has("alerts/unknown-outcome"))
      << "the alert may exist: its key must not be destroyed on a guess";

  // What a client sees: UNAVAILABLE, whose ErrorInfo says the outcome is
  // unknown, and a retry that returns the alert written the first time,
  // text and all.
  const grpc::Status sent = ToGrpcStatus(filed.status(), "CreateAlert");
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(sent.error_details()));
  bool reason_found = false;
  for (const google::protobuf::Any& detail : details.details()) {
    google::rpc::ErrorInfo info;
    if (detail.UnpackTo(&info)) {
      EXPECT_EQ(info.reason(), "COMMIT_OUTCOME_UNKNOWN");
      reason_found = true;
    }
  }
  EXPECT_TRUE(reason_found);
  // (Asked of the database: this replica learns of the commit it could
  // not confirm from its follower, a moment later.)
  const std::string revision = StoredRevision();
  absl::StatusOr<v1::Alert> retried = File("unknown-outcome", "unknown-once");
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->protected_details().people(0).full_name(), kPerson);
  EXPECT_EQ(retried->headline(), "Organiser detained at the port");
  EXPECT_EQ(StoredRevision(), revision) << "the retry wrote nothing";
}

// The resolver on its own: each way a transaction can end, and a database
// that cannot be reached.
class ResolveTransactionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(database_.error(), "");
    session_ = PQconnectdb(database_.url().c_str());
    ASSERT_EQ(PQstatus(session_), CONNECTION_OK);
  }
  void TearDown() override { PQfinish(session_); }

  std::string Run(const std::string& sql) {
    PGresult* result = PQexec(session_, sql.c_str());
    std::string value = PQntuples(result) > 0 ? PQgetvalue(result, 0, 0) : "";
    PQclear(result);
    return value;
  }
  // Begins a transaction on the session and returns its id.
  int64_t Begin() {
    Run("BEGIN");
    return std::stoll(Run("SELECT pg_current_xact_id()::text"));
  }

  testing::PostgresTestDatabase database_;
  PGconn* session_ = nullptr;
};

TEST_F(ResolveTransactionTest, TellsCommittedFromAbortedAndEndsOneLeftInProgress) {
  const int64_t committed = Begin();
  Run("COMMIT");
  EXPECT_EQ(postgres::ResolveTransaction(database_.url(), committed, PQbackendPID(session_),
                                         absl::Seconds(5)),
            TransactionOutcome::kCommitted);
  const int64_t rolled_back = Begin();
  Run("ROLLBACK");
  EXPECT_EQ(postgres::ResolveTransaction(database_.url(), rolled_back, PQbackendPID(session_),
                                         absl::Seconds(5)),
            TransactionOutcome::kAborted);

  // A session whose client vanished before COMMIT: still in progress until
  // the resolver ends it, and then it is aborted.
  const int64_t left_open = Begin();
  EXPECT_EQ(postgres::ResolveTransaction(database_.url(), left_open, PQbackendPID(session_),
                                         absl::Seconds(5)),
            TransactionOutcome::kAborted);
  Run("SELECT 1");
  EXPECT_NE(PQstatus(session_), CONNECTION_OK) << "the session was ended";
}

TEST_F(ResolveTransactionTest, IsUnknownWhenTheDatabaseCannotBeReachedInTime) {
  const int64_t committed = Begin();
  Run("COMMIT");
  EXPECT_EQ(postgres::ResolveTransaction("postgresql://mpower@/postgres?host=/nonexistent",
                                         committed, 0, absl::Seconds(1)),
            TransactionOutcome::kUnknown);
}

}  // namespace
}  // namespace mpower
