#ifndef MPOWER_SERVER_STORAGE_POSTGRES_POSTGRES_STORE_H_
#define MPOWER_SERVER_STORAGE_POSTGRES_POSTGRES_STORE_H_

// The backend for several replicas: a Store on one PostgreSQL database that
// any number of mpowerd processes share.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/storage/group_commit.h"
#include "server/storage/keyring.h"
#include "server/storage/postgres/connection.h"
#include "server/storage/store.h"

namespace mpower {

// A Store on a PostgreSQL database, true for several processes at once.
//
// Revisions: the row 'revision' of the counters table is the one point every
// write transaction in the cluster passes through. A group locks it first
// (SELECT ... FOR UPDATE), numbers its writes from it, and writes it back
// just before COMMIT. So groups commit one at a time, in revision order,
// and a rolled-back group leaves no hole: a reader that has seen revision R
// has seen every revision up to R, whichever replica wrote it. (A sequence
// would give neither: transactions commit out of sequence order, and a
// rollback burns its numbers.) Within a replica, group commit shares one
// transaction and one WAL flush among concurrent writes, as on SQLite.
//
// Other replicas' writes: a follower thread LISTENs for the notification
// each commit sends, and polls the counters twice a second besides, so the
// revision CurrentRevision reports, the commit listener (which wakes the
// watch hub) and CredentialsGeneration follow every replica's writes
// within half a second, without a query per watcher.
//
// Thread-safe.
class PostgresStore : public Store {
 public:
  // Connects to `url`, applies the schema's migrations (one replica at a
  // time) and checks that `keyring` opens data sealed with each key in use.
  // REQUIRES: `keyring` outlives the store.
  static absl::StatusOr<std::unique_ptr<PostgresStore>> Open(const std::string& url,
                                                             const Keyring* keyring);
  ~PostgresStore() override;

  // Re-seals with the current key all protected data sealed with older
  // keys, in one transaction. Returns how many resources it re-sealed.
  absl::StatusOr<int64_t> ReencryptProtectedData() override;
  const DataKeys& data_keys() const override { return keyring_.data_keys(); }
  void SetGroupCommitObserver(GroupCommitObserver observer) override {
    group_commit_.SetObserver(std::move(observer));
  }
  absl::StatusOr<int64_t> DatabaseBytes() override;
  absl::Status SealUnderDataKeys(absl::string_view collection) override;
  absl::StatusOr<std::string> SharedSecret(absl::string_view name) override
      ABSL_LOCKS_EXCLUDED(secrets_mutex_);

  using Store::Write;
  absl::StatusOr<int64_t> Write(
      Durability durability, const std::function<absl::Status(WriteTransaction&)>& body) override;
  absl::StatusOr<std::optional<StoredResource>> Get(absl::string_view name) override;
  absl::StatusOr<ListResult> List(const ListQuery& query) override;
  absl::StatusOr<int64_t> CurrentRevision() override;
  uint64_t CredentialsGeneration() const override { return credentials_generation_.load(); }
  absl::Status SetTermExtractor(std::string version, TermExtractor extractor) override
      ABSL_LOCKS_EXCLUDED(writer_mutex_);
  void SetCommitListener(std::function<void()> listener) override
      ABSL_LOCKS_EXCLUDED(listener_mutex_);
  absl::StatusOr<std::optional<CredentialRecord>> GetCredential(absl::string_view id) override;
  absl::StatusOr<std::optional<CredentialRecord>> FindCredentialBySecretHash(
      absl::string_view secret_hash) override;
  absl::StatusOr<std::optional<CredentialRecord>> FindCredentialBySubject(
      absl::string_view subject) override;
  absl::StatusOr<std::vector<CredentialRecord>> ListCredentials(absl::string_view after_id,
                                                                size_t limit) override;
  absl::StatusOr<std::vector<AuditRecord>> ListAudit(int64_t after, size_t limit) override;
  absl::StatusOr<std::optional<std::string>> GetDeliveryState(
      absl::string_view subscription) override;
  absl::StatusOr<std::vector<DeliveryStateRecord>> ListDeliveryStates(absl::string_view after,
                                                                      size_t limit) override;
  absl::StatusOr<std::vector<ChangeRecord>> ListChanges(int64_t after_revision,
                                                        absl::string_view after_name,
                                                        size_t limit) override;
  absl::StatusOr<int64_t> CompactedRevision() override;
  absl::Status Compact(int64_t revision) override;
  // Held as a session advisory lock on a connection of its own: released
  // by PostgreSQL the moment this process's session ends.
  absl::StatusOr<bool> HoldsMaintenanceLease() override ABSL_LOCKS_EXCLUDED(lease_mutex_);
  absl::Status CheckHealth() override;

  // For tests of commits in doubt: `fault` runs on the writer's thread once
  // a group's COMMIT is queued on `connection` and before its answer is
  // read, with the transaction's id (xid8); it may cut the session. And how
  // long the store keeps asking what became of such a commit before it
  // answers "unknown" (5 s by default).
  using CommitFault = std::function<void(postgres::Connection& connection, int64_t transaction)>;
  void SetCommitFaultForTesting(CommitFault fault, absl::Duration resolve_limit)
      ABSL_LOCKS_EXCLUDED(writer_mutex_) {
    absl::MutexLock lock(&writer_mutex_);
    commit_fault_ = std::move(fault);
    resolve_limit_ = resolve_limit;
  }

 private:
  // A pooled connection borrowed for one scope; a broken one is dropped.
  class Lease {
   public:
    Lease(PostgresStore* store, std::unique_ptr<postgres::Connection> connection)
        : store_(store), connection_(std::move(connection)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (connection_ != nullptr) store_->Release(std::move(connection_));
    }
    postgres::Connection* operator->() { return connection_.get(); }
    postgres::Connection& operator*() { return *connection_; }

   private:
    PostgresStore* store_;
    std::unique_ptr<postgres::Connection> connection_;
  };

  PostgresStore(std::string url, const Keyring* keyring,
                std::unique_ptr<postgres::Connection> writer);

  absl::StatusOr<Lease> Acquire() ABSL_LOCKS_EXCLUDED(pool_mutex_);
  void Release(std::unique_ptr<postgres::Connection> connection) ABSL_LOCKS_EXCLUDED(pool_mutex_);

  // Runs `group` in one transaction holding the revision lock.
  void CommitGroup(const std::vector<GroupCommit::PendingWrite*>& group)
      ABSL_LOCKS_EXCLUDED(writer_mutex_);
  // The outcome of a group whose COMMIT failed with `error`: OK if the
  // database committed it after all, `error` if it did
  // not, CommitOutcomeUnknownError() if it cannot be learned.
  absl::Status ResolveCommit(const absl::Status& error, int64_t transaction_id, int backend_pid)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mutex_);
  // After a write that rewrote stored copies: asks the scrubber thread
  // (started on first use) to remove the old copies' bytes from the
  // cluster's files. Requests made while it works coalesce into one more
  // scrub, never a queue of them.
  void RequestScrub() ABSL_LOCKS_EXCLUDED(scrub_mutex_);
  // The scrubber's loop: scrub once per batch of requests until stopping
  // (postgres/scrub.h says what a scrub does, and how one owed outlives a
  // stop).
  void Scrub() ABSL_LOCKS_EXCLUDED(scrub_mutex_);
  // Runs `body` in a transaction of its own holding the revision lock, for
  // maintenance that is not a revision of the store.
  absl::Status WithWriter(const std::function<absl::Status(postgres::Connection&)>& body)
      ABSL_LOCKS_EXCLUDED(writer_mutex_);
  // The writer connection, reconnected if it broke.
  absl::StatusOr<postgres::Connection*> Writer() ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mutex_);

  // The follower's loop: LISTEN, poll the counters, wake the watch hub.
  void Follow();
  // Reads the counters and publishes what advanced.
  absl::Status Refresh(postgres::Connection& connection);
  void NotifyCommit() ABSL_LOCKS_EXCLUDED(listener_mutex_);

  const std::string url_;
  const Keyring& keyring_;

  absl::Mutex writer_mutex_;  // serializes write transactions on writer_
  std::unique_ptr<postgres::Connection> writer_ ABSL_GUARDED_BY(writer_mutex_);
  TermExtractor extractor_ ABSL_GUARDED_BY(writer_mutex_);
  CommitFault commit_fault_ ABSL_GUARDED_BY(writer_mutex_);
  absl::Duration resolve_limit_ ABSL_GUARDED_BY(writer_mutex_) = absl::Seconds(5);
  GroupCommit group_commit_;

  std::atomic<int64_t> revision_{0};  // the highest revision known committed
  std::atomic<uint64_t> credentials_generation_{0};
  std::atomic<int64_t> stored_credentials_generation_{-1};  // as last read from the database
  std::atomic<bool> terms_ready_{false};

  absl::Mutex secrets_mutex_;
  std::map<std::string, std::string> secrets_ ABSL_GUARDED_BY(secrets_mutex_);
  absl::Mutex listener_mutex_;
  std::function<void()> commit_listener_ ABSL_GUARDED_BY(listener_mutex_);

  absl::Mutex lease_mutex_;
  std::unique_ptr<postgres::Connection> lease_ ABSL_GUARDED_BY(lease_mutex_);
  bool lease_held_ ABSL_GUARDED_BY(lease_mutex_) = false;

  absl::Mutex pool_mutex_;
  std::vector<std::unique_ptr<postgres::Connection>> idle_ ABSL_GUARDED_BY(pool_mutex_);

  // A write's answer does not wait for the scrub: it may wait 10 s for
  // other transactions, longer than a client's deadline.
  absl::Mutex scrub_mutex_;
  bool scrub_requested_ ABSL_GUARDED_BY(scrub_mutex_) = false;
  bool scrub_stopping_ ABSL_GUARDED_BY(scrub_mutex_) = false;
  std::thread scrubber_ ABSL_GUARDED_BY(scrub_mutex_);

  std::atomic<bool> stopping_{false};
  // Readable once stopping_ is set, so the follower wakes at once, not at
  // its next poll.
  int stop_event_ = -1;
  std::thread follower_;  // started last
};

}  // namespace mpower

#endif  // MPOWER_SERVER_STORAGE_POSTGRES_POSTGRES_STORE_H_
