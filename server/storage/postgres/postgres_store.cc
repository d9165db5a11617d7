#include "server/storage/postgres/postgres_store.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <optional>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "server/base/log.h"
#include "server/base/status_macros.h"
#include "server/storage/commit_outcome.h"
#include "server/storage/postgres/in_doubt.h"
#include "server/storage/postgres/rows.h"
#include "server/storage/postgres/schema.h"
#include "server/storage/postgres/scrub.h"
#include "server/storage/postgres/write_transaction.h"

namespace mpower {

using postgres::Connection;
using postgres::Params;
using postgres::ReadCounter;

namespace {

constexpr size_t kMaxGroupSize = 256;

// Opens one sealed row per key in use, so a missing or wrong key is found
// at start-up with a clear message, not on some later read.
absl::Status CheckKeys(Connection& connection, const Keyring& keyring) {
  MPOWER_ASSIGN_OR_RETURN(
      auto resources,
      connection.Query("SELECT DISTINCT ON (protected_key_id) " MPOWER_PG_RESOURCE_COLUMNS
                       "FROM resources WHERE protected_key_id IS NOT NULL",
                       "checking the keys"));
  MPOWER_RETURN_IF_ERROR(postgres::ReadResources(*resources, keyring).status());
  MPOWER_ASSIGN_OR_RETURN(
      auto history,
      connection.Query("SELECT DISTINCT ON (protected_key_id) name, collection, parent, '', "
                       "create_revision, revision, deleted, data, protected_data, "
                       "protected_key_id, kind FROM changes WHERE protected_key_id IS NOT NULL",
                       "checking the keys"));
  return postgres::ReadChanges(*history, keyring).status();
}

}  // namespace

absl::StatusOr<std::unique_ptr<PostgresStore>> PostgresStore::Open(const std::string& url,
                                                                   const Keyring* keyring) {
  MPOWER_ASSIGN_OR_RETURN(std::unique_ptr<Connection> writer, Connection::Open(url));
  MPOWER_RETURN_IF_ERROR(postgres::Migrate(*writer));
  MPOWER_RETURN_IF_ERROR(CheckKeys(*writer, *keyring));
  std::unique_ptr<PostgresStore> store(new PostgresStore(url, keyring, std::move(writer)));
  {
    MPOWER_ASSIGN_OR_RETURN(Lease lease, store->Acquire());
    MPOWER_RETURN_IF_ERROR(store->Refresh(*lease));
  }
  store->stop_event_ = eventfd(0, EFD_CLOEXEC);
  if (store->stop_event_ < 0) return absl::InternalError("cannot make an eventfd");
  store->follower_ = std::thread([raw = store.get()] { raw->Follow(); });
  // A scrub an earlier mpowerd owed and did not finish (postgres/scrub.h).
  absl::StatusOr<bool> scrub_due;
  {
    MPOWER_ASSIGN_OR_RETURN(Lease lease, store->Acquire());
    scrub_due = postgres::ScrubIsDue(*lease);
  }
  if (scrub_due.ok() && *scrub_due) store->RequestScrub();
  return store;
}

PostgresStore::PostgresStore(std::string url, const Keyring* keyring,
                             std::unique_ptr<Connection> writer)
    : url_(std::move(url)),
      keyring_(*keyring),
      writer_(std::move(writer)),
      group_commit_([this](const auto& group) { CommitGroup(group); }, kMaxGroupSize) {}

PostgresStore::~PostgresStore() {
  std::thread scrubber;
  {
    absl::MutexLock lock(&scrub_mutex_);
    scrub_stopping_ = true;
    scrubber = std::move(scrubber_);
  }
  if (scrubber.joinable()) scrubber.join();  // after the scrub under way, if any
  stopping_.store(true);
  if (stop_event_ >= 0) {
    const uint64_t one = 1;
    (void)!write(stop_event_, &one, sizeof(one));
  }
  if (follower_.joinable()) follower_.join();
  if (stop_event_ >= 0) close(stop_event_);
}

absl::StatusOr<PostgresStore::Lease> PostgresStore::Acquire() {
  {
    absl::MutexLock lock(&pool_mutex_);
    while (!idle_.empty()) {
      std::unique_ptr<Connection> connection = std::move(idle_.back());
      idle_.pop_back();
      if (connection->StillOpen()) return Lease(this, std::move(connection));
      // The server ended this session, so it ended the other idle ones too
      // (a restart): open fresh ones from here on.
      idle_.clear();
    }
  }
  MPOWER_ASSIGN_OR_RETURN(std::unique_ptr<Connection> connection, Connection::Open(url_));
  return Lease(this, std::move(connection));
}

void PostgresStore::Release(std::unique_ptr<Connection> connection) {
  // A broken connection, or one left inside a transaction, is not reused.
  if (!connection->healthy() || connection->InTransaction()) return;
  absl::MutexLock lock(&pool_mutex_);
  idle_.push_back(std::move(connection));
}

absl::StatusOr<Connection*> PostgresStore::Writer() {
  if (writer_ == nullptr || !writer_->StillOpen()) {
    writer_.reset();
    MPOWER_ASSIGN_OR_RETURN(writer_, Connection::Open(url_));
  }
  return writer_.get();
}

void PostgresStore::SetCommitListener(std::function<void()> listener) {
  absl::MutexLock lock(&listener_mutex_);
  commit_listener_ = std::move(listener);
}

void PostgresStore::NotifyCommit() {
  absl::MutexLock lock(&listener_mutex_);
  if (commit_listener_) commit_listener_();
}

absl::StatusOr<int64_t> PostgresStore::CurrentRevision() { return revision_.load(); }

absl::StatusOr<int64_t> PostgresStore::Write(
    Durability durability, const std::function<absl::Status(WriteTransaction&)>& body) {
  const int64_t before = revision_.load();
  GroupCommit::PendingWrite write{&body, durability};
  group_commit_.Submit(write);
  // A commit whose outcome is unknown may have rewritten copies too.
  if (write.rewrote_copies &&
      (write.result.ok() || IsCommitOutcomeUnknown(write.result.status()))) {
    RequestScrub();
  }
  if (write.result.ok() && *write.result > before) NotifyCommit();
  return write.result;
}

void PostgresStore::RequestScrub() {
  absl::MutexLock lock(&scrub_mutex_);
  scrub_requested_ = true;
  if (!scrubber_.joinable() && !scrub_stopping_) scrubber_ = std::thread([this] { Scrub(); });
}

void PostgresStore::Scrub() {
  while (true) {
    {
      absl::MutexLock lock(&scrub_mutex_);
      const auto due = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(scrub_mutex_) {
        return scrub_requested_ || scrub_stopping_;
      };
      scrub_mutex_.Await(absl::Condition(&due));
      // A scrub requested but not begun stays owed in the database: the
      // next mpowerd to open the store runs it, and this one stops now.
      if (scrub_stopping_) return;
      scrub_requested_ = false;
    }
    // A connection of its own: the pool's may be lent out for a long read.
    absl::StatusOr<std::unique_ptr<Connection>> connection = Connection::Open(url_);
    if (!connection.ok()) {
      Log(LogLevel::kWarning, "storage",
          absl::StrCat("cannot connect to remove the old text a narrowing or purge rewrote (",
                       connection.status().message(),
                       "); it stays in the table files until the tables' owner runs VACUUM FULL "
                       "resources, changes"));
      continue;
    }
    postgres::ScrubRewrittenRows(**connection);
  }
}

void PostgresStore::CommitGroup(const std::vector<GroupCommit::PendingWrite*>& group) {
  absl::MutexLock lock(&writer_mutex_);
  absl::StatusOr<Connection*> writer = Writer();
  if (!writer.ok()) {
    for (GroupCommit::PendingWrite* write : group) write->result = writer.status();
    return;
  }
  Connection& connection = **writer;
  // Pipelined, a statement whose answer the group does not need travels
  // with the next one whose answer it does. Each write runs in a savepoint
  // and is not waited for on its own: a write costs a round trip per read
  // it makes, and the next read also confirms the writes before it.
  absl::Status status = connection.EnterPipelineMode();
  absl::Cleanup leave_pipeline = [&connection] { connection.ExitPipelineMode(); };
  postgres::Transaction transaction(connection);
  if (status.ok()) status = transaction.Begin();
  // A group that needs no fsync commits without waiting for the WAL flush:
  // PostgreSQL's asynchronous commit, which a crash of the database server
  // (not of mpowerd) may lose.
  if (status.ok() && !GroupCommit::NeedsSync(group)) {
    status = connection.Execute("SET LOCAL synchronous_commit TO off", "relaxing durability");
  }
  // A write finds every row it touches by key. Its prepared statements keep
  // the plan made when their tables were small, and one transaction can
  // grow a table a thousandfold (a sync of 100,000 commitments adds about
  // a million index terms): a sequential scan planned for a table of one
  // page then runs once per row written, and the sync took more than ten
  // minutes on CI. Without sequential scans the planner picks the index a
  // key lookup needs whatever its statistics say, and a statement that has
  // no index to use still runs, by a sequential scan.
  if (status.ok()) {
    status = connection.Execute("SET LOCAL enable_seqscan TO off", "planning by key");
  }
  int64_t last = 0;
  // The transaction's id, to ask what became of it should the answer to
  // its COMMIT be lost (locking the row gives it one anyway).
  int64_t transaction_id = 0;
  if (status.ok()) {
    // The cluster's one serialization point: held until COMMIT.
    absl::StatusOr<std::unique_ptr<postgres::Result>> locked = connection.Query(
        "SELECT value, pg_current_xact_id()::text::bigint FROM counters "
        "WHERE key = 'revision' FOR UPDATE",
        "locking the revision");
    status = locked.status();
    if (locked.ok() && (*locked)->rows() != 1) {
      status = absl::DataLossError("the database has lost the revision counter");
    } else if (locked.ok()) {
      last = (*locked)->Int64(0, 0);
      transaction_id = (*locked)->Int64(0, 1);
    }
  }
  postgres::GroupMemory memory;
  // Where each write began, to go back to should a statement of it fail.
  struct Checkpoint {
    uint64_t first_statement;
    int64_t last;
    bool audit_tail_known;
    int64_t audit_sequence;
    std::string audit_hash;
  };
  std::vector<Checkpoint> checkpoints;
  checkpoints.reserve(group.size());
  // Forgets what an undone write may have changed: its audit records (and
  // the tail it read, if it was the first to) are gone with it.
  const auto forget_since = [&memory](const Checkpoint& checkpoint) {
    memory.audit_tail_known = checkpoint.audit_tail_known;
    memory.audit_sequence = checkpoint.audit_sequence;
    memory.audit_hash = checkpoint.audit_hash;
    memory.resources.clear();
  };
  // A statement of write `failed` failed after its body returned: it is
  // undone with every write run after it (their statements did nothing in
  // the failed transaction, and their bodies saw its state), back to its
  // savepoint. Those later writes fail UNAVAILABLE, as when the database
  // cannot be written (the code every method documents, carrying
  // RetryInfo, and the one clients already retry): nothing of them was
  // written, so retrying is safe. ABORTED would read as a stale etag.
  const auto undo_from = [&](size_t failed, size_t through,
                             const absl::Status& error) -> absl::Status {
    last = checkpoints[failed].last;
    forget_since(checkpoints[failed]);
    if (group[failed]->result.ok()) group[failed]->result = error;
    for (size_t i = failed + 1; i <= through; ++i) {
      group[i]->result = absl::UnavailableError(
          "a write committed together with this one failed, so this one was not written; retry");
    }
    if (!connection.healthy()) {
      return absl::UnavailableError("the database connection was lost; retry");
    }
    // What the failed transaction still had queued fails too; only the
    // first failure counts.
    connection.Settle().IgnoreError();
    connection.TakeFailedStatement();
    MPOWER_RETURN_IF_ERROR(
        connection.Execute("ROLLBACK TO SAVEPOINT write", "undoing a failed write"));
    return connection.Execute("RELEASE SAVEPOINT write", "undoing a write");
  };
  // The write statement `number` belongs to.
  const auto owner = [&](uint64_t number) {
    size_t write = checkpoints.size() - 1;
    while (write > 0 && checkpoints[write].first_statement > number) --write;
    return write;
  };
  bool changed = false;
  bool changed_credentials = false;
  size_t ran = 0;
  if (status.ok()) connection.TakeFailedStatement();  // the group's own are in `status`
  for (; status.ok() && ran < group.size(); ++ran) {
    GroupCommit::PendingWrite* write = group[ran];
    checkpoints.push_back({connection.statements_sent(), last, memory.audit_tail_known,
                           memory.audit_sequence, memory.audit_hash});
    status = connection.Execute("SAVEPOINT write", "starting a write");
    if (!status.ok()) break;
    postgres::PostgresWriteTransaction body(connection, keyring_, last + 1, &extractor_, &memory);
    const absl::Status outcome = (*write->body)(body);
    if (!connection.healthy()) {
      status = absl::UnavailableError("the database connection was lost; retry");
      break;
    }
    if (std::optional<Connection::FailedStatement> failure = connection.TakeFailedStatement()) {
      const size_t failed = owner(failure->number);
      if (failed == ran && !outcome.ok()) write->result = outcome;
      status = undo_from(failed, ran, failure->error);
      continue;
    }
    if (outcome.ok() && body.wrote()) {
      if (body.changed_resources()) {
        ++last;
        changed = true;
      }
      changed_credentials |= body.changed_credentials();
      write->result = last;
      write->rewrote_copies = body.rewrote_copies();
      status = connection.Execute("RELEASE SAVEPOINT write", "finishing a write");
      continue;
    }
    write->result = outcome.ok() ? absl::StatusOr<int64_t>(last) : outcome;
    forget_since(checkpoints.back());
    status = connection.Execute("ROLLBACK TO SAVEPOINT write", "undoing a failed write");
    if (status.ok()) status = connection.Execute("RELEASE SAVEPOINT write", "undoing a write");
  }
  // The last writes, confirmed before anything of the group's own follows.
  if (status.ok()) connection.Settle().IgnoreError();
  if (std::optional<Connection::FailedStatement> failure = connection.TakeFailedStatement();
      status.ok() && failure.has_value()) {
    status = undo_from(owner(failure->number), ran - 1, failure->error);
    if (status.ok()) status = connection.Settle();
  }
  int64_t stored_generation = -1;
  if (status.ok() && changed) {
    status = connection.Execute("UPDATE counters SET value = $1 WHERE key = 'revision'",
                                Params().Int64(last), "recording the revision");
  }
  if (status.ok() && changed_credentials) {
    absl::StatusOr<int64_t> generation =
        ReadCounter(connection,
                    "UPDATE counters SET value = value + 1 WHERE key = 'credentials_generation' "
                    "RETURNING value");
    status = generation.status();
    if (generation.ok()) stored_generation = *generation;
  }
  if (status.ok() && (changed || changed_credentials)) {
    // Delivered to every replica's follower at COMMIT.
    status = connection.Execute("SELECT pg_notify($1, $2)",
                                Params().Text(postgres::kChangesChannel).Text(absl::StrCat(last)),
                                "notifying replicas");
  }
  if (status.ok()) {
    const int backend_pid = postgres::libpq::PQbackendPID(connection.handle());
    const CommitFault fault = commit_fault_;  // a copy: the lambda runs under the lock too
    status = transaction.Commit([&] {
      if (fault != nullptr) fault(connection, transaction_id);
    });
    // The answer to COMMIT may be lost after the database committed: what
    // happened is asked, never guessed.
    if (!status.ok()) status = ResolveCommit(status, transaction_id, backend_pid);
  }
  if (!status.ok()) {
    transaction.Rollback();
    for (size_t i = 0; i < group.size(); ++i) {
      if (i >= ran || group[i]->result.ok()) group[i]->result = status;
    }
    return;
  }
  int64_t known = revision_.load();
  while (last > known && !revision_.compare_exchange_weak(known, last)) {
  }
  if (changed_credentials) {
    stored_credentials_generation_.store(stored_generation);
    credentials_generation_.fetch_add(1);
  }
}

absl::Status PostgresStore::ResolveCommit(const absl::Status& error, int64_t transaction_id,
                                          int backend_pid) {
  switch (postgres::ResolveTransaction(url_, transaction_id, backend_pid, resolve_limit_)) {
    case postgres::TransactionOutcome::kCommitted:
      Log(LogLevel::kWarning, "storage",
          absl::StrCat("commit in doubt resolved: transaction ", transaction_id,
                       " committed; its writes are answered as written"));
      return absl::OkStatus();
    case postgres::TransactionOutcome::kAborted:
      Log(LogLevel::kWarning, "storage",
          absl::StrCat("commit in doubt resolved: transaction ", transaction_id,
                       " aborted; its writes are answered as not written"));
      return error;
    case postgres::TransactionOutcome::kUnknown:
      break;
  }
  return CommitOutcomeUnknownError();
}

absl::Status PostgresStore::WithWriter(const std::function<absl::Status(Connection&)>& body) {
  absl::MutexLock lock(&writer_mutex_);
  MPOWER_ASSIGN_OR_RETURN(Connection * connection, Writer());
  postgres::Transaction transaction(*connection);
  MPOWER_RETURN_IF_ERROR(transaction.Begin());
  MPOWER_RETURN_IF_ERROR(connection->Execute(
      "SELECT value FROM counters WHERE key = 'revision' FOR UPDATE", "locking the store"));
  MPOWER_RETURN_IF_ERROR(body(*connection));
  return transaction.Commit();
}

absl::StatusOr<std::optional<StoredResource>> PostgresStore::Get(absl::string_view name) {
  MPOWER_ASSIGN_OR_RETURN(Lease lease, Acquire());
  return postgres::GetResource(*lease, keyring_, name);
}

absl::StatusOr<bool> PostgresStore::HoldsMaintenanceLease() {
  absl::MutexLock lock(&lease_mutex_);
  // A session-level advisory lock lasts exactly as long as its session, so
  // a round trip on that session proves the lease is still ours. A flag
  // alone would not: after a restart of PostgreSQL, libpq reports the dead
  // session as fine until it is used, while another replica takes the
  // lock, and both would run maintenance.
  if (lease_held_ && lease_->Execute("SELECT 1", "checking the maintenance lease").ok()) {
    return true;
  }
  if (lease_ != nullptr && (lease_held_ || !lease_->StillOpen())) lease_.reset();
  lease_held_ = false;
  if (lease_ == nullptr) {
    MPOWER_ASSIGN_OR_RETURN(lease_, Connection::Open(url_));
  }
  MPOWER_ASSIGN_OR_RETURN(auto taken, lease_->Query("SELECT pg_try_advisory_lock($1)",
                                                    Params().Int64(postgres::kMaintenanceLock),
                                                    "taking the maintenance lease"));
  lease_held_ = taken->Bool(0, 0);
  return lease_held_;
}

absl::Status PostgresStore::CheckHealth() {
  MPOWER_ASSIGN_OR_RETURN(Lease lease, Acquire());
  return lease->Execute("SELECT 1", "checking the database");
}

}  // namespace mpower
