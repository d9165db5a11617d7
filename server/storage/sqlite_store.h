#ifndef MPOWER_SERVER_STORAGE_SQLITE_STORE_H_
#define MPOWER_SERVER_STORAGE_SQLITE_STORE_H_

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/status/statusor.h"
#include "server/storage/keyring.h"
#include "server/storage/sqlite.h"
#include "server/storage/store.h"

namespace mpower {

// A Store on one SQLite database file in WAL mode. Writes go through one
// connection, one transaction at a time; reads use a pool of their own
// connections, so readers never wait for the writer. Protected data is
// sealed with the keyring's current key and bound to its resource's name.
// Thread-safe.
class SqliteStore : public Store {
 public:
  // Opens or creates the database at `path` and its schema, and checks that
  // `keyring` opens data sealed with each key in use (FAILED_PRECONDITION
  // for a missing key, DATA_LOSS for a wrong one). REQUIRES: `keyring`
  // outlives the store.
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(const std::string& path,
                                                          const Keyring* keyring);

  // Re-seals with the current key all protected data sealed with older
  // keys, in one transaction. Returns how many resources it re-sealed.
  absl::StatusOr<int64_t> ReencryptProtectedData();

  absl::StatusOr<std::optional<StoredResource>> Get(absl::string_view name) override;
  absl::StatusOr<ListResult> List(const ListQuery& query) override;
  absl::StatusOr<int64_t> Write(
      const std::function<absl::Status(WriteTransaction&)>& body) override;
  absl::StatusOr<int64_t> CurrentRevision() override;
  uint64_t CredentialsGeneration() const override { return credentials_generation_.load(); }
  absl::Status SetTermExtractor(std::string version, TermExtractor extractor) override;
  void SetCommitListener(std::function<void()> listener) override {
    commit_listener_ = std::move(listener);
  }
  absl::StatusOr<std::optional<CredentialRecord>> GetCredential(absl::string_view id) override;
  absl::StatusOr<std::optional<CredentialRecord>> FindCredentialBySecretHash(
      absl::string_view secret_hash) override;
  absl::StatusOr<std::optional<CredentialRecord>> FindCredentialBySubject(
      absl::string_view subject) override;
  absl::StatusOr<std::vector<CredentialRecord>> ListCredentials(absl::string_view after_id,
                                                                size_t limit) override;
  absl::StatusOr<std::vector<AuditRecord>> ListAudit(int64_t after, size_t limit) override;
  absl::StatusOr<std::vector<ChangeRecord>> ListChanges(int64_t after_revision,
                                                        absl::string_view after_name,
                                                        size_t limit) override;
  absl::StatusOr<int64_t> CompactedRevision() override;
  absl::Status Compact(int64_t revision) override;

 private:
  class Transaction;
  class ReaderLease;

  SqliteStore(std::string path, const Keyring* keyring, std::unique_ptr<sqlite::Database> writer,
              int64_t revision);

  // A Write call waiting for, or in, a group commit.
  struct PendingWrite {
    const std::function<absl::Status(WriteTransaction&)>* body;
    absl::StatusOr<int64_t> result = absl::InternalError("not run");
    bool done = false;  // guarded by queue_mutex_
    // Woken alone: when its group is done, or when it is first in the queue
    // and no group is committing. Waking every waiter on each commit cost a
    // storm of futex wake-ups for nothing.
    std::condition_variable wake;
  };
  // Runs each write of `group` in its own savepoint of one transaction and
  // commits them together: one fsync for all. Sets each write's result; a
  // write that failed leaves nothing behind, and if the commit fails, every
  // write of the group fails with it.
  void CommitGroup(const std::vector<PendingWrite*>& group);
  absl::StatusOr<std::unique_ptr<sqlite::Database>> AcquireReader();
  void ReleaseReader(std::unique_ptr<sqlite::Database> reader);
  // Records `revision` as the last one; inside the open write transaction.
  absl::Status SaveRevision(int64_t revision);

  const std::string path_;
  const Keyring& keyring_;

  // Group commit: writers queue up; one of them at a time commits everything
  // queued, so concurrent writes share a transaction and its fsync.
  std::mutex queue_mutex_;
  std::deque<PendingWrite*> queue_;  // guarded by queue_mutex_
  bool committing_ = false;          // guarded by queue_mutex_

  std::mutex write_mutex_;  // serializes write transactions
  std::unique_ptr<sqlite::Database> writer_;
  std::atomic<uint64_t> credentials_generation_{0};  // see CredentialsGeneration
  std::atomic<int64_t> revision_;  // last committed revision; written under write_mutex_

  std::function<void()> commit_listener_;
  TermExtractor extractor_;               // written under write_mutex_
  std::atomic<bool> terms_ready_{false};  // List may use the term index

  std::mutex readers_mutex_;
  std::vector<std::unique_ptr<sqlite::Database>> idle_readers_;
};

}  // namespace mpower

#endif  // MPOWER_SERVER_STORAGE_SQLITE_STORE_H_
